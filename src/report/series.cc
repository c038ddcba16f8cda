#include "report/series.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "report/report_error.h"

namespace faultline::report {

using record::FaultKind;
using record::Outcome;
using record::Role;

std::string node_label(NodeId node) { return fmt::format("n{}", node); }

namespace {

Micros last_event_us(const record::RunRecord& run) {
  Micros end = std::max<Micros>(run.meta.duration_us, 0);
  // Intended starts, not completions: an answer arriving after the run's end must not
  // stretch the time axis that every figure of a comparison shares.
  for (const auto& op : run.ops) end = std::max(end, op.intended_us);
  if (!run.samples.empty()) end = std::max(end, run.samples.back().time_us);
  if (!run.faults.empty()) end = std::max(end, run.faults.back().time_us);
  return end;
}

// A link condition in force: a clean cut, a lossy link or an added delay.
struct LinkCondition {
  FaultKind kind = FaultKind::cut;
  double loss = 0;
  Micros delay_us = 0;
  bool operator==(const LinkCondition&) const = default;
};

// Everything in force at one moment; periods begin and end where this changes.
struct FaultState {
  std::map<std::pair<NodeId, NodeId>, LinkCondition> links;
  std::set<NodeId> crashed;
  std::set<NodeId> paused;
  bool empty() const { return links.empty() && crashed.empty() && paused.empty(); }
  bool operator==(const FaultState&) const = default;
};

void apply(FaultState& state, const record::FaultEvent& event) {
  switch (event.kind) {
    case FaultKind::cut:
    case FaultKind::loss:
    case FaultKind::delay:
      for (const auto& link : event.links) {
        state.links[{link.from, link.to}] = {event.kind, event.loss, event.delay_us};
      }
      break;
    case FaultKind::heal:
      // A heal that names no links heals every link, as the scenario's bare `heal` does.
      if (event.links.empty()) state.links.clear();
      for (const auto& link : event.links) state.links.erase({link.from, link.to});
      break;
    case FaultKind::crash:
      state.crashed.insert(event.nodes.begin(), event.nodes.end());
      break;
    case FaultKind::restart:
      for (NodeId n : event.nodes) state.crashed.erase(n);
      break;
    case FaultKind::pause:
      state.paused.insert(event.nodes.begin(), event.nodes.end());
      break;
    case FaultKind::resume:
      for (NodeId n : event.nodes) state.paused.erase(n);
      break;
  }
}

std::string condition_name(const LinkCondition& c) {
  switch (c.kind) {
    case FaultKind::loss:
      return fmt::format("loss {:.0f}%", c.loss * 100);
    case FaultKind::delay:
      return fmt::format("delay +{} ms", c.delay_us / 1000);
    default:
      return "cut";
  }
}

std::string node_list(const std::set<NodeId>& nodes) {
  std::string out;
  for (NodeId n : nodes) out += (out.empty() ? "" : ", ") + node_label(n);
  return out;
}

// "cut n1 ↔ n3; loss 70% n2 → n3; crashed n2": a pair cut both ways with the same condition
// is one "↔"; a one-way cut names the direction the packets travel.
std::string describe(const FaultState& state) {
  std::map<std::string, std::vector<std::string>> by_condition;  // sorted, so deterministic
  for (const auto& [link, condition] : state.links) {
    auto [from, to] = link;
    auto reverse = state.links.find({to, from});
    bool both_ways = reverse != state.links.end() && reverse->second == condition;
    if (both_ways && from > to) continue;  // already named from the other side
    by_condition[condition_name(condition)].push_back(
        fmt::format("{} {} {}", node_label(from), both_ways ? "↔" : "→", node_label(to)));
  }
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  for (const auto& [name, links] : by_condition) {
    std::string joined;
    for (const auto& l : links) joined += (joined.empty() ? "" : ", ") + l;
    add(name + " " + joined);
  }
  if (!state.crashed.empty()) add("crashed " + node_list(state.crashed));
  if (!state.paused.empty()) add("paused " + node_list(state.paused));
  return out;
}

}  // namespace

std::vector<FaultPeriod> fault_periods(const record::RunRecord& run, Micros end_us) {
  std::vector<FaultPeriod> periods;
  bool open = false;  // whether periods.back() is still in force
  FaultState state;
  std::size_t i = 0;
  while (i < run.faults.size()) {
    // Every event at the same instant is one change: a "cut" and a "heal" together must not
    // produce a zero-length period.
    Micros at = run.faults[i].time_us;
    FaultState before = state;
    std::string words;
    for (; i < run.faults.size() && run.faults[i].time_us == at; ++i) {
      apply(state, run.faults[i]);
      if (!run.faults[i].label.empty()) {
        words += (words.empty() ? "" : "; ") + run.faults[i].label;
      }
    }
    if (state == before) continue;
    if (open) {
      periods.back().end_us = at;
      periods.back().healed = state.empty();  // a change to other faults is not a heal
    }
    open = !state.empty();
    if (open) periods.push_back({at, end_us, false, describe(state), words});
  }
  return periods;
}

std::vector<NodeTimeline> node_timelines(const record::RunRecord& run, Micros end_us,
                                         const std::vector<analysis::Election>& elections) {
  // Nodes in meta order first, then any node that appears only in the samples.
  std::vector<NodeId> order = run.meta.nodes;
  for (const auto& s : run.samples) {
    if (std::find(order.begin(), order.end(), s.node) == order.end()) order.push_back(s.node);
  }
  std::vector<NodeTimeline> timelines;
  for (NodeId node : order) {
    NodeTimeline t;
    t.node = node;
    for (const auto& s : run.samples) {
      if (s.node != node) continue;
      if (!t.roles.empty()) t.roles.back().end_us = s.time_us;
      if (t.roles.empty() || t.roles.back().role != s.role) {
        t.roles.push_back({s.time_us, s.time_us, s.role});
      }
      if (t.terms.empty() || t.terms.back().term != s.term) t.terms.push_back({s.time_us, s.term});
    }
    if (!t.roles.empty()) t.roles.back().end_us = std::max(end_us, t.roles.back().start_us);
    for (const auto& e : elections) {
      if (e.leader == node) t.elected_us.push_back(e.time_us);
    }
    timelines.push_back(std::move(t));
  }
  return timelines;
}

RunSeries compute_series(const record::RunRecord& run, const analysis::Summary& summary) {
  RunSeries series;
  series.end_us = last_event_us(run);
  if (series.end_us > kMaxDrawnUs) {
    throw ReportError(fmt::format("the run lasts {} s, longer than the report can draw",
                                  series.end_us / 1'000'000));
  }
  series.goodput = summary.windows;
  series.elections = summary.elections;
  series.faults = fault_periods(run, series.end_us);
  series.nodes = node_timelines(run, series.end_us, summary.elections);
  for (const auto& s : run.samples) series.max_term = std::max(series.max_term, s.term);
  series.latencies.reserve(run.ops.size());
  for (const auto& op : run.ops) {
    Micros latency =
        op.completed_us >= 0 ? std::max<Micros>(op.completed_us - op.intended_us, 0) : -1;
    if (op.outcome == Outcome::timeout) latency = -1;
    series.latencies.push_back({op.intended_us, latency, op.outcome});
  }
  return series;
}

}  // namespace faultline::report
