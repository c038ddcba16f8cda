// `faultline sim SCENARIO`: runs a scenario in the simulator for one or more profiles and
// seeds (in parallel on every core), analyses each run, and prints a table (one row per
// profile, aggregated over seeds) or, with --json, one JSON object per run.
// Exit codes: 0 every run safe, 1 an invariant violation or a non-linearizable history,
// 2 could not run (bad scenario, unknown profile).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "check/history_json.h"
#include "cli/command.h"
#include "cli/memory.h"
#include "cli/progress.h"
#include "raft/profiles.h"
#include "record/run_record.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace faultline::cli {
namespace {

struct SimOptions {
  std::string scenario;
  std::vector<std::string> profiles;
  std::uint64_t seed = 1;
  std::uint64_t seeds = 1;
  bool json = false;
  std::string out;
  std::string export_history;
  unsigned threads = 0;
  bool no_lin = false;
  std::string loss_model;  // empty: the scenario's
};

// One run's outcome, kept small: the record itself is written out (if asked) and dropped.
struct RunOutcome {
  std::string profile;
  std::uint64_t seed = 0;
  analysis::Summary summary;
};

std::filesystem::path history_path(const std::string& file, const std::string& profile,
                                   std::uint64_t seed, bool several) {
  std::filesystem::path p(file);
  if (!several) return p;
  auto name =
      p.stem().string() + "-" + profile + "-seed-" + std::to_string(seed) + p.extension().string();
  return p.parent_path() / name;
}

double share(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

std::string range(int lo, int hi) {
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
}

void print_table(const sim::Scenario& scenario, const std::vector<std::string>& profiles,
                 const std::vector<RunOutcome>& runs) {
  std::printf(
      "%s: %d nodes, %s, %llu run(s) per profile\n", scenario.name.c_str(), scenario.nodes,
      sim::format_duration(scenario.duration_us).c_str(),
      static_cast<unsigned long long>(runs.size() / std::max<std::size_t>(profiles.size(), 1)));
  std::printf("%-15s %8s %8s %9s %11s %10s %-26s %s\n", "profile", "elect.", "elect.", "term rise",
              "downtime", "delayed", "verdict", "safety");
  std::printf("%-15s %8s %8s %9s %11s %10s %-26s %s\n", "", "during", "after", "during",
              "during ms", "during %", "", "");
  for (const auto& profile : profiles) {
    int during_lo = 1 << 30, during_hi = 0, after_lo = 1 << 30, after_hi = 0;
    std::uint64_t rise = 0, violations = 0, not_lin = 0, lin_checked = 0;
    double downtime = 0, delayed = 0;
    int n = 0;
    std::map<std::string, int> verdicts;
    for (const auto& r : runs) {
      if (r.profile != profile) continue;
      const auto& s = r.summary;
      ++n;
      during_lo = std::min(during_lo, s.during.elections);
      during_hi = std::max(during_hi, s.during.elections);
      after_lo = std::min(after_lo, s.after.elections);
      after_hi = std::max(after_hi, s.after.elections);
      rise = std::max(rise, s.during.term_increase);
      downtime += s.during.downtime_ms;
      delayed += share(s.during.ops_delayed, s.during.ops_offered);
      ++verdicts[std::string(analysis::to_string(s.verdict))];
      violations += s.invariant_violations;
      if (s.linearizable) {
        ++lin_checked;
        if (!*s.linearizable) ++not_lin;
      }
    }
    if (n == 0) continue;
    std::string verdict;
    for (const auto& [v, count] : verdicts)
      verdict += (verdict.empty() ? "" : " ") + v + (n > 1 ? " " + std::to_string(count) : "");
    std::string safety = violations ? std::to_string(violations) + " VIOLATION(S)" : "ok";
    if (lin_checked)
      safety += not_lin ? ", " + std::to_string(not_lin) + " NOT LINEARIZABLE"
                        : ", linearizable " + std::to_string(lin_checked) + "/" + std::to_string(n);
    std::printf("%-15s %8s %8s %9llu %11.0f %9.1f%% %-26s %s\n", profile.c_str(),
                range(during_lo, during_hi).c_str(), range(after_lo, after_hi).c_str(),
                static_cast<unsigned long long>(rise), downtime / n, 100.0 * delayed / n,
                verdict.c_str(), safety.c_str());
  }
}

int run_sim(const SimOptions& o) {
  keep_freed_memory();
  sim::Scenario scenario;
  try {
    scenario = sim::parse_scenario_file(sim::find_scenario(o.scenario));
  } catch (const sim::ScenarioError& e) {
    std::fprintf(stderr, "faultline sim: %s\n", e.what());
    return kCannotRun;
  }
  if (!o.loss_model.empty()) {
    const auto model = sim::parse_loss_model(o.loss_model);
    if (!model) {
      std::fprintf(stderr, "faultline sim: --loss-model must be stream or datagram\n");
      return kCannotRun;
    }
    scenario.network.loss_model = *model;
  }
  std::vector<std::string> profiles = o.profiles;
  if (profiles.empty()) profiles = {"raft", "etcd-3.4", "etcd-3.5"};
  for (const auto& p : profiles) {
    if (!raft::find_profile(p)) {
      std::fprintf(stderr, "faultline sim: unknown profile `%s` (known: %s)\n", p.c_str(),
                   raft::profile_names().c_str());
      return kCannotRun;
    }
  }
  if (o.seeds < 1 || o.seeds > 100'000) {
    std::fprintf(stderr, "faultline sim: --seeds must be between 1 and 100000\n");
    return kCannotRun;
  }

  std::vector<sim::SimRequest> requests;
  for (const auto& p : profiles)
    for (std::uint64_t s = 0; s < o.seeds; ++s) requests.push_back({&scenario, p, o.seed + s, {}});
  const bool several = requests.size() > 1;

  std::vector<RunOutcome> runs(requests.size());
  std::mutex report_mutex;
  Progress progress("sim " + scenario.name, several ? requests.size() : 0);
  analysis::Options analysis_options;
  analysis_options.check_linearizability = !o.no_lin;
  // One run per core, or fewer when the runs are long enough to fill memory together.
  sim::parallel_for(requests.size(), sim::runs_at_once(scenario, o.threads), [&](std::size_t i) {
    const auto& req = requests[i];
    sim::SimResult result = sim::simulate(req);
    if (!o.out.empty())
      record::save(result.record, std::filesystem::path(o.out) / scenario.name / req.profile /
                                      ("seed-" + std::to_string(req.seed)));
    if (!o.export_history.empty())
      check::export_history(result.record.ops,
                            history_path(o.export_history, req.profile, req.seed, several));
    runs[i] = RunOutcome{req.profile, req.seed, analysis::analyze(result.record, analysis_options)};
    if (result.record.meta.invariant_violations > 0) {
      std::lock_guard lock(report_mutex);
      std::fprintf(stderr, "faultline sim: INVARIANT VIOLATION in %s, profile %s: %s\n",
                   scenario.name.c_str(), req.profile.c_str(),
                   result.record.meta.violation.c_str());
    }
    progress.advance();
  });
  progress.finish();

  bool unsafe = false;
  for (const auto& r : runs) {
    unsafe |= r.summary.invariant_violations > 0;
    unsafe |= r.summary.linearizable.has_value() && !*r.summary.linearizable;
    if (r.summary.linearizable.has_value() && !*r.summary.linearizable)
      std::fprintf(stderr, "faultline sim: NOT LINEARIZABLE: %s, profile %s, seed %llu: %s\n",
                   scenario.name.c_str(), r.profile.c_str(),
                   static_cast<unsigned long long>(r.seed),
                   r.summary.linearizability_detail.c_str());
  }
  if (o.json) {
    for (const auto& r : runs)
      std::printf("%s\n", analysis::to_json(r.summary, true).dump().c_str());
  } else {
    print_table(scenario, profiles, runs);
  }
  return unsafe ? kInvalid : kValid;
}

CommandRegistration registration(
    "sim", "run a scenario in the deterministic simulator, per profile and seed", 10,
    [](CLI::App& sub) {
      auto o = std::make_shared<SimOptions>();
      sub.add_option("scenario", o->scenario,
                     "a scenario file, or a catalogue name (scenarios/, or $FAULTLINE_SCENARIOS)")
          ->required();
      sub.add_option("--profile,-p", o->profiles,
                     "a profile to run (repeatable; default: raft, etcd-3.4, etcd-3.5)");
      sub.add_option("--seed", o->seed, "the first seed (default 1)");
      sub.add_option("--seeds", o->seeds,
                     "how many seeds per profile: seed, seed+1, ... (default 1)");
      sub.add_flag("--json", o->json, "print one JSON object (the analysis summary) per run");
      sub.add_option("--out", o->out,
                     "write each run's record to DIR/<scenario>/<profile>/seed-<s>/");
      sub.add_option("--export-history", o->export_history,
                     "write the client history as Jepsen JSON (elle-cli's rw-register shape); "
                     "with several runs, -<profile>-seed-<s> is added to the file name");
      sub.add_option("--threads", o->threads, "worker threads (default: every core)");
      sub.add_flag("--no-linearizability", o->no_lin, "skip the linearizability check");
      sub.add_option("--loss-model", o->loss_model,
                     "what cuts and lost packets do to the model's links, instead of the "
                     "scenario's [network] loss_model: stream (TCP streams stall; the default) "
                     "or datagram (messages are dropped one by one, as textbook models assume)");
      return [o] { return run_sim(*o); };
    });

}  // namespace
}  // namespace faultline::cli
