// The leader: proposals, replication with per-follower flow control, the commit rule,
// heartbeats and the quorum check, ReadIndex, and leadership transfer.
#include <string>
#include <utility>
#include <vector>

#include "raft/entry_size.h"
#include "raft/invariant.h"
#include "raft/raft.h"

namespace faultline::raft {

ErrorCode Raft::step_leader(const Message& m) {
  // These need no progress for m.from.
  switch (m.type) {
    case MessageType::beat:
      bcast_heartbeat();
      return ErrorCode::ok;
    case MessageType::check_quorum: {
      tracker_.progress(id_).recent_active = true;  // a leader always hears itself
      if (!tracker_.quorum_active()) {
        log_event("stepped down to follower since quorum is not active");
        become_follower(term_, kNone);
        return ErrorCode::ok;
      }
      // Everyone must prove again, before the next check, that they still hear us.
      for (auto& [id, pr] : tracker_.all()) {
        if (id != id_) pr.recent_active = false;
      }
      return ErrorCode::ok;
    }
    case MessageType::prop:
      return propose_on_leader(m);
    case MessageType::read_index:
      return handle_read_index(ReadRequest{m.from, m.context});
    default:
      break;
  }

  if (!tracker_.is_member(m.from)) return ErrorCode::ok;
  Progress& pr = tracker_.progress(m.from);
  switch (m.type) {
    case MessageType::app_resp:
      handle_append_response(m, pr);
      break;
    case MessageType::heartbeat_resp:
      handle_heartbeat_response(m, pr);
      break;
    case MessageType::snap_status:
      if (pr.state != ProgressState::snapshot) break;
      if (m.reject) {
        // The snapshot never arrived: probe from match, not from the snapshot's index.
        pr.pending_snapshot = 0;
      }
      pr.become_probe();
      log_event("snapshot to {} {}, resumed replication in {} at next {}", m.from,
                m.reject ? "failed" : "succeeded", to_string(pr.state), pr.next);
      // After a success wait for the follower's append response; after a failure wait
      // for a heartbeat response before trying again.
      pr.probe_sent = true;
      break;
    case MessageType::unreachable:
      // While pipelining, an unreachable peer has probably lost appends: stop assuming
      // they arrived and find out where it stands.
      if (pr.state == ProgressState::replicate) pr.become_probe();
      break;
    case MessageType::transfer_leader:
      handle_transfer_leader(m.from, pr);
      break;
    default:
      break;
  }
  return ErrorCode::ok;
}

ErrorCode Raft::propose_on_leader(const Message& m) {
  if (m.entries.empty()) return ErrorCode::invalid_message;
  if (lead_transferee_ != kNone) {
    log_event("[term {}] transfer leadership to {} is in progress; dropping proposal", term_,
              lead_transferee_);
    return ErrorCode::leader_transferring;
  }
  std::vector<Entry> entries = m.entries;
  if (!append_entries(entries)) {
    log_event(
        "appending new entries to log would exceed uncommitted entry size limit; "
        "dropping proposal");
    return ErrorCode::proposal_too_large;
  }
  // Not sent now: every proposal until the next Ready travels in the same append.
  schedule_bcast_append(PendingAppend::new_entries);
  return ErrorCode::ok;
}

bool Raft::append_entries(std::vector<Entry>& entries) {
  const Index last = log_.last_index();
  std::uint64_t size = 0;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    entries[k].term = term_;
    entries[k].index = last + 1 + k;
    size += payload_bytes(entries[k]);
  }
  // An empty uncommitted tail accepts any proposal (so one large proposal can never be
  // refused forever); an empty entry is always accepted (a new leader's).
  const std::uint64_t limit = config_.max_uncommitted_entries_size;
  if (limit != 0 && uncommitted_size_ > 0 && size > 0 && uncommitted_size_ + size > limit) {
    return false;
  }
  uncommitted_size_ += size;
  log_.append(std::move(entries));
  // The leader's own copy is counted only once it is durable (on_persisted), so nothing
  // can be committed here.
  return true;
}

void Raft::handle_append_response(const Message& m, Progress& pr) {
  pr.recent_active = true;
  if (m.reject) {
    // Fast backtracking: the follower says its log may match us up to reject_hint,
    // whose term is log_term there. Skip every entry of ours above the last one with a
    // term <= that: they cannot match.
    Index next_probe = m.reject_hint;
    if (m.log_term > 0) next_probe = log_.find_conflict_by_term(m.reject_hint, m.log_term);
    if (pr.maybe_decr_to(m.index, next_probe)) {
      if (pr.state == ProgressState::replicate) pr.become_probe();
      send_append(m.from);
    }
    return;
  }

  const bool was_paused = pr.is_paused();
  if (!pr.maybe_update(m.index)) return;
  switch (pr.state) {
    case ProgressState::probe:
      pr.become_replicate();
      break;
    case ProgressState::snapshot:
      // The follower caught up past the snapshot (or to where our log is available
      // again): replicate from the log; probe first so next accounts for the snapshot.
      if (pr.match >= pr.pending_snapshot || pr.match + 1 >= log_.first_index()) {
        pr.become_probe();
        pr.become_replicate();
      }
      break;
    case ProgressState::replicate:
      pr.inflights.free_le(m.index);
      break;
  }

  if (maybe_commit()) {
    // The commit index moved within our term: waiting reads can be confirmed now. The
    // followers learn the new index at the next flush, however many acks move it until then.
    release_pending_read_index_requests();
    schedule_bcast_append(PendingAppend::commit);
  } else if (was_paused) {
    // The follower may be missing our latest commit index: tell it at the next flush.
    owe_append(pr, PendingAppend::commit);
  }
  // Flow control may now allow several (size-limited) appends at once; the window bounds
  // how many, and so does this loop.
  for (int k = 0; k <= config_.max_inflight_msgs && maybe_send_append(m.from, false); ++k) {
  }
  if (m.from == lead_transferee_ && pr.match == log_.last_index()) {
    log_event("sent MsgTimeoutNow to {} after received MsgAppResp", m.from);
    send_timeout_now(m.from);
  }
}

