// The segmented write-ahead log: recovery (scan, torn-tail truncation, corruption checks),
// group-committed writes, segment rolls and deletion. Format and rules are in wal.h.
#include "storage/wal.h"

#include <fcntl.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "storage/posix_file.h"
#include "storage/storage_error.h"
#include "storage/wal_record.h"
#include "storage/wal_replay.h"

namespace faultline::storage {

std::string segment_file_name(std::uint64_t seq, raft::Index first_index) {
  char name[64];
  std::snprintf(name, sizeof name, "%016" PRIx64 "-%016" PRIx64 ".wal", seq, first_index);
  return name;
}

namespace {

struct Segment {
  std::uint64_t seq = 0;
  raft::Index first_index = 0;
  std::filesystem::path path;
};

bool parse_segment_name(const std::string& name, Segment& out) {
  if (name.size() != 16 + 1 + 16 + 4 || name.substr(33) != ".wal" || name[16] != '-') {
    return false;
  }
  auto hex = [](std::string_view s, std::uint64_t& v) {
    v = 0;
    for (char c : s) {
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
      if (d < 0) return false;
      v = (v << 4) | static_cast<std::uint64_t>(d);
    }
    return true;
  };
  return hex(std::string_view(name).substr(0, 16), out.seq) &&
         hex(std::string_view(name).substr(17, 16), out.first_index);
}

// Segment files in `dir`, by seq; leftover temporary files are deleted.
std::vector<Segment> list_segments(const std::filesystem::path& dir) {
  std::vector<Segment> segments;
  bool removed_temporary = false;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = item.path().filename().string();
    if (name.ends_with(".wal.tmp")) {
      remove_file(item.path());  // a segment whose creation never finished
      removed_temporary = true;
      continue;
    }
    Segment s;
    if (parse_segment_name(name, s)) {
      s.path = item.path();
      segments.push_back(s);
    }
  }
  if (ec) throw_io_error("list", dir, ec.value());
  if (removed_temporary) sync_directory(dir);
  std::sort(segments.begin(), segments.end(),
            [](const Segment& a, const Segment& b) { return a.seq < b.seq; });
  return segments;
}

std::string at(const std::filesystem::path& path, std::uint64_t offset) {
  return path.string() + " at offset " + std::to_string(offset);
}

[[noreturn]] void corrupt(const std::filesystem::path& path, std::uint64_t offset,
                          const std::string& what) {
  throw StorageError(StorageErrorKind::corruption,
                     "WAL corruption in " + at(path, offset) + ": " + what +
                         "; refusing to start (restore this node's data from a peer)");
}

// The offset of the first valid record after `from`, or npos. This is what separates a torn
// tail (nothing valid follows) from damage in the middle of the log (something does).
std::size_t next_valid_record(std::string_view bytes, std::size_t from) {
  for (std::size_t p = from + 1; p + kRecordHeaderBytes <= bytes.size(); ++p) {
    const auto type = static_cast<std::uint8_t>(bytes[p + 4]);
    if (type < 1 || type > 4) continue;  // cheap filter before the header checksum
    ParsedRecord record;
    if (parse_record(bytes.substr(p), record) == ParseStatus::ok) return p;
  }
  return std::string_view::npos;
}

// Replays one segment's records. Returns the offset where valid data ends (the file size
// unless the tail is torn, which only the last segment may be).
std::size_t replay_segment(const Segment& segment, bool is_last, LogReplay& replay,
                           RecoveredLog& out) {
  const std::string bytes = read_whole_file(segment.path);
  std::size_t offset = 0;
  bool first = true;
  while (offset < bytes.size()) {
    ParsedRecord record;
    ParseStatus status = parse_record(std::string_view(bytes).substr(offset), record);
    if (status != ParseStatus::ok) {
      if (first)
        corrupt(segment.path, offset, "bad segment header (" + std::string(describe(status)) + ")");
      if (!is_last)
        corrupt(segment.path, offset,
                std::string(describe(status)) + " in a segment that is not the last");
      const std::size_t next = next_valid_record(bytes, offset);
      if (next != std::string_view::npos) {
        corrupt(segment.path, offset,
                std::string(describe(status)) + ", but a valid record follows at offset " +
                    std::to_string(next));
      }
      out.torn_bytes = bytes.size() - offset;
      out.torn_tail = "truncated a torn tail of " + std::to_string(out.torn_bytes) + " bytes in " +
                      at(segment.path, offset) + " (" + std::string(describe(status)) + ")";
      return offset;
    }
    const std::string where = at(segment.path, offset);
    if (first) {
      SegmentHeader header;
      if (record.type != RecordType::segment_header ||
          !decode_segment_header(record.payload, header)) {
        corrupt(segment.path, offset, "the first record is not a segment header");
      }
      if (header.version != kWalFormatVersion) {
        corrupt(segment.path, offset,
                "unsupported WAL format version " + std::to_string(header.version));
      }
      if (header.seq != segment.seq || header.first_index != segment.first_index) {
        corrupt(segment.path, offset, "the segment header does not match the file name");
      }
      first = false;
    } else {
      switch (record.type) {
        case RecordType::entry: {
          raft::Entry entry;
          if (!decode_entry(record.payload, entry))
            corrupt(segment.path, offset, "malformed entry record");
          replay.entry(std::move(entry), where);
          break;
        }
        case RecordType::hard_state: {
          raft::HardState hs;
          if (!decode_hard_state(record.payload, hs))
            corrupt(segment.path, offset, "malformed hard state record");
          replay.hard_state(hs);
          break;
        }
        case RecordType::snapshot_marker: {
          SnapshotMarker marker;
          if (!decode_snapshot_marker(record.payload, marker))
            corrupt(segment.path, offset, "malformed snapshot marker");
          replay.snapshot_marker(marker);
          break;
        }
        case RecordType::segment_header:
          corrupt(segment.path, offset, "a segment header in the middle of a segment");
      }
    }
    ++out.records;
    offset += record.size;
  }
  if (first) corrupt(segment.path, 0, "empty segment (no header)");
  return offset;
}

}  // namespace

