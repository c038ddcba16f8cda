// The metrics listener's endpoints: GET /metrics (Prometheus text), GET /health (as
// etcd's), GET /faultline/status, and the fault hooks: GET/POST/DELETE /faultline/faults.
// The request and answer formats are documented in docs/server.md.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "net/http_server.h"
#include "net/peer_transport.h"
#include "server/etcd_services.h"
#include "server/raft_node.h"
#include "server/server.h"

namespace faultline::server {
namespace {

using nlohmann::json;

// How long /health waits for its linearizable read, as etcd's health check does.
constexpr auto kHealthTimeout = std::chrono::seconds(1);

net::HttpResponse json_response(int status, const json& body) {
  return net::HttpResponse{status, "application/json", body.dump() + "\n"};
}

std::string hex(std::uint64_t id) { return fmt::format("{:x}", id); }

}  // namespace

void Server::handle_http(const net::HttpRequest& r,
                         std::function<void(net::HttpResponse)> respond) {
  if (r.path == "/metrics") {
    if (r.method != "GET") return respond({405, "text/plain", "use GET\n"});
    return respond({200, "text/plain; version=0.0.4", render_metrics()});
  }
  if (r.path == "/health") {
    if (r.method != "GET") return respond({405, "text/plain", "use GET\n"});
    // etcd: healthy when there is a leader and a linearizable read goes through.
    if (node_->status().leader == raft::kNone) {
      return respond(json_response(503, {{"health", "false"}, {"reason", "RAFT NO LEADER"}}));
    }
    kv::RangeRequest probe;
    probe.key = "health";
    node_->read(std::move(probe), Clock::now() + kHealthTimeout, [respond](ReadResult&& out) {
      if (out.error == NodeError::none) {
        respond(json_response(200, {{"health", "true"}, {"reason", ""}}));
      } else {
        respond(json_response(503, {{"health", "false"}, {"reason", "QGET ERROR"}}));
      }
    });
    return;
  }
  if (r.path == "/faultline/status") {
    if (r.method != "GET") return respond({405, "text/plain", "use GET\n"});
    const NodeStatus s = node_->status();
    return respond(json_response(200, {{"id", hex(s.id)},
                                       {"name", config_.name},
                                       {"term", s.term},
                                       {"leader", hex(s.leader)},
                                       {"role", std::string(raft::to_string(s.role))},
                                       {"commit", s.commit},
                                       {"applied", s.applied},
                                       {"revision", s.revision},
                                       {"profile", config_.profile}}));
  }
  if (r.path == "/faultline/faults") return handle_faults(r, std::move(respond));
  respond({404, "text/plain", "not found: " + r.path + "\n"});
}

void Server::handle_faults(const net::HttpRequest& r,
                           std::function<void(net::HttpResponse)> respond) {
  net::FaultHooks& hooks = transport_->faults();
  auto name_of = [&](raft::NodeId id) {
    for (const Member& m : config_.members) {
      if (m.id == id) return m.name;
    }
    return hex(id);
  };
  auto list = [&] {
    json rules = json::array();
    for (const auto& [key, f] : hooks.rules()) {
      rules.push_back({{"peer", name_of(key.first)},
                       {"peer_id", hex(key.first)},
                       {"direction", std::string(net::to_string(key.second))},
                       {"drop", f.drop},
                       {"drop_probability", f.drop_probability},
                       {"delay_ms", static_cast<double>(f.delay.count()) / 1000.0}});
    }
    return json{{"rules", rules}};
  };
  if (r.method == "GET") return respond(json_response(200, list()));
  if (r.method == "DELETE") {
    hooks.clear();
    return respond(json_response(200, list()));
  }
  if (r.method != "POST") return respond({405, "text/plain", "use GET, POST or DELETE\n"});

  // Parse and check every rule before applying any: bad input changes nothing.
  struct Change {
    raft::NodeId peer;
    net::Direction direction;
    net::LinkFault fault;
  };
  std::vector<Change> changes;
  try {
    const json body = json::parse(r.body);
    const json rules = body.is_array() ? body : json::array({body});
    for (const json& rule : rules) {
      if (!rule.is_object()) throw std::invalid_argument("each rule must be a JSON object");
      for (const auto& [key, value] : rule.items()) {
        if (key != "peer" && key != "direction" && key != "drop" && key != "drop_probability" &&
            key != "delay_ms") {
          throw std::invalid_argument("unknown field \"" + key + "\"");
        }
      }
      const std::string peer = rule.at("peer").get<std::string>();
      raft::NodeId id = raft::kNone;
      for (const Member& m : config_.members) {
        if (m.name == peer || hex(m.id) == peer) id = m.id;
      }
      if (id == raft::kNone) throw std::invalid_argument("\"" + peer + "\" is not a member");
      if (id == config_.id) throw std::invalid_argument("\"" + peer + "\" is this node itself");
      net::LinkFault f;
      f.drop = rule.value("drop", false);
      f.drop_probability = rule.value("drop_probability", 0.0);
      const double delay_ms = rule.value("delay_ms", 0.0);
      // Checked before the conversion: a double beyond int64's range has no integer value.
      constexpr double max_ms = static_cast<double>(net::kMaxFaultDelay.count()) / 1000.0;
      if (!(delay_ms >= 0 && delay_ms <= max_ms))
        throw std::invalid_argument(fmt::format("delay_ms must be between 0 and {}", max_ms));
      f.delay = std::chrono::microseconds(static_cast<std::int64_t>(delay_ms * 1000.0));
      if (std::string problem = net::validate(f); !problem.empty()) {
        throw std::invalid_argument(problem);
      }
      const std::string direction = rule.value("direction", std::string("both"));
      if (direction == "both") {
        changes.push_back({id, net::Direction::inbound, f});
        changes.push_back({id, net::Direction::outbound, f});
      } else if (auto d = net::direction_from(direction)) {
        changes.push_back({id, *d, f});
      } else {
        throw std::invalid_argument("direction must be inbound, outbound or both");
      }
    }
  } catch (const std::exception& e) {
    return respond(json_response(400, {{"error", e.what()}}));
  }
  for (const Change& c : changes) hooks.set(c.peer, c.direction, c.fault);
  respond(json_response(200, list()));
}

std::string Server::render_metrics() const {
  std::string out;
  const NodeStatus s = node_->status();
  render_gauge(out, "etcd_server_has_leader", "Whether a leader is known (1) or not (0).",
               s.leader != raft::kNone ? 1 : 0);
  render_gauge(out, "etcd_server_is_leader", "Whether this member is the leader.",
               s.role == raft::StateRole::leader ? 1 : 0);
  render_counter(out, "etcd_server_leader_changes_seen_total", "Leader changes seen.",
                 metrics_.leader_changes.load());
  render_gauge(out, "faultline_raft_term", "The current Raft term (not the last applied entry's).",
               static_cast<double>(s.term));
  render_gauge(out, "faultline_raft_role", "0 follower, 1 pre-candidate, 2 candidate, 3 leader.",
               static_cast<double>(s.role));
  render_gauge(out, "etcd_server_proposals_committed_total", "The committed index.",
               static_cast<double>(s.commit));
  render_gauge(out, "etcd_server_proposals_applied_total", "The applied index.",
               static_cast<double>(s.applied));
  render_gauge(out, "etcd_server_proposals_pending", "Proposals waiting to be applied.",
               static_cast<double>(metrics_.proposals_pending.load()));
  render_counter(out, "etcd_server_proposals_failed_total",
                 "Proposals that timed out or were refused.", metrics_.proposals_failed.load());
  render_gauge(out, "etcd_mvcc_db_total_size_in_bytes", "Bytes of keys and values held.",
               static_cast<double>(s.data_bytes));
  render_gauge(out, "faultline_kv_keys", "Keys held.", static_cast<double>(s.keys));
  render_counter(out, "faultline_snapshots_total", "Snapshots taken by this node.",
                 metrics_.snapshots.load());
  render_counter(out, "faultline_snapshots_installed_total",
                 "Snapshots received from the leader and installed by this node.",
                 metrics_.snapshots_installed.load());
  render_gauge(out, "faultline_snapshot_index", "Index of the latest snapshot.",
               static_cast<double>(s.snapshot_index));
  render_counter(out, "faultline_wal_bytes_written_total", "Bytes written to the WAL.",
                 s.wal_bytes_written);
  metrics_.wal_fsync.render(out, "etcd_disk_wal_fsync_duration_seconds",
                            "Latency of one WAL write and fdatasync (one per Ready).");
  metrics_.apply_batch.render(out, "faultline_apply_duration_seconds",
                              "Time to apply one Ready's committed entries.");
  render_counter(out, "faultline_raft_messages_refused_total",
                 "Peer messages the core refused (e.g. from a non-member).",
                 metrics_.peer_messages_refused.load());
  render_counter(out, "faultline_inbox_overflows_total",
                 "Peer messages dropped because the node's inbox was full.",
                 metrics_.inbox_overflows.load());
  render_counter(out, "faultline_slow_ticks_total",
                 "Times the node's loop fell more than an election timeout behind its clock.",
                 metrics_.slow_ticks.load());

  const net::TransportCounters& tc = transport_->counters();
  render_counter(
      out, "faultline_peer_frames_rejected_total",
      "Malformed peer frames (length, checksum, type, payload); each closed its connection.",
      tc.frames_rejected.load());
  render_counter(out, "faultline_peer_hellos_rejected_total",
                 "Peer connections refused at the hello (not a member, another cluster).",
                 tc.hellos_rejected.load());
  auto per_peer = [&](std::string_view name, std::string_view type, std::string_view help,
                      std::string_view label, auto get) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const Member& m : config_.members) {
      if (m.id == config_.id) continue;
      const net::PeerCounters* c = transport_->peer_counters(m.id);
      if (c) out += fmt::format("{}{{{}=\"{:x}\"}} {}\n", name, label, m.id, get(*c));
    }
  };
  per_peer("etcd_network_peer_sent_bytes_total", "counter", "Bytes sent to a peer.", "To",
           [](const net::PeerCounters& c) { return c.bytes_sent.load(); });
  per_peer("etcd_network_peer_received_bytes_total", "counter", "Bytes received from a peer.",
           "From", [](const net::PeerCounters& c) { return c.bytes_received.load(); });
  per_peer("faultline_peer_connected", "gauge", "Whether the connection to a peer is up.", "To",
           [](const net::PeerCounters& c) { return c.connected() ? 1 : 0; });
  out +=
      "# HELP faultline_peer_messages_dropped_total Raft messages dropped by the transport.\n"
      "# TYPE faultline_peer_messages_dropped_total counter\n";
  for (const Member& m : config_.members) {
    const net::PeerCounters* c = transport_->peer_counters(m.id);
    if (m.id == config_.id || !c) continue;
    const std::pair<const char*, std::uint64_t> reasons[] = {
        {"fault_outbound", c->dropped_by_fault_outbound.load()},
        {"fault_inbound", c->dropped_by_fault_inbound.load()},
        {"queue_full", c->dropped_queue_full.load()},
        {"not_connected", c->dropped_not_connected.load()}};
    for (const auto& [reason, value] : reasons) {
      out +=
          fmt::format("faultline_peer_messages_dropped_total{{peer=\"{:x}\",reason=\"{}\"}} {}\n",
                      m.id, reason, value);
    }
  }

  out +=
      "# HELP grpc_server_handled_total RPCs completed on the server, by method and code.\n"
      "# TYPE grpc_server_handled_total counter\n";
  for (std::size_t m = 0; m < static_cast<std::size_t>(RpcMethod::count_); ++m) {
    for (int code = 0; code < kGrpcCodes; ++code) {
      const std::uint64_t n = metrics_.handled[m][static_cast<std::size_t>(code)].load();
      if (n == 0) continue;
      const auto method = static_cast<RpcMethod>(m);
      out += fmt::format(
          "grpc_server_handled_total{{grpc_type=\"unary\",grpc_service=\"{}\",grpc_method=\"{}\","
          "grpc_code=\"{}\"}} {}\n",
          service_of(method), name_of(method), grpc_code_name(code), n);
    }
  }
  return out;
}

}  // namespace faultline::server
