// `faultline sim-bench`: how fast the simulator runs, in simulated seconds per wall-clock
// second, on a fault-free cluster under the paper's load (by default 5 nodes at 1000
// writes/s). Measure it in a Release build: a Debug build is several times slower.
#include <chrono>
#include <cstdio>
#include <string>

#include "cli/command.h"
#include "raft/profiles.h"
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
};

int run_bench(const BenchOptions& o) {
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

  std::printf(
      "sim-bench: %d nodes, %.0f ops/s (%.0f%% reads), %s simulated per run, profile %s, "
      "%d run(s), one thread\n",
      o.nodes, o.rate, o.read_share * 100, o.duration.c_str(), o.profile.c_str(), o.runs);
  double total_sim = 0, total_wall = 0;
  for (int r = 0; r < o.runs; ++r) {
    sim::SimRequest req{&scenario, o.profile, o.seed + static_cast<std::uint64_t>(r), {}};
    auto start = std::chrono::steady_clock::now();
    sim::SimResult res = sim::simulate(req);
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
  }
  std::printf("simulated seconds per wall second (one core): %.0f\n", total_sim / total_wall);
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
      return [o] { return run_bench(*o); };
    });

}  // namespace
}  // namespace faultline::cli
