// What the figures draw, computed from a run record: fault periods, goodput per window,
// each node's roles and terms over time, elections, and every request's latency. Kept apart
// from the drawing so the numbers can be tested without parsing SVG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "record/run_record.h"

namespace faultline::report {

using record::Micros;
using record::NodeId;

// The paper's goodput, as the analysis counts it: per 100 ms window of intended start, the
// requests that finished OK within 100 ms. The figures draw the analysis' own windows and
// elections, so a figure never disagrees with the table under it.
inline constexpr Micros kGoodputWindowUs = analysis::kWindowUs;
// A record longer than this (about 28 hours) is refused rather than drawn.
inline constexpr Micros kMaxDrawnUs = 100'000'000'000;

// A stretch of time during which one unchanging set of faults was in force.
struct FaultPeriod {
  Micros start_us = 0;
  Micros end_us = 0;
  bool healed = false;   // false: still in force when the run ended
  std::string summary;   // which links, which direction: "cut n1 ↔ n3; loss 70% n2 → n3"
  std::string scenario;  // the scenario's words for the events that started it
};

struct RoleSpan {
  Micros start_us = 0;
  Micros end_us = 0;
  record::Role role = record::Role::follower;
};

struct TermStep {
  Micros at_us = 0;
  std::uint64_t term = 0;
};

struct NodeTimeline {
  NodeId node = 0;
  std::vector<RoleSpan> roles;     // consecutive, merged when the role did not change
  std::vector<TermStep> terms;     // one entry per change of term
  std::vector<Micros> elected_us;  // elections this node won (the analysis' elections)
};

struct LatencyPoint {
  Micros at_us = 0;       // intended start
  Micros latency_us = 0;  // completed - intended; -1 for a timeout (no answer)
  record::Outcome outcome = record::Outcome::ok;
};

// Everything drawn for one run.
struct RunSeries {
  Micros end_us = 0;  // the run's length (at least its last recorded event)
  std::vector<FaultPeriod> faults;
  std::vector<analysis::Window> goodput;
  std::vector<analysis::Election> elections;
  std::vector<NodeTimeline> nodes;  // in the order of meta.nodes, then any others sampled
  std::vector<LatencyPoint> latencies;
  std::uint64_t max_term = 0;
};

// "n3": how nodes are named in figure labels.
std::string node_label(NodeId node);

// `summary` is analysis::analyze(run). Throws ReportError (report_error.h) when the record
// is too long to draw.
RunSeries compute_series(const record::RunRecord& run, const analysis::Summary& summary);

std::vector<FaultPeriod> fault_periods(const record::RunRecord& run, Micros end_us);
std::vector<NodeTimeline> node_timelines(const record::RunRecord& run, Micros end_us,
                                         const std::vector<analysis::Election>& elections);

}  // namespace faultline::report
