// RawNode: the one door to a Raft node. Single-threaded, no I/O, no clock, no threads;
// time is tick(), input is step(), output is ready(). The simulator and the server both
// drive this same class.
//
//   RawNode node(config, storage);
//   loop:
//     node.tick();                 // every heartbeat-interval / heartbeat_tick
//     node.step(incoming_message);
//     if (node.has_ready()) {
//       Ready rd = node.ready();
//       persist(rd.hard_state, rd.entries, rd.snapshot); // durable before any send
//       send(rd.messages);
//       apply(rd.snapshot, rd.committed_entries);
//       node.advance();
//     }
#pragma once

#include <memory>
#include <string>

#include "raft/config.h"
#include "raft/storage.h"
#include "raft/types.h"

namespace faultline::raft {

class Raft;  // the state machine (raft.h); RawNode adds the Ready bookkeeping

class RawNode {
 public:
  // Throws ConfigError (with every problem validate() found) for an invalid config.
  RawNode(const Config& config, Storage& storage);
  ~RawNode();
  RawNode(const RawNode&) = delete;
  RawNode& operator=(const RawNode&) = delete;

  // An exact copy of this node (its Raft state, its generator, its Ready bookkeeping) that
  // reads its log from `storage`, which must hold what this node's storage holds. The
  // simulator forks a run this way (a copy of every node onto a copy of its disk); the
  // copy and the original then go on independently.
  std::unique_ptr<RawNode> clone(Storage& storage) const;

  // One unit of logical time.
  void tick();
  // Start an election now (as if the election timer fired; PreVote first if on).
  void campaign();
  // Propose `data` for the log. A follower forwards it to its leader; with no leader the
  // answer is no_leader and nothing changes. Also refused, changing nothing: not_leader
  // (a follower with disable_proposal_forwarding), leader_transferring, proposal_too_large.
  ErrorCode propose(std::string data);
  // Feed a message from a peer. Local message types are refused (local_message); a
  // message from a node that is not a member is refused (unknown_node); a malformed one
  // (addressed to another node, entries not contiguous, a missing term...) is refused
  // (invalid_message). A refused message changes no state. Proposals and read requests
  // forwarded by a follower carry term 0, as in etcd: they are not bound to a term.
  // A prop/read_index that reaches a node that cannot serve it is answered like a local
  // one (no_leader, ...) and also changes nothing.
  ErrorCode step(const Message& m);
  // Ask for a linearizable read; a ReadState carrying `context` appears in a later Ready
  // (never if leadership is lost meanwhile: the caller times out and retries). Refused:
  // an empty context (invalid_message), no known leader (no_leader), the leader's queue
  // at max_pending_read_index (too_many_pending_reads). A new leader holds requests until
  // it has committed an entry of its term.
  ErrorCode read_index(std::string context);
  // Ask the leader (this node, or the leader this follower knows) to hand leadership
  // to `target`. Refused: a non-member target (unknown_node), no known leader (no_leader).
  ErrorCode transfer_leader(NodeId target);
  // The transport could not deliver to `id`: the leader falls back to probing it.
  void report_unreachable(NodeId id);
  // The transport's verdict on a snapshot sent to `id`.
  void report_snapshot(NodeId id, bool ok);

  bool has_ready() const;
  // The pending output. Call advance() once it has been handled, before the next ready()
  // (calling ready() twice, or advance() without ready(), throws std::logic_error).
  // On a leader this is also when appends go out: every proposal and commit index move
  // since the last Ready reaches each follower in one append (coalescing), so the more
  // proposals a driver batches between two Readies, the fewer messages per entry.
  // (Other messages to a follower, a heartbeat say, first flush what it is owed, so
  // messages on each link keep the order the leader decided them.)
  Ready ready();
  void advance();

  Status status() const;
  NodeId id() const;
  const Config& config() const;

  // For tests and the simulator's invariant checks: the node's whole log as the core
  // sees it (stable and unstable), from first_index to last_index.
  std::vector<Entry> log_entries() const;

 private:
  RawNode(const RawNode& other, Storage& storage);

  std::unique_ptr<Raft> raft_;
  SoftState prev_soft_;
  HardState prev_hard_;
  bool ready_outstanding_ = false;
  // What the last Ready handed out, so advance() knows what became stable and applied.
  Index stable_to_index_ = 0;
  Term stable_to_term_ = 0;
  Index applied_to_ = 0;
  std::uint64_t applied_payload_ = 0;  // payload bytes of the committed entries handed out
  Index snapshot_index_ = 0;
};

}  // namespace faultline::raft
