// Snapshot files: atomic write, checked read; see snapshot_file.h for the format.
#include "storage/snapshot_file.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "storage/crc32c.h"
#include "storage/posix_file.h"
#include "storage/storage_error.h"
#include "storage/wal_record.h"

namespace faultline::storage {
namespace {

constexpr std::string_view kSnapshotMagic = "faultSNP";
constexpr std::uint32_t kSnapshotFormatVersion = 1;

bool parse_snapshot_name(const std::string& name, raft::Index& index, raft::Term& term) {
  if (name.size() != 16 + 1 + 16 + 5 || !name.ends_with(".snap") || name[16] != '-') return false;
  unsigned long long t = 0, i = 0;
  int consumed = 0;
  if (std::sscanf(name.c_str(), "%16llx-%16llx.snap%n", &t, &i, &consumed) != 2) return false;
  if (consumed != static_cast<int>(name.size())) return false;
  term = t;
  index = i;
  return true;
}

[[noreturn]] void corrupt(const std::filesystem::path& path, const std::string& what) {
  throw StorageError(StorageErrorKind::corruption,
                     "snapshot corruption in " + path.string() + ": " + what +
                         "; refusing to start (restore this node's data from a peer)");
}

}  // namespace

SnapshotFiles::SnapshotFiles(std::filesystem::path dir) : dir_(std::move(dir)) {
  ensure_directory(dir_);
  bool removed = false;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(dir_, ec)) {
    if (item.path().filename().string().ends_with(".snap.tmp")) {
      remove_file(item.path());
      removed = true;
    }
  }
  if (ec) throw_io_error("list", dir_, ec.value());
  if (removed) sync_directory(dir_);
}

std::string SnapshotFiles::file_name(raft::Index index, raft::Term term) {
  char name[64];
  std::snprintf(name, sizeof name, "%016" PRIx64 "-%016" PRIx64 ".snap", term, index);
  return name;
}

void SnapshotFiles::save(const raft::Snapshot& snapshot) const {
  if (snapshot.empty()) {
    throw StorageError(StorageErrorKind::invalid_argument, "cannot save a snapshot at index 0");
  }
  const raft::SnapshotMetadata& m = snapshot.metadata;
  std::string bytes(kSnapshotMagic);
  bytes.reserve(64 + 8 * m.voters.size() + snapshot.data.size());
  put_u32(bytes, kSnapshotFormatVersion);
  put_u32(bytes, 0);
  put_u64(bytes, m.index);
  put_u64(bytes, m.term);
  put_u32(bytes, static_cast<std::uint32_t>(m.voters.size()));
  for (raft::NodeId id : m.voters) put_u64(bytes, id);
  put_u64(bytes, snapshot.data.size());
  bytes += snapshot.data;
  put_u32(bytes, crc32c(bytes));
  write_file_atomically(dir_ / file_name(m.index, m.term), bytes);
}

raft::Snapshot SnapshotFiles::load(raft::Index index, raft::Term term) const {
  const std::filesystem::path path = dir_ / file_name(index, term);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    corrupt(path, "the WAL names this snapshot but the file is missing");
  }
  const std::string bytes = read_whole_file(path);
  constexpr std::size_t kFixed = 8 + 4 + 4 + 8 + 8 + 4;  // up to the voter count
  if (bytes.size() < kFixed + 8 + 4) corrupt(path, "file too short");
  const std::size_t body = bytes.size() - 4;
  if (crc32c(std::string_view(bytes).substr(0, body)) != get_u32(bytes.data() + body)) {
    corrupt(path, "checksum mismatch");
  }
  if (std::string_view(bytes).substr(0, 8) != kSnapshotMagic) corrupt(path, "bad magic");
  const char* p = bytes.data() + 8;
  if (get_u32(p) != kSnapshotFormatVersion) {
    corrupt(path, "unsupported format version " + std::to_string(get_u32(p)));
  }
  raft::Snapshot snap;
  snap.metadata.index = get_u64(p + 8);
  snap.metadata.term = get_u64(p + 16);
  const std::uint32_t voters = get_u32(p + 24);
  std::size_t offset = kFixed;
  if (voters > (body - offset) / 8) corrupt(path, "voter count past the end of the file");
  for (std::uint32_t i = 0; i < voters; ++i, offset += 8) {
    snap.metadata.voters.push_back(get_u64(bytes.data() + offset));
  }
  if (body - offset < 8) corrupt(path, "data length past the end of the file");
  const std::uint64_t length = get_u64(bytes.data() + offset);
  offset += 8;
  if (length != body - offset) corrupt(path, "data length does not match the file size");
  snap.data.assign(bytes, offset, length);
  if (snap.metadata.index != index || snap.metadata.term != term) {
    corrupt(path, "contents do not match the file name");
  }
  return snap;
}

std::vector<std::pair<raft::Index, raft::Term>> SnapshotFiles::list() const {
  std::vector<std::pair<raft::Index, raft::Term>> out;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(dir_, ec)) {
    raft::Index index = 0;
    raft::Term term = 0;
    if (parse_snapshot_name(item.path().filename().string(), index, term)) {
      out.emplace_back(index, term);
    }
  }
  if (ec) throw_io_error("list", dir_, ec.value());
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t SnapshotFiles::remove_all_but(raft::Index index) const {
  std::size_t removed = 0;
  for (const auto& [i, term] : list()) {
    if (i == index) continue;
    remove_file(dir_ / file_name(i, term));
    ++removed;
  }
  if (removed > 0) sync_directory(dir_);
  return removed;
}

}  // namespace faultline::storage
