// The deterministic simulator: runs a scenario on N real Raft cores (src/raft RawNode)
// in virtual time, with a directed-link network, simulated disks, an open-loop client and
// the scenario's faults, checking Raft's safety invariants all along. The same
// (scenario, profile, seed) gives the same RunRecord, bit for bit. docs/simulator.md
// explains the model.
//
//   sim::SimRequest req{&scenario, "etcd-3.4", /*seed=*/7};
//   sim::SimResult res = sim::simulate(req);   // res.record is the run record
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "record/run_record.h"
#include "sim/scenario.h"

namespace faultline::sim {

// Test hooks: ways to break a run on purpose, to prove the checks catch it.
struct SimHooks {
  // At this time tell the invariant checker that a node that is not the leader leads the
  // current leader's term (a fake second leader). -1: never.
  Micros fake_second_leader_at_us = -1;
};

struct SimRequest {
  const Scenario* scenario = nullptr;  // must outlive the run
  std::string profile = "raft";        // a name from raft::profiles()
  std::uint64_t seed = 1;
  SimHooks hooks;
  // Stop early once the run has settled (0: never; the atlas uses it): every fault has
  // fired (none repeats), no node's role, term or leader has changed for this long, and
  // over that time either writes kept completing with no gap over 100 ms, or none
  // completed at all. SimResult says when and in which state; the rest of
  // the run would only repeat it, as long as nothing is left to change it.
  Micros settle_us = 0;
};

// Counters for speed measurements (sim-bench); not part of the record.
struct SimStats {
  std::uint64_t events = 0;               // events processed
  std::uint64_t messages_sent = 0;        // Raft messages put on the network
  std::uint64_t readies = 0;              // Ready batches handled
  std::uint64_t snapshots_taken = 0;      // by nodes of their own state ([snapshot] count)
  std::uint64_t snapshots_sent = 0;       // by leaders to followers that fell behind
  std::uint64_t snapshots_installed = 0;  // by followers, from a leader's
  Micros simulated_us = 0;                // virtual time reached
};

// Node samples are taken every 100 ms (as the lab does), and whenever a node's role, term
// or leader changes.
inline constexpr Micros kSampleInterval = 100'000;

// When the open-loop client means to start its operation number `op` at `rate` per
// second: from the number, not by adding intervals, so the schedule never drifts.
inline Micros intended_time(std::uint64_t op, double rate) {
  return static_cast<Micros>(std::llround(static_cast<double>(op) * 1e6 / rate));
}

// How a run that stopped early had settled (SimRequest::settle_us).
enum class Settled : std::uint8_t { no, serving, stuck };

struct SimResult {
  record::RunRecord record;
  SimStats stats;
  Settled settled = Settled::no;  // not `no`: the record ends at settled_at_us
  Micros settled_at_us = -1;
};

// This machine's physical memory in bytes (2^62 when the system does not say).
std::uint64_t physical_memory_bytes();

// A run keeps every request's record and every node's whole log until it ends: about
// this many bytes for `scenario` (docs/simulator.md#memory says how it was measured).
std::uint64_t estimated_run_bytes(const Scenario& scenario);

// What one run of `scenario` holds by `through_us` (its requests' records and its nodes'
// logs so far), without the share the process holds whatever it runs: what a fork's
// warm-up (SimFork) keeps while the runs forked from it go on.
std::uint64_t estimated_state_bytes(const Scenario& scenario, Micros through_us);

// The memory runs may plan for out of `available_bytes`: 80% of it (the rest is the
// system's and the analysis's).
std::uint64_t usable_memory_bytes(std::uint64_t available_bytes = physical_memory_bytes());

// Why a run of `scenario` cannot fit in `available_bytes` of memory (it would need more
// than 80% of them), or empty when it can.
std::string memory_problem(const Scenario& scenario,
                           std::uint64_t available_bytes = physical_memory_bytes());

// How many runs of `scenario` to run at once: `threads` (0: one per core), fewer when
// their memory together would pass 80% of `available_bytes`, at least one.
unsigned runs_at_once(const Scenario& scenario, unsigned threads,
                      std::uint64_t available_bytes = physical_memory_bytes());

// Runs one simulation. Throws std::invalid_argument for an unknown profile, or for a
// scenario this machine's memory cannot hold (memory_problem); nothing runs then.
// An invariant violation stops the run early; record.meta.violation says which, with the
// seed and the step.
SimResult simulate(const SimRequest& request);

class Simulation;  // simulation.h

// A run stopped part-way (a warm-up), from which several runs continue: the runs of
// scenarios that differ from it only in their name, description and faults, all of which
// fall after it. Each continues from a copy of its state instead of simulating the
// warm-up again, and gives exactly what simulate() gives for its request, record for
// record (tests/sim/fork_test.cc checks it). A request it cannot serve that way (another
// profile, seed, timing or workload, a fault too early, a test hook) is simulated from
// the start, so run() always answers like simulate(). The atlas forks every case of one
// (profile, seed) from one warm-up.
class SimFork {
 public:
  // The run of `scenario` without its faults, for `profile` (a raft::profiles() name) and
  // `seed`, at time 0 with nothing handled yet. std::invalid_argument for an unknown
  // profile or a scenario too big for this machine, as simulate().
  SimFork(const Scenario& scenario, std::string_view profile, std::uint64_t seed);
  SimFork(const SimFork& other);  // a copy of the state, which goes on independently
  SimFork& operator=(const SimFork&) = delete;
  SimFork(SimFork&&) noexcept;
  SimFork& operator=(SimFork&&) noexcept;
  ~SimFork();

  // Handles every event due up to and including `last_us`: runs whose first fault comes
  // after it can fork from here.
  void run_through(Micros last_us);
  Micros through_us() const;

  // simulate(request), from a copy of this state when it can be. Only reads the fork, so
  // several threads may call it at once.
  SimResult run(const SimRequest& request) const;

 private:
  std::shared_ptr<const Scenario> base_;  // the scenario without faults; the state points into it
  std::string profile_;
  std::uint64_t seed_;
  std::unique_ptr<Simulation> state_;
};

// Calls body(0) .. body(count - 1) on up to `threads` threads (0: hardware concurrency),
// each index exactly once. The first exception stops handing out work and is rethrown.
void parallel_for(std::size_t count, unsigned threads,
                  const std::function<void(std::size_t)>& body);

// Runs independent simulations on up to `threads` threads (0: hardware concurrency).
// results[i] belongs to requests[i], so the output does not depend on the thread count.
// `on_done(i)` is called (serialized) as each run finishes, e.g. for a progress bar.
std::vector<SimResult> simulate_all(const std::vector<SimRequest>& requests, unsigned threads = 0,
                                    const std::function<void(std::size_t)>& on_done = {});

}  // namespace faultline::sim
