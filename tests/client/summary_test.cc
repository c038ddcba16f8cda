// What the bench reports and what the workload asks for: nearest-rank percentiles, the
// summary of a hand-made run, the per-second CSV, the workload's keys and values, and the
// machine-floor probes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "client/bench_summary.h"
#include "client/machine_floor.h"
#include "client/workload.h"

namespace faultline::client {
namespace {

using record::Operation;
using record::OpKind;
using record::Outcome;

TEST(Percentiles, AreNearestRankNeverInterpolated) {
  std::vector<record::Micros> samples;
  for (int i = 1000; i >= 1; --i) samples.push_back(i);
  LatencyPercentiles p = percentiles(samples);
  EXPECT_EQ(p.count, 1000u);
  EXPECT_EQ(p.p50, 500);
  EXPECT_EQ(p.p90, 900);
  EXPECT_EQ(p.p99, 990);
  EXPECT_EQ(p.p999, 999);
  EXPECT_EQ(p.max, 1000);
  EXPECT_DOUBLE_EQ(p.mean, 500.5);

  std::vector<record::Micros> one{42};
  LatencyPercentiles single = percentiles(one);
  EXPECT_EQ(single.p50, 42);
  EXPECT_EQ(single.p999, 42);
  std::vector<record::Micros> none;
  EXPECT_EQ(percentiles(none).count, 0u);
}

Operation op(OpKind kind, record::Micros intended, record::Micros completed, Outcome outcome,
             std::string error = "") {
  Operation o;
  o.kind = kind;
  o.intended_us = intended;
  o.sent_us = intended;
  o.completed_us = completed;
  o.outcome = outcome;
  o.error = std::move(error);
  return o;
}

DriveResult sample_run() {
  DriveResult run;
  run.started_us = 1'000'000;
  run.finished_us = 3'000'000;
  run.ops = {
      op(OpKind::write, 1'000'000, 1'010'000, Outcome::ok),
      op(OpKind::read, 1'100'000, 1'105'000, Outcome::ok),
      op(OpKind::write, 1'200'000, 2'500'000, Outcome::ok),  // 1.3 s late: counted in second 1
      op(OpKind::write, 1'300'000, -1, Outcome::timeout, "timeout"),
      op(OpKind::write, 2'100'000, 2'100'500, Outcome::fail, "UNAVAILABLE: no leader"),
      op(OpKind::write, 2'200'000, 2'200'600, Outcome::fail, "UNAVAILABLE: no leader"),
  };
  return run;
}

TEST(Summarize, CountsOutcomesAndMeasuresOnlySuccessesFromTheIntendedStart) {
  BenchSummary s = summarize(sample_run());
  EXPECT_EQ(s.total, 6u);
  EXPECT_EQ(s.ok, 3u);
  EXPECT_EQ(s.writes_ok, 2u);
  EXPECT_EQ(s.reads_ok, 1u);
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.timed_out, 1u);
  EXPECT_DOUBLE_EQ(s.seconds, 2.0);
  EXPECT_DOUBLE_EQ(s.ok_per_s, 1.5);
  EXPECT_EQ(s.latency.p50, 10'000);
  EXPECT_EQ(s.latency.max, 1'300'000);
  ASSERT_EQ(s.top_errors.size(), 2u);
  EXPECT_EQ(s.top_errors[0].first, "UNAVAILABLE: no leader");
  EXPECT_EQ(s.top_errors[0].second, 2u);

  auto j = to_json(s);
  EXPECT_EQ(j["ok"], 3);
  EXPECT_EQ(j["latency_us"]["p99.9"], 1'300'000);
  EXPECT_NE(to_text(s).find("1.5 ok/s"), std::string::npos) << to_text(s);
}

TEST(PerSecondCsv, PutsEachOperationInTheSecondItFinished) {
  std::ostringstream out;
  write_per_second_csv(out, sample_run());
  EXPECT_EQ(out.str(),
            "second,ok,failed,timeout,p50_us,p99_us,max_us\n"
            "0,2,0,1,5000,10000,10000\n"
            "1,1,2,0,1300000,1300000,1300000\n");
}

TEST(Workload, IsAPureFunctionOfSeedAndId) {
  WorkloadSpec spec;
  spec.mix = OpMix::mix;
  spec.key_space = 1000;
  spec.seed = 7;
  OpGenerator a(spec), b(spec);
  for (std::uint64_t id = 0; id < 100; ++id) {
    auto x = a.plan(id), y = b.plan(id);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.key, y.key);
    EXPECT_EQ(x.value, y.value);
  }
  spec.seed = 8;
  OpGenerator c(spec);
  int same = 0;
  for (std::uint64_t id = 0; id < 100; ++id) same += a.plan(id).key == c.plan(id).key;
  EXPECT_LT(same, 10);  // another seed, another run
}

TEST(Workload, KeysStayInTheKeySpaceAndValuesAreUniqueAndExactlySized) {
  WorkloadSpec spec;
  spec.key_space = 100;
  spec.value_size = 64;
  OpGenerator gen(spec);
  std::set<std::string> keys, values;
  for (std::uint64_t id = 0; id < 5000; ++id) {
    auto op = gen.plan(id);
    EXPECT_EQ(op.kind, OpKind::write);
    ASSERT_EQ(op.key.size(), std::string("bench/00").size()) << op.key;
    keys.insert(op.key);
    EXPECT_EQ(op.value.size(), 64u);
    values.insert(op.value);
  }
  EXPECT_EQ(keys.size(), 100u);  // 5000 uniform draws hit all 100 keys
  EXPECT_EQ(*keys.begin(), "bench/00");
  EXPECT_EQ(*keys.rbegin(), "bench/99");
  EXPECT_EQ(values.size(), 5000u);
}

TEST(Workload, KeyPerWriteGivesEveryWriteItsOwnKeyAndReadsStillDraw) {
  WorkloadSpec spec;
  spec.mix = OpMix::mix;
  spec.key_per_write = true;
  spec.key_prefix = "rel/";
  spec.key_space = 10;
  OpGenerator gen(spec);
  std::set<std::string> write_keys;
  for (std::uint64_t id = 0; id < 200; ++id) {
    auto op = gen.plan(id);
    if (op.kind == OpKind::write) {
      EXPECT_EQ(op.key, "rel/w" + std::to_string(id));
      write_keys.insert(op.key);
    } else {
      EXPECT_EQ(op.key.size(), std::string("rel/0").size()) << op.key;
    }
  }
  EXPECT_GT(write_keys.size(), 50u);
}

TEST(Workload, MixFollowsTheReadRatio) {
  WorkloadSpec spec;
  spec.mix = OpMix::mix;
  spec.read_ratio = 0.2;
  OpGenerator gen(spec);
  int reads = 0;
  for (std::uint64_t id = 0; id < 10000; ++id) reads += gen.plan(id).kind == OpKind::read;
  EXPECT_NEAR(reads, 2000, 200);
  spec.mix = OpMix::get;
  EXPECT_TRUE(OpGenerator(spec).plan(3).value.empty());
}

TEST(Workload, RefusesSpecsNoRunCouldHonour) {
  WorkloadSpec spec;
  spec.value_size = 0;
  EXPECT_THROW(OpGenerator{spec}, std::invalid_argument);
  spec.value_size = 2 * 1024 * 1024;
  EXPECT_THROW(OpGenerator{spec}, std::invalid_argument);
  spec.value_size = 8;
  spec.key_space = 0;
  EXPECT_THROW(OpGenerator{spec}, std::invalid_argument);
  spec.key_space = 1;
  spec.read_ratio = 1.5;
  EXPECT_THROW(OpGenerator{spec}, std::invalid_argument);
}

TEST(MachineFloor, TimesDurableAppendsAndCleansUp) {
  auto dir = std::filesystem::temp_directory_path() / ("floor-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  FloorSample s = measure_fdatasync(dir, 5);
  EXPECT_EQ(s.count, 5u);
  EXPECT_LE(s.min, s.p50);
  EXPECT_LE(s.p50, s.p99);
  EXPECT_TRUE(std::filesystem::is_empty(dir));  // the probe file is gone
  std::filesystem::remove_all(dir);
  try {
    measure_fdatasync(dir / "missing", 1);
    FAIL() << "wrote into a folder that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

TEST(MachineFloor, TimesWritersSyncingAtOnceTogether) {
  auto dir =
      std::filesystem::temp_directory_path() / ("floor-test-3-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  FloorSample s = measure_fdatasync(dir, 4, 4096, 3);
  EXPECT_EQ(s.count, 12u);  // every writer's samples
  EXPECT_LE(s.min, s.p50);
  EXPECT_LE(s.p50, s.p99);
  EXPECT_TRUE(std::filesystem::is_empty(dir));  // every writer's file is gone
  std::filesystem::remove_all(dir);
  try {
    measure_fdatasync(dir / "missing", 1, 4096, 3);
    FAIL() << "three writers wrote into a folder that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

TEST(MachineFloor, TimesLoopbackRoundTrips) {
  FloorSample s = measure_loopback_rtt(200);
  EXPECT_EQ(s.count, 200u);
  EXPECT_LE(s.min, s.p50);
  EXPECT_LE(s.p50, s.p99);
  EXPECT_LT(s.p50, 10'000);  // a loopback round trip is microseconds, never 10 ms
}

}  // namespace
}  // namespace faultline::client
