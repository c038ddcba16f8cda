// A running lab cluster: N node processes (faultline serve or Debian's etcd) on the lab's
// network, how to reach them, how to read each node's Raft state, how to cut links and how
// to crash / restart / pause / resume a node. The runner (runner.h) drives it from a
// scenario; this file knows the systems and the two network modes, nothing of scenarios.
//
// Network modes:
//   namespaces  one network namespace per node on a bridge (LabNetwork); links are cut with
//               nftables in the bridge, so etcd is cut exactly like faultline. Root only.
//   loopback    faultline only, no root: node k listens on 127.0.<x>.k and binds that
//               address before dialling peers; links are cut by the transport's fault hooks
//               (the admin API on each node's metrics port).
// Delay (degrade with delay) exists only through faultline's fault hooks: this kernel has
// no netem, so an etcd cluster cannot be delayed.
//
// The cluster expects every node it started and has not crashed to be running (a paused
// node is running). A node process that ends by itself (an assertion, a panic, a refusal
// to start on its data) is a finding, never a fault of the scenario: take_exits() hands
// each one over once.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lab/network.h"
#include "lab/process.h"
#include "record/run_record.h"

namespace faultline::lab {

enum class System : std::uint8_t { faultline, etcd };
enum class NetMode : std::uint8_t { namespaces, loopback };

struct ClusterPlan {
  System system = System::faultline;
  NetMode net = NetMode::namespaces;
  int nodes = 3;
  std::string run_id;               // [a-z0-9], at most 6: names namespaces and files
  std::string subnet = "127.0.10";  // namespaces mode: the nodes' /24
  int heartbeat_ms = 100;
  int election_ms = 500;
  std::string profile = "etcd-3.4";  // faultline only
  bool pre_vote = false;
  std::uint64_t snapshot_count = 100000;           // applied entries between snapshots
  std::uint64_t snapshot_catch_up_entries = 5000;  // faultline only (etcd: kEtcdCatchUpEntries)
  std::uint64_t seed = 1;
  std::filesystem::path work_dir;  // data directories and logs go here
  std::string faultline_binary;    // `faultline serve` (normally /proc/self/exe)
  std::string etcd_binary = "etcd";
};

// The state of one directed link: share of packets lost (1 = cut) and added delay.
struct LinkState {
  double loss = 0;
  std::chrono::microseconds delay{0};
  bool operator==(const LinkState&) const = default;
};
using LinkKey = std::pair<int, int>;  // (from, to), node numbers 1..n

// The argv that starts node `node` (1..n) of `plan`, node k listening on hosts[k-1]: for
// faultline `faultline serve`, for etcd etcd_command. Depends on its arguments alone, so a
// test can read a command line without starting anything.
std::vector<std::string> node_command(const ClusterPlan& plan, int node,
                                      const std::vector<std::string>& hosts);

// A node process that ended without the lab stopping it.
struct NodeExit {
  int node = 0;                                // 1..n
  int status = 0;                              // as waitpid gave it (see describe_exit)
  std::chrono::steady_clock::time_point seen;  // when the lab noticed (reaped) it
  std::vector<std::string> log_tail;           // the last non-empty lines of its log
};

class LabCluster {
 public:
  // Builds the network (namespaces mode) and starts every node. Throws LabError, leaving
  // nothing behind, if anything fails.
  static std::unique_ptr<LabCluster> create(const ClusterPlan& plan);
  ~LabCluster();  // teardown()
  LabCluster(const LabCluster&) = delete;
  LabCluster& operator=(const LabCluster&) = delete;

  const ClusterPlan& plan() const { return plan_; }
  // The namespace the client and observers must live in (empty in loopback mode).
  std::string client_namespace() const;
  // host:port of each node's client API, endpoint i is node i+1.
  std::vector<std::string> client_endpoints() const;

  // One reading of node `node` (1..n); role `down` when it does not answer in `deadline`.
  // Thread-safe (each observer thread samples its own node).
  record::NodeSample sample(int node, std::chrono::milliseconds deadline);

  // Replaces every link rule at once; returns what was applied (the nftables ruleset
  // and/or the fault-hook calls), for the run record. Throws LabError if it cannot.
  std::string apply_links(const std::map<LinkKey, LinkState>& links);

  // Whether node `node` can answer now: its process runs (`down`: the lab crashed it, or it
  // ended on its own and take_exits() has reaped it; call that first) and is not paused.
  enum class NodeState : std::uint8_t { running, paused, down };
  NodeState state(int node) const;

  void crash(int node);    // SIGKILL
  void restart(int node);  // the same command on the same data directory
  void pause(int node);    // SIGSTOP
  void resume(int node);   // SIGCONT

  // The nodes that exited on their own since the last call (a node the lab crashed is
  // not one of them), each once. Cheap (a waitpid without waiting per node): the runner
  // calls it every few tens of milliseconds. Not thread-safe, like crash and restart.
  std::vector<NodeExit> take_exits();

  // Stops every node (SIGKILL) and removes the network. Idempotent.
  void teardown();

 private:
  explicit LabCluster(ClusterPlan plan) : plan_(std::move(plan)) {}
  std::string node_host(int node) const;
  std::string start_node(int node);  // returns the log path
  std::string log_path(int node) const;
  // Reaps node `node` if its process has ended by itself and keeps the exit for take_exits.
  void note_exit(int node);
  // Sends every live node (or only `only`) its share of `links`; a paused or crashed node is
  // skipped and gets its share when it resumes or restarts.
  std::string apply_hooks(const std::map<LinkKey, LinkState>& links, int only = 0);
  record::NodeId map_member(std::uint64_t member_id);

  ClusterPlan plan_;
  std::optional<LabNetwork> network_;
  std::vector<NodeProcess> processes_;  // index node-1; no pid: crashed by the lab, or reaped
  std::vector<NodeExit> exits_;         // noticed, not yet taken
  std::map<LinkKey, LinkState> hooks_applied_;  // re-sent to a node after its restart
  std::mutex ids_mutex_;
  std::map<std::uint64_t, record::NodeId> member_to_node_;  // learned from each node's own id
  bool torn_down_ = false;
};

std::string_view to_string(System s);
std::string_view to_string(NetMode m);

}  // namespace faultline::lab
