// The unstable tail of the log: entries (and at most one incoming snapshot) that the core
// has accepted but the driver has not yet persisted. Entry i lives at entries_[i - offset_];
// everything before offset_ is in Storage. The driver learns about this tail through
// Ready::entries / Ready::snapshot and reports it durable with stable_to / stable_snap_to.
#pragma once

#include <optional>
#include <vector>

#include "raft/types.h"

namespace faultline::raft {

class Unstable {
 public:
  explicit Unstable(Index offset) : offset_(offset) {}

  // The first index when a snapshot is pending (it replaces everything before it).
  std::optional<Index> maybe_first_index() const;
  std::optional<Index> maybe_last_index() const;
  // The term of entry i if the unstable part knows it (an entry, or the pending snapshot).
  std::optional<Term> maybe_term(Index i) const;

  // Entries up to (i, t) are durable. Ignored if entry i has another term by now: the
  // tail was rewritten after the Ready was handed out, so it must be persisted again.
  void stable_to(Index i, Term t);
  void stable_snap_to(Index i);
  void restore(const Snapshot& s);
  // Appends `ents` (non-empty, contiguous, ents[0].index <= last + 1), truncating any
  // unstable entries at or after ents[0].index.
  void truncate_and_append(const std::vector<Entry>& ents);
  // Entries in [lo, hi); the range must lie within [offset, last + 1).
  std::vector<Entry> slice(Index lo, Index hi) const;

  const std::vector<Entry>& entries() const { return entries_; }
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }
  Index offset() const { return offset_; }

 private:
  std::optional<Snapshot> snapshot_;
  std::vector<Entry> entries_;
  Index offset_;
};

}  // namespace faultline::raft
