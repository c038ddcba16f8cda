// The analysis summary as JSON: the schema of `faultline sim --json` (docs/analysis.md),
// plus extra keys for reports (the goodput windows, the elections, the downtime gaps).
#include <cmath>

#include "analysis/analysis.h"

namespace faultline::analysis {
namespace {

using nlohmann::json;

double ms(record::Micros us) { return static_cast<double>(us) / 1000.0; }

// Milliseconds rounded to a microsecond, so the JSON does not carry binary noise.
double round_ms(double v) { return std::round(v * 1000.0) / 1000.0; }

json phase_json(const Phase& p) {
  return {
      {"start_ms", ms(p.start_us)},
      {"end_ms", ms(p.end_us)},
      {"elections", p.elections},
      {"leader_changes", p.leader_changes},
      {"term_increase", p.term_increase},
      {"max_term", p.max_term},
      {"downtime_ms", round_ms(p.downtime_ms)},
      {"longest_gap_ms", round_ms(p.longest_gap_ms)},
      {"ops_ok", p.ops_ok},
      {"ops_failed", p.ops_failed},
      {"ops_delayed", p.ops_delayed},
      {"goodput_ratio", std::round(p.goodput_ratio * 1e6) / 1e6},
      {"latency_ms",
       {{"p50", round_ms(p.latency.p50_ms)},
        {"p99", round_ms(p.latency.p99_ms)},
        {"max", round_ms(p.latency.max_ms)}}},
      {"ops_offered", p.ops_offered},
      {"ops_timed_out", p.ops_timed_out},
  };
}

// Column-wise, so a 60 s run's 600 windows stay a few kilobytes.
json windows_json(const std::vector<Window>& windows) {
  json start = json::array(), offered = json::array(), on_time = json::array(),
       failed = json::array(), writes_done = json::array();
  for (const Window& w : windows) {
    start.push_back(ms(w.start_us));
    offered.push_back(w.offered);
    on_time.push_back(w.on_time);
    failed.push_back(w.failed);
    writes_done.push_back(w.writes_done);
  }
  return {{"window_ms", ms(kWindowUs)}, {"start_ms", start}, {"offered", offered},
          {"on_time", on_time},         {"failed", failed},  {"writes_done", writes_done}};
}

}  // namespace

json to_json(const Summary& s, bool compact) {
  json nodes = json::array();
  for (const NodeSummary& n : s.nodes) nodes.push_back({{"id", n.id}, {"max_term", n.max_term}});
  json j = {
      {"scenario", s.scenario},
      {"driver", s.driver},
      {"system", s.system},
      {"profile", s.profile},
      {"seed", s.seed},
      {"verdict", to_string(s.verdict)},
      {"verdict_reason", s.verdict_reason},
      {"phases",
       {{"before", phase_json(s.before)},
        {"during", phase_json(s.during)},
        {"after", phase_json(s.after)}}},
      {"nodes", nodes},
      {"linearizable", s.linearizable ? json(*s.linearizable) : json(nullptr)},
      {"linearizability", {{"result", s.linearizability}, {"detail", s.linearizability_detail}}},
      {"invariant_violations", s.invariant_violations},
      {"violation", s.violation},
      {"duration_ms", ms(s.duration_us)},
      {"election_timeout_ms", ms(s.election_timeout_us)},
      {"gap_threshold_ms", ms(s.gap_threshold_us)},
  };
  if (compact) return j;
  json elections = json::array();
  for (const Election& e : s.elections) {
    elections.push_back({{"time_ms", ms(e.time_us)}, {"leader", e.leader}, {"term", e.term}});
  }
  json gaps = json::array();
  for (const Gap& g : s.gaps)
    gaps.push_back({{"start_ms", ms(g.start_us)}, {"end_ms", ms(g.end_us)}});
  j["elections"] = elections;
  j["gaps"] = gaps;
  j["windows"] = windows_json(s.windows);
  return j;
}

}  // namespace faultline::analysis
