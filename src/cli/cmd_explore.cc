// `faultline explore --nodes 3|4|5`: the atlas. Every partial-connectivity case (cut graph
// up to isomorphism, leader position, lagging node or none) runs in the simulator for each
// profile over K seeds on every core; prints per-profile coverage and a compact grid, or
// with --json the atlas document (src/report/atlas.h's format), and with --out DIR writes
// DIR/atlas.json for `faultline report DIR`.
// Exit codes: 0 every run safe, 1 a safety invariant broke, 2 could not run (bad options).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/memory.h"
#include "cli/progress.h"
#include "raft/profiles.h"
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
  bool json = false;
  std::string out;
  unsigned threads = 0;
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

void print_table(const sim::ExploreResult& r, double wall_seconds) {
  const auto& o = r.options;
  int graphs = 0;
  for (const auto& c : r.cases) graphs = std::max(graphs, c.topology.graph + 1);
  std::printf(
      "atlas: %d nodes, %d topologies, %zu cases (leader and lagging positions), %zu profiles x "
      "%llu seeds; each run: %s warm-up, cuts held %s, %.0f writes/s; %zu runs in %.1f s "
      "(%zu settled early)\n",
      o.nodes, graphs, r.cases.size(), o.profiles.size(), static_cast<unsigned long long>(o.seeds),
      sim::format_duration(o.warmup_us).c_str(), sim::format_duration(o.topology_us).c_str(),
      o.rate, r.runs, wall_seconds, r.settled_runs);
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
  std::printf("%-9s %-20s %4s %3s %-10s", "case", "cut links", "lead", "lag", "qc");
  for (std::size_t i = 0; i < o.profiles.size(); ++i)
    std::printf(i + 1 < o.profiles.size() ? " %-14s" : " %s", o.profiles[i].c_str());
  std::printf("\n");
  for (const auto& c : r.cases) {
    const auto& t = c.topology;
    std::string qc;
    for (int v : t.quorum_connected) qc += (qc.empty() ? "" : ",") + std::to_string(v + 1);
    if (qc.empty()) qc = "none";
    char head[96];
    std::snprintf(head, sizeof head, "%-9s %-20s %4d %3s %-10s", t.id.c_str(), cut_text(t).c_str(),
                  t.leader + 1, t.lagging < 0 ? "-" : std::to_string(t.lagging + 1).c_str(),
                  qc.c_str());
    std::string line = head;
    for (const auto& p : o.profiles) {
      const std::string text = cell(c.outcomes.at(p), o.seeds);
      line += " " + text + std::string(text.size() < 14 ? 14 - text.size() : 0, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    std::printf("%s\n", line.c_str());
  }
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
  try {
    sim::validate_explore(o);  // before the cases are counted for the progress bar
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "faultline %s\n", e.what());
    return kCannotRun;
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

  if (!cli.out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(cli.out, ec);
    const auto file = std::filesystem::path(cli.out) / "atlas.json";
    std::ofstream f(file);
    f << sim::atlas_json(result) << "\n";
    if (ec || !f.flush()) {
      std::fprintf(stderr, "faultline explore: cannot write %s\n", file.string().c_str());
      return kCannotRun;
    }
  }
  if (cli.json)
    std::printf("%s\n", sim::atlas_json(result).c_str());
  else
    print_table(result, wall);
  for (const auto& c : result.cases)
    for (const auto& [profile, outcome] : c.outcomes)
      if (outcome.violations)
        std::fprintf(stderr, "faultline explore: INVARIANT VIOLATION in %s, profile %s: %s\n",
                     c.topology.id.c_str(), profile.c_str(), outcome.violation.c_str());
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
      sub.add_option("--settle", o->settle,
                     "stop a run once its nodes have shown no change for this long and write "
                     "out the settled state to the end (default 3s; 0s: simulate every run to "
                     "the end)");
      sub.add_flag("--json", o->json, "print the atlas document instead of the table");
      sub.add_option("--out", o->out, "write DIR/atlas.json (for `faultline report DIR`)");
      sub.add_option("--threads", o->threads, "worker threads (default: every core)");
      return [o] { return run_explore(*o); };
    });

}  // namespace
}  // namespace faultline::cli
