// The analysis of a run record (see analysis.h; every rule is stated in docs/analysis.md).
// It works in passes over the record: phase boundaries, then operations (counts, latency,
// goodput windows), then write gaps (downtime), then node samples (elections, terms),
// then the verdict, then linearizability.
#include "analysis/analysis.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "check/linearizability.h"

namespace faultline::analysis {
namespace {

using record::Micros;
using record::NodeSample;
using record::Operation;
using record::OpKind;
using record::Outcome;
using record::Role;

// A gap between successful writes counts as downtime when it is longer than this many
// times the mean interval between offered writes (and never below one goodput window), so
// that an ordinary lull of a slow open-loop load is not mistaken for an outage.
constexpr double kGapIntervals = 4.0;
// Deadlock: the during phase ends with at least this many election timeouts without a
// successful write. Livelock: at least kLivelockElections elections during the fault and
// writes missing for at least kLivelockDowntimeShare of it.
constexpr double kDeadlockTimeouts = 5.0;
constexpr int kLivelockElections = 2;
constexpr double kLivelockDowntimeShare = 0.5;
constexpr Micros kDefaultElectionTimeoutUs = 1'000'000;

double ms(Micros us) { return static_cast<double>(us) / 1000.0; }

// The three phases, each [start, end), covering [0, duration) without overlap.
struct Bounds {
  Micros duration = 0;
  std::array<Micros, 4> cut{};  // phase i is [cut[i], cut[i+1])

