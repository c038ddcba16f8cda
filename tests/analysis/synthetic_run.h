// Hand-built run records for the analysis tests: a 3-node cluster (heartbeat 100 ms,
// election timeout 500 ms, 60 s, a fault from 20 s to 40 s unless a test says otherwise),
// an open-loop client, and node samples, each described by a small function of time.
#pragma once

#include <functional>
#include <map>

#include "record/run_record.h"

namespace faultline::analysis::testing {

using record::Micros;
using record::NodeId;
using record::Outcome;
using record::Role;

constexpr Micros kMs = 1000;
constexpr Micros kSec = 1'000'000;

// What happened to one request: its outcome and how long after its intended start it ended.
struct Answer {
  Outcome outcome = Outcome::ok;
  Micros latency_us = 2 * kMs;
};

// What one node reported at one instant.
struct NodeState {
  Role role = Role::follower;
  std::uint64_t term = 0;
  NodeId leader = 0;
};

class SyntheticRun {
 public:
  SyntheticRun(Micros first_fault_us = 20 * kSec, Micros last_heal_us = 40 * kSec) {
    auto& m = record_.meta;
    m.scenario = "synthetic";
    m.driver = "sim";
    m.system = "faultline";
    m.profile = "etcd-3.4";
    m.seed = 1;
    m.nodes = {1, 2, 3};
    m.heartbeat_us = 100 * kMs;
    m.election_timeout_us = 500 * kMs;
    m.duration_us = 60 * kSec;
    m.first_fault_us = first_fault_us;
    m.last_heal_us = last_heal_us;
  }

  // Open-loop writes of unique values every `every_us` over [from, to); `answer` decides
  // each one's fate from its intended start.
  SyntheticRun& writes(Micros every_us, const std::function<Answer(Micros)>& answer,
                       Micros from = 0, Micros to = 60 * kSec) {
    for (Micros t = from; t < to; t += every_us) {
      Answer a = answer(t);
      record::Operation op;
      op.id = record_.ops.size() + 1;
      op.client = static_cast<std::uint32_t>(op.id % 3);
      op.node = op.id % 3 + 1;
      op.kind = record::OpKind::write;
      op.key = "k" + std::to_string(op.id % 10);
      op.value = std::to_string(op.id);
      op.intended_us = op.sent_us = t;
      op.outcome = a.outcome;
      op.completed_us = a.outcome == Outcome::timeout ? -1 : t + a.latency_us;
      record_.ops.push_back(op);
    }
    return *this;
  }

  // Reads every `every_us` that see exactly the writes that completed before they were sent
  // (a linearizable store), unless `stale_at` falls in the read's window: then it returns the
  // value its key had one write earlier.
  SyntheticRun& reads(Micros every_us, Micros stale_at = -1) {
    std::vector<record::Operation> writes;
    for (const auto& op : record_.ops) {
      if (op.kind == record::OpKind::write && op.outcome == Outcome::ok) writes.push_back(op);
    }
    std::sort(writes.begin(), writes.end(),
              [](const auto& a, const auto& b) { return a.completed_us < b.completed_us; });
    std::size_t next = 0;
    std::map<std::string, std::vector<std::string>> seen;  // key -> values in order
    for (Micros t = 0; t < record_.meta.duration_us; t += every_us) {
      while (next < writes.size() && writes[next].completed_us < t) {
        seen[writes[next].key].push_back(writes[next].value);
        ++next;
      }
      record::Operation op;
      op.id = record_.ops.size() + 1;
      op.kind = record::OpKind::read;
      op.key = "k" + std::to_string((t / every_us) % 10);
      const auto& values = seen[op.key];
      bool stale = stale_at >= t && stale_at < t + every_us && values.size() >= 2;
      op.value = values.empty() ? "" : values[values.size() - (stale ? 2 : 1)];
      op.intended_us = op.sent_us = t;
      op.completed_us = t + kMs;
      op.outcome = Outcome::ok;
      record_.ops.push_back(op);
    }
    return *this;
  }

  // Samples of every node every `every_us`; with `on_change`, also one at every instant in
  // `changes` (as the simulator samples on every change; the lab does not).
  SyntheticRun& samples(Micros every_us, const std::function<NodeState(NodeId, Micros)>& state,
                        const std::vector<Micros>& changes = {}) {
    std::vector<Micros> times;
    for (Micros t = 0; t < record_.meta.duration_us; t += every_us) times.push_back(t);
    times.insert(times.end(), changes.begin(), changes.end());
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    for (Micros t : times) {
      for (NodeId n : record_.meta.nodes) {
        NodeState s = state(n, t);
        record_.samples.push_back({t, n, s.role, s.term, s.leader, 0, 0});
      }
    }
    return *this;
  }

  record::RunRecord& record() { return record_; }

 private:
  record::RunRecord record_;
};

// Node 1 leads at term 2 from 300 ms on, forever: the calm cluster.
inline NodeState calm(NodeId n, Micros t) {
  if (t < 300 * kMs) return {Role::follower, 1, 0};
  return {n == 1 ? Role::leader : Role::follower, 2, 1};
}

inline Answer always_fast(Micros) { return {}; }

}  // namespace faultline::analysis::testing
