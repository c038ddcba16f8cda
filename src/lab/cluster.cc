// A running lab cluster (see cluster.h).
#include "lab/cluster.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "lab/etcd.h"
#include "lab/http_get.h"

namespace faultline::lab {
namespace {

constexpr int kClientPort = 2379;
constexpr int kPeerPort = 2380;
constexpr int kAdminPort = 2381;  // faultline's metrics listener: status and fault hooks
// A fault-hook call goes to a live node on a quiet machine; a second is plenty, and a
// paused node must not hold the timeline up for long.
constexpr auto kHookDeadline = std::chrono::milliseconds(1000);
// What a node's log said last is quoted when it exits on its own: enough for the message of
// an assertion or a panic, short enough for a run record's meta.
constexpr std::size_t kLogTailLines = 5;

std::string url(const std::string& host, int port) {
  return "http://" + host + ":" + std::to_string(port);
}

std::optional<std::uint64_t> parse_hex(const nlohmann::json& v) {
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 16) return std::nullopt;
  std::size_t used = 0;
  try {
    auto id = std::stoull(s, &used, 16);
    if (used != s.size()) return std::nullopt;
    return id;
  } catch (...) {
    return std::nullopt;
  }
}

// faultline's GET /faultline/status: the same fields as etcd's raft.status, with the role
// in etcd's spelling. The term is the current term, not the last applied entry's.
std::optional<EtcdRaftStatus> parse_faultline_status(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto id = parse_hex(j.value("id", nlohmann::json()));
  auto leader = parse_hex(j.value("leader", nlohmann::json()));
  if (!id || !leader || !j.contains("term") || !j["term"].is_number_unsigned()) return std::nullopt;
  EtcdRaftStatus s;
  s.id = *id;
  s.leader = *leader;
  s.term = j["term"].get<std::uint64_t>();
  s.commit = j.value("commit", std::uint64_t{0});
  s.applied = j.value("applied", std::uint64_t{0});
  const std::string role = j.value("role", std::string());
  if (role == "StateLeader")
    s.role = record::Role::leader;
  else if (role == "StateCandidate")
    s.role = record::Role::candidate;
  else if (role == "StatePreCandidate")
    s.role = record::Role::pre_candidate;
  else if (role == "StateFollower")
    s.role = record::Role::follower;
  else
    return std::nullopt;
  return s;
}

}  // namespace

std::string_view to_string(System s) { return s == System::etcd ? "etcd" : "faultline"; }
std::string_view to_string(NetMode m) { return m == NetMode::loopback ? "loopback" : "namespaces"; }

std::unique_ptr<LabCluster> LabCluster::create(const ClusterPlan& plan) {
  if (plan.nodes < 1 || plan.nodes > 9) throw LabError("the lab runs 1 to 9 nodes");
  if (plan.system == System::etcd && plan.net == NetMode::loopback)
    throw LabError("etcd cannot run in --net loopback: it cannot bind its peers' source address");
  std::unique_ptr<LabCluster> c(new LabCluster(plan));
  try {
    std::filesystem::create_directories(plan.work_dir);
    if (plan.net == NetMode::namespaces)
      c->network_.emplace(
          LabNetwork::create({.run_id = plan.run_id, .nodes = plan.nodes, .subnet = plan.subnet}));
    c->processes_.resize(static_cast<std::size_t>(plan.nodes));
    for (int k = 1; k <= plan.nodes; ++k) c->start_node(k);
  } catch (...) {
    c->teardown();
    throw;
  }
  return c;
}

LabCluster::~LabCluster() { teardown(); }

std::string LabCluster::client_namespace() const {
  return network_ ? network_->client_namespace() : std::string();
}

std::string LabCluster::node_host(int node) const {
  return network_ ? network_->node_address(node) : plan_.subnet + "." + std::to_string(node);
}

std::vector<std::string> LabCluster::client_endpoints() const {
  std::vector<std::string> out;
  for (int k = 1; k <= plan_.nodes; ++k)
    out.push_back(node_host(k) + ":" + std::to_string(kClientPort));
  return out;
}

