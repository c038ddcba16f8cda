// `faultline explore --nodes 3|4|5`: the atlas. Every partial-connectivity case (cut graph
// up to isomorphism, leader position, lagging node or none) runs in the simulator for each
// profile over K seeds on every core; prints per-profile coverage and a compact grid, or
// with --json the atlas document (src/report/atlas.h's format), and with --out DIR writes
// DIR/atlas.json for `faultline report DIR`.
//
// With --lab the atlas is checked against real clusters: after the model, every case (or
// the --case ones) runs in the lab for each profile, one `faultline lab` child at a time,
// on the same scenario (sim::atlas_text), and each lab run is set beside the model's
// outcome over its seeds: "agrees" (the model's verdict), "in range" (a verdict some seeds
// of the model gave) or "DIFFERS"; a lab run that failed a safety check is marked by it.
// Exit codes: 0 every run safe, 1 a safety invariant broke (model) or a lab run failed a
// safety check, 2 could not run (bad options, a lab that could not start).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "cli/command.h"
#include "cli/lab_child.h"
#include "cli/memory.h"
#include "cli/progress.h"
#include "lab/runner.h"
#include "raft/profiles.h"
#include "record/run_record.h"
#include "sim/atlas.h"

namespace faultline::cli {
namespace {

struct ExploreCliOptions {
  int nodes = 3;
  std::vector<std::string> profiles;
  std::uint64_t seeds = 10;
  std::string duration = "30s";
  std::string settle = "3s";
  double rate = 100;
  std::string loss_model;  // empty: stream, or datagram for a loopback lab
  bool json = false;
  std::string out;
  unsigned threads = 0;
  // --lab
  bool lab = false;
  std::string system = "etcd";
  std::string net = "namespaces";
  std::vector<std::string> cases;  // empty: every case
  std::size_t sample = 0;          // > 0: that many cases, spread over the model's verdicts
  std::uint64_t lab_seeds = 1;
};

char verdict_letter(const std::string& verdict) {
  if (verdict == "stable") return 'S';
  if (verdict == "disrupted") return 'D';
  if (verdict == "livelock") return 'L';
  if (verdict == "deadlock") return 'X';
  return '?';
}

std::string cut_text(const sim::TopologyCase& t) {
  if (t.cut_edges.empty()) return "-";
  std::string s;
  for (const auto& [a, b] : t.cut_edges)
    s += (s.empty() ? "" : " ") + std::to_string(a + 1) + "-" + std::to_string(b + 1);
  return s;
}

// "D 1.2s", or "D7 1.2s" when only 7 of the seeds gave the majority verdict.
std::string cell(const sim::CaseOutcome& o, std::uint64_t seeds) {
  std::string s(1, verdict_letter(o.verdict));
  const int majority = o.verdicts.count(o.verdict) ? o.verdicts.at(o.verdict) : 0;
  if (static_cast<std::uint64_t>(majority) != seeds) s += std::to_string(majority);
  char downtime[32];
  std::snprintf(downtime, sizeof downtime, " %.1fs", o.downtime_ms / 1000.0);
  s += downtime;
  if (o.violations) s += " !";
  return s;
}

// How wide the cut-links column must be for `cases` (at least 20).
int links_width(const std::vector<sim::TopologyCase>& cases) {
  std::size_t w = 20;
  for (const auto& t : cases) w = std::max(w, cut_text(t).size());
  return static_cast<int>(w);
}

// A case's line head: id, cut links, leader, lagging node, quorum-connected nodes.
std::string case_head(const sim::TopologyCase& t, int width) {
  std::string qc;
  for (int v : t.quorum_connected) qc += (qc.empty() ? "" : ",") + std::to_string(v + 1);
  if (qc.empty()) qc = "none";
  char head[160];
  std::snprintf(head, sizeof head, "%-9s %-*s %4d %3s %-10s", t.id.c_str(), width,
                cut_text(t).c_str(), t.leader + 1,
                t.lagging < 0 ? "-" : std::to_string(t.lagging + 1).c_str(), qc.c_str());
  return head;
}

const char* links_text(sim::LinkParams::LossModel m) {
  return m == sim::LinkParams::LossModel::stream ? "cuts stall TCP streams"
                                                 : "cuts drop messages and heal at once";
}

void print_table(const sim::ExploreResult& r, double wall_seconds) {
  const auto& o = r.options;
  int graphs = 0;
  for (const auto& c : r.cases) graphs = std::max(graphs, c.topology.graph + 1);
  std::printf(
      "atlas: %d nodes, %d topologies, %zu cases (leader and lagging positions), %zu profiles x "
      "%llu seeds; each run: %s warm-up, cuts held %s, %.0f writes/s, %s; %zu runs in %.1f s "
      "(%zu settled early)\n",
      o.nodes, graphs, r.cases.size(), o.profiles.size(), static_cast<unsigned long long>(o.seeds),
      sim::format_duration(o.warmup_us).c_str(), sim::format_duration(o.topology_us).c_str(),
      o.rate, links_text(o.loss_model), r.runs, wall_seconds, r.settled_runs);
  std::printf(
      "\ncoverage: of the %d cases with a quorum-connected node, the share in which the "
      "profile stays live\n(majority verdict over the seeds neither deadlock nor livelock)\n",
      r.quorum_connected_cases);
  for (const auto& p : o.profiles) {
    const double share = r.coverage.count(p) ? r.coverage.at(p) : 0.0;
    std::printf("  %-15s %5.1f%%  (%d/%d)\n", p.c_str(), 100.0 * share,
                static_cast<int>(share * r.quorum_connected_cases + 0.5), r.quorum_connected_cases);
  }
  std::printf(
      "\ngrid: S stable, D disrupted, L livelock, X deadlock; a number after the letter: seeds "
      "of %llu\nthat gave it (when not all); then the mean write downtime under the cuts; ! a "
      "safety violation.\nlead = the leader's node, lag = the lagging node, qc = quorum-connected "
      "nodes\n\n",
      static_cast<unsigned long long>(o.seeds));
  std::vector<sim::TopologyCase> topologies;
  for (const auto& c : r.cases) topologies.push_back(c.topology);
  const int width = links_width(topologies);
  std::printf("%-9s %-*s %4s %3s %-10s", "case", width, "cut links", "lead", "lag", "qc");
  for (std::size_t i = 0; i < o.profiles.size(); ++i)
    std::printf(i + 1 < o.profiles.size() ? " %-14s" : " %s", o.profiles[i].c_str());
  std::printf("\n");
  for (const auto& c : r.cases) {
    std::string line = case_head(c.topology, width);
    for (const auto& p : o.profiles) {
      const std::string text = cell(c.outcomes.at(p), o.seeds);
      line += " " + text + std::string(text.size() < 14 ? 14 - text.size() : 0, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    std::printf("%s\n", line.c_str());
  }
}

// Writes `text` to `file` (making its folder); says so on stderr when it cannot.
bool write_file(const std::filesystem::path& file, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  std::ofstream f(file);
  f << text;
  if (ec || !f.flush()) {
    std::fprintf(stderr, "faultline explore: cannot write %s\n", file.c_str());
    return false;
  }
  return true;
}

// ---- --lab: the atlas against real clusters ----

// The cases to run in the lab (every case when none are named), or why not.
std::string select_cases(const ExploreCliOptions& cli, std::vector<sim::TopologyCase>& out) {
  const auto all = sim::enumerate_topologies(cli.nodes);
  if (cli.cases.empty()) {
    out = all;
    return "";
  }
  for (const auto& id : cli.cases) {
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& c) { return c.id == id; });
    if (it == all.end())
      return "explore: no case `" + id + "` in the " + std::to_string(cli.nodes) +
             "-node atlas (`faultline explore --nodes " + std::to_string(cli.nodes) +
             "` lists them)";
    if (std::none_of(out.begin(), out.end(), [&](const auto& c) { return c.id == id; }))
      out.push_back(*it);
  }
  return "";
}

// Everything that would stop a lab run, checked before the model runs: the lab's own
// checks (check_lab: root for namespaces, etcd installed, the profile's flags) for each
// profile, on the first case's scenario.
std::string lab_problem(const ExploreCliOptions& cli, const sim::ExploreOptions& o,
                        const std::vector<sim::TopologyCase>& cases) {
  if (cli.system != "etcd" && cli.system != "faultline")
    return "--system must be etcd or faultline";
  if (cli.net != "namespaces" && cli.net != "loopback")
    return "--net must be namespaces or loopback";
  if (cli.lab_seeds < 1 || cli.lab_seeds > 100) return "--lab-seeds must be between 1 and 100";
  for (const auto& profile : o.profiles) {
    lab::LabOptions l;
    l.scenario = sim::atlas_scenario(cases.front(), o);
    l.system = cli.system == "etcd" ? lab::System::etcd : lab::System::faultline;
    l.net = cli.net == "loopback" ? lab::NetMode::loopback : lab::NetMode::namespaces;
    l.profile = profile;
    if (auto problem = lab::check_lab(l)) return "lab: " + *problem;
  }
  return "";
}

std::string model_cell(const sim::CaseOutcome& o, std::uint64_t seeds) {
  char el[32];
  std::snprintf(el, sizeof el, " %.1f", o.elections);
  return cell(o, seeds) + el;
}

std::string lab_cell(const sim::CaseRun& r) {
  char text[64];
  std::snprintf(text, sizeof text, "%c %.1fs %d", verdict_letter(r.verdict), r.downtime_ms / 1000.0,
                r.elections);
  return text;
}

// One lab run of a case, judged.
struct LabRun {
  sim::CaseRun run;
  std::string agreement;  // atlas_agreement, or the failed safety check's label
  std::string record;     // where its record is
};

int run_explore_lab(const ExploreCliOptions& cli, const sim::ExploreResult& model,
                    const std::vector<sim::TopologyCase>& cases) {
  const auto& o = model.options;
  std::filesystem::path dir = cli.out;
  const bool temporary = dir.empty();
  if (temporary) {
    auto made = make_temp_folder("faultline-explore");
    if (!made) {
      std::fprintf(stderr, "faultline explore: cannot make a folder in %s\n",
                   std::filesystem::temp_directory_path().c_str());
      return kCannotRun;
    }
    dir = *made;
  }
  std::map<std::string, const sim::AtlasCase*> by_id;
  for (const auto& c : model.cases) by_id[c.topology.id] = &c;

  const std::size_t total = cases.size() * o.profiles.size() * cli.lab_seeds;
  const int width = links_width(cases);
  if (!cli.json) {
    std::printf(
        "atlas in the lab: %d nodes, %zu of %zu cases, %s on %s, %zu profile(s) x %llu lab "
        "run(s) = %zu runs of %s each (%s warm-up, %s lag, cuts held %s, %.0f writes/s); "
        "model: %llu seeds per case, %s\n",
        o.nodes, cases.size(), model.cases.size(), cli.system.c_str(),
        cli.net == "loopback" ? "loopback" : "network namespaces", o.profiles.size(),
        static_cast<unsigned long long>(cli.lab_seeds), total,
        sim::format_duration(o.warmup_us + o.lag_us + o.topology_us).c_str(),
        sim::format_duration(o.warmup_us).c_str(), sim::format_duration(o.lag_us).c_str(),
        sim::format_duration(o.topology_us).c_str(), o.rate,
        static_cast<unsigned long long>(o.seeds), links_text(o.loss_model));
    std::printf(
        "model: the verdict over the seeds (a number: seeds that gave it, when not all), mean "
        "downtime, mean elections;\nlab: verdict, downtime, elections; both from the first "
        "fault to the end\n\n");
    std::printf("%-9s %-*s %4s %3s %-10s %-15s %-17s %-13s %s\n", "case", width, "cut links",
                "lead", "lag", "qc", "profile", "model", "lab", "lab vs model");
    std::fflush(stdout);
  }

  // (case, profile) -> lab runs
  std::map<std::pair<std::string, std::string>, std::vector<LabRun>> runs;
  std::size_t done = 0;
  int defects = 0, not_run = 0;
  bool differs = false;
  std::string version = cli.system;  // the lab's own name for it, from its first run
  for (const auto& c : cases) {
    const auto scenario_file = dir / "scenarios" / ("atlas-" + c.id + ".toml");
    if (!write_file(scenario_file, sim::atlas_text(c, o))) return kCannotRun;
    const sim::AtlasCase& modelled = *by_id.at(c.id);
    for (const auto& profile : o.profiles) {
      for (std::uint64_t seed = 1; seed <= cli.lab_seeds; ++seed) {
        ++done;
        std::fprintf(stderr, "faultline explore: [%zu/%zu] %s, %s, lab run %llu ...\n", done, total,
                     c.id.c_str(), profile.c_str(), static_cast<unsigned long long>(seed));
        const auto out = dir / "lab" / ("seed-" + std::to_string(seed));
        LabChild child = run_lab_child({scenario_file.string(), "--system", cli.system, "--profile",
                                        profile, "--seed", std::to_string(seed), "--net", cli.net,
                                        "--out", out.string()});
        // A run that could not run is said and the campaign goes on: one failed start-up
        // should not throw away an hour of runs. The command exits 2 at the end.
        std::string failure;
        LabRun r;
        record::RunRecord record;
        if (child.summary.is_null()) {
          failure = "the lab could not run (exit " + std::to_string(child.exit_code) + ")";
        } else {
          version = child.summary.value("system_version", cli.system);
          r.record = (out / ("atlas-" + c.id) / child.summary.value("profile", profile)).string();
          try {
            record = record::load(r.record);
          } catch (const record::RecordError& e) {
            failure = std::string("the lab's record: ") + e.what();
          }
        }
        if (!failure.empty()) {
          ++not_run;
          if (cli.json) {
            nlohmann::json j = {{"case", c.id},
                                {"profile", profile},
                                {"seed", seed},
                                {"system", cli.system},
                                {"error", failure}};
            std::printf("%s\n", j.dump().c_str());
          } else {
            std::printf("%s %-15s NOT RUN: %s\n", case_head(c, width).c_str(), profile.c_str(),
                        failure.c_str());
          }
          std::fflush(stdout);
          continue;
        }
        analysis::Options analysis_options;
        analysis_options.check_linearizability = false;  // writes only, as in the model
        r.run = sim::judge_case_run(record, analysis::analyze(record, analysis_options));
        const sim::CaseOutcome& m = modelled.outcomes.at(profile);
        r.agreement = r.run.violation.empty() ? sim::atlas_agreement(m, r.run.verdict)
                                              : finding_label(r.run.violation);
        defects += !r.run.violation.empty();
        differs |= r.agreement != "agrees" && r.agreement != "in range";
        if (cli.json) {
          nlohmann::json j;
          j["case"] = c.id;
          j["profile"] = profile;
          j["seed"] = seed;
          j["system"] = cli.system;
          j["system_version"] = version;
          j["model"] = {{"verdict", m.verdict},
                        {"verdicts", m.verdicts},
                        {"downtime_ms", m.downtime_ms},
                        {"elections", m.elections}};
          j["lab"] = {{"verdict", r.run.verdict},
                      {"downtime_ms", r.run.downtime_ms},
                      {"elections", r.run.elections},
                      {"unresolved", r.run.unresolved},
                      {"violation", r.run.violation},
                      {"store_check", child.summary.value("store_check", "")},
                      {"record", r.record}};
          j["agreement"] = r.agreement;
          std::printf("%s\n", j.dump().c_str());
        } else {
          std::string line = case_head(c, width) + " ";
          char rest[160];
          std::snprintf(rest, sizeof rest, "%-15s %-17s %-13s %s", profile.c_str(),
                        model_cell(m, o.seeds).c_str(), lab_cell(r.run).c_str(),
                        r.agreement.c_str());
          line += rest;
          if (r.run.unresolved) line += " (no leader when the cuts fired)";
          std::printf("%s\n", line.c_str());
          if (!r.run.violation.empty()) std::printf("  %s\n", r.run.violation.c_str());
        }
        std::fflush(stdout);
        runs[{c.id, profile}].push_back(std::move(r));
      }
    }
  }

  // Per profile: how often the lab agreed, and coverage over the cases run, model and lab.
  nlohmann::json lab_doc = {{"system", cli.system},
                            {"system_version", version},
                            {"net", cli.net},
                            {"seeds", cli.lab_seeds},
                            {"profiles", nlohmann::json::object()}};
  int qc_cases = 0;
  for (const auto& c : cases) qc_cases += !c.quorum_connected.empty();
  if (!cli.json)
    std::printf("\n%s: of %zu case(s) run, %d with a quorum-connected node\n",
                (version == cli.system ? version : cli.system + " (" + version + ")").c_str(),
                cases.size(), qc_cases);
  for (const auto& profile : o.profiles) {
    std::map<std::string, int> counts;
    // Coverage over the quorum-connected cases the lab ran (a case whose runs all failed to
    // start is left out of both, model and lab).
    int model_live = 0, lab_live = 0, qc_run = 0;
    for (const auto& c : cases) {
      const auto& these = runs[{c.id, profile}];
      std::vector<sim::CaseRun> judged;
      for (const auto& r : these) {
        ++counts[r.agreement];
        judged.push_back(r.run);
      }
      if (c.quorum_connected.empty() || judged.empty()) continue;
      ++qc_run;
      model_live += by_id.at(c.id)->outcomes.at(profile).live();
      lab_live += sim::summarize_case(judged).live();
    }
    lab_doc["profiles"][profile] = {{"agreement", counts},
                                    {"model_live", model_live},
                                    {"lab_live", lab_live},
                                    {"quorum_connected_cases", qc_run}};
    if (cli.json) continue;
    std::string tally;
    for (const char* k : {"agrees", "in range", "DIFFERS", "NODE EXIT", "STORES DIFFER"})
      if (counts.count(k))
        tally += (tally.empty() ? "" : ", ") + std::string(k) + " " + std::to_string(counts[k]);
    if (tally.empty()) tally = "no run";
    auto pct = [&](int live) { return qc_run ? 100.0 * live / qc_run : 0.0; };
    std::printf("  %-15s lab vs model: %s; coverage: model %.1f%% (%d/%d), lab %.1f%% (%d/%d)\n",
                profile.c_str(), tally.c_str(), pct(model_live), model_live, qc_run, pct(lab_live),
                lab_live, qc_run);
  }

  // The atlas file, with each lab run beside the model's outcome.
  nlohmann::json atlas = sim::atlas_document(model);
  for (auto& t : atlas["topologies"]) {
    for (const auto& profile : o.profiles) {
      auto it = runs.find({t["id"].get<std::string>(), profile});
      if (it == runs.end()) continue;
      nlohmann::json lab_runs = nlohmann::json::array();
      for (const auto& r : it->second)
        lab_runs.push_back({{"verdict", r.run.verdict},
                            {"downtime_ms", r.run.downtime_ms},
                            {"elections", r.run.elections},
                            {"agreement", r.agreement},
                            {"record", std::filesystem::relative(r.record, dir).string()}});
      t["results"][profile]["lab"] = std::move(lab_runs);
    }
  }
  atlas["lab"] = lab_doc;
  if (!write_file(dir / "atlas.json", atlas.dump(1) + "\n")) return kCannotRun;
  if (temporary && !differs && defects == 0 && not_run == 0) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  } else {
    std::fprintf(cli.json ? stderr : stdout,
                 "%sscenario files, lab records and atlas.json (with the lab's runs) in %s\n",
                 cli.json ? "faultline explore: " : "\n", dir.c_str());
  }
  if (defects)
    std::fprintf(stderr, "faultline explore: %d lab run(s) failed a safety check; kept in %s\n",
                 defects, dir.c_str());
  if (not_run) {
    std::fprintf(stderr, "faultline explore: %d lab run(s) could not run; kept in %s\n", not_run,
                 dir.c_str());
    return kCannotRun;
  }
  return defects || model.violations ? kInvalid : kValid;
}

int run_explore(const ExploreCliOptions& cli) {
  sim::ExploreOptions o;
  o.nodes = cli.nodes;
  o.profiles = cli.profiles;
  o.seeds = cli.seeds;
  o.rate = cli.rate;
  o.threads = cli.threads;
  auto duration = sim::parse_duration(cli.duration);
  if (!duration) {
    std::fprintf(stderr, "faultline explore: --duration `%s` is not a duration like \"30s\"\n",
                 cli.duration.c_str());
    return kCannotRun;
  }
  o.topology_us = *duration;
  auto settle = sim::parse_duration(cli.settle);
  if (!settle) {
    std::fprintf(stderr,
                 "faultline explore: --settle `%s` is not a duration like \"3s\" (\"0s\": off)\n",
                 cli.settle.c_str());
    return kCannotRun;
  }
  o.settle_us = *settle;
  if (cli.nodes < 3 || cli.nodes > sim::kTopologyMaxNodes) {
    std::fprintf(stderr, "faultline explore: --nodes must be 3, 4 or 5\n");
    return kCannotRun;
  }
  // A loopback lab cuts with the transport's hooks, message by message, and gives a link
  // back at once; nftables in namespaces cuts packets, which TCP sees. The model the lab is
  // set beside cuts the same way.
  const bool loopback_lab = cli.lab && cli.net == "loopback";
  const auto lab_model =
      loopback_lab ? sim::LinkParams::LossModel::datagram : sim::LinkParams::LossModel::stream;
  const auto model = cli.loss_model.empty() ? lab_model : sim::parse_loss_model(cli.loss_model);
  if (!model) {
    std::fprintf(stderr, "faultline explore: --loss-model must be stream or datagram\n");
    return kCannotRun;
  }
  if (cli.lab && *model != lab_model) {
    std::fprintf(stderr,
                 "faultline explore: a lab on %s cuts %s, so the model it is set beside is "
                 "--loss-model %s\n",
                 cli.net.c_str(),
                 loopback_lab ? "messages (the transport's hooks)" : "packets (nftables)",
                 sim::loss_model_name(lab_model));
    return kCannotRun;
  }
  o.loss_model = *model;
  if (cli.lab && o.profiles.empty()) o.profiles = {"etcd-3.4", "etcd-3.5"};
  if (!cli.lab && !cli.cases.empty()) {
    std::fprintf(stderr, "faultline explore: --case is for --lab (the model runs every case)\n");
    return kCannotRun;
  }
  try {
    sim::validate_explore(o);  // before the cases are counted for the progress bar
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "faultline %s\n", e.what());
    return kCannotRun;
  }
  std::vector<sim::TopologyCase> lab_cases;
  if (cli.sample > 0 && (!cli.lab || !cli.cases.empty())) {
    std::fprintf(stderr, "faultline explore: --sample is for --lab, instead of --case\n");
    return kCannotRun;
  }
  if (cli.lab) {
    std::string problem = select_cases(cli, lab_cases);
    if (problem.empty()) problem = lab_problem(cli, o, lab_cases);
    if (!problem.empty()) {
      std::fprintf(stderr, "faultline explore: %s\n", problem.c_str());
      return kCannotRun;
    }
  }
  const std::size_t cases = sim::enumerate_topologies(o.nodes).size();
  const std::size_t profiles = o.profiles.empty() ? raft::profiles().size() : o.profiles.size();
  Progress progress("explore " + std::to_string(o.nodes) + " nodes",
                    cases * profiles * std::max<std::uint64_t>(o.seeds, 1));
  o.on_run_done = [&progress] { progress.advance(); };