void Raft::handle_heartbeat_response(const Message& m, Progress& pr) {
  pr.recent_active = true;
  pr.probe_sent = false;
  // The follower is alive: let one append through a full window, in case the acks that
  // would have emptied it were lost.
  if (pr.state == ProgressState::replicate && pr.inflights.full()) pr.inflights.free_first_one();
  if (pr.match < log_.last_index()) send_append(m.from);

  if (config_.read_only != ReadOnlyOption::safe || m.context.empty()) return;
  const std::set<NodeId>* acks = read_only_.recv_ack(m.from, m.context);
  if (acks == nullptr) return;
  std::map<NodeId, bool> votes;
  for (NodeId id : *acks) votes.emplace(id, true);
  if (tracker_.voters().vote_result(votes) != VoteResult::won) return;
  for (ReadIndexStatus& rs : read_only_.advance(m.context)) {
    respond_to_read_index(rs.request, rs.index);
  }
}

void Raft::handle_transfer_leader(NodeId transferee, Progress& pr) {
  if (lead_transferee_ != kNone) {
    if (lead_transferee_ == transferee) {
      log_event(
          "[term {}] transfer leadership to {} is in progress, ignores request to same "
          "node {}",
          term_, transferee, transferee);
      return;
    }
    log_event("[term {}] abort previous transferring leadership to {}", term_, lead_transferee_);
    abort_leader_transfer();
  }
  if (transferee == id_) {
    log_event("is already leader. Ignored transferring leadership to self");
    return;
  }
  log_event("[term {}] starts to transfer leadership to {}", term_, transferee);
  // The transfer must finish within one election timeout (tick_heartbeat aborts it).
  election_elapsed_ = 0;
  lead_transferee_ = transferee;
  if (pr.match == log_.last_index()) {
    send_timeout_now(transferee);
    log_event("sends MsgTimeoutNow to {} immediately as {} already has up-to-date log", transferee,
              transferee);
  } else {
    send_append(transferee);
  }
}

bool Raft::maybe_send_append(NodeId to, bool send_if_empty) {
  Progress& pr = tracker_.progress(to);
  if (pr.is_paused()) return false;
  // Nothing new to send: the common answer after each append, so skip the lookups below.
  if (!send_if_empty && pr.next > log_.last_index()) return false;

  Term prev_term = 0;
  const ErrorCode term_err = log_.term(pr.next - 1, prev_term);
  std::vector<Entry> ents;
  const ErrorCode ents_err = log_.entries(pr.next, config_.max_size_per_msg, ents);
  if (ents.empty() && !send_if_empty) return false;

  Message m{.type = MessageType::app, .to = to};
  if (term_err != ErrorCode::ok || ents_err != ErrorCode::ok) {
    // The entries this follower needs are compacted: only a snapshot can help. Sending
    // one is expensive, so only to a follower known to be alive.
    if (!pr.recent_active) return false;
    Snapshot snap;
    const ErrorCode err = log_.snapshot(snap);
    if (err == ErrorCode::snapshot_temporarily_unavailable || snap.empty()) return false;
    if (err != ErrorCode::ok) fail_invariant("snapshot: " + std::string(to_string(err)));
    const Index first = log_.first_index();
    const Index sindex = snap.metadata.index;
    const Term sterm = snap.metadata.term;
    m.type = MessageType::snap;
    m.snapshot = std::move(snap);
    pr.become_snapshot(sindex);
    log_event("[firstindex: {}, commit: {}] sent snapshot[index: {}, term: {}] to {}", first,
              log_.committed(), sindex, sterm, to);
  } else {
    m.index = pr.next - 1;
    m.log_term = prev_term;
    m.commit = log_.committed();
    // This append tells the follower our commit index: no separate announcement is owed.
    if (pr.pending_append == PendingAppend::commit) pr.pending_append = PendingAppend::new_entries;
    if (!ents.empty()) {
      const Index last = ents.back().index;
      switch (pr.state) {
        case ProgressState::replicate:
          // Pipelining: assume it arrives, and remember it in the window.
          pr.optimistic_update(last);
          pr.inflights.add(last, payload_bytes(ents));
          break;
        case ProgressState::probe:
          pr.probe_sent = true;
          break;
        case ProgressState::snapshot:
          fail_invariant("sending an append to a follower waiting for a snapshot");
      }
    }
    m.entries = std::move(ents);
  }
  send(std::move(m));
  return true;
}

