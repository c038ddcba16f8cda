// The segmented write-ahead log under DiskStorage: it turns Raft's hard state, entries and
// snapshot markers into checksummed records on disk, makes a batch of them durable with one
// fdatasync (group commit), and on start-up replays them, truncating a torn tail and refusing
// to start on any other damage. Most code should use DiskStorage (disk_storage.h), not this.
//
// ON-DISK FORMAT (version 1; all integers little-endian)
//
// A log is a directory of segment files named `<seq:016x>-<first_index:016x>.wal`: `seq`
// counts segments from 0 without gaps; `first_index` is the index the next entry had when the
// segment was created (last index + 1). A segment is created as `<name>.tmp`, written with its
// preamble, fsynced, renamed, and the directory fsynced, so a file with a final name always
// starts with a valid header. Leftover `.tmp` files are deleted on open.
//
// A segment is a sequence of records:
//
//   offset 0   u32  payload length (at most kMaxRecordPayload)
//   offset 4   u8   record type
//   offset 5   u32  CRC32C of the type byte followed by the payload
//   offset 9   u32  CRC32C of bytes 0..8 (the header check)
//   offset 13  payload
//
// The header check means a length is trusted only after its own checksum passes: a flipped
// bit in a length can never make recovery skip or read megabytes of garbage, and looking for
// valid records after a bad one costs one 9-byte checksum per byte.
//
// Record types and payloads:
//   1 segment header   magic "faultWAL" (8 bytes), u32 version (1), u32 zero, u64 seq,
//                      u64 first_index; always the first record, and it must match the name
//   2 entry            u64 term, u64 index, the entry's data (the rest of the payload)
//   3 hard state       u64 term, u64 vote, u64 commit
//   4 snapshot marker  u64 index, u64 term: a snapshot file with this index and term is durable
//
// Every segment starts with a preamble: the header, then the latest snapshot marker (if any)
// and the latest hard state (if not empty), so deleting older segments never loses them.
//
// REPLAY (later records win)
//   - an entry at index i replaces entry i and everything after it (Raft's conflicting-suffix
//     truncation), so appends are never rewritten in place;
//   - a hard state record replaces the hard state;
//   - a snapshot marker (index s, term t) drops entries <= s if the log holds entry s at term t
//     (the node compacted its own log), and otherwise drops every entry (a snapshot from the
//     leader replaced a log that diverged from it) — Raft's own rule for installing snapshots.
//     A marker older than every entry still held (their segments outlived the one holding the
//     marker's entry) drops nothing: a later marker, which caused that deletion, follows.
//   After replay the entries must run without a gap from the last marker's index + 1 and the
//   hard state's commit must not be past the last entry; otherwise it is corruption.
//
// RECOVERY RULES
//   - A bad or short record at the end of the LAST segment, with no valid record anywhere
//     after it, is a torn tail (a batch that was being written when the process died, never
//     acknowledged): the file is truncated there and fsynced, and the log goes on. Zeroed space
//     after the last record is the same case.
//   - A bad record with a valid record somewhere after it in the same segment, or any bad or
//     short record in a segment that is not the last, or a missing segment number, is
//     corruption: StorageError(corruption) naming the file, the offset and what is wrong.
//   - A segment is fdatasynced before the next one is created, so only the last can be torn.
//
// Not thread-safe: one owner, like the Raft core it serves.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "raft/types.h"

namespace faultline::storage {

inline constexpr std::uint64_t kDefaultSegmentBytes = 64ull << 20;
// Bounds one record (and so one Raft entry): far above the 1.5 MiB request limit, far below
// anything that could exhaust memory when a corrupt length is read.
inline constexpr std::uint32_t kMaxRecordPayload = 64u << 20;
inline constexpr std::uint32_t kWalFormatVersion = 1;

enum class RecordType : std::uint8_t {
  segment_header = 1,
  entry = 2,
  hard_state = 3,
  snapshot_marker = 4,
};

// Names a snapshot file that is durable; see snapshot_file.h.
struct SnapshotMarker {
  raft::Index index = 0;
  raft::Term term = 0;
  bool empty() const { return index == 0; }
  bool operator==(const SnapshotMarker&) const = default;
};

struct WalOptions {
  std::filesystem::path dir;
  // A new segment is started once the current one has grown past this many bytes.
  std::uint64_t segment_bytes = kDefaultSegmentBytes;
};

// What replaying the log produced.
struct RecoveredLog {
  raft::HardState hard_state;
  SnapshotMarker snapshot;           // the latest marker (empty if none)
  std::vector<raft::Entry> entries;  // contiguous, from snapshot.index + 1
  std::size_t segments = 0;
  std::uint64_t records = 0;
  // Empty, or a sentence saying which file was truncated where and why (for the node's log).
  std::string torn_tail;
  std::uint64_t torn_bytes = 0;
};

struct WalStats {
  std::uint64_t segments = 0;       // segment files on disk now
  std::uint64_t bytes_written = 0;  // since open
  std::uint64_t syncs = 0;          // fdatasync calls since open (one per group commit)
  std::uint64_t records_written = 0;
};

class WriteAheadLog {
 public:
  // Opens the log in options.dir, creating the directory and a first segment if there is no
  // segment yet, and replays it into `recovered`. Throws StorageError (corruption, io).
  WriteAheadLog(WalOptions options, RecoveredLog& recovered);
  ~WriteAheadLog();
  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;

  // Queue records in memory; nothing reaches the disk before sync(). Entries larger than
  // kMaxRecordPayload are refused (invalid_argument) before anything is queued.
  void append_entries(std::span<const raft::Entry> entries);
  void append_hard_state(const raft::HardState& hard_state);
  void append_snapshot_marker(const SnapshotMarker& marker);

  // Writes everything queued and makes it durable with one fdatasync (group commit); then
  // starts a new segment if the current one is over the size bound. A no-op when nothing is
  // queued. After any failure every later call throws StorageError(failed).
  void sync();

  // Deletes the oldest segments whose live entries all lie at or before `index` (the index of
  // a durable snapshot whose marker is already synced). Never deletes the current segment.
  // Returns how many segments were deleted.
  std::size_t release_before(raft::Index index);

  WalStats stats() const;
  const std::filesystem::path& dir() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The name of segment `seq` whose first entry index is `first_index`.
std::string segment_file_name(std::uint64_t seq, raft::Index first_index);

}  // namespace faultline::storage
