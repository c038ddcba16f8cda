// The Raft safety properties under random schedules, for 3 and 5 nodes and every valid
// combination of the four switches. Each (size, combination) is its own test so ctest runs
// them in parallel; together they run FAULTLINE_PROPERTY_SCHEDULES schedules (default
// 10000, 1000 in a sanitizer build), spread evenly.
//
// A failure prints the seed and how to replay just that schedule:
//   FAULTLINE_PROPERTY_SEED=<seed> ./raft_property_tests
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>
#include <vector>

#include "property/schedule.h"
#include "raft/raw_node.h"
#include "raft/storage.h"

namespace faultline::raft::property {
namespace {

struct Shard {
  int nodes = 3;
  Switches switches;
  std::size_t index = 0;  // position among all shards: spreads the schedule count and seeds
};

Switches switches_of(unsigned bits) {
  Switches s;
  s.pre_vote = (bits & 1u) != 0;
  s.check_quorum = (bits & 2u) != 0;
  s.vote_lease = (bits & 4u) != 0;
  s.prevote_requires_no_leader = (bits & 8u) != 0;
  return s;
}

// The thesis PreVote refines PreVote, so prevote_requires_no_leader without pre_vote is
// not a configuration but an error (InvalidCombinations below): 12 of the 16 combinations
// are valid, and those are the ones the schedules run.
bool valid(const Switches& s) { return !s.prevote_requires_no_leader || s.pre_vote; }

std::vector<Shard> all_shards() {
  std::vector<Shard> shards;
  for (int nodes : {3, 5}) {
    for (unsigned bits = 0; bits < 16; ++bits) {
      Switches s = switches_of(bits);
      if (!valid(s)) continue;
      shards.push_back(Shard{nodes, s, shards.size()});
    }
  }
  return shards;
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  unsigned long long n = std::strtoull(v, &end, 10);
  if (end == nullptr || *end != '\0') {
    std::fprintf(stderr, "%s=%s is not a number; using %llu\n", name, v,
                 static_cast<unsigned long long>(fallback));
    return fallback;
  }
  return n;
}

std::uint64_t total_schedules() {
  return env_number("FAULTLINE_PROPERTY_SCHEDULES", FAULTLINE_PROPERTY_DEFAULT_SCHEDULES);
}

// Seeds are fixed: schedule i of shard k always has the same seed, whatever the total.
std::uint64_t seed_of(const Shard& shard, std::uint64_t i) {
  return (static_cast<std::uint64_t>(shard.index) + 1) * 1'000'000'000ull + i;
}

std::string shard_name(const Shard& s) {
  // Appended piece by piece: GCC 12 at -O3 warns, falsely, about `"n" + string`.
  std::string name = "n";
  name += std::to_string(s.nodes);
  name += '_';
  name += describe_switches(s.switches);
  for (char& c : name) {
    if (c == '+') c = '_';
  }
  return name;
}

// gtest prints a failing parameter with this instead of its bytes.
void PrintTo(const Shard& s, std::ostream* os) { *os << shard_name(s); }

class RaftSafety : public ::testing::TestWithParam<Shard> {};

TEST_P(RaftSafety, HoldsUnderRandomSchedules) {
  const Shard& shard = GetParam();
  const std::size_t shards = all_shards().size();
  const std::uint64_t total = total_schedules();
  std::uint64_t count = total / shards + (shard.index < total % shards ? 1 : 0);

  // Replaying one seed: it names its shard (see seed_of), so the other shards skip.
  const std::uint64_t replay = env_number("FAULTLINE_PROPERTY_SEED", 0);
  std::uint64_t first = 0;
  if (replay != 0) {
    if (replay < seed_of(shard, 0) || replay >= seed_of(shard, 0) + 1'000'000'000ull) {
      GTEST_SKIP() << "replaying seed " << replay << ", which belongs to another shard";
    }
    first = replay - seed_of(shard, 0);
    count = 1;
  }

  ScheduleStats stats;
  for (std::uint64_t i = first; i < first + count; ++i) {
    ScheduleSpec spec;
    spec.switches = shard.switches;
    spec.nodes = shard.nodes;
    spec.seed = seed_of(shard, i);
    spec.steps = shard.nodes == 3 ? 1200 : 1600;
    ScheduleResult r = run_schedule(spec);
    stats += r.stats;
    if (r.violation) {
      std::string actions;
      for (const std::string& a : r.recent_actions) actions += "\n    " + a;
      FAIL() << "safety violation with " << shard.nodes << " nodes, switches "
             << describe_switches(shard.switches) << ", seed " << spec.seed << ", at step "
             << r.step << ":\n  " << r.violation->describe() << "\n  the last actions:" << actions
             << "\n  replay: FAULTLINE_PROPERTY_SEED=" << spec.seed
             << " ./raft_property_tests --gtest_filter='*/" << shard_name(shard) << "'";
    }
  }
  std::printf(
      "%llu schedules: %llu leaders elected, %llu entries committed, %llu messages, "
      "%llu crashes, %llu compactions, %llu snapshot restores\n",
      static_cast<unsigned long long>(count),
      static_cast<unsigned long long>(stats.leaders_elected),
      static_cast<unsigned long long>(stats.entries_committed),
      static_cast<unsigned long long>(stats.messages_delivered),
      static_cast<unsigned long long>(stats.crashes),
      static_cast<unsigned long long>(stats.compactions),
      static_cast<unsigned long long>(stats.snapshots_restored));
  // The schedules must have done something worth checking: most of them elect a leader
  // and commit entries. A runner that stopped driving the cluster would fail here.
  if (count >= 20) {
    EXPECT_GE(stats.leaders_elected, count) << "the schedules hardly elected anyone";
    EXPECT_GE(stats.entries_committed, 3 * count) << "the schedules hardly committed anything";
    EXPECT_GT(stats.snapshots_restored, 0u) << "no schedule ever caught a node up by snapshot";
  }
}

INSTANTIATE_TEST_SUITE_P(Schedules, RaftSafety, ::testing::ValuesIn(all_shards()),
                         [](const ::testing::TestParamInfo<Shard>& info) {
                           return shard_name(info.param);
                         });

// The four combinations with prevote_requires_no_leader but no pre_vote are refused, with
// a message, before any node exists: they are not silently run as something else.
TEST(RaftSafetySwitches, InvalidCombinationsAreRejected) {
  int invalid = 0;
  for (unsigned bits = 0; bits < 16; ++bits) {
    Config config;
    config.id = 1;
    config.peers = {1, 2, 3};
    config.switches = switches_of(bits);
    if (valid(config.switches)) {
      EXPECT_TRUE(validate(config).empty()) << describe_switches(config.switches);
      continue;
    }
    ++invalid;
    EXPECT_FALSE(validate(config).empty()) << describe_switches(config.switches);
    MemoryStorage storage;
    EXPECT_THROW(RawNode(config, storage), ConfigError) << describe_switches(config.switches);
  }
  EXPECT_EQ(invalid, 4);
}

}  // namespace
}  // namespace faultline::raft::property
