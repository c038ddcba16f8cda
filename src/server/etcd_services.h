// etcd's v3 gRPC services on top of a RaftNode, with gRPC's asynchronous API served by ONE
// thread of our own ("grpc-front"). That thread is gRPC's only poller: it reads the client
// connections, decodes each request, checks it and hands it to the node, and it writes
// every answer. The node's thread hands its answers back in batches (one wake-up for all
// the answers of one Ready), so a put costs no thread hop inside gRPC: gRPC's callback API,
// used before, spent about a third of the leader's CPU handing events between its own
// polling threads.
//
// Served: KV.Range/Put/DeleteRange/Txn, Maintenance.Status and Alarm (GET: no alarms),
// Cluster.MemberList. Every other method, of etcd's API or not, is caught by a generic
// handler and answered UNIMPLEMENTED with a message saying what is not served.
//
//   EtcdServices services(context);
//   grpc::ServerBuilder builder;
//   services.register_with(builder);   // the services and the completion queue
//   auto server = builder.BuildAndStart();
//   services.start();                  // the thread; calls flow from now on
//   ... node.stop(); server->Shutdown(deadline); services.stop();
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/metrics.h"
#include "server/raft_node.h"

namespace grpc {
class ServerBuilder;
}

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

class EtcdServices {
 public:
  explicit EtcdServices(ServiceContext context);
  // Stops the thread if stop() was not called.
  ~EtcdServices();
  EtcdServices(const EtcdServices&) = delete;
  EtcdServices& operator=(const EtcdServices&) = delete;

  // Registers every service and adds the completion queue; once, before BuildAndStart.
  void register_with(grpc::ServerBuilder& builder);
  // After BuildAndStart succeeded: asks for the first calls and starts the thread.
  void start();
  // After the server's Shutdown returned (every call is answered or cancelled by then):
  // shuts the completion queue down, drains it and joins the thread. Idempotent.
  void stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::server
