// Elections, leader changes and terms from node samples, whether the samples are dense
// (every 100 ms and on every change, as the simulator takes them) or sparse (every 100 ms
// only, as the lab does).
#include <gtest/gtest.h>

#include "analysis/analysis.h"
#include "synthetic_run.h"

namespace faultline::analysis {
namespace {

using namespace testing;

// Node 1 leads at term 2; at 25.030 s it is deposed (term 3, no leader), and at 25.270 s
// node 2 wins term 3.
NodeState one_failover(NodeId n, Micros t) {
  if (t < 25'030 * kMs) return calm(n, t);
  if (t < 25'270 * kMs) return {n == 2 ? Role::candidate : Role::follower, 3, 0};
  return {n == 2 ? Role::leader : Role::follower, 3, 2};
}

TEST(Elections, OneFailoverCountsOnceWithDenseSamples) {
  SyntheticRun run;
  run.samples(100 * kMs, one_failover, {300 * kMs, 25'030 * kMs, 25'270 * kMs});
  Summary s = analyze(run.record());
  EXPECT_EQ(s.before.elections, 1) << "the first election of the run";
  EXPECT_EQ(s.during.elections, 1);
  EXPECT_EQ(s.during.leader_changes, 1);
  EXPECT_EQ(s.after.elections, 0);
  ASSERT_EQ(s.elections.size(), 2u);
  EXPECT_EQ(s.elections[1].time_us, 25'270 * kMs) << "dense samples date it exactly";
  EXPECT_EQ(s.elections[1].leader, 2u);
  EXPECT_EQ(s.elections[1].term, 3u);
}

TEST(Elections, OneFailoverCountsOnceWithSparseSamples) {
  SyntheticRun run;
  run.samples(100 * kMs, one_failover);
  Summary s = analyze(run.record());
  EXPECT_EQ(s.during.elections, 1);
  EXPECT_EQ(s.during.leader_changes, 1);
  ASSERT_EQ(s.elections.size(), 2u);
  EXPECT_EQ(s.elections[1].time_us, 25'300 * kMs) << "the first sample after the change";
}

TEST(Elections, ALeaderSeenOnlyThroughItsFollowersStillCounts) {
  // Node 3 leads term 4 for a moment; the 100 ms samples catch node 3 as a candidate and
  // later as a follower, but its followers report it as their leader at term 4.
  SyntheticRun run;
  run.samples(100 * kMs, [](NodeId n, Micros t) -> NodeState {
    if (t < 30 * kSec) return calm(n, t);
    if (t < 30'200 * kMs) {
      if (n == 3) return {Role::candidate, 4, 0};
      return {Role::follower, 4, 3};
    }
    return {n == 1 ? Role::leader : Role::follower, 5, 1};
  });
  Summary s = analyze(run.record());
  EXPECT_EQ(s.during.elections, 2) << "node 3 at term 4, then node 1 at term 5";
  EXPECT_EQ(s.during.leader_changes, 2);
}

TEST(Elections, ReElectingTheSameNodeIsAnElectionButNotALeaderChange) {
  SyntheticRun run;
  run.samples(100 * kMs, [](NodeId n, Micros t) -> NodeState {
    if (t < 41 * kSec) return calm(n, t);
    if (t < 43 * kSec) return {Role::follower, 3, 0};
    return {n == 1 ? Role::leader : Role::follower, 4, 1};
  });
  Summary s = analyze(run.record());
  EXPECT_EQ(s.after.elections, 1);
  EXPECT_EQ(s.after.leader_changes, 0);
}

TEST(Elections, ADeposedLeaderThatStillBelievesItLeadsIsNotANewElection) {
  // Textbook Raft without CheckQuorum: the old leader, cut off, keeps saying "leader, term 2"
  // while node 2 leads term 3.
  SyntheticRun run;
  run.samples(100 * kMs, [](NodeId n, Micros t) -> NodeState {
    if (t < 22 * kSec) return calm(n, t);
    if (n == 1) return {Role::leader, 2, 1};
    return {n == 2 ? Role::leader : Role::follower, 3, 2};
  });
  Summary s = analyze(run.record());
  EXPECT_EQ(s.during.elections, 1);
}

TEST(Terms, TheCutNodesClimbingTermIsTermInflationWithoutElections) {
  // etcd 3.4 on the cloudflare cut: node 3 campaigns every ~600 ms from 20.5 s, its term
  // climbing from 2 to 35; nobody follows it.
  SyntheticRun run;
  auto term_of_3 = [](Micros t) -> std::uint64_t {
    if (t < 20'500 * kMs) return 2;
    return 2 + static_cast<std::uint64_t>((std::min(t, 40 * kSec) - 20'500 * kMs) / (600 * kMs)) +
           1;
  };
  run.samples(100 * kMs, [&](NodeId n, Micros t) -> NodeState {
    if (n != 3 || t < 20 * kSec || t >= 40 * kSec) return calm(n, t);
    return {t < 20'500 * kMs ? Role::follower : Role::candidate, term_of_3(t), 0};
  });
  Summary s = analyze(run.record());
  EXPECT_EQ(s.during.elections, 0);
  EXPECT_EQ(s.before.max_term, 2u);
  EXPECT_EQ(s.during.max_term, term_of_3(39'900 * kMs));
  EXPECT_EQ(s.during.term_increase, term_of_3(39'900 * kMs) - 2);
  EXPECT_EQ(s.after.term_increase, 0u);
  ASSERT_EQ(s.nodes.size(), 3u);
  EXPECT_EQ(s.nodes[0].max_term, 2u);
  EXPECT_EQ(s.nodes[2].id, 3u);
  EXPECT_EQ(s.nodes[2].max_term, term_of_3(39'900 * kMs));
}

TEST(Elections, SamplesOutOfTimeOrderAreSortedFirst) {
  SyntheticRun run;
  run.samples(100 * kMs, one_failover);
  std::reverse(run.record().samples.begin(), run.record().samples.end());
  Summary s = analyze(run.record());
  EXPECT_EQ(s.during.elections, 1);
  EXPECT_EQ(s.before.elections, 1);
}

}  // namespace
}  // namespace faultline::analysis
