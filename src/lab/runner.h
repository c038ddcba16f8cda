// The lab's driver: runs one scenario on a real cluster (lab/cluster.h) in real time and
// produces the same run record as the simulator (driver "lab"), so one analysis and one
// report read both.
//
//   1. check everything that could make the run impossible (check_lab), before touching
//      anything: a scenario the system cannot run, no root, no etcd, leftovers;
//   2. build the network and start the nodes from the root namespace, then move this
//      process's main thread into the client namespace BEFORE any other thread exists, so
//      every socket of the workload and the observers lives there;
//   3. sample every node every 100 ms; wait until every node names the same leader;
//   4. start the open-loop workload; that instant is the record's time 0; fire the
//      scenario's faults at their times, roles resolved from the latest samples;
//   5. once the workload's requests are done, compare the running nodes' stores
//      (store_check.h): once their applied indexes agree, every node must hold the same
//      keys, values, revisions and versions;
//   6. stop, go back to the root namespace, kill the nodes, remove the network.
// All along (every 50 ms, and once more before teardown) it looks for nodes that exited on
// their own. Each, and stores that differ, is a finding, recorded as a failed safety check
// of the run.
// SIGINT / SIGTERM during a run end it early with the same orderly teardown.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lab/cluster.h"
#include "record/run_record.h"
#include "sim/scenario.h"

namespace faultline::lab {

struct LabOptions {
  sim::Scenario scenario;
  System system = System::faultline;
  NetMode net = NetMode::namespaces;
  std::string profile;  // faultline: a profile name; etcd: "", "etcd-3.4" or "etcd-3.5"
  bool pre_vote = false;
  std::uint64_t seed = 1;
  std::string subnet = "127.0.10";
  bool keep = false;             // keep the data directories and node logs
  bool setup_only = false;       // build, wait until healthy, tear down: the set-up benchmark
  std::string faultline_binary;  // empty: /proc/self/exe
  std::string etcd_binary = "etcd";
  // Called about once a second with the seconds of timeline done (for a progress bar).
  std::function<void(double done_s)> on_progress;
};

// Why the run is impossible, with what to do about it; nullopt when it can run. Touches
// nothing. Also resolves etcd's profile into pre_vote.
std::optional<std::string> check_lab(LabOptions& options);

struct LabResult {
  record::RunRecord record;
  double setup_s = 0;     // from nothing to a healthy cluster (leader known by every node)
  double teardown_s = 0;  // from the end of the run to nothing left
  std::string work_dir;   // kept with --keep, when a node exited on its own or stores differ
  bool interrupted = false;
  std::string system_version;  // etcd's version, or "faultline"
  // One message per node process that ended without the lab stopping it, in the order the
  // lab noticed them: "node 3 exited on its own at 12.4 s (killed by signal 6, Aborted);
  // its log ends: ...". The record counts them in meta.invariant_violations and keeps the
  // first in meta.violation.
  std::vector<std::string> node_exits;
  // The end-of-run store comparison (store_check.h), one sentence: "3 nodes hold the same
  // 10 keys at applied index 1234 (revision 987)", "the nodes' stores differ at applied
  // index 1234: node 2 holds ...", or "not compared: ..." (empty for --setup-only). A
  // difference is counted in meta.invariant_violations, and kept in meta.violation if it
  // is the run's first finding.
  std::string store_check;
  bool stores_differ = false;
};

// Runs the scenario (check_lab first). Throws LabError, after tearing everything down,
// when the run cannot go on (a node does not start, the cluster never becomes healthy).
LabResult run_lab(const LabOptions& options);

// The /24 a loopback lab of this process puts its nodes on, "127.0.<x>" with x from the
// pid: node k listens on 127.0.<x>.k.
std::string loopback_subnet();

// This binary's path (/proc/self/exe), or "faultline": what runs `faultline serve` in the
// lab and `faultline lab` in a campaign's child.
std::string self_binary();

// The profile name the record carries: "etcd-3.4" for faultline, "etcd" or
// "etcd --pre-vote" for etcd.
std::string record_profile(const LabOptions& options);

// Namespaces of labs whose process is gone (a crash, a kill -9), or of every lab with
// `all`. Kills what lives in them and removes them; returns one line per action.
std::vector<std::string> lab_leftovers(bool all);
std::vector<std::string> clean_leftovers(bool all);

}  // namespace faultline::lab
