// Forked runs (SimFork): a run continued from a copy of a warm-up is the run simulate()
// gives from the start, record for record and counter for counter — for the atlas's cases
// (which is how explore runs them) and for scenarios that exercise everything a copy must
// carry (messages in flight and duplicated, a disk write in flight, waiting reads, paused
// and crashed nodes, repeating faults). A request a fork cannot serve is simulated from
// the start, so it too gives simulate()'s answer.
#include <gtest/gtest.h>

#include <sstream>

#include "sim/atlas.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "sim/topology.h"

namespace faultline::sim {
namespace {

// Everything a run gives, as text: every field of the record (meta, operations,
// samples, faults), the counters and how it settled. In memory: saving records to disk
// (synced) would make this test slow for no gain.
std::string text_of(const SimResult& r) {
  std::ostringstream out;
  out.precision(17);
  const record::Meta& m = r.record.meta;
  out << m.scenario << '|' << m.driver << '|' << m.system << '|' << m.profile << '|' << m.seed
      << '|' << m.heartbeat_us << '|' << m.election_timeout_us << '|' << m.duration_us << '|'
      << m.first_fault_us << '|' << m.last_heal_us << '|' << m.invariant_violations << '|'
      << m.violation << '|' << m.scenario_json << "|nodes";
  for (auto n : m.nodes) out << ' ' << n;
  out << '\n';
  for (const auto& o : r.record.ops)
    out << "op " << o.id << ' ' << o.client << ' ' << o.node << ' ' << static_cast<int>(o.kind)
        << ' ' << o.key << ' ' << o.value << ' ' << o.intended_us << ' ' << o.sent_us << ' '
        << o.completed_us << ' ' << static_cast<int>(o.outcome) << ' ' << o.error << '\n';
  for (const auto& x : r.record.samples)
    out << "sample " << x.time_us << ' ' << x.node << ' ' << static_cast<int>(x.role) << ' '
        << x.term << ' ' << x.leader << ' ' << x.commit << ' ' << x.applied << '\n';
  for (const auto& f : r.record.faults) {
    out << "fault " << f.time_us << ' ' << static_cast<int>(f.kind) << ' ' << f.label << ' '
        << f.loss << ' ' << f.delay_us << ' ' << f.detail << " links";
    for (const auto& l : f.links) out << ' ' << l.from << '>' << l.to;
    out << " nodes";
    for (auto n : f.nodes) out << ' ' << n;
    out << '\n';
  }
  out << "events=" << r.stats.events << " messages=" << r.stats.messages_sent
      << " readies=" << r.stats.readies << " simulated=" << r.stats.simulated_us
      << " settled=" << static_cast<int>(r.settled) << '@' << r.settled_at_us << '\n';
  return out.str();
}

// Every case of the 3-node atlas and a spread of the 5-node one (each case's cuts held
// 4 s, settling on), forked from one warm-up per (profile, seed) at the case's first
// fault, as explore does: each run equals the run from the start.
TEST(Fork, AtlasCasesForkedFromTheSharedWarmUpAreTheRunsFromTheStart) {
  for (int nodes : {3, 5}) {
    ExploreOptions o;
    o.nodes = nodes;
    o.topology_us = 4'000'000;
    const auto cases = enumerate_topologies(nodes);
    const std::size_t step = nodes == 3 ? 1 : 23;  // 5 nodes: 15 of the 330 cases
    for (const char* profile : {"raft", "etcd-3.4", "thesis-prevote"}) {
      for (std::uint64_t seed : {1, 2}) {
        const Scenario first = atlas_scenario(cases.front(), o);
        SimFork at_lag(first, profile, seed);
        at_lag.run_through(o.warmup_us - 1);
        SimFork at_cut(at_lag);
        at_cut.run_through(o.warmup_us + o.lag_us - 1);
        for (std::size_t k = 0; k < cases.size(); k += step) {
          const Scenario s = atlas_scenario(cases[k], o);
          const SimRequest req{&s, profile, seed, {}, o.settle_us};
          const SimFork& fork = cases[k].lagging >= 0 ? at_lag : at_cut;
          EXPECT_EQ(text_of(fork.run(req)), text_of(simulate(req)))
              << nodes << " nodes, case " << cases[k].id << ", " << profile << ", seed " << seed;
        }
      }
    }
  }
}

// Reads, loss, duplication and reordering, so that at any fork time there are messages
// in flight (some twice), disk writes pending and reads waiting; then a crash, a pause
// and a repeating cut, all after the fork. The crash at 4 s falls on a sample (taken
// every 100 ms) that is already queued at the fork: from the start the crash comes first,
// so the sample shows the node down; a fork must keep that order.
Scenario busy_scenario() {
  return parse_scenario_text(R"(
name = "busy"
nodes = 5
duration = "12s"
[workload]
rate = 400
read_share = 0.3
[network]
loss = 0.01
duplicate = 0.05
reorder = 0.05
[disk]
sync_latency = "2ms"
[[fault]]
at = "4s"
name = "k"
crash = "follower[1]"
[[fault]]
at = "4.5s"
cut = ["leader", "follower[0]"]
repeat = { every = "1s", count = 3, duration = "400ms" }
[[fault]]
at = "5s"
name = "p"
pause = "leader"
[[fault]]
at = "6s"
resume = "p"
[[fault]]
at = "7s"
restart = "all"
)",
                             "busy.toml");
}

TEST(Fork, AForkAtAnyMomentBeforeTheFirstFaultContinuesExactly) {
  const Scenario s = busy_scenario();
  for (const char* profile : {"raft", "etcd-3.5"}) {
    const SimRequest req{&s, profile, 7, {}};
    const std::string fresh = text_of(simulate(req));
    SimFork fork(s, profile, 7);
    // Every fork time is a different mix of messages in flight, disk writes pending and
    // reads waiting for their node to apply.
    for (Micros t : {0, 1, 250'000, 1'000'000, 1'007'777, 1'333'333, 1'500'001, 2'000'000,
                     2'750'000, 3'300'003, 3'999'999}) {
      fork.run_through(t);
      EXPECT_EQ(text_of(fork.run(req)), fresh) << profile << ", forked at " << t << " us";
    }
    // The fork is only read: a second run from it is the same again.
    EXPECT_EQ(text_of(fork.run(req)), fresh) << profile;
  }
}

TEST(Fork, ARequestTheForkCannotServeIsSimulatedFromTheStart) {
  const Scenario s = busy_scenario();
  SimFork fork(s, "raft", 3);
  fork.run_through(4'200'000);  // past the crash at 4 s
  EXPECT_EQ(fork.through_us(), 4'200'000);
  // A fault before the fork time; another seed; another profile; another workload.
  Scenario other_rate = s;
  other_rate.workload.rate = 300;
  for (const SimRequest& req :
       {SimRequest{&s, "raft", 3, {}}, SimRequest{&s, "raft", 4, {}},
        SimRequest{&s, "etcd-3.4", 3, {}}, SimRequest{&other_rate, "raft", 3, {}}})
    EXPECT_EQ(text_of(fork.run(req)), text_of(simulate(req))) << req.profile << " " << req.seed;

  // No faults at all, settling on: from the start it could settle (and stop) before the
  // fork time, so it is simulated from the start.
  const Scenario quiet = parse_scenario_text(
      "name = \"quiet\"\nnodes = 3\nduration = \"8s\"\n[workload]\nrate = 100\n", "quiet.toml");
  SimFork late(quiet, "etcd-3.5", 1);
  late.run_through(7'000'000);
  const SimRequest settling{&quiet, "etcd-3.5", 1, {}, 1'000'000};
  const SimResult fresh = simulate(settling);
  EXPECT_NE(fresh.settled, Settled::no);
  EXPECT_LT(fresh.settled_at_us, 7'000'000);
  EXPECT_EQ(text_of(late.run(settling)), text_of(fresh));
}

TEST(Fork, AnUnknownProfileRunsNothing) {
  const Scenario s = busy_scenario();
  EXPECT_THROW(SimFork(s, "nope", 1), std::invalid_argument);
}

}  // namespace
}  // namespace faultline::sim
