// Raft: the consensus state machine of one node, modelled on etcd's raft library. It owns
// the log (raft_log.h), the leader's view of its followers (progress.h) and the ReadIndex
// queue (read_only.h). Every input is a Message through step() — including local events
// (the election timer's hup, the leader's beat and check_quorum) — and its outputs
// accumulate in msgs_ / read_states_ / the log's unstable tail until RawNode hands them
// out as a Ready. No I/O, no clock, no threads; randomness comes from Config::seed.
//
// Terms on messages: every message between nodes carries its sender's term, except the
// requests a follower forwards to its leader (prop, read_index), which carry term 0 as in
// etcd: they are not bound to a term, the leader decides whether it can serve them, and
// a stale follower term must not get them dropped. Term 0 skips the term rules (it is
// also how local events enter); RawNode::step refuses term 0 on any other peer message,
// except a pre-vote rejection from a node still at term 0 (etcd treats it the same way).
//
// The code is split by concern:
//   raft.cc           construction, roles, timers, the term rules every message passes
//   raft_election.cc  campaigns, PreVote, vote granting and the candidate's step
//   raft_leader.cc    the leader's step: replication (appends coalesced until the next
//                     Ready, see flush_appends), flow control, commit, ReadIndex,
//                     leadership transfer
//   raft_follower.cc  the follower's step: appends, heartbeats, snapshots, forwarding
//   raft_invariants.cc  the state checks run after every input in debug builds
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "raft/config.h"
#include "raft/progress.h"
#include "raft/raft_log.h"
#include "raft/read_only.h"
#include "raft/rng.h"
#include "raft/storage.h"
#include "raft/types.h"

namespace faultline::raft {

class Raft {
 public:
  // Throws ConfigError if `config` is invalid or does not fit what `storage` holds.
  Raft(const Config& config, Storage& storage);
  // A copy of `other` in every respect, except that its log reads from `storage`, which
  // must hold what other's storage holds (a copy of it): how a simulation forks a run.
  Raft(const Raft& other, Storage& storage);
  Raft& operator=(const Raft&) = delete;

  // One unit of logical time: the election timer (followers, candidates) or the
  // heartbeat timer and quorum check (leader).
  void tick();
  // The single door for every message. Remote messages must have been checked by the
  // caller (RawNode::step refuses local types, non-members and malformed messages).
  // Taken by reference: an append's entries are copied once, into the log, and only the
  // entries that are new.
  ErrorCode step(const Message& m);

  // Entries up to (index, term) are durable. On the leader this is where its own copy
  // counts towards the commit quorum: never before the entries are on its disk.
  void on_persisted(Index index, Term term);
  // The application applied entries up to `index` (their payload was `payload`).
  void on_applied(Index index, std::uint64_t payload);

  NodeId id() const { return id_; }
  Term term() const { return term_; }
  StateRole role() const { return role_; }
  NodeId leader() const { return lead_; }
  SoftState soft_state() const { return SoftState{lead_, role_}; }
  HardState hard_state() const { return HardState{term_, vote_, log_.committed()}; }
  bool is_member(NodeId id) const { return tracker_.is_member(id); }
  const Config& config() const { return config_; }
  RaftLog& log() { return log_; }
  const RaftLog& log() const { return log_; }

  // Coalesced appends (see flush_appends) are owed to some follower: the next Ready has
  // messages even if none is queued yet.
  bool has_pending_appends() const { return appends_pending_; }
  // Sends what the leader owes each follower since the last flush: one append carrying
  // every new entry (more only when max_size_per_msg cuts it, bounded by the in-flight
  // window) and the current commit index. RawNode calls it when it builds a Ready, so all
  // the proposals and commit moves between two Readies share one message per follower.
  void flush_appends();

  bool has_messages() const { return !msgs_.empty(); }
  std::vector<Message> take_messages() { return std::exchange(msgs_, {}); }
  bool has_read_states() const { return !read_states_.empty(); }
  std::vector<ReadState> take_read_states() { return std::exchange(read_states_, {}); }

  Status status() const;

  // Checks the invariants that must hold between any two inputs (applied <= committed <=
  // last index, a leader voted for itself, flow control within its bounds...); throws
  // InvariantViolation naming the first one broken. RawNode runs it after every input in
  // debug builds; it is cheap (no log scan).
  void check_invariants() const;

 private:
  // Member-wise, the log still reading the original's storage: only the constructor above
  // uses it, and re-points the log.
  Raft(const Raft&) = default;

  enum class CampaignType : std::uint8_t { pre_election, election, transfer };