  keep_freed_memory();  // thousands of runs, each allocating and freeing a few MB

  const auto start = std::chrono::steady_clock::now();
  sim::ExploreResult result;
  try {
    result = sim::explore(o);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "faultline %s\n", e.what());
    return kCannotRun;
  }
  progress.finish();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  auto say_violations = [&] {
    for (const auto& c : result.cases)
      for (const auto& [profile, outcome] : c.outcomes)
        if (outcome.violations)
          std::fprintf(stderr, "faultline explore: INVARIANT VIOLATION in %s, profile %s: %s\n",
                       c.topology.id.c_str(), profile.c_str(), outcome.violation.c_str());
  };
  if (cli.lab) {
    say_violations();  // before the lab's long runs, not after
    if (cli.sample > 0) lab_cases = sim::sample_cases(result, cli.sample);
    return run_explore_lab(cli, result, lab_cases);
  }
  const std::string document = cli.out.empty() && !cli.json ? "" : sim::atlas_json(result);
  if (!cli.out.empty() &&
      !write_file(std::filesystem::path(cli.out) / "atlas.json", document + "\n"))
    return kCannotRun;
  if (cli.json)
    std::printf("%s\n", document.c_str());
  else
    print_table(result, wall);
  say_violations();
  return result.violations > 0 ? kInvalid : kValid;
}