struct WriteAheadLog::State {
  WalOptions options;
  std::vector<Segment> segments;  // on disk, oldest first; back() is the one written to
  FileHandle current;
  std::uint64_t current_size = 0;

  std::string pending;  // queued records, written at the next sync()
  std::uint64_t pending_records = 0;

  // The latest of each, as queued: written into every new segment's preamble.
  raft::HardState hard_state;
  SnapshotMarker marker;
  // Index of the last live entry queued; names the next segment.
  raft::Index last_index = 0;

  bool failed = false;
  WalStats stats;

  void check_usable() const {
    if (failed) {
      throw StorageError(StorageErrorKind::failed,
                         "the WAL in " + options.dir.string() +
                             " hit an I/O error earlier; its durable state is unknown, so it "
                             "refuses writes until the node restarts and recovers");
    }
  }

  // Creates segment `seq` durably (temp file, fsync, rename, directory fsync) and makes it
  // the current one.
  void create_segment(std::uint64_t seq) {
    Segment segment{seq, last_index + 1, options.dir / segment_file_name(seq, last_index + 1)};
    std::string preamble;
    append_segment_header_record(preamble, {kWalFormatVersion, seq, segment.first_index});
    if (!marker.empty()) append_snapshot_marker_record(preamble, marker);
    if (!hard_state.empty()) append_hard_state_record(preamble, hard_state);
    write_file_atomically(segment.path, preamble);
    current = FileHandle::open(segment.path, O_WRONLY | O_APPEND);
    current_size = preamble.size();
    segments.push_back(segment);
    stats.bytes_written += preamble.size();
  }
};

