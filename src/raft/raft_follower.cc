// The follower: accepting appends, heartbeats and snapshots from its leader, and
// forwarding what only the leader can do (proposals, reads, transfers).
#include <algorithm>
#include <string>

#include "raft/raft.h"

namespace faultline::raft {

ErrorCode Raft::step_follower(const Message& m) {
  switch (m.type) {
    case MessageType::prop:
      if (lead_ == kNone) {
        log_event("no leader at term {}; dropping proposal", term_);
        return ErrorCode::no_leader;
      }
      if (config_.disable_proposal_forwarding) {
        log_event("not forwarding to leader {} at term {}; dropping proposal", lead_, term_);
        return ErrorCode::not_leader;
      }
      forward_to_leader(m);
      return ErrorCode::ok;
    case MessageType::app:
      // Hearing from the leader resets the election timer (and the vote lease).
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_append_entries(m);
      return ErrorCode::ok;
    case MessageType::heartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_heartbeat(m);
      return ErrorCode::ok;
    case MessageType::snap:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_snapshot(m);
      return ErrorCode::ok;
    case MessageType::transfer_leader:
      if (lead_ == kNone) {
        log_event("no leader at term {}; dropping leader transfer msg", term_);
        return ErrorCode::no_leader;
      }
      // `from` stays the transferee: the leader reads the target from it.
      forward_to_leader(m);
      return ErrorCode::ok;
    case MessageType::timeout_now:
      if (!promotable()) {
        log_event("received MsgTimeoutNow from {} but is not promotable", m.from);
        return ErrorCode::ok;
      }
      // The leader asked us to take over: campaign at once, without PreVote (nobody is
      // recovering from a partition) and marked so voters bypass their lease.
      log_event(
          "[term {}] received MsgTimeoutNow from {} and starts an election to get "
          "leadership.",
          term_, m.from);
      hup(CampaignType::transfer);
      return ErrorCode::ok;
    case MessageType::read_index:
      if (lead_ == kNone) {
        log_event("no leader at term {}; dropping index reading msg", term_);
        return ErrorCode::no_leader;
      }
      forward_to_leader(m);
      return ErrorCode::ok;
    case MessageType::read_index_resp:
      read_states_.push_back(ReadState{m.index, m.context});
      return ErrorCode::ok;
    default:
      return ErrorCode::ok;
  }
}

void Raft::forward_to_leader(const Message& m) {
  Message forwarded = m;
  forwarded.to = lead_;
  send(std::move(forwarded));
}

void Raft::handle_append_entries(const Message& m) {
  if (m.index < log_.committed()) {
    // Everything up to our commit index matches the leader already (committed entries
    // never change): tell it where we really are.
    send(Message{.type = MessageType::app_resp, .to = m.from, .index = log_.committed()});
    return;
  }
  if (auto last_new = log_.maybe_append(m.index, m.log_term, m.commit, m.entries)) {
    send(Message{.type = MessageType::app_resp, .to = m.from, .index = *last_new});
    return;
  }
  // Our log does not hold (m.index, m.log_term). Hint where the logs may match: the
  // largest index <= m.index whose term is <= m.log_term; nothing above it can match.
  Index hint = std::min(m.index, log_.last_index());
  hint = log_.find_conflict_by_term(hint, m.log_term);
  const Term hint_term = log_.term_or_zero(hint);
  log_event("[logterm: {}, index: {}] rejected MsgApp [logterm: {}, index: {}] from {}",
            log_.term_or_zero(m.index), m.index, m.log_term, m.index, m.from);
  send(Message{.type = MessageType::app_resp,
               .to = m.from,
               .log_term = hint_term,
               .index = m.index,
               .reject = true,
               .reject_hint = hint});
}

void Raft::handle_heartbeat(const Message& m) {
  log_.commit_to(m.commit);
  // The context (a ReadIndex confirmation) goes back unchanged. (Built field by field:
  // GCC 12 at -O3 warns, falsely, that a designated initializer here leaves a string
  // uninitialized.)
  Message resp;
  resp.type = MessageType::heartbeat_resp;
  resp.to = m.from;
  resp.context = m.context;
  send(std::move(resp));
}

void Raft::handle_snapshot(const Message& m) {
  const Index sindex = m.snapshot.metadata.index;
  const Term sterm = m.snapshot.metadata.term;
  if (restore(m.snapshot)) {
    log_event("[commit: {}] restored snapshot [index: {}, term: {}]", log_.committed(), sindex,
              sterm);
    send(Message{.type = MessageType::app_resp, .to = m.from, .index = log_.last_index()});
  } else {
    log_event("[commit: {}] ignored snapshot [index: {}, term: {}]", log_.committed(), sindex,
              sterm);
    send(Message{.type = MessageType::app_resp, .to = m.from, .index = log_.committed()});
  }
}

bool Raft::restore(const Snapshot& s) {
  if (s.metadata.index <= log_.committed()) return false;
  if (role_ != StateRole::follower) {
    // Defence in depth (etcd does the same): a non-follower must never install a
    // snapshot; move to a new term without adopting it.
    log_event("attempted to restore snapshot as {}; should never happen", to_string(role_));
    become_follower(term_ + 1, kNone);
    return false;
  }
  const auto& voters = s.metadata.voters;
  if (!voters.empty() && std::find(voters.begin(), voters.end(), id_) == voters.end()) {
    log_event("attempted to restore snapshot but it is not in the voters; should never happen");
    return false;
  }
  if (log_.match_term(s.metadata.index, s.metadata.term)) {
    // Our log already holds the snapshot's last entry, so it holds everything before it:
    // just move the commit index instead of throwing the log away.
    log_event(
        "[commit: {}, lastindex: {}, lastterm: {}] fast-forwarded commit to snapshot "
        "[index: {}, term: {}]",
        log_.committed(), log_.last_index(), log_.last_term(), s.metadata.index, s.metadata.term);
    log_.commit_to(s.metadata.index);
    return false;
  }
  log_.restore(s);
  if (!voters.empty() && voters != tracker_.voters().voters()) {
    tracker_ = ProgressTracker(voters, static_cast<std::size_t>(config_.max_inflight_msgs),
                               config_.max_inflight_bytes);
  }
  return true;
}

}  // namespace faultline::raft
