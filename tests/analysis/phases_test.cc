// Phases and what is measured in them: boundaries, counts, downtime, goodput, delay and
// latency, on hand-built records whose right answers can be worked out on paper.
#include <gtest/gtest.h>

#include "analysis/analysis.h"
#include "synthetic_run.h"

namespace faultline::analysis {
namespace {

using namespace testing;

Summary analyze_run(SyntheticRun& run) { return analyze(run.record()); }

TEST(Phases, WithoutAFaultEverythingIsBeforeAndTheOtherPhasesAreEmpty) {
  SyntheticRun run(-1, -1);
  run.writes(5 * kMs, always_fast).samples(100 * kMs, calm);
  Summary s = analyze_run(run);
  EXPECT_EQ(s.before.start_us, 0);
  EXPECT_EQ(s.before.end_us, 60 * kSec);
  EXPECT_EQ(s.during.start_us, 60 * kSec);
  EXPECT_EQ(s.during.end_us, 60 * kSec);
  EXPECT_EQ(s.after.start_us, 60 * kSec);
  EXPECT_EQ(s.before.ops_ok, 12'000u);
  EXPECT_EQ(s.during.ops_offered + s.after.ops_offered, 0u);
  EXPECT_EQ(s.during.elections + s.after.elections, 0);
  EXPECT_EQ(s.verdict, Verdict::stable);
}

TEST(Phases, AnOpBelongsToThePhaseOfItsIntendedStart) {
  // Four writes: just before the fault, at its first instant, at its last, at the heal.
  SyntheticRun run;
  auto& ops = run.record().ops;
  for (Micros t : {20 * kSec - 1, 20 * kSec, 40 * kSec - 1, 40 * kSec}) {
    record::Operation op;
    op.id = ops.size() + 1;
    op.key = "k";
    op.value = std::to_string(op.id);
    op.intended_us = t;
    op.sent_us = t + 50 * kMs;  // sent late: the intended start still decides
    op.completed_us = t + 60 * kMs;
    op.outcome = Outcome::ok;
    ops.push_back(op);
  }
  Summary s = analyze_run(run);
  EXPECT_EQ(s.before.ops_offered, 1u);
  EXPECT_EQ(s.during.ops_offered, 2u);
  EXPECT_EQ(s.after.ops_offered, 1u);
  EXPECT_EQ(s.during.start_us, 20 * kSec);
  EXPECT_EQ(s.during.end_us, 40 * kSec);
}

TEST(Phases, AFaultNeverHealedLastsToTheEnd) {
  SyntheticRun run(20 * kSec, -1);
  run.writes(5 * kMs, always_fast);
  Summary s = analyze_run(run);
  EXPECT_EQ(s.during.end_us, 60 * kSec);
  EXPECT_EQ(s.after.start_us, s.after.end_us);
  EXPECT_EQ(s.during.ops_ok, 8'000u);
}

TEST(Downtime, AStretchWithoutSuccessfulWritesIsOneGap) {
  // Writes intended in [25 s, 27 s) fail at once: no write completes for 2 s.
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    if (t >= 25 * kSec && t < 27 * kSec) return Answer{Outcome::fail, 1 * kMs};
    return Answer{};
  });
  Summary s = analyze_run(run);
  EXPECT_EQ(s.gap_threshold_us, 100 * kMs) << "4 x 5 ms is below one window";
  ASSERT_EQ(s.gaps.size(), 1u);
  // From the last success (intended 24.995 s, done 24.997 s) to the first (27.002 s).
  EXPECT_EQ(s.gaps[0].start_us, 24'997 * kMs);
  EXPECT_EQ(s.gaps[0].end_us, 27'002 * kMs);
  EXPECT_DOUBLE_EQ(s.during.downtime_ms, 2005);
  EXPECT_DOUBLE_EQ(s.during.longest_gap_ms, 2005);
  EXPECT_DOUBLE_EQ(s.before.downtime_ms, 0);
  EXPECT_DOUBLE_EQ(s.after.downtime_ms, 0);
  EXPECT_EQ(s.during.ops_failed, 400u);
}

TEST(Downtime, AGapAcrossTheHealIsSplitBetweenThePhases) {
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    if (t >= 39 * kSec && t < 41 * kSec) return Answer{Outcome::timeout, 0};
    return Answer{};
  });
  Summary s = analyze_run(run);
  EXPECT_NEAR(s.during.downtime_ms, 1000, 5);
  EXPECT_NEAR(s.after.downtime_ms, 1000, 5);
  EXPECT_NEAR(s.after.longest_gap_ms, 1000, 5);
}

TEST(Downtime, ShortHiccupsBelowTheThresholdAreNotDowntime) {
  // Every second, the writes of 60 ms take 60 ms longer: gaps of at most ~65 ms.
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    return Answer{Outcome::ok, (t % kSec) < 60 * kMs ? 62 * kMs : 2 * kMs};
  });
  Summary s = analyze_run(run);
  EXPECT_TRUE(s.gaps.empty());
  EXPECT_DOUBLE_EQ(s.during.downtime_ms, 0);
}

