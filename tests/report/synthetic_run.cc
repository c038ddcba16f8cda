#include "synthetic_run.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace faultline::report::testing {

using record::Micros;
using record::NodeId;
using record::Role;

namespace {

constexpr Micros kMs = 1000;
constexpr Micros kFirstElection = 1000 * kMs;    // n3 campaigns at 1.0 s ...
constexpr Micros kFirstLeader = 1050 * kMs;      // ... and leads from 1.05 s
constexpr Micros kCampaignAfterCut = 600 * kMs;  // n1's first election timeout in the cut
constexpr Micros kTermEvery = 700 * kMs;         // then one campaign (term) per 0.7 s
constexpr Micros kDeposed = 50 * kMs;            // heal -> n3 sees n1's higher term
constexpr Micros kNewLeader = 1250 * kMs;        // heal -> n2 leads

struct NodeState {
  Role role = Role::follower;
  std::uint64_t term = 1;
  NodeId leader = 0;
};

class Model {
 public:
  explicit Model(const SyntheticRun& p) : p_(p) {}

  bool election_at_heal() const { return p_.profile == "etcd-3.4"; }

  // n1's term at time t during the cut (etcd-3.4: one campaign per timeout).
  std::uint64_t cut_term(Micros t) const {
    if (t < p_.cut_us + kCampaignAfterCut) return 2;
    return 3 + static_cast<std::uint64_t>((t - p_.cut_us - kCampaignAfterCut) / kTermEvery);
  }

  NodeState state(NodeId node, Micros t) const {
    if (t < kFirstElection) return {Role::follower, 1, 0};
    if (t < kFirstLeader) {
      return node == 3 ? NodeState{Role::candidate, 2, 0} : NodeState{Role::follower, 1, 0};
    }
    NodeState normal{node == 3 ? Role::leader : Role::follower, 2, 3};
    if (t < p_.cut_us) return normal;
    bool campaigning = t >= p_.cut_us + kCampaignAfterCut;
    if (!election_at_heal()) {
      // PreVote: n1 keeps asking for pre-votes at term 2 and never raises its term.
      if (node == 1 && t >= p_.cut_us && t < p_.heal_us + 100 * kMs && campaigning) {
        return {Role::pre_candidate, 2, 0};
      }
      return normal;
    }
    std::uint64_t top = cut_term(p_.heal_us);
    if (t < p_.heal_us + kDeposed) {
      if (node == 1 && campaigning) return {Role::candidate, cut_term(t), 0};
      return normal;
    }
    if (t < p_.heal_us + kNewLeader) {
      if (node == 1) return {Role::candidate, top, 0};
      if (node == 3) return {Role::follower, top, 0};
      // n2 ignores n1's votes while its lease lasts, then campaigns.
      if (t < p_.heal_us + kNewLeader - 50 * kMs) return {Role::follower, 2, 3};
      return {Role::candidate, top + 1, 0};
    }
    return {node == 2 ? Role::leader : Role::follower, top + 1, 2};
  }

  // Moments where some node's state changes, so samples catch every change.
  std::vector<Micros> change_times() const {
    std::vector<Micros> times{kFirstElection,
                              kFirstLeader,
                              p_.cut_us + kCampaignAfterCut,
                              p_.heal_us,
                              p_.heal_us + 100 * kMs,
                              p_.heal_us + kDeposed,
                              p_.heal_us + kNewLeader - 50 * kMs,
                              p_.heal_us + kNewLeader};
    if (election_at_heal()) {
      for (Micros t = p_.cut_us + kCampaignAfterCut; t < p_.heal_us + kDeposed; t += kTermEvery) {
        times.push_back(t);
      }
    }
    return times;
  }

 private:
  const SyntheticRun& p_;
};

// A small deterministic generator (no global state, same numbers on every platform).
struct Lcg {
  std::uint64_t state;
  std::uint64_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  }
};

}  // namespace

