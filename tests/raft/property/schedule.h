// One random schedule of the property tests: a seeded generator drives an in-process
// cluster through ticks, proposals, deliveries in random order, drops, duplicates, directed
// link cuts and heals, crashes and restarts, compactions, campaigns, reads and leader
// transfers, and the SafetyChecker looks at every node a step touched, after every step.
// The same spec replays the same schedule exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "raft/config.h"
#include "raft/testing/safety_checker.h"

namespace faultline::raft::property {

struct ScheduleSpec {
  Switches switches;
  int nodes = 3;
  std::uint64_t seed = 1;
  int steps = 400;
  // Fault injection for the test of the tests: on restart the node's disk "forgets" the
  // vote it persisted, which Raft needs to stay safe. Never set in the real property runs.
  bool forget_vote_on_restart = false;
};

// What a schedule exercised: summed over many schedules, it shows the runs were not idle
// (a test that never elects a leader would check nothing).
struct ScheduleStats {
  std::uint64_t leaders_elected = 0;    // distinct (term, leader) pairs seen
  std::uint64_t entries_committed = 0;  // highest committed index reached
  std::uint64_t messages_delivered = 0;
  std::uint64_t crashes = 0;
  std::uint64_t snapshots_restored = 0;
  std::uint64_t compactions = 0;

  ScheduleStats& operator+=(const ScheduleStats& o);
};

struct ScheduleResult {
  std::optional<testing::Violation> violation;
  int step = 0;  // the step after which the violation was seen (1-based)
  // The last actions before the violation, oldest first, to read how it came about.
  std::vector<std::string> recent_actions;
  ScheduleStats stats;
};

ScheduleResult run_schedule(const ScheduleSpec& spec);

// "pre_vote+check_quorum" (or "none"): how a failure names its switch combination.
std::string describe_switches(const Switches& s);

}  // namespace faultline::raft::property
