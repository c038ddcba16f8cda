// WAL record framing; see wal.h for the format and wal_record.h for the interface.
#include "storage/wal_record.h"

#include <cstring>

#include "storage/crc32c.h"

namespace faultline::storage {

void put_u32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

void put_u32(std::string& out, std::uint32_t v) {
  char b[4];
  put_u32(b, v);
  out.append(b, 4);
}

void put_u64(std::string& out, std::uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  out.append(b, 8);
}

std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::uint64_t get_u64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

namespace {

// Writes the header for a payload of `length` bytes whose bytes are `parts` concatenated,
// then the parts. Taking the payload in parts lets an entry's data be checksummed and copied
// once, without first building a separate payload string.
void append_framed(std::string& out, RecordType type, std::uint32_t length,
                   std::initializer_list<std::string_view> parts) {
  const char type_byte = static_cast<char>(type);
  std::uint32_t payload_crc = crc32c_extend(0, &type_byte, 1);
  for (std::string_view part : parts) payload_crc = crc32c_extend(payload_crc, part);

  const std::size_t header_at = out.size();
  put_u32(out, length);
  out.push_back(type_byte);
  put_u32(out, payload_crc);
  put_u32(out, crc32c_extend(0, out.data() + header_at, 9));
  for (std::string_view part : parts) out.append(part);
}

bool known_type(std::uint8_t t) {
  return t >= static_cast<std::uint8_t>(RecordType::segment_header) &&
         t <= static_cast<std::uint8_t>(RecordType::snapshot_marker);
}

}  // namespace

void append_entry_record(std::string& out, const raft::Entry& entry) {
  std::string fixed;
  put_u64(fixed, entry.term);
  put_u64(fixed, entry.index);
  append_framed(out, RecordType::entry, static_cast<std::uint32_t>(16 + entry.data.size()),
                {fixed, entry.data});
}

std::size_t entry_record_size(const raft::Entry& entry) {
  return kRecordHeaderBytes + 16 + entry.data.size();
}

void append_hard_state_record(std::string& out, const raft::HardState& hs) {
  std::string payload;
  put_u64(payload, hs.term);
  put_u64(payload, hs.vote);
  put_u64(payload, hs.commit);
  append_framed(out, RecordType::hard_state, 24, {payload});
}

void append_snapshot_marker_record(std::string& out, const SnapshotMarker& marker) {
  std::string payload;
  put_u64(payload, marker.index);
  put_u64(payload, marker.term);
  append_framed(out, RecordType::snapshot_marker, 16, {payload});
}

void append_segment_header_record(std::string& out, const SegmentHeader& header) {
  std::string payload(kSegmentMagic);
  put_u32(payload, header.version);
  put_u32(payload, 0);
  put_u64(payload, header.seq);
  put_u64(payload, header.first_index);
  append_framed(out, RecordType::segment_header, static_cast<std::uint32_t>(payload.size()),
                {payload});
}

std::string_view describe(ParseStatus status) {
  switch (status) {
    case ParseStatus::ok:
      return "ok";
    case ParseStatus::short_header:
      return "record header cut short by the end of the file";
    case ParseStatus::bad_header_crc:
      return "record header checksum mismatch";
    case ParseStatus::bad_length:
      return "record length beyond the maximum";
    case ParseStatus::bad_type:
      return "unknown record type";
    case ParseStatus::short_payload:
      return "record payload cut short by the end of the file";
    case ParseStatus::bad_payload_crc:
      return "record payload checksum mismatch";
  }
  return "unknown";
}

ParseStatus parse_record(std::string_view bytes, ParsedRecord& out) {
  if (bytes.size() < kRecordHeaderBytes) return ParseStatus::short_header;
  const char* h = bytes.data();
  if (crc32c_extend(0, h, 9) != get_u32(h + 9)) return ParseStatus::bad_header_crc;
  const std::uint32_t length = get_u32(h);
  const auto type = static_cast<std::uint8_t>(h[4]);
  if (length > kMaxRecordPayload) return ParseStatus::bad_length;
  if (!known_type(type)) return ParseStatus::bad_type;
  if (bytes.size() - kRecordHeaderBytes < length) return ParseStatus::short_payload;
  std::string_view payload = bytes.substr(kRecordHeaderBytes, length);
  if (crc32c_extend(crc32c_extend(0, h + 4, 1), payload) != get_u32(h + 5)) {
    return ParseStatus::bad_payload_crc;
  }
  out.type = static_cast<RecordType>(type);
  out.payload = payload;
  out.size = kRecordHeaderBytes + length;
  return ParseStatus::ok;
}

bool decode_entry(std::string_view payload, raft::Entry& out) {
  if (payload.size() < 16) return false;
  out.term = get_u64(payload.data());
  out.index = get_u64(payload.data() + 8);
  out.data.assign(payload.substr(16));
  return out.index != 0;
}

bool decode_hard_state(std::string_view payload, raft::HardState& out) {
  if (payload.size() != 24) return false;
  out.term = get_u64(payload.data());
  out.vote = get_u64(payload.data() + 8);
  out.commit = get_u64(payload.data() + 16);
  return true;
}

bool decode_snapshot_marker(std::string_view payload, SnapshotMarker& out) {
  if (payload.size() != 16) return false;
  out.index = get_u64(payload.data());
  out.term = get_u64(payload.data() + 8);
  return out.index != 0;
}

bool decode_segment_header(std::string_view payload, SegmentHeader& out) {
  if (payload.size() != kSegmentMagic.size() + 24) return false;
  if (payload.substr(0, kSegmentMagic.size()) != kSegmentMagic) return false;
  const char* p = payload.data() + kSegmentMagic.size();
  out.version = get_u32(p);
  out.seq = get_u64(p + 8);
  out.first_index = get_u64(p + 16);
  return true;
}

}  // namespace faultline::storage
