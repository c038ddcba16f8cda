// Fuzz target: bytes read back from a WAL segment, one record at a time, and the same bytes
// as each kind of record payload (the payload checksum stops random bytes from reaching the
// decoders, so they are fed directly too). Parsing must stop cleanly at anything it cannot
// trust; whatever decodes must encode back to a record that parses and decodes the same.
#include <string>

#include "fuzz_support.h"
#include "storage/wal_record.h"

namespace {

using namespace faultline;
using storage::ParsedRecord;
using storage::ParseStatus;

ParsedRecord parse_whole(const std::string& bytes) {
  ParsedRecord r;
  FUZZ_REQUIRE(storage::parse_record(bytes, r) == ParseStatus::ok);
  FUZZ_REQUIRE(r.size == bytes.size());
  return r;
}

// If `payload` decodes as a T, encoding that T gives a record that decodes to it again.
template <typename T>
void round_trip(std::string_view payload, bool (*decode)(std::string_view, T&),
                void (*append)(std::string&, const T&)) {
  T value;
  if (!decode(payload, value)) return;
  std::string out;
  append(out, value);
  T again;
  FUZZ_REQUIRE(decode(parse_whole(out).payload, again) && again == value);
}

void decoders(std::string_view payload) {
  round_trip<raft::Entry>(payload, storage::decode_entry, storage::append_entry_record);
  round_trip<raft::HardState>(payload, storage::decode_hard_state,
                              storage::append_hard_state_record);
  round_trip<storage::SnapshotMarker>(payload, storage::decode_snapshot_marker,
                                      storage::append_snapshot_marker_record);
  if (raft::Entry entry; storage::decode_entry(payload, entry)) {
    std::string out;
    storage::append_entry_record(out, entry);
    FUZZ_REQUIRE(out.size() == storage::entry_record_size(entry));
  }
  storage::SegmentHeader header;
  if (storage::decode_segment_header(payload, header)) {
    std::string out;
    storage::append_segment_header_record(out, header);
    storage::SegmentHeader again;
    FUZZ_REQUIRE(storage::decode_segment_header(parse_whole(out).payload, again));
    FUZZ_REQUIRE(again.version == header.version && again.seq == header.seq &&
                 again.first_index == header.first_index);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  decoders(bytes);
  while (!bytes.empty()) {
    ParsedRecord r;
    if (storage::parse_record(bytes, r) != ParseStatus::ok) break;
    FUZZ_REQUIRE(r.size >= storage::kRecordHeaderBytes && r.size <= bytes.size());
    FUZZ_REQUIRE(r.payload.size() == r.size - storage::kRecordHeaderBytes);
    decoders(r.payload);
    bytes.remove_prefix(r.size);
  }
  return 0;
}
