// Server: one `faultline serve` node, wired together. It owns
//   - the RaftNode (one thread: the core, the WAL, the state machine),
//   - the PeerTransport (one Asio thread: peer connections and fault hooks),
//   - the gRPC server (etcd's v3 API, callback handlers on gRPC's own threads),
//   - the metrics listener (one Asio thread: /metrics, /health, fault-hook admin calls).
// start() brings them up in dependency order and throws if any cannot bind or the data
// directory cannot be recovered; stop() takes them down in reverse, answering every
// waiting request with "etcdserver: server stopped".
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/metrics.h"
#include "server/serve_config.h"

namespace grpc {
class Server;
}

namespace faultline::net {
class PeerTransport;
class HttpServer;
struct HttpRequest;
struct HttpResponse;
}  // namespace faultline::net

namespace faultline::server {

class RaftNode;
class EtcdServices;
struct MemberInfo;

class Server {
 public:
  explicit Server(ServeConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();
  void stop();
  // Blocks until stop() is called (from another thread or a signal handler's helper) or the
  // node hits a fatal error; returns that error, or nullopt after a clean stop.
  std::optional<std::string> wait();
  // Wakes wait() as stop() would, without stopping (safe from a signal-watching thread).
  void request_stop();

  const ServeConfig& config() const { return config_; }
  RaftNode& node() { return *node_; }
  net::PeerTransport& transport() { return *transport_; }
  // Actual bound ports (useful when the flags asked for port 0).
  std::vector<std::uint16_t> client_ports() const { return client_ports_; }
  std::vector<std::uint16_t> metrics_ports() const;
  std::uint16_t peer_port() const;

  std::string render_metrics() const;
  std::vector<MemberInfo> members() const;

 private:
  void handle_http(const net::HttpRequest& request, std::function<void(net::HttpResponse)> respond);
  void handle_faults(const net::HttpRequest& request,
                     std::function<void(net::HttpResponse)> respond);

  ServeConfig config_;
  ServerMetrics metrics_;
  std::unique_ptr<RaftNode> node_;
  std::unique_ptr<net::PeerTransport> transport_;
  std::unique_ptr<EtcdServices> services_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<net::HttpServer> http_;
  std::vector<std::uint16_t> client_ports_;
  bool started_ = false;
  bool stopped_ = false;

  std::mutex wait_mutex_;
  std::condition_variable wait_cv_;
  bool stop_requested_ = false;
  std::optional<std::string> fatal_;
};

}  // namespace faultline::server
