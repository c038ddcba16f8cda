// The vocabulary of the Raft core: ids, log entries, messages, hard state, snapshots,
// and the Ready batch that carries the core's output to whoever drives it (the simulator
// or the server). Plain data only; the algorithm lives in raft.h / raw_node.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::raft {

using NodeId = std::uint64_t;  // 0 is never a node: it means "none"
using Term = std::uint64_t;
using Index = std::uint64_t;
inline constexpr NodeId kNone = 0;

// Errors are answers: every refusal of the core is one of these, never an exception
// (the only exception is a Config that fails validation at construction).
enum class ErrorCode : std::uint8_t {
  ok,
  no_leader,             // a proposal or read with no known leader (nowhere to forward it)
  leader_transferring,   // a proposal refused while leadership moves to another node
  proposal_too_large,    // the uncommitted tail would exceed max_uncommitted_entries_size
  unknown_node,          // a message from (or about) a node that is not a member
  local_message,         // a local-only message type (hup, beat, ...) given to step()
  invalid_message,       // a malformed message (e.g. entries that are not contiguous)
  compacted,             // storage: the index is before the first available entry
  unavailable,           // storage: the index is after the last entry
  snapshot_out_of_date,  // storage: a snapshot older than the one held
  snapshot_temporarily_unavailable,  // storage: no snapshot can be made right now
  not_leader,                        // a follower with proposal forwarding disabled: ask the leader
  too_many_pending_reads,            // the leader's ReadIndex queue is at max_pending_read_index
};
std::string_view to_string(ErrorCode e);

struct Entry {
  Term term = 0;
  Index index = 0;
  std::string data{};  // an empty entry (no data) is what a new leader appends

  bool operator==(const Entry&) const = default;
};

// What must be on disk before the node answers anyone (Raft's persistent state).
struct HardState {
  Term term = 0;
  NodeId vote = kNone;
  Index commit = 0;

  bool empty() const { return term == 0 && vote == kNone && commit == 0; }
  bool operator==(const HardState&) const = default;
};

struct SnapshotMetadata {
  Index index = 0;
  Term term = 0;
  std::vector<NodeId> voters;  // the configuration at `index`

  bool operator==(const SnapshotMetadata&) const = default;
};

struct Snapshot {
  std::string data;  // opaque to the core: the application's state at metadata.index
  SnapshotMetadata metadata;

  bool empty() const { return metadata.index == 0; }
  bool operator==(const Snapshot&) const = default;
};

// Message types follow etcd's raftpb so that traces read the same. The local ones
// (hup, beat, check_quorum) only ever go through the core's own door, never the wire.
enum class MessageType : std::uint8_t {
  hup,              // local: the election timer fired; campaign
  beat,             // local: the heartbeat timer fired on the leader
  prop,             // a proposal; a follower forwards it to its leader
  app,              // append entries
  app_resp,         // append response (reject + reject_hint on mismatch)
  vote,             // request vote
  vote_resp,        // vote response
  snap,             // install snapshot
  heartbeat,        // leader heartbeat (carries commit)
  heartbeat_resp,   // heartbeat response (carries the read-index context back)
  unreachable,      // local: the transport could not reach a peer
  snap_status,      // local: the transport reports a snapshot's fate
  check_quorum,     // local: the leader's quorum check
  transfer_leader,  // ask the leader to hand leadership to `from` (etcd: from = the target)
  timeout_now,      // leader -> transfer target: campaign now, skipping PreVote
  read_index,       // a read-index request (forwarded from a follower)
  read_index_resp,  // the leader's answer to a forwarded read-index request
  pre_vote,         // PreVote request (at the candidate's term + 1)
  pre_vote_resp,    // PreVote response
};
std::string_view to_string(MessageType t);
bool is_local(MessageType t);
bool is_response(MessageType t);
// Whether a message travels on a link's append stream. etcd's transport gives each
// direction of a link two streams: appends (and snapshots) on one, heartbeats, votes and
// every response on the other, so a stalled append stream does not hold heartbeats up.
// faultline's transport and the simulator's network split their links the same way.
inline bool rides_append_stream(MessageType t) {
  return t == MessageType::app || t == MessageType::snap;
}

// Marks a vote request made by a leadership-transfer campaign: voters bypass the lease.
inline constexpr std::string_view kCampaignTransfer = "CampaignTransfer";

struct Message {
  MessageType type = MessageType::hup;
  NodeId to = kNone;
  NodeId from = kNone;
  Term term = 0;
  Term log_term = 0;  // term of the entry at `index` (app, vote), or of the hint (app_resp)
  Index index = 0;
  std::vector<Entry> entries{};
  Index commit = 0;
  Snapshot snapshot{};  // only for snap
  bool reject = false;
  Index reject_hint = 0;
  std::string context{};  // read-index context, or kCampaignTransfer on votes

  bool operator==(const Message&) const = default;
};

enum class StateRole : std::uint8_t { follower, pre_candidate, candidate, leader };
std::string_view to_string(StateRole r);

// Volatile state, reported in Ready only when it changes.
struct SoftState {
  NodeId leader = kNone;
  StateRole role = StateRole::follower;

  bool operator==(const SoftState&) const = default;
};

// A linearizable read may be served once the node has applied up to `index`.
struct ReadState {
  Index index = 0;
  std::string context;

  bool operator==(const ReadState&) const = default;
};

// One batch of the core's output. The driver must, in this order:
//   1. persist `hard_state`, `entries` and `snapshot` (durably, when must_sync);
//   2. only then send `messages` (persist before you acknowledge);
//   3. apply `committed_entries` (and `snapshot`) to the state machine;
//   4. call RawNode::advance().
// A leader's own messages may be sent before its own append is durable (as in the Raft
// thesis, 10.2.1); the core accounts for that by counting its own vote only when the
// entries are stable, so the rule above is always safe.
struct Ready {
  bool has_soft_state = false;
  SoftState soft_state;
  bool has_hard_state = false;
  HardState hard_state;
  std::vector<ReadState> read_states;
  std::vector<Entry> entries;            // to append to stable storage
  Snapshot snapshot;                     // to install (empty() when none)
  std::vector<Entry> committed_entries;  // to apply, in order
  std::vector<Message> messages;         // to send after persisting
  // Term, vote, entries or snapshot changed: fsync before sending. A change of the commit
  // index alone does not set it (as in etcd): a lost commit index is learnt again.
  bool must_sync = false;

  bool empty() const {
    return !has_soft_state && !has_hard_state && read_states.empty() && entries.empty() &&
           snapshot.empty() && committed_entries.empty() && messages.empty();
  }
};

// Flow-control state of the leader's view of one follower.
enum class ProgressState : std::uint8_t { probe, replicate, snapshot };
std::string_view to_string(ProgressState s);

struct ProgressStatus {
  Index match = 0;
  Index next = 0;
  ProgressState state = ProgressState::probe;
  bool recent_active = false;
  bool probe_sent = false;
  Index pending_snapshot = 0;
  std::size_t inflight_count = 0;
  std::uint64_t inflight_bytes = 0;
};

struct Status {
  NodeId id = kNone;
  HardState hard_state;
  SoftState soft_state;
  Index applied = 0;
  Index first_index = 0;
  Index last_index = 0;
  int election_elapsed = 0;
  int randomized_election_timeout = 0;
  NodeId lead_transferee = kNone;
  std::map<NodeId, ProgressStatus> progress;  // filled on the leader only
};

}  // namespace faultline::raft
