// simulate(): one run; simulate_all(): independent runs spread over a thread pool. Runs
// share nothing mutable (the Raft core is thread-free and every run owns its generator),
// so the results do not depend on how many threads ran them.
#include "sim/simulator.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "raft/profiles.h"
#include "sim/simulation.h"

namespace faultline::sim {
namespace {

// The share of physical memory runs may take: the rest is the system's and the
// analysis's.
constexpr double kUsableMemory = 0.8;

// Measured (maximum resident size of `faultline sim` at 1000 writes/s, 60 s against
// 180 s, on 1, 3 and 5 nodes, 10- and 1000-byte values): about 300 bytes per request,
// 50 more per node, and twice each value's size whatever the number of nodes (the log's
// entries carry op ids; the record holds the values); 64 MiB the process holds anyway.
constexpr double kFixed = 64.0 * 1024 * 1024, kPerRequest = 300, kPerRequestPerNode = 50;
// A run's own state besides its requests (nodes, queues, samples): `faultline explore`
// keeping 500 against 2,000 seeds' warm-ups measured 16-27 KiB (docs/simulator.md#memory).
constexpr double kPerRun = 32.0 * 1024;

double state_bytes(const Scenario& s, Micros through_us) {
  const double requests = s.workload.rate * static_cast<double>(through_us) / 1e6;
  const double per_request =
      kPerRequest + kPerRequestPerNode * s.nodes + 2.0 * s.workload.value_size;
  return kPerRun + requests * per_request;
}

std::uint64_t to_bytes(double bytes) { return static_cast<std::uint64_t>(std::min(bytes, 1e18)); }

}  // namespace

std::uint64_t estimated_run_bytes(const Scenario& s) {
  return to_bytes(kFixed + state_bytes(s, s.duration_us));
}

std::uint64_t estimated_state_bytes(const Scenario& s, Micros through_us) {
  return to_bytes(state_bytes(s, through_us));
}

std::uint64_t usable_memory_bytes(std::uint64_t available_bytes) {
  return to_bytes(kUsableMemory * static_cast<double>(available_bytes));
}

std::string memory_problem(const Scenario& s, std::uint64_t available_bytes) {
  const std::uint64_t need = estimated_run_bytes(s);
  if (need <= usable_memory_bytes(available_bytes)) return {};
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  char text[400];
  std::snprintf(text, sizeof text,
                "a run of `%s` would hold about %.1f GiB in memory (%.0f requests of %d bytes "
                "on %d nodes: every request's record and every node's log), more than %.0f%% "
                "of this machine's %.1f GiB; shorten `duration`, or lower `rate` or "
                "`value_size`",
                s.name.c_str(), static_cast<double>(need) / kGiB,
                s.workload.rate * static_cast<double>(s.duration_us) / 1e6, s.workload.value_size,
                s.nodes, kUsableMemory * 100, static_cast<double>(available_bytes) / kGiB);
  return text;
}

std::uint64_t physical_memory_bytes() {
  static const std::uint64_t bytes = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0
               ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
               : std::uint64_t{1} << 62;
  }();
  return bytes;
}

unsigned runs_at_once(const Scenario& s, unsigned threads, std::uint64_t available_bytes) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  const double fit = static_cast<double>(usable_memory_bytes(available_bytes)) /
                     static_cast<double>(estimated_run_bytes(s));
  return fit >= threads ? threads : std::max(1u, static_cast<unsigned>(fit));
}

namespace {

void check_fits_in_memory(const Scenario& s) {
  if (std::string problem = memory_problem(s); !problem.empty())
    throw std::invalid_argument(problem);
}

}  // namespace

SimResult simulate(const SimRequest& request) {
  if (!request.scenario) throw std::invalid_argument("simulate: no scenario given");
  const raft::Profile* profile = raft::find_profile(request.profile);
  if (!profile)
    throw std::invalid_argument("unknown profile `" + request.profile +
                                "` (known: " + raft::profile_names() + ")");
  check_fits_in_memory(*request.scenario);
  Simulation simulation(*request.scenario, *profile, request.seed, request.hooks,
                        request.settle_us);
  return simulation.run();
}

namespace {

// Insertion numbers a fork's warm-up sets aside for the faults of the runs forked from it
// (Simulation::attach): far more than the atlas's cases need (three faults at most).
constexpr std::uint32_t kForkFaultSeqs = 1 << 16;

}  // namespace

SimFork::SimFork(const Scenario& scenario, std::string_view profile, std::uint64_t seed)
    : profile_(profile), seed_(seed) {
  const raft::Profile* p = raft::find_profile(profile_);
  if (!p)
    throw std::invalid_argument("unknown profile `" + profile_ +
                                "` (known: " + raft::profile_names() + ")");
  check_fits_in_memory(scenario);
  auto base = std::make_shared<Scenario>(scenario);
  base->faults.clear();
  base_ = std::move(base);
  state_ = std::make_unique<Simulation>(*base_, *p, seed_, SimHooks{}, 0, kForkFaultSeqs);
}

SimFork::SimFork(const SimFork& other)
    : base_(other.base_),
      profile_(other.profile_),
      seed_(other.seed_),
      state_(std::make_unique<Simulation>(*other.state_)) {}

SimFork::SimFork(SimFork&&) noexcept = default;
SimFork& SimFork::operator=(SimFork&&) noexcept = default;
SimFork::~SimFork() = default;

void SimFork::run_through(Micros last_us) { state_->run_through(last_us); }

Micros SimFork::through_us() const { return state_->through_us(); }

SimResult SimFork::run(const SimRequest& request) const {
  if (request.scenario && request.profile == profile_ && request.seed == seed_ &&
      request.hooks.fake_second_leader_at_us < 0) {
    Simulation copy(*state_);
    if (copy.attach(*request.scenario, request.settle_us)) return copy.run();
  }
  return simulate(request);
}

void parallel_for(std::size_t count, unsigned threads,
                  const std::function<void(std::size_t)>& body) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, count));
  std::atomic<std::size_t> next{0};
  std::mutex failure_mutex;
  std::exception_ptr failure;
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      try {
        body(i);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = count;  // stop handing out work
        return;
      }
    }
  };
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  if (failure) std::rethrow_exception(failure);
}

std::vector<SimResult> simulate_all(const std::vector<SimRequest>& requests, unsigned threads,
                                    const std::function<void(std::size_t)>& on_done) {
  // Check every profile before starting anything: bad input runs nothing.
  for (const auto& r : requests)
    if (!raft::find_profile(r.profile))
      throw std::invalid_argument("unknown profile `" + r.profile +
                                  "` (known: " + raft::profile_names() + ")");
  std::vector<SimResult> results(requests.size());
  std::mutex done_mutex;
  parallel_for(requests.size(), threads, [&](std::size_t i) {
    results[i] = simulate(requests[i]);
    if (on_done) {
      std::lock_guard lock(done_mutex);
      on_done(i);
    }
  });
  return results;
}

}  // namespace faultline::sim
