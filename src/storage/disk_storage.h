// DiskStorage: a node's durable Raft state (hard state, log, snapshot) in one directory. It
// implements raft::Storage, so the RawNode reads its log from it, and offers the write
// methods the server's Ready loop calls. Entries since the last snapshot (plus a catch-up
// tail) are kept in memory, as etcd's MemoryStorage does; the disk holds a segmented
// write-ahead log (wal.h) in `<dir>/wal` and snapshot files (snapshot_file.h) in `<dir>/snap`.
//
//   DiskStorage storage({.dir = data_dir / "member"});  // recovers; throws on corruption
//   raft::Snapshot snap;
//   if (storage.snapshot(snap) == raft::ErrorCode::ok && !snap.empty())
//     kv.restore(snap.data);                    // then Config::applied = snap.metadata.index
//   raft::RawNode node(config, storage);
//   loop, for each Ready rd:
//     if (!rd.snapshot.empty()) storage.apply_snapshot(rd.snapshot);        // durable
//     storage.save(rd.has_hard_state ? &rd.hard_state : nullptr, rd.entries);
//     storage.sync();                           // one fdatasync for the whole Ready
//     send(rd.messages); apply(rd.committed_entries); node.advance();
//     every --snapshot-count applied entries:
//       storage.create_snapshot(applied, voters, kv.save());  // durable; compacts the log
//
// Durability: save() only queues; nothing is durable before sync() returns. Hard state and
// entries of one Ready are synced together, so a vote or an append is never acknowledged
// before it is on disk as long as messages are sent after sync().
//
// Errors: every failure throws StorageError (storage_error.h). Bad arguments change nothing;
// after an I/O error the storage refuses further writes (the server must stop).
// Not thread-safe: the thread that owns the RawNode owns this too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "raft/storage.h"
#include "raft/types.h"
#include "storage/wal.h"

namespace faultline::storage {

struct DiskStorageOptions {
  std::filesystem::path dir;  // created if missing; holds wal/ and snap/
  std::uint64_t segment_bytes = kDefaultSegmentBytes;
  // Entries kept in memory behind a new snapshot so a slightly slow follower can still be
  // sent entries instead of a whole snapshot (etcd's SnapshotCatchUpEntriesN).
  std::uint64_t catch_up_entries = 5000;
};

// What opening the storage found, for the node's start-up log line.
struct RecoveryReport {
  std::size_t segments = 0;
  std::uint64_t records = 0;
  raft::Index snapshot_index = 0;
  raft::Index first_index = 0;
  raft::Index last_index = 0;
  raft::HardState hard_state;
  std::string torn_tail;  // empty, or which file was truncated where and why
};

struct DiskStorageStats {
  WalStats wal;
  std::uint64_t snapshots_saved = 0;
  std::uint64_t entries_in_memory = 0;
  std::uint64_t entry_bytes_in_memory = 0;
};

class DiskStorage final : public raft::Storage {
 public:
  // Opens (or creates) the storage in options.dir and recovers snapshot + log.
  // Throws StorageError: corruption (with file, offset and reason) or io.
  explicit DiskStorage(DiskStorageOptions options);
  ~DiskStorage() override;
  DiskStorage(const DiskStorage&) = delete;
  DiskStorage& operator=(const DiskStorage&) = delete;

  // raft::Storage. initial_state().voters are the latest snapshot's (empty without one).
  raft::InitialState initial_state() const override;
  raft::ErrorCode entries(raft::Index lo, raft::Index hi, std::uint64_t max_bytes,
                          std::vector<raft::Entry>& out) const override;
  raft::ErrorCode term(raft::Index i, raft::Term& out) const override;
  raft::Index first_index() const override;
  raft::Index last_index() const override;
  raft::ErrorCode snapshot(raft::Snapshot& out) const override;

  // Queues the hard state (if not null) and entries for the WAL and appends the entries to the
  // in-memory log, truncating any conflicting suffix. Entries must be contiguous and start at
  // most at last_index() + 1; entries at or before the snapshot are skipped (they are
  // committed). Bad input throws invalid_argument and changes nothing. Not durable until sync().
  // Takes the entries by value: a caller that moves them in (the server's Ready loop) copies
  // nothing.
  void save(const raft::HardState* hard_state, std::vector<raft::Entry> entries);
  // Makes everything saved so far durable: one write and one fdatasync (group commit).
  void sync();

  // Installs a snapshot received from the leader (Ready::snapshot): writes the snapshot file,
  // then a WAL marker, syncs, and replaces the in-memory log (keeping entries after it only if
  // the log holds the snapshot's entry at the same term). Deletes segments and snapshot files
  // it makes obsolete. Durable on return; also syncs anything saved before.
  void apply_snapshot(const raft::Snapshot& snapshot);
  // Records a snapshot the application took at its applied index `index` (which must be in
  // the log and <= the hard state's commit), durably, then compacts the in-memory log to keep
  // `catch_up_entries` entries before it and deletes obsolete segments and snapshot files.
  // Returns the snapshot (as snapshot() will hand it out from now on).
  raft::Snapshot create_snapshot(raft::Index index, std::vector<raft::NodeId> voters,
                                 std::string data);
  // Drops in-memory entries before `index` (which must be <= the snapshot's index + 1 and
  // <= last_index()). The disk is only compacted by snapshots.
  void compact(raft::Index index);

  raft::HardState hard_state() const;
  const RecoveryReport& recovery() const;
  // Walks the in-memory log to count its bytes: for tests and tools, not for every tick.
  DiskStorageStats stats() const;
  // The WAL's counters alone, in constant time.
  WalStats wal_stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace faultline::storage