  // --- raft.cc: roles, timers, the term rules ---
  void become_follower(Term term, NodeId lead);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  // Everything a role or term change resets: timers, votes, progress, read queue.
  void reset(Term term);
  void reset_randomized_election_timeout();
  void tick_election();
  void tick_heartbeat();
  bool past_election_timeout() const;
  bool promotable() const;
  // Rule 1 of the notes: this node heard from a leader within the (non-randomized)
  // election timeout, so it ignores (pre-)votes of higher terms.
  bool in_vote_lease() const;
  // Applies the rules on message terms; returns false when the message is consumed here.
  bool step_term(const Message& m);
  ErrorCode step_by_role(const Message& m);
  // Queues a message to send, filling in `from` and (for most types) the current term.
  void send(Message&& m);

  // --- raft_election.cc ---
  void hup(CampaignType t);
  void campaign(CampaignType t);
  ProgressTracker::Tally poll(NodeId from, MessageType t, bool granted);
  void handle_vote_request(const Message& m);
  ErrorCode step_candidate(const Message& m);

  // --- raft_leader.cc ---
  ErrorCode step_leader(const Message& m);
  void handle_append_response(const Message& m, Progress& pr);
  void handle_heartbeat_response(const Message& m, Progress& pr);
  void handle_transfer_leader(NodeId transferee, Progress& pr);
  ErrorCode propose_on_leader(const Message& m);
  // Sends an append (or a snapshot) to `to` unless its flow control is paused. With
  // send_if_empty false nothing is sent when there are no new entries.
  bool maybe_send_append(NodeId to, bool send_if_empty);
  void send_append(NodeId to) { maybe_send_append(to, true); }
  // Marks every follower as owed `what` at the next flush_appends (coalescing), instead of
  // sending an append to each of them now.
  void schedule_bcast_append(PendingAppend what);
  // Marks one follower as owed `what` (the larger of it and what it was owed already).
  void owe_append(Progress& pr, PendingAppend what);
  // Sends what `pr` (the progress of `to`) is owed, if anything (see flush_appends).
  void flush_append_to(NodeId to, Progress& pr);
  void bcast_heartbeat();
  void bcast_heartbeat_with_context(const std::string& context);
  void send_heartbeat(NodeId to, const std::string& context);
  void send_timeout_now(NodeId to);
  void abort_leader_transfer() { lead_transferee_ = kNone; }
  // Gives `entries` this term and the next indexes and appends them, moving them into
  // the log; false (and nothing appended) when the uncommitted size limit refuses them.
  bool append_entries(std::vector<Entry>& entries);
  bool maybe_commit();
  // The leader's own durable index counts towards the commit quorum (see on_persisted).
  void self_ack(Index index);
  bool committed_entry_in_current_term() const;
  ErrorCode handle_read_index(ReadRequest request);
  // Starts confirming a request the leader can serve now (it committed in its term).
  void confirm_read_index(ReadRequest request);
  void respond_to_read_index(const ReadRequest& request, Index index);
  void release_pending_read_index_requests();

  // --- raft_follower.cc ---
  ErrorCode step_follower(const Message& m);
  // Sends a request only the leader can serve (a proposal, a read, a transfer) on to it.
  void forward_to_leader(const Message& m);
  void handle_append_entries(const Message& m);
  void handle_heartbeat(const Message& m);
  void handle_snapshot(const Message& m);
  bool restore(const Snapshot& s);

  // One logger line, prefixed with this node's id; formatted only if a logger is set.
  template <typename... Args>
  void log_event(fmt::format_string<Args...> format, Args&&... args) const {
    if (!config_.logger) return;
    config_.logger(fmt::format("{} ", id_) + fmt::format(format, std::forward<Args>(args)...));
  }

  const Config config_;
  const NodeId id_;
  RaftLog log_;
  ProgressTracker tracker_;
  SplitMix64 rng_;

  // Persistent state (HardState, with log_.committed()).
  Term term_ = 0;
  NodeId vote_ = kNone;

  // Volatile state.
  StateRole role_ = StateRole::follower;
  NodeId lead_ = kNone;
  // Ticks since the last reset: of the election timer on followers and candidates (reset
  // by hearing from the leader, granting a vote, a role change); on the leader, ticks
  // since the last quorum check.
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  // The node leadership is being handed to (leader only), or kNone.
  NodeId lead_transferee_ = kNone;
  // Payload bytes of the leader's uncommitted tail (max_uncommitted_entries_size).
  std::uint64_t uncommitted_size_ = 0;

  ReadOnlyQueue read_only_;
  // ReadIndex requests that reached a leader before it committed an entry of its term:
  // until then its commit index may be stale, so they wait here (etcd 3.5 behaviour).
  std::vector<ReadRequest> pending_read_requests_;

  // Some follower's Progress::pending_append is set (leader only): the flush has work.
  bool appends_pending_ = false;

  std::vector<Message> msgs_;
  std::vector<ReadState> read_states_;
};

}  // namespace faultline::raft
