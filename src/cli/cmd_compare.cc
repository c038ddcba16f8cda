// `faultline compare SCENARIO [--profile P]... [--system S]...`: the model and reality side by
// side. For each profile it runs the simulator (in this process, milliseconds) and the lab
// for each system (each lab run in a child `faultline lab --json` process: a lab moves its
// main thread into a network namespace, so one process runs one lab), then prints one
// table and says, per row, whether the lab agrees with the model: the same verdict and
// election counts during and after the faults within one.
// Exit codes: 0 every run ran, 2 a run could not (its error is printed).
#include <sys/wait.h>
#include <unistd.h>

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

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string self_binary() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "faultline";
}

// Runs `faultline lab ... --json`; the summary is its last stdout line, stderr passes through.
Row run_lab_child(const CompareFlags& f, const std::string& scenario_path,
                  const std::string& profile, const std::string& system) {
  Row row{profile, "lab " + system, nullptr, ""};
  std::string cmd = shell_quote(self_binary()) + " lab " + shell_quote(scenario_path) +
                    " --system " + system + " --profile " + shell_quote(profile) + " --seed " +
                    std::to_string(f.seed) + " --json";
  if (!f.out.empty())
    cmd += " --out " + shell_quote((std::filesystem::path(f.out) / "lab-" += system).string());
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    row.error = "cannot start " + cmd;
    return row;
  }
  std::string out;
  char buf[8192];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0 && out.size() < (64u << 20))
    out.append(buf, n);
  const int status = ::pclose(p);
  auto last = out.find_last_of('\n', out.size() >= 2 ? out.size() - 2 : 0);
  std::string line = last == std::string::npos ? out : out.substr(last + 1);
  row.summary = nlohmann::json::parse(line, nullptr, false);
  if (row.summary.is_discarded() || !row.summary.is_object()) {
    row.summary = nullptr;
    row.error = "the lab could not run (exit " + std::to_string(WEXITSTATUS(status)) + ")";
  }
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

// The lab agrees with the model: the same verdict, elections during and after within one.
std::string agreement(const Row& model, const Row& lab) {
  if (model.summary.is_null() || lab.summary.is_null()) return "";
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
    rows.push_back(model);
    for (const auto& system : systems) {
      std::fprintf(stderr, "faultline compare: %s, %s in the lab (%s) ...\n", scenario.name.c_str(),
                   profile.c_str(), system.c_str());
      Row lab = run_lab_child(f, path, profile, system);
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
  }
  return all_ran ? kValid : kCannotRun;
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