record::RunRecord make_run(const SyntheticRun& p) {
  Model model(p);
  record::RunRecord run;
  auto& m = run.meta;
  m.scenario = p.scenario;
  m.driver = "sim";
  m.system = "faultline";
  m.profile = p.profile;
  m.seed = p.seed;
  m.nodes = {1, 2, 3};
  m.heartbeat_us = 100 * kMs;
  m.election_timeout_us = 500 * kMs;
  m.duration_us = p.duration_us;
  m.first_fault_us = p.cut_us;
  m.last_heal_us = p.heal_us;
  m.scenario_json = R"({"name":")" + p.scenario +
                    R"(","nodes":3,"faults":[{"at":"20s","cut":["leader","follower[0]"]},)"
                    R"({"at":"40s","heal":["leader","follower[0]"]}]})";

  // Samples: every 100 ms and at every change.
  std::set<Micros> times;
  for (Micros t = 0; t <= p.duration_us; t += 100 * kMs) times.insert(t);
  for (Micros t : model.change_times()) {
    if (t >= 0 && t <= p.duration_us) times.insert(t);
  }
  std::uint64_t commit = 0;
  for (Micros t : times) {
    if (t >= kFirstLeader) commit = static_cast<std::uint64_t>((t - kFirstLeader) / (10 * kMs)) + 1;
    for (NodeId node : m.nodes) {
      auto s = model.state(node, t);
      run.samples.push_back({t, node, s.role, s.term, s.leader, commit, commit});
    }
  }

  std::vector<record::Link> cut_links{{3, 1}, {1, 3}};
  record::FaultEvent cut;
  cut.time_us = p.cut_us;
  cut.kind = record::FaultKind::cut;
  cut.label = "cut leader <-> follower[0]";
  cut.links = cut_links;
  cut.detail = "dropped both directions";
  record::FaultEvent heal = cut;
  heal.time_us = p.heal_us;
  heal.kind = record::FaultKind::heal;
  heal.label = "heal leader <-> follower[0]";
  heal.detail = "";
  run.faults.push_back(cut);
  run.faults.push_back(heal);

  // Operations: open loop, round-robin over the nodes, one in ten a read.
  Lcg rng{p.seed};
  Micros interval = 1'000'000 / p.ops_per_second;
  std::uint64_t count = static_cast<std::uint64_t>(p.duration_us / interval);
  Micros outage_start = p.heal_us + kDeposed;
  Micros outage_end = p.heal_us + kNewLeader;
  for (std::uint64_t i = 0; i < count; ++i) {
    record::Operation op;
    op.id = i + 1;
    op.client = static_cast<std::uint32_t>(i % 8);
    op.node = m.nodes[i % 3];
    op.kind = i % 10 == 9 ? record::OpKind::read : record::OpKind::write;
    op.key = "k" + std::to_string(i % 50);
    op.intended_us = static_cast<Micros>(i) * interval + 2 * kMs;
    op.sent_us = op.intended_us;
    Micros latency = 1500 + static_cast<Micros>(rng.next() % 3000);
    op.outcome = record::Outcome::ok;
    op.completed_us = op.sent_us + latency;
    bool cut_off = op.node == 1 && op.intended_us >= p.cut_us && op.intended_us < outage_start;
    if (op.intended_us < kFirstLeader) {
      op.completed_us = kFirstLeader + latency;  // waited for the first leader
    } else if (cut_off && op.intended_us < p.cut_us + kCampaignAfterCut) {
      op.outcome = record::Outcome::timeout;  // forwarded to a leader it cannot reach
      op.completed_us = -1;
      op.error = "timeout";
    } else if (cut_off) {
      op.outcome = record::Outcome::fail;
      op.completed_us = op.sent_us + 2 * kMs;
      op.error = "no leader";
    } else if (model.election_at_heal() && op.intended_us >= outage_start &&
               op.intended_us < outage_end) {
      op.completed_us = outage_end + latency;  // delayed until the new leader commits it
    }
    if (op.kind == record::OpKind::write) op.value = "v" + std::to_string(op.id);
    run.ops.push_back(std::move(op));
  }
  // Reads return the write on their key that finished last before they were sent: always a
  // linearizable answer.
  std::map<std::string, std::vector<std::pair<Micros, std::string>>> done_writes;
  for (const auto& op : run.ops) {
    if (op.kind == record::OpKind::write && op.outcome == record::Outcome::ok) {
      done_writes[op.key].emplace_back(op.completed_us, op.value);
    }
  }
  for (auto& [key, writes] : done_writes) std::sort(writes.begin(), writes.end());
  for (auto& op : run.ops) {
    if (op.kind != record::OpKind::read || op.outcome != record::Outcome::ok) continue;
    const auto& writes = done_writes[op.key];
    auto after = std::lower_bound(writes.begin(), writes.end(),
                                  std::pair<Micros, std::string>{op.sent_us, ""});
    op.value = after == writes.begin() ? "" : std::prev(after)->second;
  }
  return run;
}

}  // namespace faultline::report::testing
