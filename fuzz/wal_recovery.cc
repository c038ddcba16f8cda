// Fuzz target: a whole WAL directory, built from the input as a short program (segments of
// valid records with small terms and indexes, so the replay rules are reached, plus garbage,
// cut tails and wrong headers). Opening it must either refuse with StorageError or recover
// a log that keeps the WAL's promises: entries without a gap after the snapshot marker, a
// commit index not past the log, and the same state again when the recovered log is
// reopened (a torn tail, once truncated, is gone).
#include <filesystem>
#include <string>

#include "fuzz_support.h"
#include "storage/storage_error.h"
#include "storage/wal.h"
#include "storage/wal_record.h"

namespace {

using namespace faultline;
namespace fs = std::filesystem;

// One segment's bytes: its header (right or wrong), then records chosen by the input.
std::string build_segment(fuzz::Bytes& in, std::uint64_t seq, std::uint64_t first_index) {
  std::string out;
  storage::SegmentHeader header{.seq = seq, .first_index = first_index};
  if (in.u8() % 16 == 0) header.seq ^= 1;  // now and then a header that does not match its name
  storage::append_segment_header_record(out, header);
  const int records = in.u8() % 24;
  for (int i = 0; i < records && !in.empty(); ++i) {
    switch (in.u8() % 8) {
      case 0:
      case 1:
      case 2:
        storage::append_entry_record(
            out, raft::Entry{.term = in.u8() % 4u, .index = in.u8() % 12u, .data = in.text(8)});
        break;
      case 3:
        storage::append_hard_state_record(
            out,
            raft::HardState{.term = in.u8() % 4u, .vote = in.u8() % 4u, .commit = in.u8() % 12u});
        break;
      case 4:
        storage::append_snapshot_marker_record(
            out, storage::SnapshotMarker{.index = in.u8() % 12u, .term = in.u8() % 4u});
        break;
      case 5:
        out += in.text(32);  // garbage, or zeroed space
        break;
      case 6: {
        const std::size_t cut = in.u8() % 16u;  // a torn write
        out.resize(out.size() > cut ? out.size() - cut : 0);
        break;
      }
      default: {
        if (out.empty()) break;  // a flipped bit
        const std::size_t at = in.u64(2) % out.size();
        out[at] = static_cast<char>(out[at] ^ (1 << (in.u8() % 8)));
        break;
      }
    }
  }
  return out;
}

void check_promises(const storage::RecoveredLog& log) {
  for (std::size_t i = 0; i < log.entries.size(); ++i)
    FUZZ_REQUIRE(log.entries[i].index == log.snapshot.index + 1 + i);
  const raft::Index last = log.entries.empty() ? log.snapshot.index : log.entries.back().index;
  FUZZ_REQUIRE(log.hard_state.commit <= last);
}

bool same(const storage::RecoveredLog& a, const storage::RecoveredLog& b) {
  return a.hard_state == b.hard_state && a.snapshot == b.snapshot && a.entries == b.entries;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  const fs::path dir = fuzz::scratch_path("wal");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const int segments = 1 + in.u8() % 3;
  for (int s = 0; s < segments; ++s) {
    const std::uint64_t first_index = in.u8() % 12u;
    fuzz::write_file(dir / storage::segment_file_name(static_cast<std::uint64_t>(s), first_index),
                     build_segment(in, static_cast<std::uint64_t>(s), first_index));
  }
  storage::RecoveredLog first;
  bool opened = false;
  try {
    storage::WriteAheadLog wal(storage::WalOptions{.dir = dir}, first);
    opened = true;
  } catch (const storage::StorageError&) {
  }
  if (opened) {
    check_promises(first);
    storage::RecoveredLog second;
    try {
      storage::WriteAheadLog wal(storage::WalOptions{.dir = dir}, second);
    } catch (const storage::StorageError& e) {
      std::fprintf(stderr, "reopen: %s\n", e.what());
      fuzz::broken("a log that opened once refuses to open again");
    }
    FUZZ_REQUIRE(same(first, second));
    FUZZ_REQUIRE(second.torn_tail.empty());
  }
  fs::remove_all(dir);
  return 0;
}
