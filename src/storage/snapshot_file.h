// Snapshot files: one raft::Snapshot (metadata + the application's state) per file, written
// atomically and checked on read. DiskStorage uses this; the WAL's snapshot marker names the
// file that recovery must load.
//
// FILE FORMAT (version 1; integers little-endian). Name: `<term:016x>-<index:016x>.snap`.
//   magic "faultSNP" (8 bytes), u32 version (1), u32 zero,
//   u64 index, u64 term, u32 voter count, u64 voter ids..., u64 data length, data,
//   u32 CRC32C of every byte before it.
//
// Writing: `<name>.tmp`, fsync, rename to `<name>`, fsync the directory. A crash leaves either
// the old set of files or the new one, never a half-written `.snap` (a leftover `.tmp` is
// deleted on open).
#pragma once

#include <filesystem>
#include <vector>

#include "raft/types.h"

namespace faultline::storage {

class SnapshotFiles {
 public:
  // Creates `dir` if it does not exist and deletes leftover temporary files.
  explicit SnapshotFiles(std::filesystem::path dir);

  // Writes `snapshot` durably (see above). Throws StorageError (io, invalid_argument for an
  // empty snapshot).
  void save(const raft::Snapshot& snapshot) const;
  // Reads and checks the snapshot with this index and term. Throws StorageError(corruption)
  // naming the file when it is missing, short, or fails its checksum.
  raft::Snapshot load(raft::Index index, raft::Term term) const;
  // Deletes every snapshot file other than the one with this index (and then fsyncs the
  // directory). Returns how many were deleted.
  std::size_t remove_all_but(raft::Index index) const;
  // (index, term) of every snapshot file present, oldest first.
  std::vector<std::pair<raft::Index, raft::Term>> list() const;

  const std::filesystem::path& dir() const { return dir_; }
  static std::string file_name(raft::Index index, raft::Term term);

 private:
  std::filesystem::path dir_;
};

}  // namespace faultline::storage
