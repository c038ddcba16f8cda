// The verdict rules of docs/analysis.md, one story each. Election timeout 500 ms, fault
// from 20 s to 40 s, writes every 5 ms.
#include <gtest/gtest.h>

#include "analysis/analysis.h"
#include "synthetic_run.h"

namespace faultline::analysis {
namespace {

using namespace testing;

bool in(Micros t, double from_s, double to_s) {
  return t >= static_cast<Micros>(from_s * kSec) && t < static_cast<Micros>(to_s * kSec);
}

TEST(Verdict, NothingHappensIsStable) {
  SyntheticRun run;
  run.writes(5 * kMs, always_fast).samples(100 * kMs, calm);
  Summary s = analyze(run.record());
  EXPECT_EQ(s.verdict, Verdict::stable) << s.verdict_reason;
}

TEST(Verdict, ACutNodeWhoseRequestsFailIsStillStableWhileOthersWrite) {
  // etcd 3.5 on the cloudflare cut: requests to node 3 fail, everything else is fine.
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    bool to_cut_node = (t / (5 * kMs)) % 3 == 2;
    return to_cut_node && in(t, 20, 40) ? Answer{Outcome::fail, 1 * kMs} : Answer{};
  });
  run.samples(100 * kMs, calm);
  Summary s = analyze(run.record());
  EXPECT_EQ(s.verdict, Verdict::stable) << s.verdict_reason;
  EXPECT_NEAR(s.during.goodput_ratio, 2.0 / 3.0, 0.001);
}

TEST(Verdict, AHiccupShorterThanAnElectionTimeoutIsStable) {
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    return in(t, 30, 30.4) ? Answer{Outcome::timeout, 0} : Answer{};
  });
  run.samples(100 * kMs, calm);
  Summary s = analyze(run.record());
  EXPECT_EQ(s.verdict, Verdict::stable) << s.verdict_reason;
  EXPECT_GT(s.during.downtime_ms, 0);
}

TEST(Verdict, OneElectionAtHealWithAFewSecondsOfOutageIsDisrupted) {
  // etcd 3.4 on the cloudflare cut: at heal the leader is deposed; 2.5 s without a leader.
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    return in(t, 40, 42.5) ? Answer{Outcome::timeout, 0} : Answer{};
  });
  run.samples(100 * kMs, [](NodeId n, Micros t) -> NodeState {
    if (t < 40 * kSec) return calm(n, t);
    if (t < 42'500 * kMs) return {Role::follower, 25, 0};
    return {n == 2 ? Role::leader : Role::follower, 26, 2};
  });
  Summary s = analyze(run.record());
  EXPECT_EQ(s.verdict, Verdict::disrupted) << s.verdict_reason;
  EXPECT_EQ(s.after.elections, 1);
  EXPECT_NEAR(s.after.longest_gap_ms, 2500, 10);
}

TEST(Verdict, AnElectionWithoutOutageIsStillDisrupted) {
  SyntheticRun run;
  run.writes(5 * kMs, always_fast);
  run.samples(100 * kMs, [](NodeId n, Micros t) -> NodeState {
    if (t < 30 * kSec) return calm(n, t);
    return {n == 3 ? Role::leader : Role::follower, 3, 3};
  });
  EXPECT_EQ(analyze(run.record()).verdict, Verdict::disrupted);
}

// Elections every second during the fault; each new leader manages writes for 300 ms.
NodeState churning(NodeId n, Micros t) {
  if (t < 20 * kSec || t >= 40 * kSec) return calm(n, t);
  auto round = static_cast<std::uint64_t>((t - 20 * kSec) / kSec);
  NodeId leader = round % 3 + 1;
  return {n == leader ? Role::leader : Role::follower, 3 + round, leader};
}

TEST(Verdict, RepeatedElectionsWithLittleProgressAreLivelock) {
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    bool progress = !in(t, 20, 40) || (t % kSec) < 300 * kMs;
    return progress ? Answer{} : Answer{Outcome::timeout, 0};
  });
  run.samples(100 * kMs, churning);
  Summary s = analyze(run.record());
  EXPECT_EQ(s.verdict, Verdict::livelock) << s.verdict_reason;
  EXPECT_EQ(s.during.elections, 20);
  EXPECT_GT(s.during.downtime_ms, 10'000);
}

