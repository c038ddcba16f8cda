// `faultline nemesis`: random fault timelines (src/sim/nemesis.h), one per seed, run in the
// simulator on every profile (in parallel on every core), or with --lab on a real cluster
// (each seed in a child `faultline lab` process: one process runs one lab). Each run must
// be safe (no invariant violation; in the lab, no node that exits on its own), have a
// linearizable history, and recover once every fault is undone (serve again, every node
// caught up). A failing seed is written out as a scenario file (with --out) and printed
// with the commands that run it again.
// Exit codes: 0 every run passed, 1 a run failed a check, 2 could not run.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "cli/command.h"
#include "cli/lab_child.h"
#include "cli/memory.h"
#include "cli/progress.h"
#include "raft/profiles.h"
#include "record/run_record.h"
#include "sim/nemesis.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace faultline::cli {
namespace {

struct NemesisFlags {
  int nodes = 3;
  std::uint64_t seed = 1;
  std::uint64_t seeds = 20;
  std::string duration = "30s";
  std::vector<std::string> profiles;
  double rate = 200;
  double read_share = 0.3;
  bool no_delay = false;
  bool no_process_faults = false;
  bool no_snapshots = false;
  bool print = false;
  bool json = false;
  std::string out;
  unsigned threads = 0;
  bool lab = false;
  std::string system = "faultline";
  std::string net = "namespaces";
};

// The generator's flags that differ from the defaults, for the command line that prints a
// failing seed's scenario again.
std::string generator_flags(const NemesisFlags& f) {
  const NemesisFlags defaults;
  std::string s = "--nodes " + std::to_string(f.nodes) + " --duration " + f.duration;
  char number[32];
  if (f.rate != defaults.rate) {
    std::snprintf(number, sizeof number, "%g", f.rate);
    s += std::string(" --rate ") + number;
  }
  if (f.read_share != defaults.read_share) {
    std::snprintf(number, sizeof number, "%g", f.read_share);
    s += std::string(" --read-share ") + number;
  }
  if (f.no_delay) s += " --no-delay";
  if (f.no_process_faults) s += " --no-process-faults";
  if (f.no_snapshots) s += " --no-snapshots";
  return s;
}

// Seed `seed`'s scenario file name, and its scenario's (and so its records' folder) name.
std::string scenario_name(std::uint64_t seed) { return "nemesis-" + std::to_string(seed); }

struct Outcome {
  std::string profile;
  std::uint64_t seed = 0;
  analysis::Summary summary;
  std::vector<std::string> problems;  // empty: the run passed
  bool snapshot_installed = false;    // simulator only: a follower was caught up by snapshot
};

int print_seed(const sim::NemesisOptions& o, std::uint64_t seed) {
  std::fputs(sim::nemesis_text(o, seed).c_str(), stdout);
  return kValid;
}

// Writes seed `seed`'s scenario into `dir`; returns its path.
std::filesystem::path write_scenario(const sim::NemesisOptions& o, std::uint64_t seed,
                                     const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  auto path = dir / (scenario_name(seed) + ".toml");
  std::ofstream(path) << sim::nemesis_text(o, seed);
  return path;
}

void print_table(const std::vector<std::string>& profiles, const std::vector<Outcome>& runs) {
  std::printf("%-15s %6s %6s %10s %12s %14s %s\n", "profile", "runs", "failed", "violations",
              "not linear.", "lin. unknown", "verdicts");
  for (const auto& profile : profiles) {
    int n = 0, failed = 0, unknown = 0, not_lin = 0;
    std::uint64_t violations = 0;
    std::map<std::string, int> verdicts;
    for (const auto& r : runs) {
      if (r.profile != profile) continue;
      ++n;
      failed += !r.problems.empty();
      violations += r.summary.invariant_violations;
      not_lin += r.summary.linearizable.has_value() && !*r.summary.linearizable;
      unknown += r.summary.linearizability == "unknown";
      ++verdicts[std::string(analysis::to_string(r.summary.verdict))];
    }
    std::string v;
    for (const auto& [name, count] : verdicts)
      v += (v.empty() ? "" : " ") + name + " " + std::to_string(count);
    std::printf("%-15s %6d %6d %10llu %12d %14d %s\n", profile.c_str(), n, failed,
                static_cast<unsigned long long>(violations), not_lin, unknown, v.c_str());
  }
}

int run_nemesis_sim(const NemesisFlags& f, const sim::NemesisOptions& o) {
  keep_freed_memory();
  std::vector<std::string> profiles = f.profiles;
  if (profiles.empty())
    for (const auto& p : raft::profiles()) profiles.emplace_back(p.name);
  for (const auto& p : profiles)
    if (!raft::find_profile(p)) {
      std::fprintf(stderr, "faultline nemesis: unknown profile `%s` (known: %s)\n", p.c_str(),
                   raft::profile_names().c_str());
      return kCannotRun;
    }

  std::vector<sim::Scenario> scenarios;
  for (std::uint64_t s = 0; s < f.seeds; ++s)
    scenarios.push_back(sim::nemesis_scenario(o, f.seed + s));
  if (auto problem = sim::memory_problem(scenarios.front()); !problem.empty()) {
    std::fprintf(stderr, "faultline nemesis: %s\n", problem.c_str());
    return kCannotRun;
  }
  std::vector<sim::SimRequest> requests;
  for (std::uint64_t s = 0; s < f.seeds; ++s)
    for (const auto& p : profiles) requests.push_back({&scenarios[s], p, f.seed + s, {}});

  std::vector<Outcome> runs(requests.size());
  std::mutex mutex;
  Progress progress("nemesis", requests.size());
  sim::parallel_for(
      requests.size(), sim::runs_at_once(scenarios.front(), f.threads), [&](std::size_t i) {
        const auto& req = requests[i];
        sim::SimResult result = sim::simulate(req);
        Outcome out{req.profile,
                    req.seed,
                    analysis::analyze(result.record),
                    {},
                    result.stats.snapshots_installed > 0};
        out.problems = sim::nemesis_problems(result.record, out.summary);
        if (!out.problems.empty() && !f.out.empty()) {
          std::lock_guard lock(mutex);
          write_scenario(o, req.seed, f.out);
          record::save(result.record,
                       std::filesystem::path(f.out) / req.scenario->name / req.profile);
        }
        runs[i] = std::move(out);
        progress.advance();
      });
  progress.finish();

  int failed = 0;
  for (const auto& r : runs) {
    if (r.problems.empty()) continue;
    ++failed;
    for (const auto& p : r.problems)
      std::fprintf(stderr, "faultline nemesis: seed %llu, profile %s: %s\n",
                   static_cast<unsigned long long>(r.seed), r.profile.c_str(), p.c_str());
    const std::string file =
        (std::filesystem::path(f.out) / (scenario_name(r.seed) + ".toml")).string();
    std::fprintf(stderr, "  run it again: %sfaultline sim %s --profile %s --seed %llu\n",
                 f.out.empty() ? ("faultline nemesis --seed " + std::to_string(r.seed) + " " +
                                  generator_flags(f) + " --print > " + file + "; ")
                                     .c_str()
                               : "",
                 file.c_str(), r.profile.c_str(), static_cast<unsigned long long>(r.seed));
  }
  if (f.json) {
    for (const auto& r : runs) {
      nlohmann::json j = analysis::to_json(r.summary, false);
      j["problems"] = r.problems;
      std::printf("%s\n", j.dump().c_str());
    }
  } else {
    std::printf("nemesis: %d nodes, %s per run, seeds %llu..%llu, %zu runs\n", o.nodes,
                sim::format_duration(o.duration_us).c_str(),
                static_cast<unsigned long long>(f.seed),
                static_cast<unsigned long long>(f.seed + f.seeds - 1), runs.size());
    print_table(profiles, runs);
    const auto by_snapshot = std::count_if(runs.begin(), runs.end(),
                                           [](const Outcome& r) { return r.snapshot_installed; });
    std::printf("%lld run(s) caught a follower up by a snapshot\n",
                static_cast<long long>(by_snapshot));
    std::printf("%s\n",
                failed
                    ? (std::to_string(failed) + " run(s) FAILED").c_str()
                    : "every run safe, linearizable and recovered (serving, every node caught up)");
  }
  return failed ? kInvalid : kValid;
}

// The lab: one seed at a time, each in a child `faultline lab`, its record kept in `dir`
// and checked here like a simulated run.
int run_nemesis_lab(const NemesisFlags& f, const sim::NemesisOptions& o) {
  std::vector<std::string> profiles = f.profiles;
  if (profiles.empty()) profiles = {"etcd-3.4"};
  if (f.system != "faultline" && f.system != "etcd") {
    std::fprintf(stderr, "faultline nemesis: --system must be faultline or etcd\n");
    return kCannotRun;
  }
  std::filesystem::path dir = f.out;
  const bool temporary = dir.empty();
  if (temporary) {
    auto made = make_temp_folder("faultline-nemesis");
    if (!made) {
      std::fprintf(stderr, "faultline nemesis: cannot make a folder in %s\n",
                   std::filesystem::temp_directory_path().c_str());
      return kCannotRun;
    }
    dir = *made;
  }
  int failed = 0, ran = 0;
  for (std::uint64_t seed = f.seed; seed < f.seed + f.seeds; ++seed) {
    const auto scenario = write_scenario(o, seed, dir);
    for (const auto& profile : profiles) {
      LabChild child =
          run_lab_child({scenario.string(), "--system", f.system, "--profile", profile, "--seed",
                         std::to_string(seed), "--net", f.net, "--out", (dir / "lab").string()});
      if (child.summary.is_null()) {
        std::fprintf(stderr,
                     "faultline nemesis: seed %llu, %s %s: the lab could not run (exit %d)\n",
                     static_cast<unsigned long long>(seed), f.system.c_str(), profile.c_str(),
                     child.exit_code);
        if (temporary) std::filesystem::remove_all(dir);
        return kCannotRun;
      }
      const auto record_dir =
          dir / "lab" / scenario_name(seed) / child.summary.value("profile", profile);
      record::RunRecord record;
      try {
        record = record::load(record_dir);
      } catch (const record::RecordError& e) {
        std::fprintf(stderr, "faultline nemesis: seed %llu: the lab's record: %s\n",
                     static_cast<unsigned long long>(seed), e.what());
        return kCannotRun;
      }
      const analysis::Summary summary = analysis::analyze(record);
      const auto problems = sim::nemesis_problems(record, summary);
      // What the lab's end-of-run store comparison found (a difference is in `problems`
      // already, as a failed safety check): shown, so a run that compared nothing is seen.
      const std::string store_check = child.summary.value("store_check", "not reported");
      ++ran;
      failed += !problems.empty();
      if (f.json) {
        nlohmann::json j = analysis::to_json(summary, false);
        j["problems"] = problems;
        j["record"] = record_dir.string();
        j["store_check"] = store_check;
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("seed %llu, %s %s: %s (verdict %s, linearizability %s; stores: %s)\n",
                    static_cast<unsigned long long>(seed), f.system.c_str(), profile.c_str(),
                    problems.empty() ? "passed" : "FAILED",
                    std::string(analysis::to_string(summary.verdict)).c_str(),
                    summary.linearizability.c_str(), store_check.c_str());
        for (const auto& p : problems) std::printf("  %s\n", p.c_str());
        if (!problems.empty())
          std::printf("  scenario %s, run record %s\n", scenario.c_str(), record_dir.c_str());
      }
      std::fflush(stdout);
    }
  }
  if (failed)
    std::fprintf(stderr,
                 "faultline nemesis: %d of %d lab run(s) FAILED; everything is kept in %s\n",
                 failed, ran, dir.c_str());
  else if (!f.json)
    std::printf(
        "every lab run (%d) safe, linearizable and recovered (serving, every node caught up)\n",
        ran);
  if (temporary && failed == 0) std::filesystem::remove_all(dir);
  return failed ? kInvalid : kValid;
}

int run_nemesis(const NemesisFlags& f) {
  sim::NemesisOptions o;
  o.nodes = f.nodes;
  auto duration = sim::parse_duration(f.duration);
  if (!duration) {
    std::fprintf(stderr, "faultline nemesis: --duration `%s` is not a duration like 30s\n",
                 f.duration.c_str());
    return kCannotRun;
  }
  o.duration_us = *duration;
  o.rate = f.rate;
  o.read_share = f.read_share;
  o.delays = !f.no_delay && !(f.lab && f.system == "etcd");  // no netem: etcd cannot be slowed
  o.processes = !f.no_process_faults;
  o.snapshots = !f.no_snapshots;
  o.catch_up = !(f.lab && f.system == "etcd");  // etcd 3.4 always keeps 5,000 entries
  if (auto problem = sim::nemesis_problem(o); !problem.empty()) {
    std::fprintf(stderr, "faultline nemesis: %s\n", problem.c_str());
    return kCannotRun;
  }
  if (f.seeds < 1 || f.seeds > 100'000) {
    std::fprintf(stderr, "faultline nemesis: --seeds must be between 1 and 100000\n");
    return kCannotRun;
  }
  if (f.print) return print_seed(o, f.seed);
  return f.lab ? run_nemesis_lab(f, o) : run_nemesis_sim(f, o);
}

CommandRegistration registration(
    "nemesis", "random fault timelines, per seed: safe, linearizable, recovered?", 25,
    [](CLI::App& sub) {
      auto f = std::make_shared<NemesisFlags>();
      sub.add_option("--nodes,-n", f->nodes, "cluster size (2..15)")->capture_default_str();
      sub.add_option("--seed", f->seed, "the first seed")->capture_default_str();
      sub.add_option("--seeds", f->seeds, "how many seeds: seed, seed+1, ...")
          ->capture_default_str();
      sub.add_option("--duration", f->duration, "each run's length (faults stop 6 s before)")
          ->capture_default_str();
      sub.add_option("--profile,-p", f->profiles,
                     "a profile to run (repeatable; default: every profile, with --lab etcd-3.4)");
      sub.add_option("--rate", f->rate, "client operations per second")->capture_default_str();
      sub.add_option("--read-share", f->read_share, "share of linearizable reads")
          ->capture_default_str();
      sub.add_flag("--no-delay", f->no_delay, "no slow links");
      sub.add_flag("--no-process-faults", f->no_process_faults, "no crashes and no pauses");
      sub.add_flag("--no-snapshots", f->no_snapshots,
                   "keep etcd's snapshot settings (no snapshot in a short run)");
      sub.add_flag("--print", f->print, "print seed's scenario file and run nothing");
      sub.add_flag("--json", f->json, "one JSON object per run (the summary, and its problems)");
      sub.add_option(
          "--out", f->out,
          "write failing seeds' scenario files and run records under DIR (--lab: every run's)");
      sub.add_option("--threads", f->threads, "worker threads (default: every core)");
      sub.add_flag("--lab", f->lab,
                   "run each seed on a real cluster (`faultline lab`), one after the other");
      sub.add_option("--system", f->system, "with --lab: faultline or etcd")->capture_default_str();
      sub.add_option("--net", f->net, "with --lab: namespaces (root) or loopback (faultline)")
          ->capture_default_str();
      sub.footer(
          "Exit codes: 0 every run passed; 1 a run failed a check (safety, linearizability, "
          "recovery: each is printed, with how to run it again); 2 could not run.");
      return [f] { return run_nemesis(*f); };
    });

}  // namespace
}  // namespace faultline::cli
