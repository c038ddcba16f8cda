// The leader's view of each follower (Progress) and of the whole configuration
// (ProgressTracker: progress per voter, the votes of an election, the quorum checks).
//
// A follower's Progress is in one of three flow-control states:
//   probe      - the leader does not know where the logs match; it sends one append and
//                waits (probe_sent) for the answer or the next heartbeat response;
//   replicate  - the logs match up to `match`; appends are pipelined optimistically
//                (next moves ahead at send time), bounded by the in-flight window;
//   snapshot   - the entries the follower needs are compacted; a snapshot is on its way
//                and nothing else is sent until it is reported or acknowledged.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "raft/inflights.h"
#include "raft/quorum.h"
#include "raft/types.h"

namespace faultline::raft {

// What a follower is owed by the leader's next flush of appends.
enum class PendingAppend : std::uint8_t {
  none,
  new_entries,  // entries were appended: send them (nothing if they already went out)
  commit,       // the commit index moved: send it, in an empty append if nothing else is new
};

struct Progress {
  Progress(Index next_index, std::size_t max_inflight, std::uint64_t max_inflight_bytes)
      : next(next_index), inflights(max_inflight, max_inflight_bytes) {}

  Index match = 0;  // highest index known to be replicated on the follower
  Index next = 1;   // next index to send
  ProgressState state = ProgressState::probe;
  // In probe: an append is outstanding, send no more until an answer (or heartbeat reply).
  bool probe_sent = false;
  // In snapshot: the index of the snapshot sent.
  Index pending_snapshot = 0;
  // Heard from since the last quorum check (CheckQuorum), or ever when it is off.
  bool recent_active = false;
  // What the leader owes this follower at its next flush (Raft::flush_appends): appends
  // are coalesced, so many proposals (and commit index moves) between two Readies go out
  // as one append per follower instead of one per event.
  PendingAppend pending_append = PendingAppend::none;
  Inflights inflights;

  void become_probe();
  void become_replicate();
  void become_snapshot(Index snapshot_index);
  // The follower acknowledged up to n: raises match (returns true if it did) and next.
  bool maybe_update(Index n);
  // In replicate, appends are pipelined: next moves past what was just sent.
  void optimistic_update(Index n) { next = n + 1; }
  // The follower rejected the append at `rejected`, hinting its log might match up to
  // `match_hint`. Returns false for a stale rejection (one that changes nothing).
  bool maybe_decr_to(Index rejected, Index match_hint);
  // Whether the leader must hold off sending appends to this follower.
  bool is_paused() const;

  ProgressStatus status() const;

 private:
  void reset_state(ProgressState s);
};

class ProgressTracker {
 public:
  ProgressTracker(std::vector<NodeId> voters, std::size_t max_inflight,
                  std::uint64_t max_inflight_bytes);

  const MajorityConfig& voters() const { return voters_; }
  bool is_member(NodeId id) const { return voters_.contains(id); }
  bool is_singleton() const { return voters_.size() == 1; }
  Progress& progress(NodeId id);  // id must be a member
  const Progress& progress(NodeId id) const;
  std::map<NodeId, Progress>& all() { return progress_; }
  const std::map<NodeId, Progress>& all() const { return progress_; }

  // Forgets every follower's flow-control state: next = last_index + 1, match 0, except
  // `self` whose match is `self_match` (what it has durably).
  void reset_progress(NodeId self, Index last_index, Index self_match);

  // The largest index a quorum has acknowledged.
  Index committed() const;
  // Whether a quorum (counting only recent_active members) was heard from.
  bool quorum_active() const;

  void reset_votes() { votes_.clear(); }
  // Records id's vote; only its first answer in an election counts.
  void record_vote(NodeId id, bool granted) { votes_.emplace(id, granted); }
  struct Tally {
    std::size_t granted = 0;
    std::size_t rejected = 0;
    VoteResult result = VoteResult::pending;
  };
  Tally tally_votes() const;

 private:
  MajorityConfig voters_;
  std::map<NodeId, Progress> progress_;
  std::map<NodeId, bool> votes_;
  std::size_t max_inflight_;
  std::uint64_t max_inflight_bytes_;
};

}  // namespace faultline::raft