std::vector<std::string> node_command(const ClusterPlan& plan, int node,
                                      const std::vector<std::string>& hosts) {
  if (node < 1 || node > plan.nodes || hosts.size() != static_cast<std::size_t>(plan.nodes))
    throw LabError("node_command: node " + std::to_string(node) + " of " +
                   std::to_string(plan.nodes) + " with " + std::to_string(hosts.size()) + " hosts");
  // One token per run: nodes of two labs never take each other for members.
  const std::string token = "faultline-lab-" + plan.run_id;
  const std::string name = "n" + std::to_string(node);
  const auto data_dir = (plan.work_dir / name).string();
  const std::string& host = hosts[static_cast<std::size_t>(node - 1)];
  if (plan.system == System::etcd) {
    std::vector<EtcdNode> members;
    for (int k = 1; k <= plan.nodes; ++k)
      members.push_back({"n" + std::to_string(k), hosts[static_cast<std::size_t>(k - 1)],
                         kClientPort, kPeerPort,
                         (plan.work_dir / ("n" + std::to_string(k))).string()});
    EtcdSettings s{.binary = plan.etcd_binary,
                   .token = token,
                   .heartbeat_ms = plan.heartbeat_ms,
                   .election_ms = plan.election_ms,
                   .pre_vote = plan.pre_vote,
                   .snapshot_count = plan.snapshot_count};
    return etcd_command(members[static_cast<std::size_t>(node - 1)], members, s);
  }
  std::string initial;
  for (int k = 1; k <= plan.nodes; ++k)
    initial += (initial.empty() ? "" : ",") + ("n" + std::to_string(k)) + "=" +
               url(hosts[static_cast<std::size_t>(k - 1)], kPeerPort);
  std::vector<std::string> argv = {
      plan.faultline_binary,
      "serve",
      "--name",
      name,
      "--data-dir",
      data_dir,
      "--initial-cluster",
      initial,
      "--initial-cluster-token",
      token,
      "--listen-peer-urls",
      url(host, kPeerPort),
      "--initial-advertise-peer-urls",
      url(host, kPeerPort),
      "--listen-client-urls",
      url(host, kClientPort),
      "--advertise-client-urls",
      url(host, kClientPort),
      "--listen-metrics-urls",
      url(host, kAdminPort),
      "--heartbeat-interval",
      std::to_string(plan.heartbeat_ms),
      "--election-timeout",
      std::to_string(plan.election_ms),
      "--snapshot-count",
      std::to_string(plan.snapshot_count),
      "--snapshot-catch-up-entries",
      std::to_string(plan.snapshot_catch_up_entries),
      "--profile",
      plan.profile,
      "--seed",
      std::to_string(plan.seed * 10 + static_cast<std::uint64_t>(node)),
      "--log-level",
      "warn"};
  if (plan.pre_vote) argv.push_back("--pre-vote");
  return argv;
}

std::string LabCluster::log_path(int node) const {
  return (plan_.work_dir / ("n" + std::to_string(node) + ".log")).string();
}

std::string LabCluster::start_node(int node) {
  const auto log = log_path(node);
  std::vector<std::string> hosts;
  for (int k = 1; k <= plan_.nodes; ++k) hosts.push_back(node_host(k));
  processes_[static_cast<std::size_t>(node - 1)] = NodeProcess::start(
      network_ ? network_->node_namespace(node) : "", node_command(plan_, node, hosts), log);
  return log;
}

record::NodeId LabCluster::map_member(std::uint64_t member_id) {
  if (member_id == 0) return 0;
  std::lock_guard lock(ids_mutex_);
  auto it = member_to_node_.find(member_id);
  return it == member_to_node_.end() ? 0 : it->second;
}

record::NodeSample LabCluster::sample(int node, std::chrono::milliseconds deadline) {
  record::NodeSample s;
  s.node = static_cast<record::NodeId>(node);
  s.role = record::Role::down;
  const bool etcd = plan_.system == System::etcd;
  auto r = http_get(node_host(node), etcd ? kClientPort : kAdminPort,
                    etcd ? "/debug/vars" : "/faultline/status", deadline);
  if (!r || r->status != 200) return s;
  auto st = etcd ? parse_debug_vars(r->body) : parse_faultline_status(r->body);
  if (!st) return s;
  {
    std::lock_guard lock(ids_mutex_);
    member_to_node_[st->id] = s.node;  // each node names its own id: the only trusted source
  }
  s.role = st->role;
  s.term = st->term;
  s.leader = map_member(st->leader);
  s.commit = st->commit;
  s.applied = st->applied;
  return s;
}

std::string LabCluster::apply_links(const std::map<LinkKey, LinkState>& links) {
  std::string detail;
  if (plan_.net == NetMode::namespaces) {
    std::vector<LinkRule> rules;
    for (const auto& [key, st] : links)
      if (st.loss > 0) rules.push_back({.from = key.first, .to = key.second, .loss = st.loss});
    detail = network_->set_links(rules);
  }
  // Hooks carry what nftables cannot: every fault in loopback mode, delay in both modes.
  std::map<LinkKey, LinkState> hook_links;
  for (const auto& [key, st] : links) {
    LinkState h = st;
    if (plan_.net == NetMode::namespaces) h.loss = 0;
    if (h.loss > 0 || h.delay.count() > 0) hook_links[key] = h;
  }
  if (plan_.system == System::faultline && (!hook_links.empty() || !hooks_applied_.empty())) {
    if (!detail.empty()) detail += "\n";
    detail += apply_hooks(hook_links);
  } else if (!hook_links.empty()) {
    throw LabError("etcd has no fault hooks: this kernel cannot delay its packets (no netem)");
  }
  return detail;
}

