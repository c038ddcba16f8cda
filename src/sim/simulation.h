// Inside the simulator: the state of one run and the handlers for each kind of event.
// Split by concern over three files: simulation.cc (the event loop, the client, samples,
// the record), sim_node.cc (driving a node's core: Ready, disk, apply, crash, restart) and
// sim_faults.cc (resolving roles and applying the scenario's faults). Not a public header.
#pragma once

#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

#include "raft/profiles.h"
#include "raft/raw_node.h"
#include "raft/storage.h"
#include "record/run_record.h"
#include "sim/event_queue.h"
#include "sim/invariants.h"
#include "sim/link_matrix.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace faultline::sim {

// Bounds on every queue the simulator keeps (STYLE: put a limit on everything).
inline constexpr std::size_t kMaxInboxWhilePaused = 1 << 16;  // events held for a paused node
inline constexpr std::size_t kMaxWaitingReads = 1 << 16;      // reads waiting for apply
inline constexpr int kMaxReadyRoundsPerEvent = 64;            // Ready batches per input
inline constexpr std::uint64_t kMaxEvents = 2'000'000'000;    // a run that loops forever stops

// One simulated node: its core, its disk (the MemoryStorage holds exactly what was synced)
// and its in-memory state machine.
struct SimNode {
  SimNode() = default;
  // A deep copy (a forked run, SimFork): a copy of the disk, and a copy of the core that
  // reads from that copy. Copies every member: a member added below must be added there.
  SimNode(const SimNode& other);
  SimNode& operator=(const SimNode&) = delete;
  SimNode(SimNode&&) noexcept = default;
  SimNode& operator=(SimNode&&) noexcept = default;

  raft::NodeId id = 0;
  std::unique_ptr<raft::MemoryStorage> disk;  // survives crashes
  std::unique_ptr<raft::RawNode> core;        // null while down
  bool up = true;
  bool paused = false;
  std::uint32_t incarnation = 0;  // bumped at each crash: stale timers and disk writes ignored

  // The Ready whose persist is in flight (its messages wait for the disk).
  std::optional<raft::Ready> persisting;
  // Events that reached the node while it was paused, handled at resume.
  std::vector<Event> inbox;

  // State machine: per key number, the op id of its last write (kAbsent: never written;
  // the value is value_of(op)), and which ops it has applied (so a duplicated proposal is
  // applied once; see docs/simulator.md).
  static constexpr std::uint64_t kAbsent = ~0ull;
  std::vector<std::uint64_t> kv;
  std::vector<bool> applied_ops;
  raft::Index applied = 0;
  raft::Index commit_checked = 0;  // commits already reported to the invariant checker

  // Reads whose ReadIndex came back but which wait for the node to apply up to it.
  using WaitingRead = std::pair<raft::Index, std::uint64_t>;  // (index, op)
  std::priority_queue<WaitingRead, std::vector<WaitingRead>, std::greater<>> waiting_reads;

  // The last observed role, term and leader (samples are taken when they change).
  raft::StateRole role = raft::StateRole::follower;
  raft::Term term = 0;
  raft::NodeId leader = raft::kNone;
  raft::Index commit = 0;
};

// Which node holds a client request, waiting to answer it (one per operation).
struct PendingAt {
  std::int32_t node = -1;  // node index, -1: none
  std::uint32_t incarnation = 0;
};

class Simulation {
 public:
  // `fault_seqs`: insertion numbers set aside for the fault timeline's events, at least as
  // many as the scenario has (see attach); 0: exactly as many.
  Simulation(const Scenario& scenario, const raft::Profile& profile, std::uint64_t seed,
             const SimHooks& hooks, Micros settle_us = 0, std::uint32_t fault_seqs = 0);
  // A copy of the whole run as it stands (every node, disk, message in flight, the
  // generator, the record so far), which goes on independently (SimFork).
  Simulation(const Simulation&) = default;
  Simulation& operator=(const Simulation&) = delete;

  // Handles the events due up to and including `last_us` (not past the scenario's end).
  void run_through(Micros last_us);
  // Runs to the end and hands out the record.
  SimResult run();
  Micros through_us() const { return through_us_; }  // -1: nothing handled yet

  // Makes this run (built from `base`, run with no faults and no settling up to now) the
  // run of `scenario` from now on, exactly as if `scenario` had been run from the start:
  // its faults are scheduled in the insertion numbers the constructor set aside, so they
  // take their places among the queued events as the constructor would have put them.
  // False, changing nothing, when that cannot hold: `scenario` differs from `base` in
  // more than its name, description, source and faults, a fault falls before now, the
  // faults need more insertion numbers than were set aside, or settling could have
  // stopped the run from the start before now.
  bool attach(const Scenario& scenario, Micros settle_us);

 private:
  // ---- simulation.cc: loop, client, samples ---------------------------------------------
  void reserve_for_run();
  void dispatch(const Event& e);
  void on_client_send();
  void on_request_arrive(int node, std::uint64_t op);
  void reply(int node, std::uint64_t op, record::Outcome outcome, std::string value = {},
             std::string error = {});
  void sample_all();
  void sample(int node);
  void stop_with_violation(const std::string& what);
  void check_settled();
  void finish_record();
  Micros client_delay();

