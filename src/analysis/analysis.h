// The analysis of one run record: per phase (before the first fault, during the faults,
// after the last heal) it counts elections and leader changes, measures term inflation,
// write downtime, goodput as the seed paper drew it and latency, checks the history for
// linearizability, and gives the run one verdict. The simulator, the lab and the report
// all use this one definition; docs/analysis.md states every rule and why.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "record/run_record.h"

namespace faultline::analysis {

// The paper's yardsticks: goodput is counted in 100 ms windows, and a request that has no
// answer 100 ms after its intended start is "delayed".
inline constexpr record::Micros kWindowUs = 100'000;
inline constexpr record::Micros kDelayedUs = 100'000;

// Latency of successful operations, from the intended start (open loop: the time a request
// waited behind a stalled client counts, so there is no coordinated omission).
struct Latency {
  double p50_ms = 0;  // all 0 when the phase has no successful operation
  double p99_ms = 0;
  double max_ms = 0;
};

struct Phase {  // one of before / during / after
  std::string name;
  record::Micros start_us = 0;
  record::Micros end_us = 0;        // exclusive; start_us == end_us for an empty phase
  int elections = 0;                // new (leader, term) pairs first seen inside the phase
  int leader_changes = 0;           // elections whose leader differs from the previous leader
  std::uint64_t term_increase = 0;  // max_term at the phase's end minus at its start
  std::uint64_t max_term = 0;       // highest term any node reached by the phase's end
  double downtime_ms = 0;           // time inside the phase covered by write gaps
  double longest_gap_ms = 0;        // longest write gap overlapping the phase (clipped)
  std::uint64_t ops_ok = 0;
  std::uint64_t ops_failed = 0;   // not ok: refused (fail) or unknown (timeout)
  std::uint64_t ops_delayed = 0;  // no answer within kDelayedUs of the intended start
  double goodput_ratio = 0;       // share of offered ops that were ok within kDelayedUs
  Latency latency;
  // Extras (not required by the JSON schema, kept for reports).
  std::uint64_t ops_offered = 0;    // ops whose intended start lies in the phase
  std::uint64_t ops_timed_out = 0;  // the part of ops_failed with an unknown outcome
};

enum class Verdict { stable, disrupted, livelock, deadlock };

struct NodeSummary {
  record::NodeId id = 0;
  std::uint64_t max_term = 0;
};

// One 100 ms window of the goodput series (the paper's figure), aligned to the run start.
struct Window {
  record::Micros start_us = 0;
  std::uint32_t offered = 0;      // ops whose intended start lies in the window
  std::uint32_t on_time = 0;      // of those, ok within kDelayedUs
  std::uint32_t failed = 0;       // of those, not ok
  std::uint32_t writes_done = 0;  // successful writes that *completed* in the window
};

// A new leader, as the node samples first showed it.
struct Election {
  record::Micros time_us = 0;  // time of the first sample showing it
  record::NodeId leader = 0;
  std::uint64_t term = 0;
};

// A stretch with no successful write completing (see docs/analysis.md for the threshold).
struct Gap {
  record::Micros start_us = 0;
  record::Micros end_us = 0;
};

struct Summary {
  std::string scenario, driver, system, profile;
  std::uint64_t seed = 0;
  Verdict verdict = Verdict::stable;
  std::string verdict_reason;  // one sentence: which rule decided the verdict
  Phase before, during, after;
  std::vector<NodeSummary> nodes;
  std::optional<bool> linearizable;    // nullopt: no reads, not checked, or undecided
  std::string linearizability;         // "valid" | "invalid" | "unknown" | "skipped"
  std::string linearizability_detail;  // the witness when invalid, the reason otherwise
  std::uint64_t invariant_violations = 0;
  std::string violation;  // the first invariant violation, as the driver recorded it
  record::Micros duration_us = 0;
  record::Micros election_timeout_us = 0;
  record::Micros gap_threshold_us = 0;  // gaps longer than this count as downtime
  std::vector<Window> windows;
  std::vector<Election> elections;  // every election of the run, in time order
  std::vector<Gap> gaps;            // every downtime gap of the run, in time order
};

struct Options {
  bool check_linearizability = true;
  // Search steps the linearizability checker may take before answering "unknown".
  std::uint64_t lin_step_budget = 1'000'000;
};

// Pure function of the record: the same record always gives the same summary.
Summary analyze(const record::RunRecord& record, const Options& options = {});

// The summary as the `--json` schema (docs/analysis.md); extra keys beyond the schema are
// allowed and present (windows, elections, gaps, ...) unless `compact` is set.
nlohmann::json to_json(const Summary& summary, bool compact = false);

std::string_view to_string(Verdict v);
std::optional<Verdict> verdict_from(std::string_view s);

// The verdict most of several runs gave (`counts`: verdict -> runs); on a tie the worse
// (stable < disrupted < livelock < deadlock), so one livelocked run among as many disrupted
// ones is not hidden. Empty when no run is counted.
std::string majority_verdict(const std::map<std::string, int>& counts);

}  // namespace faultline::analysis
