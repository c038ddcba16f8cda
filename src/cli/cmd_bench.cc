// `faultline bench`: a load generator for any etcd v3 endpoint list (faultline or real
// etcd). Closed loop with C clients over K connections, or open loop at a fixed rate
// (latency measured from each request's intended start). See docs/bench.md.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "cli/command.h"
#include "cli/cpu_time.h"
#include "client/bench_summary.h"
#include "client/drivers.h"
#include "client/kv_client.h"
#include "client/machine_floor.h"
#include "sim/scenario.h"

namespace faultline::cli {
namespace {

using namespace std::chrono_literals;

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted.store(true); }

// A duration as scenarios write it ("10s", "500ms", "2m", "1.5s"), or a bare number of
// seconds.
std::chrono::microseconds parse_duration(const std::string& text, const char* flag) {
  const bool bare = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos;
  const auto us = sim::parse_duration(bare ? text + "s" : text);
  if (!us) {
    throw std::invalid_argument(
        fmt::format("{}: '{}' is not a duration like 10s, 500ms or 2m", flag, text));
  }
  return std::chrono::microseconds(*us);
}

struct BenchFlags {
  std::string endpoints;
  std::uint32_t clients = 1;
  std::size_t conns = 1;
  double rate = 0;
  std::string duration;
  std::uint64_t total = 0;
  std::string op = "put";
  double read_ratio = 0.5;
  std::string consistency = "l";
  std::size_t value_size = 256;
  std::uint64_t key_space = 100000;
  std::string key_prefix = "bench/";
  std::string timeout = "1s";
  std::string csv;
  bool json = false;
  std::size_t threads = 1;
  std::uint64_t seed = 1;
  bool leader_only = false;
  std::string floor_dir;
};

client::WorkloadSpec workload_from(const BenchFlags& f) {
  client::WorkloadSpec spec;
  if (f.op == "put") {
    spec.mix = client::OpMix::put;
  } else if (f.op == "get") {
    spec.mix = client::OpMix::get;
  } else if (f.op == "mix") {
    spec.mix = client::OpMix::mix;
  } else {
    throw std::invalid_argument("--op must be put, get or mix, not '" + f.op + "'");
  }
  if (f.consistency == "l" || f.consistency == "linearizable") {
    spec.consistency = client::ReadConsistency::linearizable;
  } else if (f.consistency == "s" || f.consistency == "serializable") {
    spec.consistency = client::ReadConsistency::serializable;
  } else {
    throw std::invalid_argument("--consistency must be l or s, not '" + f.consistency + "'");
  }
  spec.read_ratio = f.read_ratio;
  spec.value_size = f.value_size;
  spec.key_space = f.key_space;
  spec.key_prefix = f.key_prefix;
  spec.seed = f.seed;
  return spec;
}

// Writers of the shared-disk floor probe: the nodes of a 3-node cluster on one disk.
constexpr unsigned kFloorWriters = 3;

nlohmann::json floor_json(const client::FloorSample& s) {
  return {{"count", s.count}, {"min_us", s.min}, {"p50_us", s.p50}, {"p99_us", s.p99}};
}

int run_bench(const BenchFlags& f) {
  client::OpGenerator workload(workload_from(f));
  client::RunLimits limits;
  limits.total_ops = f.total;
  if (!f.duration.empty()) limits.duration = parse_duration(f.duration, "--duration");
  if (f.duration.empty() && f.total == 0) limits.duration = 10s;
  const auto timeout = parse_duration(f.timeout, "--timeout");
  if (f.rate < 0) throw std::invalid_argument("--rate must be positive");

  auto endpoints = client::parse_endpoints(f.endpoints);
  if (f.leader_only) {
    client::AsyncKvClient probe({.endpoints = endpoints, .connections = 1});
    auto leader = client::find_leader_endpoint(probe, 2000ms);
    if (!leader) {
      std::fprintf(stderr, "faultline bench: no agreed leader among %s\n", f.endpoints.c_str());
      return kCannotRun;
    }
    endpoints = {endpoints[*leader]};
  }
  client::AsyncKvClient kv(
      {.endpoints = endpoints, .connections = f.conns, .completion_threads = f.threads});

  // The floor: a sync alone, then three at once (a 3-node cluster whose logs share the
  // disk syncs on all three nodes at about the same moment), and a loopback round trip.
  std::optional<client::FloorSample> disk, disk_shared, rtt;
  if (!f.floor_dir.empty()) {
    disk = client::measure_fdatasync(f.floor_dir);
    disk_shared = client::measure_fdatasync(f.floor_dir, 200, 4096, kFloorWriters);
    rtt = client::measure_loopback_rtt();
  }

  // Ctrl-C ends the run early but still prints what was measured.
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  std::atomic<std::uint64_t> completed{0};
  std::stop_source stop;
  const bool show_progress = !f.json && ::isatty(STDERR_FILENO);
  std::jthread watcher([&](std::stop_token done) {
    auto next_report = client::Clock::now() + 1s;
    while (!done.stop_requested()) {
      std::this_thread::sleep_for(100ms);
      if (g_interrupted.load()) stop.request_stop();
      if (show_progress && client::Clock::now() >= next_report) {
        std::fprintf(stderr, "\r%llu requests completed",
                     static_cast<unsigned long long>(completed.load()));
        next_report += 1s;
      }
    }
  });

  // The client's own CPU (every thread of this process) during the run: on a machine the
  // servers share with the client, what the load generator costs matters too.
  const double cpu_before = process_cpu_seconds();
  const auto origin = client::Clock::now();
  client::DriveResult run;
  std::string mode;
  if (f.rate > 0) {
    mode = fmt::format("open loop at {} req/s", f.rate);
    client::OpenLoopOptions options;
    options.rate_per_s = f.rate;
    options.limits = limits;
    options.timeout = timeout;
    options.progress = &completed;
    run = client::run_open_loop(kv, workload, options, origin, stop.get_token());
  } else {
    mode = fmt::format("closed loop, {} clients over {} connections", f.clients,
                       kv.connection_count());
    client::ClosedLoopOptions options;
    options.clients = f.clients;
    options.limits = limits;
    options.timeout = timeout;
    options.progress = &completed;
    run = client::run_closed_loop(kv, workload, options, origin, stop.get_token());
  }
  const auto client_cpu_us = static_cast<std::uint64_t>((process_cpu_seconds() - cpu_before) * 1e6);
  watcher.request_stop();
  watcher.join();
  if (show_progress) std::fprintf(stderr, "\r\033[K");
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  auto summary = client::summarize(run);
  if (!f.csv.empty()) {
    std::ofstream out(f.csv);
    client::write_per_second_csv(out, run);
    if (!out) throw std::runtime_error("cannot write " + f.csv);
  }
  std::string target = fmt::format("{}", fmt::join(endpoints, ","));
  if (f.json) {
    nlohmann::json j = {{"endpoints", target},
                        {"mode", f.rate > 0 ? "open" : "closed"},
                        {"clients", f.clients},
                        {"connections", kv.connection_count()},
                        {"rate", f.rate},
                        {"op", f.op},
                        {"consistency", f.consistency},
                        {"value_size", f.value_size},
                        {"key_space", f.key_space},
                        {"stopped_early", run.stopped || run.capped},
                        {"client_cpu_us", client_cpu_us},
                        {"summary", client::to_json(summary)}};
    if (disk) {
      j["floor"] = {{"fdatasync_4k", floor_json(*disk)},
                    {"fdatasync_4k_shared", floor_json(*disk_shared)},
                    {"shared_writers", kFloorWriters},
                    {"loopback_rtt", floor_json(*rtt)}};
    }
    std::cout << j.dump(2) << '\n';
  } else {
    std::cout << fmt::format("faultline bench: {}, {} of {} bytes on {} keys, to {}\n", mode, f.op,
                             f.value_size, f.key_space, target);
    if (run.stopped) std::cout << "(interrupted)\n";
    if (run.capped) std::cout << "(stopped at the limit of recorded operations)\n";
    std::cout << client::to_text(summary);
    std::cout << fmt::format("client CPU  {} us per request (user + system, every thread)\n",
                             client_cpu_us / std::max<std::uint64_t>(summary.total, 1));
    if (disk) {
      std::cout << fmt::format(
          "floor       fdatasync of a 4 KiB append in {}: p50 {} us, p99 {} us alone; "
          "p50 {} us, p99 {} us with {} writers syncing at once; "
          "loopback TCP round trip: p50 {} us, p99 {} us\n",
          f.floor_dir, disk->p50, disk->p99, disk_shared->p50, disk_shared->p99, kFloorWriters,
          rtt->p50, rtt->p99);
    }
  }
  if (summary.ok == 0) {
    std::fprintf(stderr, "faultline bench: no request succeeded\n");
    return kCannotRun;
  }
  return kValid;
}

const CommandRegistration registration{
    "bench", "load generator for any etcd v3 endpoint list (faultline or etcd)", 80,
    [](CLI::App& sub) -> std::function<int()> {
      auto f = std::make_shared<BenchFlags>();
      sub.add_option("--endpoints", f->endpoints, "host:port list, comma separated")->required();
      auto* clients = sub.add_option("--clients", f->clients, "closed loop: concurrent clients")
                          ->check(CLI::Range(1u, 100000u));
      sub.add_option("--conns", f->conns, "gRPC connections (spread over the endpoints)")
          ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
      sub.add_option("--rate", f->rate, "open loop: requests per second (0: closed loop)")
          ->excludes(clients);
      sub.add_option("--duration", f->duration, "run length, e.g. 10s (default 10s)");
      sub.add_option("--total", f->total, "stop after this many requests");
      sub.add_option("--op", f->op, "put | get | mix");
      sub.add_option("--read-ratio", f->read_ratio, "share of gets with --op mix");
      sub.add_option("--consistency", f->consistency, "reads: l (linearizable) | s (serializable)");
      sub.add_option("--value-size", f->value_size, "bytes per value");
      sub.add_option("--key-space", f->key_space, "keys drawn uniformly from this many");
      sub.add_option("--key-prefix", f->key_prefix, "prefix of every key");
      sub.add_option("--timeout", f->timeout, "per-request timeout, e.g. 1s");
      sub.add_option("--csv", f->csv, "write one line per second to this file");
      sub.add_flag("--json", f->json, "print the result as JSON");
      sub.add_option("--threads", f->threads, "completion threads")
          ->check(CLI::Range(std::size_t{1}, std::size_t{64}));
      sub.add_option("--seed", f->seed, "seed of the key and operation choice");
      sub.add_flag("--leader-only", f->leader_only, "send every request to the current leader");
      sub.add_option(
          "--floor", f->floor_dir,
          "also time a 4 KiB append+fdatasync in this folder (alone and 3 at once) and a "
          "loopback round trip");
      return [f] { return run_bench(*f); };
    }};

}  // namespace
}  // namespace faultline::cli