TEST(Verdict, RepeatedElectionsThatStillMostlyWriteAreDisrupted) {
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    bool progress = !in(t, 20, 40) || (t % kSec) < 700 * kMs;
    return progress ? Answer{} : Answer{Outcome::timeout, 0};
  });
  run.samples(100 * kMs, churning);
  Summary s = analyze(run.record());
  EXPECT_EQ(s.verdict, Verdict::disrupted) << s.verdict_reason;
}

TEST(Verdict, NoWriteForTheRestOfTheFaultIsDeadlock) {
  // Constrained election: from 21 s no write succeeds until the heal, whatever the nodes do.
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    return in(t, 21, 40) ? Answer{Outcome::timeout, 0} : Answer{};
  });
  run.samples(100 * kMs, [](NodeId n, Micros t) -> NodeState {
    if (t < 21 * kSec || t >= 40'500 * kMs) return calm(n, t);
    return {Role::candidate, 2 + static_cast<std::uint64_t>(t / kSec), 0};
  });
  Summary s = analyze(run.record());
  EXPECT_EQ(s.verdict, Verdict::deadlock) << s.verdict_reason;
}

TEST(Verdict, DeadlockWinsOverElectionsEarlierInTheFault) {
  // Elections churn for 5 s, then everything stops until the heal.
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    return in(t, 25, 40) ? Answer{Outcome::timeout, 0} : Answer{};
  });
  run.samples(100 * kMs,
              [](NodeId n, Micros t) { return t < 25 * kSec ? churning(n, t) : calm(n, 0); });
  EXPECT_EQ(analyze(run.record()).verdict, Verdict::deadlock);
}

TEST(Verdict, AStallShorterThanFiveElectionTimeoutsIsNotDeadlock) {
  // The fault lasts 2 s and writes stop for all of it: not long enough to call it deadlock.
  SyntheticRun run(20 * kSec, 22 * kSec);
  run.writes(5 * kMs, [](Micros t) {
    return in(t, 20, 22) ? Answer{Outcome::timeout, 0} : Answer{};
  });
  run.samples(100 * kMs, calm);
  Summary s = analyze(run.record());
  EXPECT_EQ(s.verdict, Verdict::disrupted) << s.verdict_reason;
}

TEST(Verdict, RecoveryBeforeTheHealIsNotDeadlock) {
  // Quorum loss on etcd 3.5: 3 s without writes, then a new leader until the heal.
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    return in(t, 20, 23) ? Answer{Outcome::timeout, 0} : Answer{};
  });
  run.samples(100 * kMs, [](NodeId n, Micros t) -> NodeState {
    if (t < 22'900 * kMs) return calm(n, t);
    return {n == 2 ? Role::leader : Role::follower, 3, 2};
  });
  Summary s = analyze(run.record());
  EXPECT_EQ(s.verdict, Verdict::disrupted) << s.verdict_reason;
  EXPECT_EQ(s.during.elections, 1);
}

TEST(Verdict, AnIdleClusterIsJudgedByElectionsAlone) {
  SyntheticRun quiet, busy;
  quiet.samples(100 * kMs, calm);
  busy.samples(100 * kMs, churning);
  EXPECT_EQ(analyze(quiet.record()).verdict, Verdict::stable);
  EXPECT_EQ(analyze(busy.record()).verdict, Verdict::disrupted);
}

TEST(Verdict, NamesRoundTrip) {
  for (Verdict v : {Verdict::stable, Verdict::disrupted, Verdict::livelock, Verdict::deadlock}) {
    EXPECT_EQ(verdict_from(to_string(v)), v);
  }
  EXPECT_FALSE(verdict_from("fine"));
}

}  // namespace
// The rule the atlas uses over a case's seeds and the report over a cell's lab runs.
TEST(MajorityVerdict, TheMostFrequentAndOnATieTheWorse) {
  EXPECT_EQ(majority_verdict({{"stable", 3}, {"disrupted", 1}}), "stable");
  EXPECT_EQ(majority_verdict({{"livelock", 2}, {"disrupted", 2}, {"stable", 1}}), "livelock");
  EXPECT_EQ(majority_verdict({{"deadlock", 1}, {"stable", 1}}), "deadlock");
  EXPECT_EQ(majority_verdict({}), "");
}

}  // namespace faultline::analysis
