// Helpers shared by the WAL and DiskStorage tests: entries with recognisable data, the
// segment files of a log, the record offsets inside one, and byte-level file surgery.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "raft/types.h"
#include "storage/wal_record.h"

namespace faultline::storage::testing {

// Entries [from, to] at `term`, each carrying `size` bytes that name it.
inline std::vector<raft::Entry> make_entries(raft::Index from, raft::Index to, raft::Term term,
                                             std::size_t size = 32) {
  std::vector<raft::Entry> out;
  for (raft::Index i = from; i <= to; ++i) {
    std::string data = "entry " + std::to_string(i) + " term " + std::to_string(term) + " ";
    data.resize(std::max(size, data.size()), '.');
    out.push_back(raft::Entry{term, i, data});
  }
  return out;
}

inline std::vector<std::filesystem::path> segment_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& item : std::filesystem::directory_iterator(dir)) {
    if (item.path().extension() == ".wal") out.push_back(item.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline void append_to_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

// Byte offsets of every record in a segment (stops at the first bad one).
inline std::vector<std::size_t> record_offsets(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  std::vector<std::size_t> out;
  std::size_t offset = 0;
  ParsedRecord record;
  while (offset < bytes.size() &&
         parse_record(std::string_view(bytes).substr(offset), record) == ParseStatus::ok) {
    out.push_back(offset);
    offset += record.size;
  }
  return out;
}

inline void flip_byte(const std::filesystem::path& path, std::size_t offset) {
  std::string bytes = read_file(path);
  bytes.at(offset) = static_cast<char>(bytes.at(offset) ^ 0x5A);
  write_file(path, bytes);
}

}  // namespace faultline::storage::testing