CommandRegistration registration(
    "explore",
    "the atlas: every partial-connectivity topology, leader and lagging position, per profile", 12,
    [](CLI::App& sub) {
      auto o = std::make_shared<ExploreCliOptions>();
      sub.add_option("--nodes", o->nodes, "cluster size: 3, 4 or 5 (default 3)");
      sub.add_option("--profile,-p", o->profiles,
                     "a profile to run (repeatable; default: all five)");
      sub.add_option("--seeds", o->seeds, "seeds per case and profile (default 10)");
      sub.add_option("--duration", o->duration,
                     "how long each case's cuts are held, to the end of the run (default 30s)");
      sub.add_option("--rate", o->rate, "client writes per second (default 100)");
      sub.add_option("--loss-model", o->loss_model,
                     "what a cut does to the model's links: stream (TCP streams stall and come "
                     "back at a retransmission, as under nftables; the default) or datagram "
                     "(messages are dropped and the link heals at once; the default with --lab "
                     "--net loopback, whose cuts are the transport's hooks)");
      sub.add_option("--settle", o->settle,
                     "stop a run once its nodes have shown no change for this long and write "
                     "out the settled state to the end (default 3s; 0s: simulate every run to "
                     "the end)");
      sub.add_flag("--json", o->json, "print the atlas document instead of the table");
      sub.add_option("--out", o->out,
                     "write DIR/atlas.json (for `faultline report DIR`); with --lab also the "
                     "cases' scenario files and the lab's run records");
      sub.add_option("--threads", o->threads, "worker threads (default: every core)");
      sub.add_flag("--lab", o->lab,
                   "then run the cases on real clusters (`faultline lab`, one at a time) and "
                   "set each beside the model (default profiles: etcd-3.4 and etcd-3.5)");
      sub.add_option("--system", o->system, "with --lab: etcd or faultline")->capture_default_str();
      sub.add_option("--net", o->net, "with --lab: namespaces (root) or loopback (faultline)")
          ->capture_default_str();
      sub.add_option("--case", o->cases, "with --lab: a case id to run (repeatable; default: all)");
      sub.add_option("--sample", o->sample,
                     "with --lab: N cases picked at random, spread over the model's verdicts "
                     "(the same N every time)");
      sub.add_option("--lab-seeds", o->lab_seeds,
                     "with --lab: lab runs per case and profile, seeds 1..N (default 1)");
      return [o] { return run_explore(*o); };
    });

}  // namespace
}  // namespace faultline::cli
