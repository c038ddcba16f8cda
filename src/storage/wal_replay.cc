// Replay of WAL records into the Raft state; see wal_replay.h and the rules in wal.h.
#include "storage/wal_replay.h"

#include <algorithm>

#include "storage/storage_error.h"

namespace faultline::storage {

bool LogReplay::holds(raft::Index index, raft::Term term) const {
  if (!marker_.empty() && index == marker_.index) return term == marker_.term;
  if (entries_.empty()) return false;
  const raft::Index first = entries_.front().index;
  if (index < first || index > entries_.back().index) return false;
  return entries_[index - first].term == term;
}

void LogReplay::entry(raft::Entry entry, const std::string& where) {
  // Entries covered by the snapshot are committed and already inside it.
  if (!marker_.empty() && entry.index <= marker_.index) return;
  if (entries_.empty()) {
    entries_.push_back(std::move(entry));
    return;
  }
  const raft::Index first = entries_.front().index;
  const raft::Index last = entries_.back().index;
  if (entry.index > last + 1) {
    throw StorageError(StorageErrorKind::corruption, "WAL corruption: " + where + ": entry " +
                                                         std::to_string(entry.index) +
                                                         " follows entry " + std::to_string(last) +
                                                         " (entries in between are missing)");
  }
  if (entry.index < first) {
    entries_.clear();  // rewrites an index before everything held: the whole tail conflicts
  } else {
    entries_.resize(entry.index - first);  // drops the conflicting suffix, if any
  }
  entries_.push_back(std::move(entry));
}

void LogReplay::hard_state(const raft::HardState& hard_state) { hard_state_ = hard_state; }

void LogReplay::snapshot_marker(const SnapshotMarker& marker) {
  if (!marker_.empty() && marker.index <= marker_.index) return;  // an older one (a preamble)
  // Entries that all lie after the marker come from segments written after it, whose
  // predecessors (holding the marker's own entry) were deleted by a later snapshot; such a
  // marker is always superseded by that later one, so it must not reset them.
  const bool starts_after = !entries_.empty() && entries_.front().index > marker.index;
  const bool log_continues = starts_after || holds(marker.index, marker.term);
  marker_ = marker;
  if (!log_continues) {
    entries_.clear();
    return;
  }
  auto covered = std::find_if(entries_.begin(), entries_.end(),
                              [&](const raft::Entry& e) { return e.index > marker.index; });
  entries_.erase(entries_.begin(), covered);
}

void LogReplay::finish(RecoveredLog& out) {
  if (!entries_.empty() && entries_.front().index != marker_.index + 1) {
    throw StorageError(StorageErrorKind::corruption,
                       "WAL corruption: entries " + std::to_string(marker_.index + 1) + " to " +
                           std::to_string(entries_.front().index - 1) +
                           " are missing (no segment or snapshot holds them)");
  }
  const raft::Index last = entries_.empty() ? marker_.index : entries_.back().index;
  if (hard_state_.commit > last) {
    throw StorageError(StorageErrorKind::corruption,
                       "WAL corruption: the hard state commits index " +
                           std::to_string(hard_state_.commit) + " but the log ends at " +
                           std::to_string(last));
  }
  out.hard_state = hard_state_;
  out.snapshot = marker_;
  out.entries = std::move(entries_);
  entries_.clear();
}

}  // namespace faultline::storage