WriteAheadLog::WriteAheadLog(WalOptions options, RecoveredLog& recovered)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.options = std::move(options);
  if (s.options.segment_bytes == 0) {
    throw StorageError(StorageErrorKind::invalid_argument, "WAL segment size must be > 0");
  }
  ensure_directory(s.options.dir);
  s.segments = list_segments(s.options.dir);
  recovered = RecoveredLog{};

  if (s.segments.empty()) {
    s.create_segment(0);
    recovered.segments = 1;
    return;
  }
  for (std::size_t i = 1; i < s.segments.size(); ++i) {
    if (s.segments[i].seq != s.segments[i - 1].seq + 1) {
      corrupt(s.segments[i].path, 0,
              "segment " + std::to_string(s.segments[i - 1].seq + 1) + " is missing");
    }
  }
  LogReplay replay;
  std::size_t valid_end = 0;
  for (std::size_t i = 0; i < s.segments.size(); ++i) {
    valid_end = replay_segment(s.segments[i], i + 1 == s.segments.size(), replay, recovered);
  }
  replay.finish(recovered);
  recovered.segments = s.segments.size();

  const Segment& last = s.segments.back();
  s.current = FileHandle::open(last.path, O_WRONLY | O_APPEND);
  if (recovered.torn_bytes > 0) {
    s.current.truncate(valid_end);
    s.current.datasync();
  }
  s.current_size = valid_end;
  s.hard_state = recovered.hard_state;
  s.marker = recovered.snapshot;
  s.last_index =
      recovered.entries.empty() ? recovered.snapshot.index : recovered.entries.back().index;
}

WriteAheadLog::~WriteAheadLog() = default;

void WriteAheadLog::append_entries(std::span<const raft::Entry> entries) {
  State& s = *state_;
  s.check_usable();
  for (const raft::Entry& e : entries) {
    if (e.data.size() + 16 > kMaxRecordPayload) {
      throw StorageError(StorageErrorKind::invalid_argument,
                         "entry " + std::to_string(e.index) + " has " +
                             std::to_string(e.data.size()) +
                             " bytes, more than a WAL record holds");
    }
  }
  for (const raft::Entry& e : entries) {
    append_entry_record(s.pending, e);
    s.last_index = e.index;
  }
  s.pending_records += entries.size();
}

void WriteAheadLog::append_hard_state(const raft::HardState& hard_state) {
  State& s = *state_;
  s.check_usable();
  append_hard_state_record(s.pending, hard_state);
  s.hard_state = hard_state;
  ++s.pending_records;
}

void WriteAheadLog::append_snapshot_marker(const SnapshotMarker& marker) {
  State& s = *state_;
  s.check_usable();
  if (marker.empty()) {
    throw StorageError(StorageErrorKind::invalid_argument, "snapshot marker with index 0");
  }
  append_snapshot_marker_record(s.pending, marker);
  s.marker = marker;
  // A conservative name for the next segment when the marker replaced a longer divergent log.
  s.last_index = std::max(s.last_index, marker.index);
  ++s.pending_records;
}

void WriteAheadLog::sync() {
  State& s = *state_;
  s.check_usable();
  if (s.pending.empty()) return;
  try {
    s.current.write_all(s.pending);
    s.current.datasync();
    s.current_size += s.pending.size();
    s.stats.bytes_written += s.pending.size();
    s.stats.records_written += s.pending_records;
    ++s.stats.syncs;
    s.pending.clear();
    s.pending_records = 0;
    if (s.current_size >= s.options.segment_bytes) {
      // The current segment is already durable: only the last segment can be torn.
      s.current.close();
      s.create_segment(s.segments.back().seq + 1);
    }
  } catch (const StorageError&) {
    s.failed = true;
    throw;
  }
}

std::size_t WriteAheadLog::release_before(raft::Index index) {
  State& s = *state_;
  s.check_usable();
  std::size_t removable = 0;
  // Segment i's live entries end before segment i+1's first index.
  while (removable + 1 < s.segments.size() && s.segments[removable + 1].first_index <= index + 1) {
    ++removable;
  }
  if (removable == 0) return 0;
  try {
    for (std::size_t i = 0; i < removable; ++i) remove_file(s.segments[i].path);
    sync_directory(s.options.dir);
  } catch (const StorageError&) {
    s.failed = true;
    throw;
  }
  s.segments.erase(s.segments.begin(), s.segments.begin() + static_cast<long>(removable));
  return removable;
}

WalStats WriteAheadLog::stats() const {
  WalStats out = state_->stats;
  out.segments = state_->segments.size();
  return out;
}

const std::filesystem::path& WriteAheadLog::dir() const { return state_->options.dir; }

}  // namespace faultline::storage
