// The unstable tail of the log: entries (and at most one incoming snapshot) that the core
// has accepted but the driver has not yet persisted. Entry i lives at entries_[i - offset_];
// everything before offset_ is in Storage. The driver learns about this tail through
// Ready::entries / Ready::snapshot and reports it durable with stable_to / stable_snap_to.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "raft/types.h"

namespace faultline::raft {

class Unstable {
 public:
  explicit Unstable(Index offset) : offset_(offset) {}

  // These three run for every term lookup of the log (several per entry a follower
  // accepts), so they are inline.
  // The first index when a snapshot is pending (it replaces everything before it).
  std::optional<Index> maybe_first_index() const {
    if (snapshot_) return snapshot_->metadata.index + 1;
    return std::nullopt;
  }
  std::optional<Index> maybe_last_index() const {
    if (!entries_.empty()) return offset_ + entries_.size() - 1;
    if (snapshot_) return snapshot_->metadata.index;
    return std::nullopt;
  }
  // The term of entry i if the unstable part knows it (an entry, or the pending snapshot).
  std::optional<Term> maybe_term(Index i) const {
    if (i < offset_) {
      if (snapshot_ && snapshot_->metadata.index == i) return snapshot_->metadata.term;
      return std::nullopt;
    }
    if (i - offset_ < entries_.size()) return entries_[i - offset_].term;
    return std::nullopt;
  }

  // Entries up to (i, t) are durable. Ignored if entry i has another term by now: the
  // tail was rewritten after the Ready was handed out, so it must be persisted again.
  void stable_to(Index i, Term t);
  void stable_snap_to(Index i);
  void restore(const Snapshot& s);
  // Appends `ents` (non-empty, contiguous, ents[0].index <= last + 1), truncating any
  // unstable entries at or after ents[0].index. Copies them; the rvalue form moves them.
  void truncate_and_append(std::span<const Entry> ents);
  void truncate_and_append(std::vector<Entry>&& ents);
  // Appends a copy of the entries in [lo, hi) to `out`; the range must lie within
  // [offset, last + 1). (Appending to the caller's vector saves a temporary per slice.)
  void copy_range(Index lo, Index hi, std::vector<Entry>& out) const;

  const std::vector<Entry>& entries() const { return entries_; }
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }
  Index offset() const { return offset_; }

 private:
  std::optional<Snapshot> snapshot_;
  std::vector<Entry> entries_;
  Index offset_;
};

}  // namespace faultline::raft