  // ---- sim_node.cc: driving one node --------------------------------------------------------
  raft::Config node_config(int node) const;
  void start_node(int node);
  void on_tick(int node, std::uint32_t incarnation);
  void on_deliver(int node, std::uint64_t slot);
  void on_persist_done(int node, std::uint32_t incarnation);
  // Takes Ready batches from the core until it has none or a disk write is in flight.
  void drive(int node);
  void observe(int node, const raft::Ready& rd);
  // Persist (already done), send, apply, advance.
  void complete(int node, raft::Ready& rd);
  void persist(int node, raft::Ready& rd);
  void send(int node, std::vector<raft::Message>& messages);
  void apply(int node, std::vector<raft::Entry>& entries);
  // Saves the node's state machine at its applied index and compacts its log ([snapshot]).
  void take_snapshot(int node);
  // Replaces the node's state machine with a snapshot's; false if the data is not one.
  bool restore_state(int node, const raft::Snapshot& snapshot);
  void serve_reads(int node);
  void crash(int node);
  void restart(int node);
  void pause(int node);
  void resume(int node);
  std::optional<raft::Term> term_in_log(int node, const raft::Ready* rd, raft::Index i) const;
  std::uint32_t park_message(raft::Message&& m);

  // ---- sim_faults.cc: the fault timeline ---------------------------------------------------
  // Every event of the fault timeline, in the order they are pushed: fn(time, type, fault,
  // repetition).
  template <typename Fn>
  static void for_each_fault_event(const Scenario& scenario, Fn&& fn);
  static std::uint32_t fault_event_count(const Scenario& scenario);
  static Micros faults_done_at(const Scenario& scenario);
  void schedule_faults();
  void on_fault(std::size_t fault, std::uint32_t repetition);
  void on_fault_undo(std::size_t fault, std::uint32_t repetition);
  void on_fake_leader();
  std::optional<int> current_leader() const;
  std::vector<record::Link> resolve_links(const std::vector<LinkShape>& shapes,
                                          std::string& detail) const;
  std::vector<int> resolve_nodes(const std::vector<NodeRef>& refs, std::string& detail) const;
  void heal_links(const std::vector<record::Link>& links);
  void note_fault_state();

  // ---- state ----------------------------------------------------------------------------
  const Scenario* scenario_;  // never null; a pointer so that attach() can change it
  const raft::Profile& profile_;
  std::uint64_t seed_;
  SimHooks hooks_;
  Rng rng_;
  EventQueue queue_;
  // The insertion numbers set aside for the fault timeline's events (see attach).
  std::uint32_t fault_seq_base_ = 0;
  std::uint32_t fault_seqs_ = 0;
  LinkMatrix links_;
  InvariantChecker checker_;
  std::vector<SimNode> nodes_;
  Micros now_ = 0;
  Micros through_us_ = -1;  // every event due up to here has been handled
  bool stopped_ = false;
  SimStats stats_;

  // Settling (SimRequest::settle_us): what each node last showed, when any of it last
  // changed, and the successful writes since then.
  Micros settle_us_ = 0;
  Micros faults_done_us_ = 0;  // when the last fault has fired; -1: a fault repeats
  std::vector<std::tuple<record::Role, raft::Term, raft::NodeId>> shown_;
  Micros last_change_us_ = 0;
  Micros last_write_ok_us_ = -1;     // completion time of the latest successful write
  Micros longest_write_gap_us_ = 0;  // between successful writes completed since the change
  Settled settled_ = Settled::no;

  // Snapshots the Ready being completed sent, (to, put on the wire), reported to the core
  // after advance() as etcd's transport reports them.
  std::vector<std::pair<raft::NodeId, bool>> snapshot_reports_;

  // In-flight peer messages, by slot; events refer to slots so they stay small.
  std::vector<raft::Message> message_slots_;
  std::vector<std::uint32_t> free_slots_;

  // The client.
  std::uint64_t next_op_ = 0;  // also the round-robin position
  std::vector<PendingAt> pending_;
  // Operation outcomes delivered late (after the request timeout) are ignored.

  // Faults: what each firing resolved to, so a heal / restart / resume can undo it.
  struct Resolved {
    std::vector<record::Link> links;
    std::vector<int> nodes;
  };
  std::vector<std::vector<Resolved>> fired_;  // [fault][repetition]
  std::optional<int> last_leader_;
  record::RunRecord record_;
};

template <typename Fn>
void Simulation::for_each_fault_event(const Scenario& scenario, Fn&& fn) {
  const auto& faults = scenario.faults;
  for (std::size_t k = 0; k < faults.size(); ++k) {
    const Fault& f = faults[k];
    const int count = f.repeat ? f.repeat->count : 1;
    for (int r = 0; r < count; ++r) {
      const Micros at = f.at_us + (f.repeat ? f.repeat->every_us * r : 0);
      fn(at, EventType::fault, k, r);
      if (f.repeat && at + f.repeat->duration_us <= scenario.duration_us)
        fn(at + f.repeat->duration_us, EventType::fault_undo, k, r);
    }
  }
}

}  // namespace faultline::sim
