// The summary as `faultline sim --json` prints it: every key of the schema is there with
// the right type, and the linearizability verdict of the run's reads is carried along.
#include <gtest/gtest.h>

#include "analysis/analysis.h"
#include "synthetic_run.h"

namespace faultline::analysis {
namespace {

using namespace testing;
using nlohmann::json;

TEST(SummaryJson, CarriesEveryKeyOfTheSchema) {
  SyntheticRun run;
  run.writes(5 * kMs, always_fast).samples(100 * kMs, calm);
  json j = to_json(analyze(run.record()));
  for (const char* key : {"scenario", "driver", "system", "profile", "seed", "verdict", "phases",
                          "nodes", "linearizable", "invariant_violations"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["scenario"], "synthetic");
  EXPECT_EQ(j["driver"], "sim");
  EXPECT_EQ(j["seed"], 1);
  EXPECT_EQ(j["verdict"], "stable");
  EXPECT_EQ(j["invariant_violations"], 0);
  for (const char* phase : {"before", "during", "after"}) {
    const json& p = j["phases"][phase];
    for (const char* key : {"start_ms", "end_ms", "elections", "leader_changes", "term_increase",
                            "max_term", "downtime_ms", "longest_gap_ms", "ops_ok", "ops_failed",
                            "ops_delayed", "goodput_ratio"}) {
      EXPECT_TRUE(p.contains(key) && p[key].is_number()) << phase << "." << key;
    }
    for (const char* key : {"p50", "p99", "max"}) {
      EXPECT_TRUE(p["latency_ms"][key].is_number()) << phase << ".latency_ms." << key;
    }
  }
  EXPECT_EQ(j["phases"]["during"]["start_ms"], 20'000.0);
  EXPECT_EQ(j["phases"]["during"]["end_ms"], 40'000.0);
  ASSERT_EQ(j["nodes"].size(), 3u);
  EXPECT_EQ(j["nodes"][0], json::parse(R"({"id": 1, "max_term": 2})"));
  EXPECT_TRUE(j["linearizable"].is_null()) << "no reads: nothing to decide";
  EXPECT_EQ(j["windows"]["offered"].size(), 600u);
  EXPECT_FALSE(to_json(analyze(run.record()), /*compact=*/true).contains("windows"));
}

TEST(SummaryJson, ReadsOfACorrectStoreAreLinearizable) {
  SyntheticRun run;
  run.writes(20 * kMs, always_fast).reads(29 * kMs);
  Summary s = analyze(run.record());
  ASSERT_TRUE(s.linearizable.has_value()) << s.linearizability_detail;
  EXPECT_TRUE(*s.linearizable);
  EXPECT_EQ(to_json(s)["linearizable"], true);
}

TEST(SummaryJson, AStaleReadMakesTheRunNotLinearizable) {
  SyntheticRun run;
  run.writes(20 * kMs, always_fast).reads(29 * kMs, /*stale_at=*/30 * kSec);
  Summary s = analyze(run.record());
  ASSERT_TRUE(s.linearizable.has_value());
  EXPECT_FALSE(*s.linearizable);
  EXPECT_EQ(s.linearizability, "invalid");
  EXPECT_NE(s.linearizability_detail.find("key 'k"), std::string::npos) << s.linearizability_detail;
}

TEST(SummaryJson, TheCheckCanBeSkipped) {
  SyntheticRun run;
  run.writes(20 * kMs, always_fast).reads(29 * kMs, 30 * kSec);
  Summary s = analyze(run.record(), {.check_linearizability = false});
  EXPECT_FALSE(s.linearizable.has_value());
  EXPECT_EQ(s.linearizability, "skipped");
}

TEST(SummaryJson, TheSameRecordAlwaysGivesTheSameSummary) {
  SyntheticRun run;
  run.writes(20 * kMs,
             [](Micros t) {
               return Answer{Outcome::ok, static_cast<Micros>((t * 7919) % (200 * kMs))};
             })
      .reads(29 * kMs);
  EXPECT_EQ(to_json(analyze(run.record())).dump(), to_json(analyze(run.record())).dump());
}

TEST(SummaryJson, InvariantViolationsAreReported) {
  SyntheticRun run;
  run.record().meta.invariant_violations = 1;
  run.record().meta.violation = "election safety: two leaders at term 3 (seed 1)";
  json j = to_json(analyze(run.record()));
  EXPECT_EQ(j["invariant_violations"], 1);
  EXPECT_EQ(j["violation"], "election safety: two leaders at term 3 (seed 1)");
}

}  // namespace
}  // namespace faultline::analysis
