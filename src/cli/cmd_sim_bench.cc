// `faultline sim-bench`: how fast the simulator runs, in simulated seconds per wall-clock
// second (and per CPU second, which a loaded machine disturbs less), on a fault-free
// cluster under the paper's load (by default 5 nodes at 1000 writes/s); with --atlas N,
// also the time of the whole N-node atlas (`faultline explore`'s defaults: five profiles,
// 10 seeds, 30 s at 100 writes/s) on every core. Measure it in a Release build: a Debug
// build is several times slower.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <string>

#include "cli/command.h"
#include "cli/cpu_time.h"
#include "cli/memory.h"
#include "raft/profiles.h"
#include "sim/atlas.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace faultline::cli {
namespace {

struct BenchOptions {
  int nodes = 5;
  double rate = 1000;
  std::string duration = "60s";
  std::string profile = "etcd-3.5";
  std::uint64_t seed = 1;
  int runs = 3;
  double read_share = 0;
  int atlas_nodes = 0;  // 0: no atlas
};

int time_atlas(int nodes) {
  sim::ExploreOptions o;
  o.nodes = nodes;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  sim::ExploreResult r;
  try {
    r = sim::explore(o);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "faultline sim-bench: %s\n", e.what());
    return kCannotRun;
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = process_cpu_seconds() - cpu_start;
  const std::size_t runs = r.runs;
  std::printf(
      "atlas: %d nodes, %zu cases x %zu profiles x %llu seeds = %zu runs of %s: %.1f wall s, "
      "%.1f CPU s (%.1f ms CPU per run)\n",
      nodes, r.cases.size(), r.options.profiles.size(),
      static_cast<unsigned long long>(r.options.seeds), runs,
      sim::format_duration(o.warmup_us + o.lag_us + o.topology_us).c_str(), wall, cpu,
      runs ? 1000.0 * cpu / static_cast<double>(runs) : 0.0);
  return r.violations > 0 ? kInvalid : kValid;
}

int run_bench(const BenchOptions& o) {
  keep_freed_memory();  // as `faultline sim` and `explore` do
  auto duration = sim::parse_duration(o.duration);
  if (!duration || *duration <= 0) {
    std::fprintf(stderr, "faultline sim-bench: --duration `%s` is not a duration like \"60s\"\n",
                 o.duration.c_str());
    return kCannotRun;
  }
  if (o.nodes < 1 || o.nodes > 15 || o.rate < 0 || o.rate > 1e6 || o.runs < 1 || o.runs > 1000 ||
      o.read_share < 0 || o.read_share > 1) {
    std::fprintf(stderr,
                 "faultline sim-bench: need 1 <= --nodes <= 15, 0 <= --rate <= 1e6, "
                 "1 <= --runs <= 1000, 0 <= --read-share <= 1\n");
    return kCannotRun;
  }
  if (o.atlas_nodes != 0 && (o.atlas_nodes < 3 || o.atlas_nodes > sim::kTopologyMaxNodes)) {
    std::fprintf(stderr, "faultline sim-bench: --atlas must be 3, 4 or 5\n");
    return kCannotRun;
  }
  if (!raft::find_profile(o.profile)) {
    std::fprintf(stderr, "faultline sim-bench: unknown profile `%s` (known: %s)\n",
                 o.profile.c_str(), raft::profile_names().c_str());
    return kCannotRun;
  }
  sim::Scenario scenario;
  scenario.name = "sim-bench";
  scenario.nodes = o.nodes;
  scenario.duration_us = *duration;
  scenario.workload.rate = o.rate;
  scenario.workload.read_share = o.read_share;
  if (std::string problem = sim::memory_problem(scenario); !problem.empty()) {
    std::fprintf(stderr, "faultline sim-bench: %s\n", problem.c_str());
    return kCannotRun;
  }

  std::printf(
      "sim-bench: %d nodes, %.0f ops/s (%.0f%% reads), %s simulated per run, profile %s, "
      "%d run(s), one thread\n",
      o.nodes, o.rate, o.read_share * 100, o.duration.c_str(), o.profile.c_str(), o.runs);
  double total_sim = 0, total_wall = 0, total_cpu = 0;
  std::uint64_t total_events = 0, total_messages = 0, total_ops = 0;
  for (int r = 0; r < o.runs; ++r) {
    sim::SimRequest req{&scenario, o.profile, o.seed + static_cast<std::uint64_t>(r), {}};
    auto start = std::chrono::steady_clock::now();
    const double cpu_start = process_cpu_seconds();
    sim::SimResult res = sim::simulate(req);
    total_cpu += process_cpu_seconds() - cpu_start;
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double simulated = static_cast<double>(res.stats.simulated_us) / 1e6;
    std::uint64_t ok = 0;
    for (const auto& op : res.record.ops) ok += op.outcome == record::Outcome::ok;
    std::printf(
        "  run %d: %.1f simulated s in %.3f wall s = %.0f sim-s/s; %.2fM events/s, "
        "%llu messages, %llu Readies, %llu/%zu ops ok\n",
        r + 1, simulated, wall, simulated / wall,
        static_cast<double>(res.stats.events) / wall / 1e6,
        static_cast<unsigned long long>(res.stats.messages_sent),
        static_cast<unsigned long long>(res.stats.readies), static_cast<unsigned long long>(ok),
        res.record.ops.size());
    total_sim += simulated;
    total_wall += wall;
    total_events += res.stats.events;
    total_messages += res.stats.messages_sent;
    total_ops += res.record.ops.size();
  }
  std::printf("simulated seconds per wall second (one core): %.0f\n", total_sim / total_wall);
  std::printf("simulated seconds per CPU second: %.0f\n", total_sim / total_cpu);
  if (total_ops > 0)
    std::printf("per client operation: %.1f events, %.1f messages, %.1f us CPU\n",
                static_cast<double>(total_events) / static_cast<double>(total_ops),
                static_cast<double>(total_messages) / static_cast<double>(total_ops),
                1e6 * total_cpu / static_cast<double>(total_ops));
  if (o.atlas_nodes) return time_atlas(o.atlas_nodes);
  return kValid;
}

CommandRegistration registration(
    "sim-bench", "measure the simulator's speed in simulated seconds per wall second", 11,
    [](CLI::App& sub) {
      auto o = std::make_shared<BenchOptions>();
      sub.add_option("--nodes", o->nodes, "cluster size (default 5)");
      sub.add_option("--rate", o->rate, "client operations per second (default 1000)");
      sub.add_option("--duration", o->duration, "simulated time per run (default 60s)");
      sub.add_option("--profile", o->profile, "profile (default etcd-3.5)");
      sub.add_option("--seed", o->seed, "first seed (default 1)");
      sub.add_option("--runs", o->runs, "runs to average over (default 3)");
      sub.add_option("--read-share", o->read_share, "share of linearizable reads (default 0)");
      sub.add_option("--atlas", o->atlas_nodes,
                     "also time the whole atlas of this many nodes (3-5), explore's defaults");
      return [o] { return run_bench(*o); };
    });

}  // namespace
}  // namespace faultline::cli
