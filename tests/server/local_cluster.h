// A cluster of `faultline serve` nodes inside the test process, on 127.0.0.1 with free
// ports and data directories under a fresh temporary directory (removed afterwards).
// Nodes can be stopped and started again on the same directory, as a crash and restart.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/serve_config.h"
#include "server/server.h"

namespace faultline::server::testing {

class LocalCluster {
 public:
  // `adjust` may change each node's flags (timing, profile) before they are resolved.
  explicit LocalCluster(int size, const std::function<void(ServeFlags&)>& adjust = nullptr);
  ~LocalCluster();

  int size() const { return static_cast<int>(flags_.size()); }
  void start(int i);
  void stop(int i);
  void start_all();
  bool running(int i) const { return servers_[static_cast<std::size_t>(i)] != nullptr; }
  Server& server(int i) { return *servers_[static_cast<std::size_t>(i)]; }
  const ServeFlags& flags(int i) const { return flags_[static_cast<std::size_t>(i)]; }
  std::string client_address(int i) const;   // "127.0.0.1:PORT"
  std::string metrics_address(int i) const;  // "127.0.0.1:PORT"

  // Waits until every running node agrees on one running leader; returns its index.
  std::optional<int> wait_for_leader(std::chrono::milliseconds timeout);

  std::unique_ptr<etcdserverpb::KV::Stub> kv(int i);
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance(int i);
  std::unique_ptr<etcdserverpb::Cluster::Stub> cluster(int i);
  std::shared_ptr<grpc::Channel> channel(int i);

 private:
  std::filesystem::path dir_;
  std::vector<ServeFlags> flags_;
  std::vector<std::unique_ptr<Server>> servers_;
};

// Blocking etcd calls with a deadline, for readable tests.
grpc::Status put(etcdserverpb::KV::Stub& kv, const std::string& key, const std::string& value,
                 etcdserverpb::PutResponse* out = nullptr,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
grpc::Status get(etcdserverpb::KV::Stub& kv, const std::string& key, bool serializable,
                 etcdserverpb::RangeResponse* out,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

// An HTTP/1.1 request to 127.0.0.1:port; returns the status code and fills `body`.
int http(std::uint16_t port, const std::string& method, const std::string& path,
         const std::string& request_body, std::string* body);

}  // namespace faultline::server::testing
