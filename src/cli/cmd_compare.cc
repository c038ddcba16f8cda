// `faultline compare SCENARIO [--profile P]... [--system S]...`: the model and reality side by
// side. For each profile it runs the simulator (in this process, milliseconds) and the lab
// for each system (each lab run in a child `faultline lab --json` process: a lab moves its
// main thread into a network namespace, so one process runs one lab), then prints one
// table and says, per row, whether the lab agrees with the model: the same verdict and
// election counts during and after the faults within one. A run that failed a safety check
// (in the lab: a node exited on its own; in the model: a Raft invariant broke) is not
// compared: its row says so and the check's message follows the table.
// Exit codes: 0 every run ran and found nothing wrong, 1 a run found a defect (a failed
// safety check or a non-linearizable history), 2 a run could not run (its error is printed).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "cli/command.h"
#include "cli/lab_child.h"
#include "raft/profiles.h"
#include "record/run_record.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace faultline::cli {
namespace {

struct CompareFlags {
  std::string scenario;
  std::vector<std::string> profiles;
  std::vector<std::string> systems;
  std::uint64_t seed = 1;
  std::string out;
  bool json = false;
};

struct Row {
  std::string profile, source;
  nlohmann::json summary;  // analysis::to_json shape; null when the run failed
  std::string error;
};

// Runs `faultline lab ... --json` in a child (lab_child.h): its summary, or why it failed.
Row lab_row(const CompareFlags& f, const std::string& scenario_path, const std::string& profile,
            const std::string& system) {
  std::vector<std::string> args = {
      scenario_path, "--system", system, "--profile", profile, "--seed", std::to_string(f.seed)};
  if (!f.out.empty()) {
    args.push_back("--out");
    args.push_back((std::filesystem::path(f.out) / "lab-" += system).string());
  }
  LabChild child = run_lab_child(args);
  Row row{profile, "lab " + system, child.summary, ""};
  if (row.summary.is_null())
    row.error = "the lab could not run (exit " + std::to_string(child.exit_code) + ")";
  return row;
}

std::string fmt_row(const Row& r) {
  if (r.summary.is_null())
    return std::string(r.profile +
                       std::string(16 - std::min<std::size_t>(16, r.profile.size()), ' ')) +
           r.source + ": " + r.error;
  const auto& ph = r.summary["phases"];
  const auto& d = ph["during"];
  double offered = d.value("ops_offered", 0.0);
  double delayed = offered > 0 ? 100.0 * d.value("ops_delayed", 0.0) / offered : 0.0;
  char line[512];
  std::snprintf(line, sizeof line, "%-15s %-24s %6d %6d %6d %9llu %11.0f %9.1f%% %-10s",
                r.profile.c_str(), r.source.c_str(), ph["before"].value("elections", 0),
                d.value("elections", 0), ph["after"].value("elections", 0),
                static_cast<unsigned long long>(d.value("term_increase", std::uint64_t{0})),
                d.value("downtime_ms", 0.0), delayed, r.summary.value("verdict", "").c_str());
  return line;
}

std::uint64_t failed_checks(const Row& r) {
  return r.summary.is_null() ? 0 : r.summary.value("invariant_violations", std::uint64_t{0});
}

// A defect the run found: a failed safety check or a history that is not linearizable.
bool found_defect(const Row& r) {
  if (r.summary.is_null()) return false;
  const auto& lin = r.summary["linearizable"];
  return failed_checks(r) > 0 || (lin.is_boolean() && !lin.get<bool>());
}

// The lab agrees with the model: the same verdict, elections during and after within one.
// A lab run that failed a safety check (a node exited on its own, or the nodes' stores
// differ at the end) measured something else than the scenario: it is marked by its first
// finding, never counted as agreeing.
std::string agreement(const Row& model, const Row& lab) {
  if (model.summary.is_null() || lab.summary.is_null()) return "";
  if (failed_checks(lab) > 0) return finding_label(lab.summary.value("violation", ""));
  auto el = [](const Row& r, const char* phase) {
    return r.summary["phases"][phase].value("elections", 0);
  };
  bool same = model.summary["verdict"] == lab.summary["verdict"] &&
              std::abs(el(model, "during") - el(lab, "during")) <= 1 &&
              std::abs(el(model, "after") - el(lab, "after")) <= 1;
  return same ? "agrees" : "DIFFERS";
}

int run_compare(const CompareFlags& f) {
  sim::Scenario scenario;
  std::string path;
  try {
    path = sim::find_scenario(f.scenario).string();
    scenario = sim::parse_scenario_file(path);
  } catch (const sim::ScenarioError& e) {
    std::fprintf(stderr, "faultline compare: %s\n", e.what());
    return kCannotRun;
  }
  std::vector<std::string> profiles = f.profiles;
  if (profiles.empty()) profiles = {"etcd-3.4", "etcd-3.5"};
  std::vector<std::string> systems = f.systems;
  if (systems.empty()) systems = {"etcd", "faultline"};
  for (const auto& p : profiles)
    if (!raft::find_profile(p)) {
      std::fprintf(stderr, "faultline compare: unknown profile `%s`\n", p.c_str());
      return kCannotRun;
    }
  for (const auto& s : systems)
    if (s != "etcd" && s != "faultline") {
      std::fprintf(stderr, "faultline compare: --system must be etcd or faultline\n");
      return kCannotRun;
    }

  std::vector<Row> rows;
  bool all_ran = true;
  for (const auto& profile : profiles) {
    sim::SimResult sim_run = sim::simulate({&scenario, profile, f.seed, {}});
    if (!f.out.empty())
      record::save(sim_run.record, std::filesystem::path(f.out) / "sim" / scenario.name / profile);
    Row model{profile, "sim", analysis::to_json(analysis::analyze(sim_run.record), true), ""};
    if (failed_checks(model) > 0) model.source += " INVARIANT";
    rows.push_back(model);
    for (const auto& system : systems) {
      std::fprintf(stderr, "faultline compare: %s, %s in the lab (%s) ...\n", scenario.name.c_str(),
                   profile.c_str(), system.c_str());
      Row lab = lab_row(f, path, profile, system);
      all_ran &= !lab.summary.is_null();
      if (!lab.summary.is_null()) lab.source += " " + agreement(model, lab);
      rows.push_back(std::move(lab));
    }
  }
  if (f.json) {
    for (const auto& r : rows) {
      nlohmann::json j = r.summary.is_null() ? nlohmann::json{{"error", r.error}} : r.summary;
      j["source"] = r.source;
      std::printf("%s\n", j.dump().c_str());
    }
  } else {
    std::printf("%s: %d nodes, %s, seed %llu\n", scenario.name.c_str(), scenario.nodes,
                sim::format_duration(scenario.duration_us).c_str(),
                static_cast<unsigned long long>(f.seed));
    std::printf("%-15s %-24s %6s %6s %6s %9s %11s %10s %-10s\n", "profile", "run", "el.bef",
                "el.dur", "el.aft", "term rise", "downtime ms", "delayed %", "verdict");
    for (const auto& r : rows) std::printf("%s\n", fmt_row(r).c_str());
    for (const auto& r : rows)
      if (failed_checks(r) > 0)
        std::printf("%s %s: %s\n", r.profile.c_str(), r.source.c_str(),
                    r.summary.value("violation", "").c_str());
  }
  if (!all_ran) return kCannotRun;
  return std::any_of(rows.begin(), rows.end(), found_defect) ? kInvalid : kValid;
}

CommandRegistration registration(
    "compare", "run a scenario in the simulator and in the lab, side by side", 25,
    [](CLI::App& sub) {
      auto f = std::make_shared<CompareFlags>();
      sub.add_option("scenario", f->scenario, "a scenario file, or a catalogue name")->required();
      sub.add_option("--profile,-p", f->profiles,
                     "a profile (repeatable; default etcd-3.4 and etcd-3.5)");
      sub.add_option("--system", f->systems, "lab systems (repeatable; default etcd, faultline)");
      sub.add_option("--seed", f->seed, "seed of the simulation and the lab's workload");
      sub.add_option("--out", f->out, "write every run record under DIR (sim/, lab-etcd/, ...)");
      sub.add_flag("--json", f->json, "one JSON summary per row, with \"source\"");
      return [f] { return run_compare(*f); };
    });

}  // namespace
}  // namespace faultline::cli
