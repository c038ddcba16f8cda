// Server wiring: construction, start-up and shutdown order.
#include "server/server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "net/http_server.h"
#include "net/peer_transport.h"
#include "server/etcd_services.h"
#include "server/raft_node.h"

namespace faultline::server {

Server::Server(ServeConfig config) : config_(std::move(config)) {
  const Member& self = config_.self();
  // A member that lost its data would come back having forgotten its votes and its log,
  // which can elect two leaders in one term. etcd makes such a member rejoin through
  // MemberAdd; faultline has no membership changes, so it refuses to start.
  if (!config_.new_cluster && !std::filesystem::exists(config_.data_dir / "member")) {
    throw std::runtime_error("--initial-cluster-state existing, but " +
                             (config_.data_dir / "member").string() +
                             " does not exist: a member cannot rejoin without its data "
                             "(membership changes are not supported)");
  }
  RaftNodeOptions o;
  o.id = config_.id;
  for (const Member& m : config_.members) o.voters.push_back(m.id);
  const auto index = std::find(o.voters.begin(), o.voters.end(), config_.id) - o.voters.begin();
  o.request_id_tag = static_cast<std::uint8_t>(index);
  o.dir = config_.data_dir / "member";
  o.tick = std::chrono::milliseconds(config_.heartbeat_interval_ms);
  o.election_tick = config_.election_tick;
  o.switches = config_.switches;
  o.seed = config_.seed;
  o.snapshot_count = config_.snapshot_count;
  o.snapshot_catch_up_entries = config_.snapshot_catch_up_entries;
  // The node's thread runs the transport's io_context and writes to the sockets itself.
  o.send = [this](std::vector<raft::Message>&& messages) {
    transport_->send_now(std::move(messages));
  };
  o.on_fatal = [this](const std::string& error) {
    std::lock_guard lock(wait_mutex_);
    fatal_ = error;
    wait_cv_.notify_all();
  };
  net::TransportOptions t;
  t.self = config_.id;
  t.name = config_.name;
  t.cluster_token = config_.cluster_token;
  t.client_urls = config_.advertise_client_urls;
  t.listen = config_.listen_peer;
  t.source_address = config_.peer_source_address;
  t.fault_seed = config_.seed;
  t.own_thread = false;  // the node's thread runs it
  for (const Member& m : config_.members) {
    if (m.id != self.id)
      t.peers.push_back(net::PeerAddress{m.id, m.name, m.peer_addresses.front()});
  }
  transport_ = std::make_unique<net::PeerTransport>(
      std::move(t), [this](std::vector<raft::Message>&& m) { node_->deliver(std::move(m)); },
      [this](raft::NodeId peer) { node_->report_unreachable(peer); });
  o.io = &transport_->io_context();
  node_ = std::make_unique<RaftNode>(std::move(o), metrics_);

  ServiceContext c;
  c.node = node_.get();
  c.metrics = &metrics_;
  c.member_id = config_.id;
  c.cluster_id = config_.cluster_id;
  c.max_request_bytes = config_.max_request_bytes;
  c.request_timeout = std::chrono::milliseconds(config_.request_timeout_ms());
  c.members = [this] { return members(); };
  services_ = std::make_unique<EtcdServices>(std::move(c));
}

Server::~Server() { stop(); }

void Server::start() {
  if (started_) return;
  started_ = true;
  // gRPC's mutexes are absl's, and Debian's absl checks every lock for deadlock cycles by
  // default: a few percent of a busy node's CPU spent on a debugging aid.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  transport_->start();
  node_->start();

  grpc::ServerBuilder builder;
  std::vector<int> ports(config_.listen_client.size(), 0);
  for (std::size_t i = 0; i < config_.listen_client.size(); ++i) {
    builder.AddListeningPort(config_.listen_client[i].to_string(),
                             grpc::InsecureServerCredentials(), &ports[i]);
  }
  // etcd accepts a request up to --max-request-bytes plus 512 KiB of gRPC overhead and
  // refuses anything over --max-request-bytes itself, with its own error.
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_request_bytes + 512 * 1024));
  // gRPC enables SO_REUSEPORT by default, which would let two nodes share a port silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  services_->register_with(builder);
  grpc_ = builder.BuildAndStart();
  if (grpc_) services_->start();
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (!grpc_ || ports[i] == 0) {
      throw std::runtime_error("cannot listen for clients on " +
                               config_.listen_client[i].to_string());
    }
    client_ports_.push_back(static_cast<std::uint16_t>(ports[i]));
  }

  if (!config_.listen_metrics.empty()) {
    http_ = std::make_unique<net::HttpServer>(
        config_.listen_metrics,
        [this](const net::HttpRequest& r, net::HttpServer::Respond respond) {
          handle_http(r, std::move(respond));
        });
    http_->start();
  }
  spdlog::info("{} ({:x}) serving clients on {}, peers on {}", config_.name, config_.id,
               config_.listen_client.front().host + ":" + std::to_string(client_ports_.front()),
               config_.listen_peer.host + ":" + std::to_string(transport_->listen_port()));
}

void Server::stop() {
  if (stopped_) return;
  stopped_ = true;
  request_stop();
  if (http_) http_->stop();
  // The node answers everything still waiting ("server stopped") before gRPC shuts down,
  // because gRPC's shutdown waits for every call in progress to finish.
  node_->stop();
  if (grpc_) grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  services_->stop();
  transport_->stop();
}

void Server::request_stop() {
  std::lock_guard lock(wait_mutex_);
  stop_requested_ = true;
  wait_cv_.notify_all();
}

std::optional<std::string> Server::wait() {
  std::unique_lock lock(wait_mutex_);
  wait_cv_.wait(lock, [&] { return stop_requested_ || fatal_.has_value(); });
  return fatal_;
}

std::vector<std::uint16_t> Server::metrics_ports() const {
  return http_ ? http_->ports() : std::vector<std::uint16_t>{};
}

std::uint16_t Server::peer_port() const { return transport_->listen_port(); }

std::vector<MemberInfo> Server::members() const {
  std::vector<MemberInfo> out;
  const std::vector<net::PeerView> peers = transport_->peers();
  for (const Member& m : config_.members) {
    MemberInfo info{m.id, m.name, m.peer_urls, {}};
    if (m.id == config_.id) {
      info.client_urls = config_.advertise_client_urls;
    } else {
      for (const net::PeerView& p : peers) {
        if (p.id == m.id) info.client_urls = p.client_urls;
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace faultline::server