  int phase_of(Micros t) const {
    if (t < cut[1]) return 0;
    if (t < cut[2]) return 1;
    return 2;
  }
};

Bounds bounds_of(const record::RunRecord& r) {
  Micros duration = r.meta.duration_us;
  if (duration <= 0) {  // an unfinished record: the latest time it holds
    for (const Operation& op : r.ops)
      duration = std::max({duration, op.intended_us, op.completed_us});
    for (const NodeSample& s : r.samples) duration = std::max(duration, s.time_us);
  }
  Bounds b;
  b.duration = duration;
  Micros first =
      r.meta.first_fault_us < 0 ? duration : std::clamp<Micros>(r.meta.first_fault_us, 0, duration);
  Micros heal =
      r.meta.last_heal_us < 0 ? duration : std::clamp<Micros>(r.meta.last_heal_us, first, duration);
  b.cut = {0, first, heal, duration};
  return b;
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

bool answered_within(const Operation& op, Micros limit) {
  return op.completed_us >= 0 && op.completed_us - op.intended_us <= limit;
}

// Counts, latency and goodput of the operations, per phase and per window.
void analyze_ops(const record::RunRecord& r, const Bounds& b, std::array<Phase*, 3>& phases,
                 std::vector<Window>& windows) {
  auto window_count = static_cast<std::size_t>((b.duration + kWindowUs - 1) / kWindowUs);
  windows.assign(window_count, Window{});
  for (std::size_t i = 0; i < window_count; ++i)
    windows[i].start_us = static_cast<Micros>(i) * kWindowUs;
  auto window_of = [&](Micros t) -> Window* {
    if (t < 0 || windows.empty()) return nullptr;
    return &windows[std::min<std::size_t>(static_cast<std::size_t>(t / kWindowUs),
                                          windows.size() - 1)];
  };

  std::array<std::vector<double>, 3> latencies;
  std::array<std::uint64_t, 3> on_time{};
  for (const Operation& op : r.ops) {
    int p = b.phase_of(op.intended_us);
    Phase& phase = *phases[p];
    ++phase.ops_offered;
    bool ok = op.outcome == Outcome::ok && op.completed_us >= 0;
    bool timely = ok && answered_within(op, kDelayedUs);
    if (ok) {
      ++phase.ops_ok;
      latencies[p].push_back(ms(op.completed_us - op.intended_us));
    } else {
      ++phase.ops_failed;
      if (op.outcome == Outcome::timeout) ++phase.ops_timed_out;
    }
    if (!answered_within(op, kDelayedUs)) ++phase.ops_delayed;
    if (timely) ++on_time[p];
    if (Window* w = window_of(op.intended_us)) {
      ++w->offered;
      if (timely) ++w->on_time;
      if (!ok) ++w->failed;
    }
    if (ok && op.kind == OpKind::write) {
      if (Window* w = window_of(op.completed_us)) ++w->writes_done;
    }
  }
  for (int p = 0; p < 3; ++p) {
    Phase& phase = *phases[p];
    std::sort(latencies[p].begin(), latencies[p].end());
    phase.latency = {percentile(latencies[p], 0.50), percentile(latencies[p], 0.99),
                     latencies[p].empty() ? 0 : latencies[p].back()};
    phase.goodput_ratio = phase.ops_offered == 0 ? 0
                                                 : static_cast<double>(on_time[p]) /
                                                       static_cast<double>(phase.ops_offered);
  }
}

// The load span and the gaps between successful write completions inside it. Without any
// write in the load, successful reads stand in (a read-only load still shows an outage).
struct Gaps {
  bool has_load = false;
  Micros load_start = 0, load_end = 0;
  Micros threshold = kWindowUs;
  std::vector<Micros> progress;  // completion times of successful writes, sorted
  std::vector<Gap> gaps;
};

Gaps find_gaps(const record::RunRecord& r) {
  Gaps g;
  bool any_write = std::any_of(r.ops.begin(), r.ops.end(),
                               [](const Operation& op) { return op.kind == OpKind::write; });
  std::size_t offered = 0;
  for (const Operation& op : r.ops) {
    if (any_write && op.kind != OpKind::write) continue;
    if (offered == 0) g.load_start = g.load_end = op.intended_us;
    ++offered;
    g.load_start = std::min(g.load_start, op.intended_us);
    g.load_end = std::max(g.load_end, op.intended_us);
    if (op.outcome == Outcome::ok && op.completed_us >= 0) g.progress.push_back(op.completed_us);
  }
  if (offered == 0) return g;
  g.has_load = true;
  std::sort(g.progress.begin(), g.progress.end());
  if (offered > 1) {
    double interval =
        static_cast<double>(g.load_end - g.load_start) / static_cast<double>(offered - 1);
    g.threshold = std::max<Micros>(kWindowUs, static_cast<Micros>(kGapIntervals * interval));
  }
  // The load's start and end act as progress, so an outage at either edge is a gap too.
  Micros previous = g.load_start;
  auto consider = [&](Micros next) {
    if (next - previous > g.threshold) g.gaps.push_back({previous, next});
    previous = std::max(previous, next);
  };
  for (Micros t : g.progress) {
    if (t >= g.load_end) break;
    consider(t);
  }
  consider(g.load_end);
  return g;
}

void apply_gaps(const Gaps& g, const Bounds& b, std::array<Phase*, 3>& phases) {
  for (int p = 0; p < 3; ++p) {
    Phase& phase = *phases[p];
    Micros total = 0, longest = 0;
    for (const Gap& gap : g.gaps) {
      Micros overlap = std::min(gap.end_us, b.cut[p + 1]) - std::max(gap.start_us, b.cut[p]);
      if (overlap <= 0) continue;
      total += overlap;
      longest = std::max(longest, overlap);
    }
    phase.downtime_ms = ms(total);
    phase.longest_gap_ms = ms(longest);
  }
}

// Elections, leader changes and terms from the node samples. A new leader is a (leader,
// term) pair first seen: a node reporting itself leader, or a follower reporting whom it
// follows. Dense samples repeat pairs already seen; sparse samples (every 100 ms) may only
// catch a short-lived leader through its followers, or not at all.
void analyze_samples(const record::RunRecord& r, const Bounds& b, std::array<Phase*, 3>& phases,
                     Summary& s) {
  std::vector<const NodeSample*> samples;
  samples.reserve(r.samples.size());
  for (const NodeSample& x : r.samples) samples.push_back(&x);
  std::stable_sort(samples.begin(), samples.end(), [](const NodeSample* a, const NodeSample* c) {
    return a->time_us < c->time_us;
  });

  std::set<std::pair<record::NodeId, std::uint64_t>> seen;
  std::map<record::NodeId, std::uint64_t> node_terms;
  for (record::NodeId id : r.meta.nodes) node_terms[id] = 0;
  std::array<std::uint64_t, 3> phase_max{};
  record::NodeId previous_leader = 0;
  for (const NodeSample* x : samples) {
    int p = b.phase_of(x->time_us);
    phase_max[p] = std::max(phase_max[p], x->term);
    node_terms[x->node] = std::max(node_terms[x->node], x->term);
    record::NodeId leader = 0;
    if (x->role == Role::leader) {
      leader = x->node;
    } else if (x->role == Role::follower) {
      leader = x->leader;
    }
    if (leader == 0 || !seen.insert({leader, x->term}).second) continue;
    s.elections.push_back({x->time_us, leader, x->term});
    ++phases[p]->elections;
    if (leader != previous_leader) ++phases[p]->leader_changes;
    previous_leader = leader;
  }
  std::uint64_t running = 0;
  for (int p = 0; p < 3; ++p) {
    std::uint64_t at_start = running;
    running = std::max(running, phase_max[p]);
    phases[p]->max_term = running;
    phases[p]->term_increase = running - at_start;
  }
  for (const auto& [id, term] : node_terms) s.nodes.push_back({id, term});
}

std::string fmt_ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f ms", v);
  return buf;
}

// The verdict rules of docs/analysis.md, in order: deadlock, livelock, stable, disrupted.
void decide_verdict(const Gaps& g, const Bounds& b, Summary& s) {
  // A record without a timeout (hand-made, or an old lab run) is judged by etcd's default.
  const Micros et = s.election_timeout_us > 0 ? s.election_timeout_us : kDefaultElectionTimeoutUs;
  const Phase& during = s.during;
  const Micros during_len = b.cut[2] - b.cut[1];
  const bool load_during = g.has_load && g.load_start < b.cut[2] && g.load_end > b.cut[1];

  if (load_during && during_len > 0) {
    // The stretch at the end of the fault (or of the load, if it stopped first) after the
    // last successful write that completed inside the fault.
    Micros stretch_end = std::min(b.cut[2], g.load_end);
    Micros last = std::max(b.cut[1], g.load_start);
    for (Micros t : g.progress) {
      if (t >= b.cut[1] && t < b.cut[2]) last = std::max(last, t);
    }
    Micros stuck = stretch_end - last;
    if (static_cast<double>(stuck) >= kDeadlockTimeouts * static_cast<double>(et)) {
      s.verdict = Verdict::deadlock;
      s.verdict_reason = "no write succeeded in the last " + fmt_ms(ms(stuck)) +
                         " of the fault (at least " + std::to_string(int(kDeadlockTimeouts)) +
                         " election timeouts)";
      return;
    }
    if (during.elections >= kLivelockElections &&
        during.downtime_ms >= kLivelockDowntimeShare * ms(during_len)) {
      s.verdict = Verdict::livelock;
      s.verdict_reason = std::to_string(during.elections) + " elections during the fault and no " +
                         "write for " + fmt_ms(during.downtime_ms) + " of its " +
                         fmt_ms(ms(during_len));
      return;
    }
  }
  int elections = during.elections + s.after.elections;
  double longest = std::max(during.longest_gap_ms, s.after.longest_gap_ms);
  if (elections == 0 && longest <= ms(et)) {
    s.verdict = Verdict::stable;
    s.verdict_reason = "no election during or after the fault, longest write gap " +
                       fmt_ms(longest) + " (at most one election timeout)";
    return;
  }
  s.verdict = Verdict::disrupted;
  s.verdict_reason = std::to_string(elections) + " election(s) during or after the fault, " +
                     "longest write gap " + fmt_ms(longest) + ", but writes kept succeeding";
}

void check_linearizability(const record::RunRecord& r, const Options& o, Summary& s) {
  if (!o.check_linearizability) {
    s.linearizability = "skipped";
    s.linearizability_detail = "not requested";
    return;
  }
  check::CheckResult result = check::check_history(r.ops, {.step_budget = o.lin_step_budget});
  if (result.verdict == check::Verdict::valid && result.reads_checked == 0) {
    s.linearizability = "skipped";
    s.linearizability_detail = "no successful read: nothing can contradict the writes";
    return;
  }
  s.linearizability = std::string(check::to_string(result.verdict));
  s.linearizability_detail = result.detail;
  if (result.verdict != check::Verdict::unknown)
    s.linearizable = result.verdict == check::Verdict::valid;
}

}  // namespace

Summary analyze(const record::RunRecord& r, const Options& options) {
  Summary s;
  s.scenario = r.meta.scenario;
  s.driver = r.meta.driver;
  s.system = r.meta.system;
  s.profile = r.meta.profile;
  s.seed = r.meta.seed;
  s.invariant_violations = r.meta.invariant_violations;
  s.violation = r.meta.violation;
  s.election_timeout_us = r.meta.election_timeout_us;

  const Bounds b = bounds_of(r);
  s.duration_us = b.duration;
  std::array<Phase*, 3> phases = {&s.before, &s.during, &s.after};
  const std::array<const char*, 3> names = {"before", "during", "after"};
  for (int p = 0; p < 3; ++p) {
    phases[p]->name = names[p];
    phases[p]->start_us = b.cut[p];
    phases[p]->end_us = b.cut[p + 1];
  }

  analyze_ops(r, b, phases, s.windows);
  Gaps gaps = find_gaps(r);
  s.gap_threshold_us = gaps.threshold;
  s.gaps = gaps.gaps;
  apply_gaps(gaps, b, phases);
  analyze_samples(r, b, phases, s);
  decide_verdict(gaps, b, s);
  check_linearizability(r, options, s);
  return s;
}

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::stable:
      return "stable";
    case Verdict::disrupted:
      return "disrupted";
    case Verdict::livelock:
      return "livelock";
    case Verdict::deadlock:
      return "deadlock";
  }
  return "unknown";
}

std::optional<Verdict> verdict_from(std::string_view s) {
  for (Verdict v : {Verdict::stable, Verdict::disrupted, Verdict::livelock, Verdict::deadlock}) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

std::string majority_verdict(const std::map<std::string, int>& counts) {
  auto severity = [](std::string_view verdict) {
    const auto v = verdict_from(verdict);
    return v ? static_cast<int>(*v) : -1;
  };
  std::string best;
  int best_count = 0;
  for (const auto& [verdict, count] : counts)
    if (count > best_count || (count == best_count && severity(verdict) > severity(best))) {
      best = verdict;
      best_count = count;
    }
  return best;
}

}  // namespace faultline::analysis
