// DiskStorage: raft::Storage over the WAL and snapshot files, with the log since the last
// snapshot kept in memory. See disk_storage.h.
#include "storage/disk_storage.h"

#include <algorithm>
#include <span>

#include "raft/entry_size.h"
#include "storage/snapshot_file.h"
#include "storage/storage_error.h"

namespace faultline::storage {
namespace {

[[noreturn]] void invalid(const std::string& what) {
  throw StorageError(StorageErrorKind::invalid_argument, what);
}

// The size an entry counts for in entries()' byte limit: the core's own measure, so that
// storage and the leader's flow control agree.
std::uint64_t entry_size(const raft::Entry& e) { return raft::entry_bytes(e); }

}  // namespace

struct DiskStorage::State {
  DiskStorageOptions options;
  std::unique_ptr<WriteAheadLog> wal;
  std::unique_ptr<SnapshotFiles> snapshots;
  RecoveryReport report;
  std::uint64_t snapshots_saved = 0;

  raft::HardState hard_state;
  raft::Snapshot snapshot;
  // ents[0] is a dummy holding the index and term just before the first entry held (the
  // snapshot's, or a compaction point's), as in etcd's MemoryStorage.
  std::vector<raft::Entry> ents;

  raft::Index offset() const { return ents[0].index; }
  raft::Index last() const { return ents[0].index + ents.size() - 1; }

  bool holds(raft::Index i, raft::Term t) const {
    return i >= offset() && i <= last() && ents[i - offset()].term == t;
  }

  // Makes snapshot `snap` (already durable, marker synced) the held one and drops the log
  // entries it covers: all of them unless the log holds its entry at the same term.
  void install_snapshot(raft::Snapshot snap) {
    const raft::SnapshotMetadata m = snap.metadata;
    if (holds(m.index, m.term)) {
      ents.erase(ents.begin(), ents.begin() + static_cast<long>(m.index - offset()));
    } else {
      ents.assign(1, raft::Entry{m.term, m.index, {}});
    }
    ents[0].data.clear();
    snapshot = std::move(snap);
  }

  // Deletes what the snapshot at `index` made obsolete. Its marker must be durable.
  void release(raft::Index index) {
    wal->release_before(index);
    snapshots->remove_all_but(index);
  }
};

DiskStorage::DiskStorage(DiskStorageOptions options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.options = std::move(options);
  if (s.options.dir.empty()) invalid("DiskStorage needs a directory");
  RecoveredLog recovered;
  s.wal = std::make_unique<WriteAheadLog>(
      WalOptions{s.options.dir / "wal", s.options.segment_bytes}, recovered);
  s.snapshots = std::make_unique<SnapshotFiles>(s.options.dir / "snap");

  s.hard_state = recovered.hard_state;
  s.ents.assign(1, raft::Entry{recovered.snapshot.term, recovered.snapshot.index, {}});
  if (!recovered.snapshot.empty()) {
    s.snapshot = s.snapshots->load(recovered.snapshot.index, recovered.snapshot.term);
  }
  for (raft::Entry& e : recovered.entries) s.ents.push_back(std::move(e));
  // A snapshot file without a durable marker was never acknowledged: drop it (and older ones).
  s.snapshots->remove_all_but(recovered.snapshot.index);

  s.report.segments = recovered.segments;
  s.report.records = recovered.records;
  s.report.snapshot_index = recovered.snapshot.index;
  s.report.first_index = s.offset() + 1;
  s.report.last_index = s.last();
  s.report.hard_state = s.hard_state;
  s.report.torn_tail = recovered.torn_tail;
}

DiskStorage::~DiskStorage() = default;

raft::InitialState DiskStorage::initial_state() const {
  return raft::InitialState{state_->hard_state, state_->snapshot.metadata.voters};
}

raft::ErrorCode DiskStorage::entries(raft::Index lo, raft::Index hi, std::uint64_t max_bytes,
                                     std::vector<raft::Entry>& out) const {
  const State& s = *state_;
  out.clear();
  if (lo <= s.offset()) return raft::ErrorCode::compacted;
  if (hi > s.last() + 1 || lo > hi) return raft::ErrorCode::unavailable;
  std::uint64_t total = 0;
  for (raft::Index i = lo; i < hi; ++i) {
    const raft::Entry& e = s.ents[i - s.offset()];
    total += entry_size(e);
    if (!out.empty() && total > max_bytes) break;
    out.push_back(e);
  }
  return raft::ErrorCode::ok;
}

raft::ErrorCode DiskStorage::term(raft::Index i, raft::Term& out) const {
  const State& s = *state_;
  if (i < s.offset()) return raft::ErrorCode::compacted;
  if (i > s.last()) return raft::ErrorCode::unavailable;
  out = s.ents[i - s.offset()].term;
  return raft::ErrorCode::ok;
}

raft::Index DiskStorage::first_index() const { return state_->offset() + 1; }
raft::Index DiskStorage::last_index() const { return state_->last(); }

raft::ErrorCode DiskStorage::snapshot(raft::Snapshot& out) const {
  out = state_->snapshot;
  return raft::ErrorCode::ok;
}

void DiskStorage::save(const raft::HardState* hard_state, std::vector<raft::Entry> entries) {
  State& s = *state_;
  // Validate everything before touching anything, so a refusal changes no state.
  for (std::size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].index != entries[i - 1].index + 1) {
      invalid("entries are not contiguous: " + std::to_string(entries[i - 1].index) +
              " is followed by " + std::to_string(entries[i].index));
    }
  }
  std::size_t skip = 0;  // entries the snapshot already covers
  while (skip < entries.size() && entries[skip].index <= s.offset()) ++skip;
  if (skip < entries.size() && entries[skip].index > s.last() + 1) {
    invalid("entry " + std::to_string(entries[skip].index) +
            " would leave a gap after the last entry " + std::to_string(s.last()));
  }
  const raft::Index last_after = skip < entries.size() ? entries.back().index : s.last();
  if (hard_state != nullptr && hard_state->commit > last_after) {
    invalid("hard state commits index " + std::to_string(hard_state->commit) +
            ", past the end of the log");
  }
  const std::span<const raft::Entry> fresh(entries.data() + skip, entries.size() - skip);

  // Entries first, then the hard state: a torn batch that kept the hard state kept them too.
  s.wal->append_entries(fresh);
  if (hard_state != nullptr) s.wal->append_hard_state(*hard_state);

  if (!fresh.empty()) {
    s.ents.resize(fresh.front().index - s.offset());  // drops a conflicting suffix
    s.ents.insert(s.ents.end(), std::make_move_iterator(entries.begin() + static_cast<long>(skip)),
                  std::make_move_iterator(entries.end()));
  }
  if (hard_state != nullptr) s.hard_state = *hard_state;
}