// Each directed link's rule is set on both ends (outbound at the sender, inbound at the
// receiver), so it holds even while one end is down or paused. Such a node is not asked (a
// paused one would hold the timeline up for the whole deadline, every fault until it
// resumes); it gets its rules when it restarts or resumes. Until they arrive, a few
// milliseconds, its cuts hold through the other ends, and only a delay it sends with is
// missing.
std::string LabCluster::apply_hooks(const std::map<LinkKey, LinkState>& links, int only) {
  std::string detail;
  for (int k = 1; k <= plan_.nodes; ++k) {
    if (only != 0 && k != only) continue;
    auto& process = processes_.at(static_cast<std::size_t>(k - 1));
    if (process.pid() <= 0 || process.paused()) {
      detail += fmt::format("n{}: {}, its rules are sent when it {}\n", k,
                            process.paused() ? "paused" : "down",
                            process.paused() ? "resumes" : "restarts");
      continue;
    }
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& [key, st] : links) {
      if (key.first != k && key.second != k) continue;
      const bool outbound = key.first == k;
      nlohmann::json rule = {{"peer", "n" + std::to_string(outbound ? key.second : key.first)},
                             {"direction", outbound ? "outbound" : "inbound"}};
      // A cut at both ends; a loss and a delay once per link, at the sender, so a message is
      // not dropped or held twice (a 30% loss at both ends would lose 51%).
      if (st.loss >= 1.0)
        rule["drop"] = true;
      else if (st.loss > 0 && outbound)
        rule["drop_probability"] = st.loss;
      if (st.delay.count() > 0 && outbound)
        rule["delay_ms"] = static_cast<double>(st.delay.count()) / 1000.0;
      if (rule.size() > 2) rules.push_back(rule);
    }
    const std::string host = node_host(k);
    auto del = http_request("DELETE", host, kAdminPort, "/faultline/faults", "", kHookDeadline);
    std::string outcome = del && del->status == 200 ? "ok" : "no answer (node down?)";
    if (!rules.empty()) {
      auto post =
          http_request("POST", host, kAdminPort, "/faultline/faults", rules.dump(), kHookDeadline);
      if (post && post->status != 200)
        throw LabError("n" + std::to_string(k) + " refused fault hooks " + rules.dump() + ": " +
                       post->body);
      outcome = post ? "ok" : "no answer (node down?)";
    }
    detail += fmt::format("n{}: DELETE /faultline/faults; POST {} -> {}\n", k,
                          rules.empty() ? "(none)" : rules.dump(), outcome);
  }
  if (only == 0) hooks_applied_ = links;
  return detail;
}

void LabCluster::note_exit(int node) {
  auto& p = processes_.at(static_cast<std::size_t>(node - 1));
  // Only a process the lab still holds: kill() forgets the pid of a node it crashes.
  if (p.pid() <= 0 || p.running()) return;
  exits_.push_back({.node = node,
                    .status = p.exit_status(),
                    .seen = std::chrono::steady_clock::now(),
                    .log_tail = lab::log_tail(log_path(node), kLogTailLines)});
}

std::vector<NodeExit> LabCluster::take_exits() {
  for (int k = 1; k <= static_cast<int>(processes_.size()); ++k) note_exit(k);
  return std::exchange(exits_, {});
}

void LabCluster::crash(int node) {
  note_exit(node);  // a node that had already died by itself is a finding, crash or not
  processes_.at(static_cast<std::size_t>(node - 1)).kill();
}

void LabCluster::restart(int node) {
  note_exit(node);  // reaping it below must not hide that it ended by itself
  auto& p = processes_.at(static_cast<std::size_t>(node - 1));
  if (p.running()) return;  // restarting a live node would fight over its data directory
  start_node(node);
  // A fresh faultline process has no hooks: the other ends still hold the rule, but send it
  // again so both ends agree. The admin port takes a moment to open, hence the retries.
  if (plan_.system == System::faultline && !hooks_applied_.empty()) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      auto r = http_get(node_host(node), kAdminPort, "/faultline/status",
                        std::chrono::milliseconds(100));
      if (r && r->status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    apply_hooks(hooks_applied_, node);
  }
}

LabCluster::NodeState LabCluster::state(int node) const {
  const auto& p = processes_.at(static_cast<std::size_t>(node - 1));
  if (p.pid() <= 0) return NodeState::down;
  return p.paused() ? NodeState::paused : NodeState::running;
}

void LabCluster::pause(int node) { processes_.at(static_cast<std::size_t>(node - 1)).pause(); }

void LabCluster::resume(int node) {
  auto& p = processes_.at(static_cast<std::size_t>(node - 1));
  const bool was_paused = p.paused();
  p.resume();
  // Its rules may have changed while it slept (apply_hooks skipped it; a heal may even have
  // emptied them): send them now, whatever they are.
  if (was_paused && plan_.system == System::faultline) apply_hooks(hooks_applied_, node);
}

void LabCluster::teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  // Kill before removing the namespaces: a live process keeps its namespace alive.
  for (auto& p : processes_) p.kill();
  processes_.clear();
  if (network_) network_->teardown();
  network_.reset();
}

}  // namespace faultline::lab
