// `faultline lab SCENARIO --system faultline|etcd`: runs a scenario on a real cluster (see
// src/lab/runner.h), writes the same run record as `faultline sim` (driver "lab") and prints
// the same analysis. `faultline lab clean` removes what a crashed lab left behind.
// Exit codes: 0 ran and safe, 1 the run found a defect (a node process exited on its own,
// the nodes' stores differ at the end, or the history is not linearizable), 2 could not run
// (with why).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "analysis/analysis.h"
#include "cli/command.h"
#include "cli/progress.h"
#include "lab/runner.h"
#include "raft/profiles.h"
#include "record/run_record.h"
#include "sim/scenario.h"

namespace faultline::cli {
namespace {

struct LabFlags {
  std::string scenario;
  std::string system = "faultline";
  std::string profile;
  bool pre_vote = false;
  std::uint64_t seed = 1;
  bool json = false;
  std::string out;
  std::string net = "namespaces";
  std::string subnet = "127.0.10";
  bool keep = false;
  bool setup_only = false;
  int repeat = 1;
  std::string etcd_binary = "etcd";
  bool clean_all = false;
};

void print_summary(const analysis::Summary& s, const lab::LabResult& r) {
  std::printf("%s on %s (%s), profile %s: verdict %s\n", s.scenario.c_str(), s.system.c_str(),
              r.system_version.c_str(), s.profile.c_str(),
              std::string(analysis::to_string(s.verdict)).c_str());
  std::printf("  %s\n", s.verdict_reason.c_str());
  std::printf("  %-7s %9s %9s %9s %12s %10s %10s\n", "phase", "elections", "term rise", "max term",
              "downtime ms", "delayed %", "failed %");
  for (const analysis::Phase* p : {&s.before, &s.during, &s.after}) {
    auto pct = [&](std::uint64_t x) {
      return p->ops_offered ? 100.0 * static_cast<double>(x) / static_cast<double>(p->ops_offered)
                            : 0.0;
    };
    std::printf("  %-7s %9d %9llu %9llu %12.0f %9.1f%% %9.1f%%\n", p->name.c_str(), p->elections,
                static_cast<unsigned long long>(p->term_increase),
                static_cast<unsigned long long>(p->max_term), p->downtime_ms, pct(p->ops_delayed),
                pct(p->ops_failed));
  }
  std::printf("  linearizability: %s\n", s.linearizability.c_str());
}

// Each node that exited on its own, and stores that differ, on stderr: the run goes on
// without the node, so this is the one place a user sees it before the record.
void print_findings(const lab::LabResult& r) {
  for (const auto& message : r.node_exits)
    std::fprintf(stderr, "faultline lab: %s\n", message.c_str());
  if (r.stores_differ) std::fprintf(stderr, "faultline lab: %s\n", r.store_check.c_str());
  if ((!r.node_exits.empty() || r.stores_differ) && !r.work_dir.empty())
    std::fprintf(stderr, "faultline lab: data and node logs kept in %s\n", r.work_dir.c_str());
}

int run_clean(bool all) {
  if (!lab::have_network_privileges()) {
    std::fprintf(stderr, "faultline lab clean: needs root (namespaces are root's)\n");
    return kCannotRun;
  }
  auto done = lab::clean_leftovers(all);
  if (done.empty()) std::printf("nothing to clean\n");
  for (const auto& line : done) std::printf("%s\n", line.c_str());
  return kValid;
}

int run_lab_command(const LabFlags& f) {
  lab::LabOptions o;
  try {
    o.scenario = sim::parse_scenario_file(sim::find_scenario(f.scenario));
  } catch (const sim::ScenarioError& e) {
    std::fprintf(stderr, "faultline lab: %s\n", e.what());
    return kCannotRun;
  }
  if (f.system == "etcd")
    o.system = lab::System::etcd;
  else if (f.system != "faultline") {
    std::fprintf(stderr, "faultline lab: --system must be faultline or etcd\n");
    return kCannotRun;
  }
  if (f.net == "loopback")
    o.net = lab::NetMode::loopback;
  else if (f.net != "namespaces") {
    std::fprintf(stderr, "faultline lab: --net must be namespaces or loopback\n");
    return kCannotRun;
  }
  if (o.system == lab::System::faultline && !f.profile.empty() && !raft::find_profile(f.profile)) {
    std::fprintf(stderr, "faultline lab: unknown profile `%s` (known: %s)\n", f.profile.c_str(),
                 raft::profile_names().c_str());
    return kCannotRun;
  }
  if (o.system == lab::System::faultline && !f.profile.empty() && f.pre_vote) {
    std::fprintf(stderr, "faultline lab: give --profile or --pre-vote, not both\n");
    return kCannotRun;
  }
  o.profile = f.profile;
  o.pre_vote = f.pre_vote;
  o.seed = f.seed;
  o.subnet = f.subnet;
  o.keep = f.keep;
  o.setup_only = f.setup_only;
  o.etcd_binary = f.etcd_binary;
  if (f.repeat < 1 || f.repeat > 100 || (f.repeat > 1 && !f.setup_only)) {
    std::fprintf(stderr, "faultline lab: --repeat (1..100) is for --setup-only\n");
    return kCannotRun;
  }
  if (auto problem = lab::check_lab(o)) {
    std::fprintf(stderr, "faultline lab: %s\n", problem->c_str());
    return kCannotRun;
  }
  if (f.setup_only) {
    // Rounds run one after the other in this process: a set-up-only round makes no gRPC
    // threads, and run_lab brings the main thread back to the root namespace each time.
    double setup_total = 0, teardown_total = 0;
    for (int i = 0; i < f.repeat; ++i) {
      lab::LabResult r;
      try {
        r = lab::run_lab(o);
      } catch (const lab::LabError& e) {
        std::fprintf(stderr, "faultline lab: %s\n", e.what());
        return kCannotRun;
      }
      std::printf("%s %s: set-up to a healthy cluster %.2f s, teardown %.3f s\n",
                  std::string(lab::to_string(o.system)).c_str(), lab::record_profile(o).c_str(),
                  r.setup_s, r.teardown_s);
      print_findings(r);
      if (!r.node_exits.empty()) return kInvalid;
      setup_total += r.setup_s;
      teardown_total += r.teardown_s;
    }
    if (f.repeat > 1)
      std::printf("mean of %d: set-up %.2f s, teardown %.3f s\n", f.repeat, setup_total / f.repeat,
                  teardown_total / f.repeat);
    return kValid;
  }

  const double total_s = static_cast<double>(o.scenario.duration_us) / 1e6;
  Progress progress("lab " + o.scenario.name, static_cast<std::uint64_t>(total_s));
  o.on_progress = [&](double done_s) {
    const auto target = static_cast<std::uint64_t>(done_s);
    if (target > progress.done()) progress.advance(target - progress.done());
  };
  lab::LabResult r;
  try {
    r = lab::run_lab(o);
  } catch (const lab::LabError& e) {
    progress.finish();
    std::fprintf(stderr, "faultline lab: %s\n", e.what());
    return kCannotRun;
  }
  progress.finish();
  print_findings(r);
  if (r.interrupted) {
    std::fprintf(stderr, "faultline lab: interrupted; everything was torn down\n");
    return kCannotRun;
  }
  if (!f.out.empty()) {
    const auto dir = std::filesystem::path(f.out) / o.scenario.name / r.record.meta.profile;
    record::save(r.record, dir);
    if (!f.json) std::printf("run record: %s\n", dir.c_str());
  }
  const analysis::Summary s = analysis::analyze(r.record);
  if (f.json) {
    nlohmann::json j = analysis::to_json(s, true);
    j["setup_s"] = r.setup_s;
    j["teardown_s"] = r.teardown_s;
    j["system_version"] = r.system_version;
    j["node_exits"] = r.node_exits;
    j["store_check"] = r.store_check;
    j["stores_differ"] = r.stores_differ;
    std::printf("%s\n", j.dump().c_str());
  } else {
    print_summary(s, r);
    std::printf("  stores: %s\n", r.store_check.c_str());
    std::printf("  set-up %.2f s, teardown %.3f s (%s, %s network)\n", r.setup_s, r.teardown_s,
                r.system_version.c_str(), std::string(lab::to_string(o.net)).c_str());
    if (!r.work_dir.empty()) std::printf("  data and node logs kept in %s\n", r.work_dir.c_str());
  }
  // Every finding of the run (a node exit, stores that differ) is a failed safety check.
  if (r.record.meta.invariant_violations > 0) return kInvalid;
  if (s.linearizable.has_value() && !*s.linearizable) return kInvalid;
  return kValid;
}

CommandRegistration registration(
    "lab", "run a scenario on a real cluster (faultline or etcd) in network namespaces", 20,
    [](CLI::App& sub) {
      auto f = std::make_shared<LabFlags>();
      auto* clean =
          sub.add_subcommand("clean", "remove namespaces and processes a crashed lab left");
      clean->add_flag("--all", f->clean_all,
                      "also labs whose process still runs (stops them), and non-lab flt-* names");
      sub.add_option("scenario", f->scenario, "a scenario file, or a catalogue name");
      sub.add_option("--system", f->system, "faultline or etcd")->capture_default_str();
      sub.add_option("--profile,-p", f->profile,
                     "faultline: any profile (default etcd-3.4); etcd: etcd-3.4 or etcd-3.5");
      sub.add_flag("--pre-vote", f->pre_vote, "PreVote on (etcd: --pre-vote)");
      sub.add_option("--seed", f->seed, "seed of the workload and of faultline's timers");
      sub.add_flag("--json", f->json, "print the analysis summary as one JSON object");
      sub.add_option("--out", f->out, "write the run record to DIR/<scenario>/<profile>/");
      sub.add_option("--net", f->net,
                     "namespaces (root; default) or loopback (no root, faultline only)");
      sub.add_option("--subnet", f->subnet, "the nodes' /24 inside the namespaces")
          ->capture_default_str();
      sub.add_flag("--keep", f->keep, "keep the data directories and node logs");
      sub.add_flag("--setup-only", f->setup_only,
                   "build the cluster, wait until healthy, tear down; print the times");
      sub.add_option("--repeat", f->repeat, "with --setup-only: how many rounds");
      sub.add_option("--etcd-binary", f->etcd_binary, "the etcd to run")->capture_default_str();
      sub.footer(
          "Exit codes: 0 ran, and nothing went wrong; 1 the run found a defect: a node exited "
          "on its own (it is printed, with the end of its log), the nodes' stores differ at the "
          "end, or the history is not linearizable; 2 could not run (the reason is printed).");
      return [f, clean, &sub]() -> int {
        if (clean->parsed()) return run_clean(f->clean_all);
        if (f->scenario.empty()) {
          std::fprintf(stderr, "faultline lab: give a SCENARIO (or `clean`)\n%s",
                       sub.help().c_str());
          return kCannotRun;
        }
        return run_lab_command(*f);
      };
    });

}  // namespace
}  // namespace faultline::cli