void DiskStorage::sync() { state_->wal->sync(); }

void DiskStorage::apply_snapshot(const raft::Snapshot& snapshot) {
  State& s = *state_;
  if (snapshot.empty()) invalid("cannot apply a snapshot at index 0");
  if (snapshot.metadata.index <= s.snapshot.metadata.index) {
    invalid("snapshot at index " + std::to_string(snapshot.metadata.index) +
            " is not newer than the one held (" + std::to_string(s.snapshot.metadata.index) + ")");
  }
  s.snapshots->save(snapshot);
  s.wal->append_snapshot_marker({snapshot.metadata.index, snapshot.metadata.term});
  s.wal->sync();
  s.install_snapshot(snapshot);
  ++s.snapshots_saved;
  s.release(snapshot.metadata.index);
}

raft::Snapshot DiskStorage::create_snapshot(raft::Index index, std::vector<raft::NodeId> voters,
                                            std::string data) {
  State& s = *state_;
  if (index <= s.snapshot.metadata.index) {
    invalid("snapshot at index " + std::to_string(index) + " is not newer than the one held (" +
            std::to_string(s.snapshot.metadata.index) + ")");
  }
  if (index > s.last() || index < s.offset()) {
    invalid("snapshot index " + std::to_string(index) + " is outside the log (" +
            std::to_string(s.offset()) + ".." + std::to_string(s.last()) + ")");
  }
  if (index > s.hard_state.commit) {
    invalid("snapshot index " + std::to_string(index) + " is not committed (commit " +
            std::to_string(s.hard_state.commit) + ")");
  }
  raft::Snapshot snap;
  snap.metadata.index = index;
  snap.metadata.term = s.ents[index - s.offset()].term;
  snap.metadata.voters = std::move(voters);
  snap.data = std::move(data);

  s.snapshots->save(snap);
  s.wal->append_snapshot_marker({snap.metadata.index, snap.metadata.term});
  s.wal->sync();
  s.snapshot = snap;
  ++s.snapshots_saved;
  const raft::Index keep_from =
      index > s.options.catch_up_entries ? index - s.options.catch_up_entries : 0;
  if (keep_from > s.offset()) compact(keep_from);
  s.release(index);
  return snap;
}

void DiskStorage::compact(raft::Index index) {
  State& s = *state_;
  if (index <= s.offset()) return;  // already compacted that far
  if (index > s.snapshot.metadata.index) {
    invalid("cannot compact to " + std::to_string(index) + ": past the snapshot at " +
            std::to_string(s.snapshot.metadata.index));
  }
  if (index > s.last()) {
    invalid("cannot compact to " + std::to_string(index) + ": past the last entry " +
            std::to_string(s.last()));
  }
  s.ents.erase(s.ents.begin(), s.ents.begin() + static_cast<long>(index - s.offset()));
  s.ents[0].data.clear();  // the dummy keeps only index and term
}

raft::HardState DiskStorage::hard_state() const { return state_->hard_state; }

const RecoveryReport& DiskStorage::recovery() const { return state_->report; }

WalStats DiskStorage::wal_stats() const { return state_->wal->stats(); }

DiskStorageStats DiskStorage::stats() const {
  const State& s = *state_;
  DiskStorageStats out;
  out.wal = s.wal->stats();
  out.snapshots_saved = s.snapshots_saved;
  out.entries_in_memory = s.ents.size() - 1;
  for (std::size_t i = 1; i < s.ents.size(); ++i)
    out.entry_bytes_in_memory += entry_size(s.ents[i]);
  return out;
}

}  // namespace faultline::storage
