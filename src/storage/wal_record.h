// Encoding and parsing of single WAL records (the framing documented in wal.h) and of their
// payloads. Pure functions over bytes, so the recovery rules can be tested without files.
// Internal to faultline_storage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "raft/types.h"
#include "storage/wal.h"

namespace faultline::storage {

inline constexpr std::size_t kRecordHeaderBytes = 13;
inline constexpr std::string_view kSegmentMagic = "faultWAL";

struct SegmentHeader {
  std::uint32_t version = kWalFormatVersion;
  std::uint64_t seq = 0;
  raft::Index first_index = 0;
};

void append_entry_record(std::string& out, const raft::Entry& entry);
void append_hard_state_record(std::string& out, const raft::HardState& hard_state);
void append_snapshot_marker_record(std::string& out, const SnapshotMarker& marker);
void append_segment_header_record(std::string& out, const SegmentHeader& header);

// Bytes one entry takes on disk (header + payload).
std::size_t entry_record_size(const raft::Entry& entry);

enum class ParseStatus : std::uint8_t {
  ok,
  short_header,     // fewer than kRecordHeaderBytes bytes left
  bad_header_crc,   // the header's own checksum fails (includes zeroed space)
  bad_length,       // the length passes its checksum but exceeds kMaxRecordPayload
  bad_type,         // an unknown record type with a valid header checksum
  short_payload,    // the payload runs past the end of the file
  bad_payload_crc,  // the payload's checksum fails
};
std::string_view describe(ParseStatus status);

struct ParsedRecord {
  RecordType type = RecordType::entry;
  std::string_view payload;
  std::size_t size = 0;  // header + payload
};

// Parses the record at the start of `bytes`.
ParseStatus parse_record(std::string_view bytes, ParsedRecord& out);

// Payload decoders: false when the payload has the wrong size or content for its type.
bool decode_entry(std::string_view payload, raft::Entry& out);
bool decode_hard_state(std::string_view payload, raft::HardState& out);
bool decode_snapshot_marker(std::string_view payload, SnapshotMarker& out);
bool decode_segment_header(std::string_view payload, SegmentHeader& out);

// Little-endian helpers shared with the snapshot file format and the peer frames.
void put_u32(char* p, std::uint32_t v);  // writes 4 bytes at p
void put_u32(std::string& out, std::uint32_t v);
void put_u64(std::string& out, std::uint64_t v);
std::uint32_t get_u32(const char* p);
std::uint64_t get_u64(const char* p);

}  // namespace faultline::storage