void Raft::owe_append(Progress& pr, PendingAppend what) {
  if (pr.pending_append < what) pr.pending_append = what;
  appends_pending_ = true;
}

void Raft::schedule_bcast_append(PendingAppend what) {
  for (auto& [id, pr] : tracker_.all()) {
    if (id != id_) owe_append(pr, what);
  }
}

void Raft::flush_appends() {
  if (!appends_pending_) return;
  appends_pending_ = false;
  if (role_ != StateRole::leader) fail_invariant("a non-leader owes appends");
  for (auto& [id, pr] : tracker_.all()) flush_append_to(id, pr);
}

void Raft::flush_append_to(NodeId to, Progress& pr) {
  const PendingAppend owed = std::exchange(pr.pending_append, PendingAppend::none);
  if (owed == PendingAppend::none) return;
  // A commit move is announced even without new entries (an empty append, as etcd does);
  // new entries alone need nothing if an ack already made the leader send them.
  if (!maybe_send_append(to, owed == PendingAppend::commit)) return;
  // The rest, when max_size_per_msg cut the first append short; the window bounds how
  // many, and so does this loop.
  for (int k = 0; k < config_.max_inflight_msgs && maybe_send_append(to, false); ++k) {
  }
}

void Raft::bcast_heartbeat() { bcast_heartbeat_with_context(read_only_.last_pending_context()); }

void Raft::bcast_heartbeat_with_context(const std::string& context) {
  for (NodeId id : tracker_.voters().voters()) {
    if (id != id_) send_heartbeat(id, context);
  }
}

void Raft::send_heartbeat(NodeId to, const std::string& context) {
  // Never tell a follower to commit past what it is known to hold: its log may not
  // match ours beyond match, and committing there would apply a wrong entry.
  const Index commit = std::min(tracker_.progress(to).match, log_.committed());
  send(Message{.type = MessageType::heartbeat, .to = to, .commit = commit, .context = context});
}

void Raft::send_timeout_now(NodeId to) {
  send(Message{.type = MessageType::timeout_now, .to = to});
}

bool Raft::maybe_commit() { return log_.maybe_commit(tracker_.committed(), term_); }

void Raft::self_ack(Index index) {
  if (!tracker_.progress(id_).maybe_update(index)) return;
  if (maybe_commit()) {
    release_pending_read_index_requests();
    schedule_bcast_append(PendingAppend::commit);
  }
}

bool Raft::committed_entry_in_current_term() const {
  return log_.term_or_zero(log_.committed()) == term_;
}

ErrorCode Raft::handle_read_index(ReadRequest request) {
  if (request.context.empty()) return ErrorCode::invalid_message;
  if (read_only_.size() + pending_read_requests_.size() >= config_.max_pending_read_index) {
    log_event("dropping read index request: {} already pending (max_pending_read_index)",
              read_only_.size() + pending_read_requests_.size());
    return ErrorCode::too_many_pending_reads;
  }
  // Until it has committed an entry of its own term, a new leader's commit index may be
  // behind what the previous leader committed: a read served at it could miss a write
  // that already completed. So requests wait (etcd 3.5 behaviour). We also make the
  // single-node cluster wait for this, unlike etcd: its stored commit index may lag.
  if (!committed_entry_in_current_term()) {
    pending_read_requests_.push_back(std::move(request));
    return ErrorCode::ok;
  }
  confirm_read_index(std::move(request));
  return ErrorCode::ok;
}

void Raft::confirm_read_index(ReadRequest request) {
  const Index commit = log_.committed();
  if (tracker_.is_singleton() || config_.read_only == ReadOnlyOption::lease_based) {
    // Alone, or trusting the lease CheckQuorum maintains: no confirmation round.
    respond_to_read_index(request, commit);
    return;
  }
  // Safe: confirm leadership with a heartbeat round carrying the context; we count
  // ourselves at once.
  const std::string context = request.context;
  read_only_.add_request(commit, std::move(request));
  read_only_.recv_ack(id_, context);
  bcast_heartbeat_with_context(context);
}

void Raft::respond_to_read_index(const ReadRequest& request, Index index) {
  if (request.from == kNone || request.from == id_) {
    read_states_.push_back(ReadState{index, request.context});
    return;
  }
  send(Message{.type = MessageType::read_index_resp,
               .to = request.from,
               .index = index,
               .context = request.context});
}

void Raft::release_pending_read_index_requests() {
  if (pending_read_requests_.empty() || !committed_entry_in_current_term()) return;
  std::vector<ReadRequest> waiting = std::exchange(pending_read_requests_, {});
  for (ReadRequest& r : waiting) confirm_read_index(std::move(r));
}

}  // namespace faultline::raft
