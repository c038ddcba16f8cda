// Rebuilds the Raft state (hard state, latest snapshot marker, live entries) from the WAL's
// records in the order they were written, applying the replay rules of wal.h. Records arrive
// already checksummed; what this checks is their meaning (no gap inside the log, commit not
// past the end). Internal to faultline_storage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "raft/types.h"
#include "storage/wal.h"

namespace faultline::storage {

class LogReplay {
 public:
  // `where` names the record ("wal/0000...wal at offset 123") for error messages.
  void entry(raft::Entry entry, const std::string& where);
  void hard_state(const raft::HardState& hard_state);
  void snapshot_marker(const SnapshotMarker& marker);

  // Checks the result and moves it into `out` (hard state, snapshot, entries). Throws
  // StorageError(corruption) when entries are missing or the commit index is past the log.
  void finish(RecoveredLog& out);

 private:
  bool holds(raft::Index index, raft::Term term) const;

  raft::HardState hard_state_;
  SnapshotMarker marker_;
  // Live entries, contiguous from entries_.front().index. After a marker they may still start
  // past marker_.index + 1 while replaying segments whose predecessors were deleted; finish()
  // decides whether that gap is real.
  std::vector<raft::Entry> entries_;
};

}  // namespace faultline::storage
