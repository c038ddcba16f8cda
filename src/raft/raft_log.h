// The Raft log as the state machine sees it: the stable part in Storage followed by the
// unstable tail (unstable.h), plus the commit and applied cursors. Appending with
// conflict detection, the up-to-date comparison of elections and fast backtracking live
// here; who may append, and when, is raft.h's business.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "raft/storage.h"
#include "raft/types.h"
#include "raft/unstable.h"

namespace faultline::raft {

class RaftLog {
 public:
  // `max_committed_bytes` bounds the committed entries handed out in one Ready.
  RaftLog(Storage& storage, std::uint64_t max_committed_bytes);
  // No plain copies: a copy would go on reading the original's storage (see Raft's
  // copying constructor, the only one that copies a log, onto another storage).
  RaftLog& operator=(const RaftLog&) = delete;

  Index first_index() const;
  Index last_index() const;
  Term last_term() const;
  // The term of entry i, valid for i in [first_index() - 1, last_index()]; compacted
  // below, unavailable above.
  ErrorCode term(Index i, Term& out) const;
  // term(i), or 0 when it is not available (never "matches" a real term, which is >= 1).
  Term term_or_zero(Index i) const;
  bool match_term(Index i, Term t) const;
  // Election restriction (Raft 5.4.1): a log ending at (last_term, last_index) is at least
  // as up to date as ours.
  bool is_up_to_date(Index last_index, Term last_term) const;

  // A follower's append: if our entry at `index` has `log_term`, append `ents` (replacing
  // any conflicting suffix), advance commit to min(committed, last new index) and return
  // the last new index; otherwise nullopt and nothing changes.
  std::optional<Index> maybe_append(Index index, Term log_term, Index committed,
                                    std::span<const Entry> ents);
  // Appends contiguous entries after (or over an uncommitted part of) the log; returns the
  // new last index. The rvalue form moves the entries in (the leader's proposals).
  Index append(std::span<const Entry> ents);
  Index append(std::vector<Entry>&& ents);
  // The index of the first entry of `ents` whose term differs from ours (or that we do not
  // have), 0 when all match.
  Index find_conflict(std::span<const Entry> ents) const;
  // Fast backtracking (etcd's findConflictByTerm): the largest index <= `index` whose
  // term is <= `term`. Entries above it cannot match a log whose entry at `index` has
  // `term`, so a whole term's worth of probes is skipped.
  Index find_conflict_by_term(Index index, Term term) const;

  void commit_to(Index i);
  // Commits up to `max_index` if that entry has `term` (the leader's current term): the
  // figure-8 rule, only entries of the current term are committed by counting.
  bool maybe_commit(Index max_index, Term term);
  void applied_to(Index i);
  void stable_to(Index i, Term t) { unstable_.stable_to(i, t); }
  void stable_snap_to(Index i) { unstable_.stable_snap_to(i); }
  // Replaces the log with a snapshot received from the leader.
  void restore(const Snapshot& s);

  std::vector<Entry> unstable_entries() const { return unstable_.entries(); }
  bool has_unstable_entries() const { return !unstable_.entries().empty(); }
  const std::optional<Snapshot>& pending_snapshot() const { return unstable_.snapshot(); }
  bool has_pending_snapshot() const { return unstable_.snapshot().has_value(); }
  // The last index that is durable on this node (what the leader may count for itself).
  Index persisted_last_index() const;

  // Committed entries not yet applied, at most max_committed_bytes (at least one).
  std::vector<Entry> next_committed_entries() const;
  bool has_next_committed_entries() const;

  // Entries from i to the end, at most max_bytes (at least one); compacted if i is gone.
  ErrorCode entries(Index i, std::uint64_t max_bytes, std::vector<Entry>& out) const;
  // Entries in [lo, hi), at most max_bytes (at least one); compacted if lo is gone.
  ErrorCode slice(Index lo, Index hi, std::uint64_t max_bytes, std::vector<Entry>& out) const;
  // The latest snapshot: a pending (unstable) one, else storage's.
  ErrorCode snapshot(Snapshot& out) const;
  std::vector<Entry> all_entries() const;

  Index committed() const { return committed_; }
  Index applied() const { return applied_; }
  // Restores the commit index from a persisted hard state (must be within the log).
  void load_commit(Index commit);

 private:
  friend class Raft;  // Raft(const Raft&, Storage&) copies the log and re-points it
  RaftLog(const RaftLog&) = default;

  Storage* storage_;  // never null
  Unstable unstable_;
  // Highest index known to be committed (on a quorum); never decreases.
  Index committed_;
  // Highest index the application has applied; applied_ <= committed_.
  Index applied_;
  std::uint64_t max_committed_bytes_;

  // Checks that entries starting at `first` may be appended (no gap, nothing committed
  // overwritten); stops the node otherwise.
  void check_append_at(Index first) const;
};

}  // namespace faultline::raft
