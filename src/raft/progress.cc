// Per-follower flow control and the tracker over all voters (see progress.h).
#include "raft/progress.h"

#include <algorithm>

#include "raft/invariant.h"

namespace faultline::raft {

void Progress::reset_state(ProgressState s) {
  probe_sent = false;
  pending_snapshot = 0;
  state = s;
  inflights.reset();
}

void Progress::become_probe() {
  // Coming back from a snapshot, the follower holds at least the snapshot's index, so
  // probing starts after it rather than from match.
  if (state == ProgressState::snapshot) {
    const Index pending = pending_snapshot;
    reset_state(ProgressState::probe);
    next = std::max(match + 1, pending + 1);
  } else {
    reset_state(ProgressState::probe);
    next = match + 1;
  }
}

void Progress::become_replicate() {
  reset_state(ProgressState::replicate);
  next = match + 1;
}

void Progress::become_snapshot(Index snapshot_index) {
  reset_state(ProgressState::snapshot);
  pending_snapshot = snapshot_index;
}

bool Progress::maybe_update(Index n) {
  bool updated = false;
  if (match < n) {
    match = n;
    updated = true;
    probe_sent = false;  // the outstanding probe was answered
  }
  next = std::max(next, n + 1);
  return updated;
}

bool Progress::maybe_decr_to(Index rejected, Index match_hint) {
  if (state == ProgressState::replicate) {
    // A rejection at or below match is stale: those entries are known to match.
    if (rejected <= match) return false;
    // Pipelined appends after the rejected one are doomed too: restart right after match.
    next = match + 1;
    return true;
  }
  // Outside replicate only one append is in flight, for next - 1; any other rejection is
  // a stale answer to an earlier probe.
  if (next - 1 != rejected) return false;
  next = std::max(std::min(rejected, match_hint + 1), match + 1);
  probe_sent = false;
  return true;
}

bool Progress::is_paused() const {
  switch (state) {
    case ProgressState::probe:
      return probe_sent;
    case ProgressState::replicate:
      return inflights.full();
    case ProgressState::snapshot:
      return true;
  }
  return true;
}

ProgressStatus Progress::status() const {
  ProgressStatus s;
  s.match = match;
  s.next = next;
  s.state = state;
  s.recent_active = recent_active;
  s.probe_sent = probe_sent;
  s.pending_snapshot = pending_snapshot;
  s.inflight_count = inflights.count();
  s.inflight_bytes = inflights.bytes();
  return s;
}

ProgressTracker::ProgressTracker(std::vector<NodeId> voters, std::size_t max_inflight,
                                 std::uint64_t max_inflight_bytes)
    : voters_(std::move(voters)),
      max_inflight_(max_inflight),
      max_inflight_bytes_(max_inflight_bytes) {
  for (NodeId id : voters_.voters()) {
    progress_.emplace(id, Progress(1, max_inflight_, max_inflight_bytes_));
  }
}

Progress& ProgressTracker::progress(NodeId id) {
  auto it = progress_.find(id);
  if (it == progress_.end()) fail_invariant("no progress for a non-member");
  return it->second;
}

const Progress& ProgressTracker::progress(NodeId id) const {
  auto it = progress_.find(id);
  if (it == progress_.end()) fail_invariant("no progress for a non-member");
  return it->second;
}

void ProgressTracker::reset_progress(NodeId self, Index last_index, Index self_match) {
  for (auto& [id, pr] : progress_) {
    pr = Progress(last_index + 1, max_inflight_, max_inflight_bytes_);
    if (id == self) pr.match = self_match;
  }
}

// progress_ holds exactly the voters, so both checks read it directly: they run on every
// append response and every quorum check, and must not allocate maps.
Index ProgressTracker::committed() const {
  std::vector<Index> matched;
  matched.reserve(progress_.size());
  for (const auto& [id, pr] : progress_) matched.push_back(pr.match);
  return voters_.committed_index(matched);
}

bool ProgressTracker::quorum_active() const {
  std::size_t active = 0;
  for (const auto& [id, pr] : progress_) active += pr.recent_active ? 1 : 0;
  return active >= voters_.quorum();
}

ProgressTracker::Tally ProgressTracker::tally_votes() const {
  Tally t;
  for (NodeId id : voters_.voters()) {
    auto it = votes_.find(id);
    if (it == votes_.end()) continue;
    if (it->second) {
      ++t.granted;
    } else {
      ++t.rejected;
    }
  }
  t.result = voters_.vote_result(votes_);
  return t;
}

}  // namespace faultline::raft
