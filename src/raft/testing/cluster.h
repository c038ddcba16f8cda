// An in-process Raft cluster for the interaction tests, the property tests, the benchmark
// and `faultline demo`: N RawNodes, each with a MemoryStorage and the digest state machine
// (applied_state.h), a bounded pool of messages in flight, and a matrix of directed links.
//
// Pure like the core: no I/O, no clock, no threads, no randomness of its own. Every choice
// (which node ticks, which message is delivered, dropped or duplicated, which link is cut)
// is the caller's, so a caller driven by a seeded generator replays exactly.
//
// Persistence follows the Ready contract to the letter: handle_ready() appends the Ready's
// snapshot, entries and hard state to the node's MemoryStorage before its messages enter
// the network, and crash() throws away everything else (the RawNode with its unstable log,
// the application state). restart() rebuilds the node from that storage alone.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "raft/config.h"
#include "raft/raw_node.h"
#include "raft/storage.h"
#include "raft/testing/applied_state.h"
#include "raft/types.h"

namespace faultline::raft::testing {

// How a node starts: its configuration and, for stories that begin from a given history
// (the Raft paper's figure 7), the log and hard state already on its disk.
struct NodeSetup {
  Config config;
  std::vector<Entry> log;  // entries 1..n, contiguous, already persisted
  HardState hard_state;    // already persisted; commit must not exceed the log
};

enum class DropReason : std::uint8_t {
  link_cut,   // the directed link from the sender to the recipient is down
  node_down,  // the recipient has crashed
  by_caller,  // the test dropped it on purpose
  pool_full,  // the network held too many messages; the oldest is lost
};
std::string_view to_string(DropReason r);

// Sees everything the cluster does, in order. The interaction tests print it, the property
// tests feed it to the SafetyChecker. Callbacks must not call back into the cluster.
class ClusterObserver {
 public:
  virtual ~ClusterObserver() = default;
  // A Ready about to be handled (persisted, sent, applied).
  virtual void on_ready(NodeId /*id*/, const Ready& /*rd*/) {}
  // A message about to be stepped by its recipient.
  virtual void on_deliver(const Message& /*m*/) {}
  // The recipient refused the message (the refusal changed no state).
  virtual void on_refused(const Message& /*m*/, ErrorCode /*why*/) {}
  virtual void on_drop(const Message& /*m*/, DropReason /*why*/) {}
  // `before` is the node's state machine before `e` was applied.
  virtual void on_apply(NodeId /*id*/, const AppliedState& /*before*/, const Entry& /*e*/) {}
  // The node's state machine was replaced by a snapshot's (it now holds `state`).
  virtual void on_restore(NodeId /*id*/, const AppliedState& /*state*/) {}
  // The transport's verdict on a snapshot, given back to its sender.
  virtual void on_snapshot_reported(NodeId /*leader*/, NodeId /*to*/, bool /*ok*/) {}
};

class Cluster {
 public:
  // The network holds at most this many messages; beyond it the oldest one is lost (as a
  // full socket buffer would lose it). Bounds memory in long random schedules.
  static constexpr std::size_t kDefaultMaxInFlight = 4096;

  explicit Cluster(std::size_t max_in_flight = kDefaultMaxInFlight);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  void set_observer(ClusterObserver* observer) { observer_ = observer; }

  // Prepares the node's storage from `setup` and starts it. Throws ConfigError for a config
  // the core rejects, std::invalid_argument for a duplicate id or a log that does not start
  // at index 1 or is not contiguous; in both cases the cluster is unchanged.
  void add_node(NodeSetup setup);

  // Ids in increasing order, crashed nodes included.
  const std::vector<NodeId>& ids() const { return ids_; }
  bool has(NodeId id) const { return members_.count(id) != 0; }
  bool is_up(NodeId id) const;
  // The running core of `id`; throws std::out_of_range if unknown or crashed.
  RawNode& node(NodeId id);
  const RawNode& node(NodeId id) const;
  const MemoryStorage& storage(NodeId id) const;
  // The node's disk, writable: only for tests that inject a fault (a disk that loses what
  // it promised to keep) to show that the safety checks notice.
  MemoryStorage& disk_for_fault_injection(NodeId id);
  const AppliedState& applied(NodeId id) const;
  // The voters every node was configured with (ids of the first add_node's config.peers,
  // or all ids when none were given).
  std::vector<NodeId> voters(NodeId id) const;

  // The up node that believes it leads at the highest term, or kNone.
  NodeId leader() const;

  // Handles one Ready of `id` if it has one: persists, sends into the network, applies,
  // advances. Returns false when there was nothing to do or the node is down.
  bool handle_ready(NodeId id);

  // The network: messages sent and not yet delivered or dropped, oldest first.
  const std::vector<Message>& in_flight() const { return in_flight_; }
  // Delivers in_flight()[i] to its recipient (removing it, unless keep_copy: a duplicate
  // stays behind for later). A message on a cut link or to a crashed node is dropped
  // instead. Returns the recipient's answer (ok when dropped). Out-of-range i: invalid.
  ErrorCode deliver(std::size_t i, bool keep_copy = false);
  void drop(std::size_t i, DropReason why = DropReason::by_caller);
  // Delivers (or drops, when `drop_them`) every message accepted by `filter`, oldest
  // first; returns how many. Messages the deliveries produce wait for the next Ready.
  std::size_t deliver_matching(const std::function<bool(const Message&)>& filter,
                               bool drop_them = false);
  // Puts a message into the network as if a node had sent it (tests of refusals).
  void inject(Message m);

  // Directed links. cut(1, 3) stops 1 -> 3 only; messages already in flight on that link
  // are dropped when their turn comes.
  void cut(NodeId from, NodeId to);
  void heal(NodeId from, NodeId to);
  void heal_all();
  bool link_up(NodeId from, NodeId to) const;

  // Crash: the node loses its RawNode (with everything Ready has not handed out yet) and its
  // state machine; its storage survives. Messages to it are dropped. No-op if already down.
  void crash(NodeId id);
  // Rebuilds the node from its storage; its state machine restarts from the snapshot.
  // No-op if already up.
  void restart(NodeId id);

  // Snapshots `id`'s state machine at its applied index and drops its log before `index`
  // (which must be in first_index..applied). Returns unavailable for an index beyond what
  // the node applied, compacted for one already dropped; a refusal changes nothing.
  ErrorCode compact(NodeId id, Index index);

  // Handles Readies and delivers every message, round after round, until the cluster is
  // quiet. Returns false if it is still busy after max_rounds (the caller reports it: a
  // cluster that never quiets down is a livelock).
  bool stabilize(int max_rounds = 1000);

  // Ticks every up node once.
  void tick_all();

 private:
  struct Member;

  Member& member(NodeId id);
  const Member& member(NodeId id) const;
  void start(Member& m);
  void enqueue(Message m);
  void step_at_recipient(const Message& m, ErrorCode& result);
  void report_snapshot_fate(const Message& m, bool ok);

  std::size_t max_in_flight_;
  ClusterObserver* observer_ = nullptr;
  std::map<NodeId, std::unique_ptr<Member>> members_;
  std::vector<NodeId> ids_;
  std::vector<Message> in_flight_;
  std::set<std::pair<NodeId, NodeId>> cut_links_;
};

}  // namespace faultline::raft::testing
