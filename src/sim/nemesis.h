// The nemesis: random fault timelines, one per seed, written as ordinary scenario files.
// Where the catalogue holds the failures someone has named, the nemesis throws every kind
// of fault the scenario format has at a cluster, overlapping, at random times: cuts of
// every shape, one-way cuts, lossy and slow links, flapping, crashes (the disk keeps only
// what was synced) and restarts, pauses and resumes, partial heals, with snapshots and log
// compaction on half the seeds. Reads are part of the load, so every run's history is
// checked for linearizability, and the simulator checks Raft's safety invariants all
// along; the lab runs the same file on real processes.
//
// A timeline is plain scenario text, so a failing seed is a file anyone can keep, read and
// run again with `faultline sim` or `faultline lab`:
//
//   sim::NemesisOptions o;                      // 3 nodes, 30 s, delays allowed
//   std::string toml = sim::nemesis_text(o, 7); // the same text for the same (options, seed)
//   sim::Scenario s = sim::nemesis_scenario(o, 7);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "record/run_record.h"
#include "sim/scenario.h"

namespace faultline::sim {

struct NemesisOptions {
  int nodes = 3;                      // 1..15
  Micros duration_us = 30'000'000;    // the whole run
  Micros first_fault_us = 2'000'000;  // the cluster serves alone until then
  // Every fault is undone (links healed, nodes restarted and resumed) this long before the
  // end, so each run ends with a whole cluster that must recover.
  Micros quiet_end_us = 6'000'000;
  Micros mean_gap_us = 1'500'000;  // mean time from one fault to the next (uniform 0..2x)
  bool delays = true;              // slow links (the lab cannot delay etcd: no netem here)
  bool processes = true;           // crashes and pauses
  // Snapshots and log compaction, on about half the seeds, every 20 to 1,000 entries, so
  // that followers left behind are caught up by a snapshot; with `catch_up`, the entries
  // kept before each snapshot shrink too (0 to 100; etcd 3.4 keeps its 5,000 whatever it
  // is told, so the lab leaves them at that for etcd).
  bool snapshots = true;
  bool catch_up = true;
  // The load: the paper's open-loop client, with linearizable reads so the history can be
  // checked.
  double rate = 200;
  double read_share = 0.3;
  int keys = 5;
};

// Why these options cannot make a timeline (bad sizes or times), or empty.
std::string nemesis_problem(const NemesisOptions& options);

// The scenario text of seed `seed` (name "nemesis-<seed>"); the same text for the same
// options and seed. The options must be valid (nemesis_problem is empty).
std::string nemesis_text(const NemesisOptions& options, std::uint64_t seed);

// nemesis_text, parsed (it always parses: tests/sim/nemesis_test.cc checks many seeds).
Scenario nemesis_scenario(const NemesisOptions& options, std::uint64_t seed);

// A run of a nemesis timeline passes when it is safe (no invariant violation; in the lab,
// no node that exited on its own), its history is linearizable (or could not be decided:
// the checker's step budget), and it recovered: everything was undone `quiet_end` before
// the end, so, when it has a client, some write completed in the last `kServeAgainWindow`
// of the run, and every node is up and has applied, by its last sample, every entry any
// node had committed `kServeAgainWindow` before the end. One sentence per failed check.
inline constexpr Micros kServeAgainWindow = 3'000'000;
std::vector<std::string> nemesis_problems(const record::RunRecord& run,
                                          const analysis::Summary& summary);

}  // namespace faultline::sim
