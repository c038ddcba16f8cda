// The in-process test cluster.
#include "local_cluster.h"

#include <stdlib.h>

#include <asio.hpp>
#include <thread>

#include "server/raft_node.h"
#include "support/ports.h"

namespace faultline::server::testing {

using namespace std::chrono_literals;

LocalCluster::LocalCluster(int size, const std::function<void(ServeFlags&)>& adjust) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "faultline-server-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  // Per node: peer, client and metrics port.
  auto ports = faultline::testing::free_ports(3 * size);
  auto port = [&](int node, int which) {
    return std::to_string(ports[static_cast<std::size_t>(3 * node + which)]);
  };
  std::string initial_cluster;
  for (int i = 0; i < size; ++i) {
    initial_cluster += (i ? "," : "") + std::string("n") + std::to_string(i + 1) +
                       "=http://127.0.0.1:" + port(i, 0);
  }
  for (int i = 0; i < size; ++i) {
    ServeFlags f;
    f.name = "n" + std::to_string(i + 1);
    f.data_dir = (dir_ / f.name).string();
    f.initial_cluster = initial_cluster;
    f.initial_cluster_token = "test-cluster";
    f.listen_peer_urls = "http://127.0.0.1:" + port(i, 0);
    f.initial_advertise_peer_urls = f.listen_peer_urls;
    f.listen_client_urls = "http://127.0.0.1:" + port(i, 1);
    f.advertise_client_urls = f.listen_client_urls;
    f.listen_metrics_urls = "http://127.0.0.1:" + port(i, 2);
    f.heartbeat_interval_ms = 50;
    f.election_timeout_ms = 500;
    f.seed = static_cast<std::uint64_t>(i + 1);
    if (adjust) adjust(f);
    flags_.push_back(f);
  }
  servers_.resize(static_cast<std::size_t>(size));
}

LocalCluster::~LocalCluster() {
  for (auto& s : servers_) s.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void LocalCluster::start(int i) {
  auto s = std::make_unique<Server>(resolve(flags_[static_cast<std::size_t>(i)]));
  s->start();
  servers_[static_cast<std::size_t>(i)] = std::move(s);
}

void LocalCluster::stop(int i) { servers_[static_cast<std::size_t>(i)].reset(); }

void LocalCluster::start_all() {
  for (int i = 0; i < size(); ++i) start(i);
}

std::string LocalCluster::client_address(int i) const {
  return flags_[static_cast<std::size_t>(i)].listen_client_urls.substr(7);
}

std::string LocalCluster::metrics_address(int i) const {
  return flags_[static_cast<std::size_t>(i)].listen_metrics_urls.substr(7);
}

std::optional<int> LocalCluster::wait_for_leader(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<raft::NodeId> agreed;
    bool agree = true;
    for (int i = 0; i < size() && agree; ++i) {
      if (!running(i)) continue;
      const raft::NodeId leader = server(i).node().status().leader;
      if (leader == raft::kNone || (agreed && *agreed != leader)) agree = false;
      agreed = leader;
    }
    if (agree && agreed) {
      for (int i = 0; i < size(); ++i) {
        if (running(i) && server(i).config().id == *agreed &&
            server(i).node().status().role == raft::StateRole::leader) {
          return i;
        }
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

std::shared_ptr<grpc::Channel> LocalCluster::channel(int i) {
  return grpc::CreateChannel(client_address(i), grpc::InsecureChannelCredentials());
}

std::unique_ptr<etcdserverpb::KV::Stub> LocalCluster::kv(int i) {
  return etcdserverpb::KV::NewStub(channel(i));
}

std::unique_ptr<etcdserverpb::Maintenance::Stub> LocalCluster::maintenance(int i) {
  return etcdserverpb::Maintenance::NewStub(channel(i));
}

std::unique_ptr<etcdserverpb::Cluster::Stub> LocalCluster::cluster(int i) {
  return etcdserverpb::Cluster::NewStub(channel(i));
}

grpc::Status put(etcdserverpb::KV::Stub& kv, const std::string& key, const std::string& value,
                 etcdserverpb::PutResponse* out, std::chrono::milliseconds timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  etcdserverpb::PutResponse resp;
  return kv.Put(&ctx, req, out ? out : &resp);
}

grpc::Status get(etcdserverpb::KV::Stub& kv, const std::string& key, bool serializable,
                 etcdserverpb::RangeResponse* out, std::chrono::milliseconds timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  req.set_serializable(serializable);
  return kv.Range(&ctx, req, out);
}

int http(std::uint16_t port, const std::string& method, const std::string& path,
         const std::string& request_body, std::string* body) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  const std::string request = method + " " + path + " HTTP/1.1\r\nHost: test\r\nContent-Length: " +
                              std::to_string(request_body.size()) + "\r\n\r\n" + request_body;
  asio::write(s, asio::buffer(request));
  std::string response;
  asio::error_code ec;
  char buf[4096];
  for (;;) {
    const std::size_t n = s.read_some(asio::buffer(buf), ec);
    response.append(buf, n);
    if (ec) break;
  }
  const auto header_end = response.find("\r\n\r\n");
  if (body) *body = header_end == std::string::npos ? "" : response.substr(header_end + 4);
  if (response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

}  // namespace faultline::server::testing
