// Snapshots and log compaction in the simulator ([snapshot]): a follower that falls behind
// the leader's compacted log is caught up by a snapshot, a restarted node starts from its
// own, the runs stay safe, linearizable and replayable, and etcd's defaults take none in
// a short run.
#include <gtest/gtest.h>

#include <map>

#include "check/linearizability.h"
#include "raft/profiles.h"
#include "record/run_record.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace faultline::sim {
namespace {

// 3 nodes, 10 s, 200 requests/s (30% reads): about 1,400 entries.
Scenario scenario(const std::string& snapshot, const std::string& faults) {
  return parse_scenario_text(
      "name = \"snap\"\nnodes = 3\nduration = \"10s\"\n[workload]\nrate = 200\nread_share = "
      "0.3\n" +
          snapshot + faults,
      "snap.toml");
}

constexpr const char* kSmallSnapshots = "[snapshot]\ncount = 100\ncatch_up_entries = 20\n";

// follower[0] is down from 2 s to 6 s: about 560 entries go by, far more than the 20 the
// leader keeps before each snapshot.
constexpr const char* kFollowerDown = R"(
[[fault]]
at = "2s"
name = "down"
crash = "follower[0]"
[[fault]]
at = "6s"
restart = "down"
)";

void expect_safe_and_linearizable(const record::RunRecord& r) {
  EXPECT_EQ(r.meta.invariant_violations, 0u) << r.meta.violation;
  EXPECT_EQ(check::check_history(r.ops).verdict, check::Verdict::valid);
}

SimResult run(const Scenario& s, std::string_view profile, std::uint64_t seed) {
  SimRequest req;
  req.scenario = &s;
  req.profile = std::string(profile);
  req.seed = seed;
  return simulate(req);
}

// Each node's last sample.
std::map<record::NodeId, record::NodeSample> last_samples(const record::RunRecord& r) {
  std::map<record::NodeId, record::NodeSample> last;
  for (const auto& s : r.samples) last[s.node] = s;
  return last;
}

TEST(SimSnapshots, AFollowerBehindTheCompactedLogIsCaughtUpByASnapshotOnEveryProfile) {
  const Scenario s = scenario(kSmallSnapshots, kFollowerDown);
  for (const auto& profile : raft::profiles()) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      SCOPED_TRACE(std::string(profile.name) + " seed " + std::to_string(seed));
      const SimResult res = run(s, profile.name, seed);
      expect_safe_and_linearizable(res.record);
      // About 1,400 entries: 14 snapshots on each node that stays up, fewer on the other.
      EXPECT_GE(res.stats.snapshots_taken, 25u);
      EXPECT_GE(res.stats.snapshots_sent, 1u);
      EXPECT_GE(res.stats.snapshots_installed, 1u);
      // The restarted follower applied everything the others did by the end.
      const auto last = last_samples(res.record);
      ASSERT_EQ(last.size(), 3u);
      for (const auto& [id, sample] : last) {
        EXPECT_NE(sample.role, record::Role::down) << "node " << id;
        EXPECT_GE(sample.applied + 20, last.begin()->second.applied) << "node " << id;
      }
    }
  }
}

TEST(SimSnapshots, ARestartedNodeStartsFromItsOwnSnapshotAndReplaysBitForBit) {
  const Scenario s = scenario(kSmallSnapshots, R"(
[[fault]]
at = "5s"
name = "kill"
crash = "leader"
[[fault]]
at = "7s"
restart = "kill"
)");
  const SimResult a = run(s, "etcd-3.5", 4);
  expect_safe_and_linearizable(a.record);
  ASSERT_EQ(a.record.faults.size(), 2u);
  const record::NodeId victim = a.record.faults[0].nodes.at(0);
  // Its first sample after the restart: state restored up to its last snapshot, a multiple
  // of 100 (without snapshots it would start again from 0 and re-apply its log).
  const record::NodeSample* restarted = nullptr;
  for (const auto& sm : a.record.samples)
    if (sm.node == victim && sm.time_us >= 7'000'000 && sm.role != record::Role::down) {
      restarted = &sm;
      break;
    }
  ASSERT_NE(restarted, nullptr);
  EXPECT_GE(restarted->applied, 500u);
  EXPECT_EQ(restarted->applied % 100, 0u);
  const SimResult b = run(s, "etcd-3.5", 4);
  EXPECT_EQ(a.record.ops.size(), b.record.ops.size());
  EXPECT_TRUE(a.record.samples.size() == b.record.samples.size() &&
              std::equal(a.record.samples.begin(), a.record.samples.end(), b.record.samples.begin(),
                         [](const auto& x, const auto& y) {
                           return x.time_us == y.time_us && x.node == y.node &&
                                  x.applied == y.applied && x.commit == y.commit &&
                                  x.term == y.term;
                         }));
  EXPECT_EQ(a.stats.snapshots_taken, b.stats.snapshots_taken);
}

TEST(SimSnapshots, LosingTheSnapshotOnTheWireOnlyDelaysTheCatchUp) {
  // The follower comes back while its link from the leader is cut, so the first snapshots
  // the leader sends it are lost; once the link heals it is caught up all the same.
  const Scenario s = scenario(kSmallSnapshots, R"(
[[fault]]
at = "2s"
name = "down"
crash = "follower[0]"
[[fault]]
at = "5s"
name = "mute"
one_way = ["leader", "follower[0]"]
[[fault]]
at = "5.5s"
restart = "down"
[[fault]]
at = "7s"
heal = "mute"
)");
  for (const char* profile : {"raft", "etcd-3.4", "etcd-3.5"}) {
    SCOPED_TRACE(profile);
    const SimResult res = run(s, profile, 2);
    expect_safe_and_linearizable(res.record);
    EXPECT_GE(res.stats.snapshots_installed, 1u);
    const auto last = last_samples(res.record);
    for (const auto& [id, sample] : last)
      EXPECT_GE(sample.applied + 20, last.begin()->second.applied) << "node " << id;
  }
}

TEST(SimSnapshots, EtcdsDefaultsTakeNoSnapshotInAShortRun) {
  const Scenario s = scenario("", kFollowerDown);
  const SimResult res = run(s, "etcd-3.4", 1);
  expect_safe_and_linearizable(res.record);
  EXPECT_EQ(res.stats.snapshots_taken, 0u);
  EXPECT_EQ(res.stats.snapshots_sent, 0u);
}

}  // namespace
}  // namespace faultline::sim
