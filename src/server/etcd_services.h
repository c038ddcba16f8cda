// etcd's v3 gRPC services on top of a RaftNode, with gRPC's callback API: a handler
// checks the request, hands it to the node and returns at once; the node's thread
// finishes the call when the entry is applied (or the read is served, or the deadline
// passes). No thread per request, no thread blocked per request.
//
// Served: KV.Range/Put/DeleteRange/Txn, Maintenance.Status and Alarm (GET: no alarms),
// Cluster.MemberList. Everything else in etcd's API answers UNIMPLEMENTED with a message.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/metrics.h"
#include "server/raft_node.h"

namespace faultline::server {

struct MemberInfo {
  raft::NodeId id = raft::kNone;
  std::string name;
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;
};

struct ServiceContext {
  RaftNode* node = nullptr;
  ServerMetrics* metrics = nullptr;
  raft::NodeId member_id = raft::kNone;
  std::uint64_t cluster_id = 0;
  std::uint64_t max_request_bytes = 1536 * 1024;
  std::chrono::milliseconds request_timeout{7000};
  std::function<std::vector<MemberInfo>()> members;
};

// The version Maintenance.Status reports: etcd's API level, marked as faultline.
inline constexpr const char* kReportedVersion = "3.4.0+faultline";

// Every service faultline registers; the object must outlive the grpc::Server.
class EtcdServices {
 public:
  explicit EtcdServices(ServiceContext context);
  ~EtcdServices();
  std::vector<grpc::Service*> services();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::server
