// The atlas (`faultline explore`): every partial-connectivity case of a small cluster
// (topology.h) run in the simulator for each profile over several seeds, each run judged
// by the analysis (src/analysis), and per profile the coverage: the share of cases with a
// quorum-connected node in which the profile stays live. docs/simulator.md ("The atlas")
// explains the run set-up and the enumeration.
//
// One run: a healthy cluster warms up (a leader is elected, writes flow); for a case with
// a lagging node, that node is then cut from the leader for `lag_us` so it misses entries;
// then the case's links are cut (both directions) and stay cut for `topology_us`. Nodes are
// named by role when the cuts fire: the case's leader vertex is whoever leads then, the
// other vertices are follower[0], follower[1], ... in vertex order.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "record/run_record.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "sim/topology.h"

namespace faultline::sim {

struct ExploreOptions {
  int nodes = 3;
  std::vector<std::string> profiles;  // empty: every profile (raft::profiles())
  std::uint64_t seeds = 10;           // seeds 1..seeds for every (case, profile)
  Micros warmup_us = 3'000'000;       // healthy time before anything is cut
  Micros lag_us = 250'000;            // how long a lagging node is cut from the leader
  Micros topology_us = 30'000'000;    // how long the case's cuts last (to the run's end)
  double rate = 100;                  // client writes per second
  // What a cut does to the links (LinkParams::LossModel): `stream` stalls their TCP streams
  // and gives them back at a retransmission (a cut made with nftables); `datagram` drops
  // messages and heals at once (a cut made by the lab's fault hooks, `--net loopback`).
  LinkParams::LossModel loss_model = LinkParams::LossModel::stream;
  // A run whose nodes show no change for this long after the cuts, with writes either
  // flowing or stopped throughout, stops there and its settled state is written out to
  // the end of the run before it is judged (SimRequest::settle_us). 0: every run is
  // simulated to the end. tests/sim/atlas_test.cc checks both give the same atlas.
  Micros settle_us = 3'000'000;
  unsigned threads = 0;  // 0: every core
  // The memory explore plans for (0: this machine's physical memory): the warm-ups of as
  // many seeds as fit are kept at once (see seeds_at_once), the rest wait their turn.
  std::uint64_t memory_bytes = 0;
  // Called once per finished run, from any worker thread (concurrently): a progress bar.
  std::function<void()> on_run_done;
};

// What one profile did in one case, over the seeds.
struct CaseOutcome {
  std::string verdict;                  // the most frequent verdict (ties: the worse one)
  std::map<std::string, int> verdicts;  // verdict -> seeds that gave it
  double downtime_ms = 0;               // mean write downtime from the first cut to the end
  double elections = 0;                 // mean elections from the first cut to the end
  int unresolved = 0;                   // seeds in which no leader existed when the cuts fired
  int violations = 0;                   // seeds that broke a safety invariant
  std::string violation;                // the first such violation (names the seed and the step)
  bool live() const { return verdict != "deadlock" && verdict != "livelock"; }
};

struct AtlasCase {
  TopologyCase topology;
  std::map<std::string, CaseOutcome> outcomes;  // profile -> outcome
};

struct ExploreResult {
  ExploreOptions options;  // as run (profiles filled in)
  std::vector<AtlasCase> cases;
  std::map<std::string, double> coverage;  // profile -> share of quorum-connected cases live
  int quorum_connected_cases = 0;
  std::size_t runs = 0;          // simulations run
  std::size_t settled_runs = 0;  // of them, stopped early as settled
  int violations = 0;            // runs that broke a safety invariant, over every case and profile
};

// The scenario file of one case (TOML, docs/scenarios.md), named "atlas-<id>": what
// `faultline explore --lab` hands the lab, and what `faultline sim` or `faultline lab`
// replays one case from.
std::string atlas_text(const TopologyCase& topology, const ExploreOptions& options);
// The scenario one case runs as: atlas_text, read.
Scenario atlas_scenario(const TopologyCase& topology, const ExploreOptions& options);

// What the atlas keeps of one run of a case, simulated or in the lab: its verdict, write
// downtime and elections from the first fault to the end, whether the cuts found no
// leader to name, and the first failed safety check (empty when none).
struct CaseRun {
  std::string verdict;
  double downtime_ms = 0;
  int elections = 0;
  bool unresolved = false;
  std::string violation;
};
CaseRun judge_case_run(const record::RunRecord& record, const analysis::Summary& summary);
// The runs of one case and profile reduced to its outcome: the most frequent verdict (ties:
// the worse one), mean downtime and elections, unresolved and violation counts.
CaseOutcome summarize_case(std::span<const CaseRun> runs);

// How a lab run of a case compares with the model's outcome over its seeds: "agrees" (the
// model's verdict), "in range" (another verdict, but one some of the model's seeds gave),
// or "DIFFERS".
std::string atlas_agreement(const CaseOutcome& model, const std::string& lab_verdict);

// A run that settled (SimResult::settled) stops early; this writes its settled state out
// to the scenario's end so the analysis judges the whole run: each node's last sample
// repeated every 100 ms, and the client's requests still in flight or still to come
// answered as the settled state answers them: by the endpoints that answered a write in
// its last second, after the median latency of those writes; when stuck, by none.
void extend_settled(SimResult& run, const Scenario& scenario);

// Throws std::invalid_argument, naming the option, for options explore() cannot run: a
// size outside 2..5, an unknown profile, no seeds, a bad time or rate.
void validate_explore(const ExploreOptions& options);

// explore() simulates each (profile, seed)'s warm-up once and keeps a copy of it at
// each of `fork_times` while the cases are run from it. How many seeds' warm-ups (for
// every profile) it keeps at once beside the runs going on from them: every seed for the
// usual options, fewer when they would not fit in the usable memory (usable_memory_bytes),
// at least one. Throws std::invalid_argument when not even one seed fits.
std::uint64_t seeds_at_once(const ExploreOptions& options, const std::vector<Micros>& fork_times);

// `count` of the result's cases (all when fewer) for a check of the model in the lab,
// spread over what the model found: the cases are grouped by the model's verdicts on every
// profile and picked from the groups in turn, at random within each (a fixed seed: the
// same sample every time). In enumeration order.
std::vector<TopologyCase> sample_cases(const ExploreResult& model, std::size_t count);

// Runs every case for every profile and seed in parallel. Throws std::invalid_argument
// for bad options (a size outside 2..5, an unknown profile, no seeds, a bad time or
// rate) before running anything.
ExploreResult explore(const ExploreOptions& options);

// The result in the atlas file format documented in src/report/atlas.h (version 1), with
// a few extra keys (graph, options, unresolved/violation counts) that readers may ignore.
nlohmann::json atlas_document(const ExploreResult& result);
std::string atlas_json(const ExploreResult& result, int indent = 1);  // the document, as text

}  // namespace faultline::sim