TEST(Downtime, TheThresholdFollowsASlowLoad) {
  // 10 writes per second: 4 intervals = 400 ms, so a lull of 300 ms is not an outage.
  SyntheticRun run;
  run.writes(100 * kMs, always_fast);
  Summary s = analyze_run(run);
  EXPECT_EQ(s.gap_threshold_us, 400 * kMs);
  EXPECT_TRUE(s.gaps.empty());
}

TEST(Downtime, AReadOnlyLoadStillShowsAnOutage) {
  SyntheticRun run;
  auto& ops = run.record().ops;
  for (Micros t = 0; t < 60 * kSec; t += 5 * kMs) {
    record::Operation op;
    op.id = ops.size() + 1;
    op.kind = record::OpKind::read;
    op.key = "k";
    op.intended_us = op.sent_us = t;
    bool stuck = t >= 30 * kSec && t < 31 * kSec;
    op.outcome = stuck ? Outcome::timeout : Outcome::ok;
    op.completed_us = stuck ? -1 : t + kMs;
    ops.push_back(op);
  }
  Summary s = analyze_run(run);
  EXPECT_NEAR(s.during.downtime_ms, 1000, 5);
}

TEST(Goodput, AThirdOfRequestsSlowGivesTwoThirdsGoodputAndAThirdDelayed) {
  // Every third request goes to a node that answers after 150 ms (the cut-off node).
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    bool slow = (t / (5 * kMs)) % 3 == 0;
    return Answer{Outcome::ok, slow ? 150 * kMs : 2 * kMs};
  });
  Summary s = analyze_run(run);
  EXPECT_EQ(s.during.ops_offered, 4'000u);
  EXPECT_NEAR(s.during.ops_delayed, 4'000 / 3.0, 1);
  EXPECT_NEAR(s.during.goodput_ratio, 2.0 / 3.0, 0.001);
  EXPECT_EQ(s.during.ops_failed, 0u);
  // The windows show the same: each 100 ms window offers 20 and 13 or 14 finish in time.
  const Window& w = s.windows[250];  // 25.0 s
  EXPECT_EQ(w.start_us, 25 * kSec);
  EXPECT_EQ(w.offered, 20u);
  EXPECT_NEAR(w.on_time, 13.3, 0.7);
}

TEST(Goodput, ExactlyOneHundredMillisecondsIsStillOnTime) {
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    return Answer{Outcome::ok, (t / (5 * kMs)) % 2 ? 100 * kMs : 100 * kMs + 1};
  });
  Summary s = analyze_run(run);
  EXPECT_NEAR(s.during.goodput_ratio, 0.5, 0.001);
  EXPECT_EQ(s.during.ops_delayed, 2'000u);
}

TEST(Goodput, TimeoutsAndFailuresAreNotGoodputAndTimeoutsAreDelayed) {
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    switch ((t / (5 * kMs)) % 4) {
      case 0:
        return Answer{Outcome::timeout, 0};
      case 1:
        return Answer{Outcome::fail, 1 * kMs};  // refused quickly
      case 2:
        return Answer{Outcome::fail, 300 * kMs};  // refused slowly
      default:
        return Answer{};
    }
  });
  Summary s = analyze_run(run);
  EXPECT_EQ(s.during.ops_ok, 1'000u);
  EXPECT_EQ(s.during.ops_failed, 3'000u);
  EXPECT_EQ(s.during.ops_timed_out, 1'000u);
  EXPECT_EQ(s.during.ops_delayed, 2'000u) << "the timeouts and the slow refusals";
  EXPECT_NEAR(s.during.goodput_ratio, 0.25, 0.001);
}

TEST(Latency, PercentilesAreNearestRankFromTheIntendedStart) {
  // During the fault, latencies cycle through 1..100 ms; sending late does not hide delay.
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    return Answer{Outcome::ok, ((t / (5 * kMs)) % 100 + 1) * kMs};
  });
  for (auto& op : run.record().ops) op.sent_us = op.completed_us - 1;  // a stalled client
  Summary s = analyze_run(run);
  EXPECT_DOUBLE_EQ(s.during.latency.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.during.latency.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.during.latency.max_ms, 100);
}

TEST(Latency, APhaseWithoutSuccessReportsZeros) {
  SyntheticRun run;
  run.writes(5 * kMs, [](Micros t) {
    return t >= 20 * kSec && t < 40 * kSec ? Answer{Outcome::timeout, 0} : Answer{};
  });
  Summary s = analyze_run(run);
  EXPECT_EQ(s.during.ops_ok, 0u);
  EXPECT_DOUBLE_EQ(s.during.latency.max_ms, 0);
  EXPECT_DOUBLE_EQ(s.during.goodput_ratio, 0);
}

TEST(Phases, AnEmptyRecordIsAnalysedWithoutSurprises) {
  record::RunRecord r;
  Summary s = analyze(r);
  EXPECT_EQ(s.verdict, Verdict::stable);
  EXPECT_TRUE(s.windows.empty());
  EXPECT_FALSE(s.linearizable.has_value());
}

}  // namespace
}  // namespace faultline::analysis
