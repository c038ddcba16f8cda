// The write-ahead log's promises: what was synced comes back after a restart, nothing that was
// not synced does, segments roll at their size bound, a torn tail is cut off without losing a
// synced record, and damage anywhere else stops the node with the file and offset named.
#include "storage/wal.h"

#include <gtest/gtest.h>

#include <regex>

#include "storage/storage_error.h"
#include "temp_dir.h"
#include "wal_test_util.h"

namespace faultline::storage {
namespace {

using testing::append_to_file;
using testing::flip_byte;
using testing::make_entries;
using testing::read_file;
using testing::record_offsets;
using testing::segment_files;
using testing::TempDir;

class WalTest : public ::testing::Test {
 protected:
  std::filesystem::path dir() const { return tmp_.path() / "wal"; }
  std::unique_ptr<WriteAheadLog> open(RecoveredLog& recovered,
                                      std::uint64_t segment_bytes = kDefaultSegmentBytes) {
    return std::make_unique<WriteAheadLog>(WalOptions{dir(), segment_bytes}, recovered);
  }
  RecoveredLog reopen(std::uint64_t segment_bytes = kDefaultSegmentBytes) {
    RecoveredLog recovered;
    open(recovered, segment_bytes);
    return recovered;
  }
  // Expects reopening to refuse with a corruption error whose message matches `pattern`.
  void expect_refusal(const std::string& pattern) {
    try {
      reopen();
      FAIL() << "the WAL opened despite the damage";
    } catch (const StorageError& e) {
      EXPECT_EQ(e.kind(), StorageErrorKind::corruption) << e.what();
      EXPECT_TRUE(std::regex_search(e.what(), std::regex(pattern)))
          << "message: " << e.what() << "\nexpected to match: " << pattern;
    }
  }

  TempDir tmp_;
};

TEST_F(WalTest, ANewLogIsOneEmptySegment) {
  RecoveredLog recovered;
  auto wal = open(recovered);
  EXPECT_TRUE(recovered.entries.empty());
  EXPECT_TRUE(recovered.hard_state.empty());
  auto files = segment_files(dir());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename(), "0000000000000000-0000000000000001.wal");
}

TEST_F(WalTest, SyncedRecordsComeBackAfterARestart) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered);
    wal->append_entries(make_entries(1, 5, 1));
    wal->append_hard_state({1, 2, 3});
    wal->sync();
    wal->append_entries(make_entries(6, 9, 2));
    wal->append_hard_state({2, 2, 9});
    wal->sync();
  }
  RecoveredLog recovered = reopen();
  auto expected = make_entries(1, 5, 1);
  for (auto& e : make_entries(6, 9, 2)) expected.push_back(e);
  EXPECT_EQ(recovered.entries, expected);
  EXPECT_EQ(recovered.hard_state, (raft::HardState{2, 2, 9}));
  EXPECT_TRUE(recovered.torn_tail.empty());
}

TEST_F(WalTest, NothingReachesTheDiskBeforeSync) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered);
    wal->append_entries(make_entries(1, 3, 1));
    wal->sync();
    wal->append_entries(make_entries(4, 6, 1));  // queued, never synced: the process "dies"
    wal->append_hard_state({1, 1, 6});
  }
  RecoveredLog recovered = reopen();
  EXPECT_EQ(recovered.entries, make_entries(1, 3, 1));
  EXPECT_TRUE(recovered.hard_state.empty());
}

TEST_F(WalTest, ABatchIsCommittedWithOneSync) {
  RecoveredLog recovered;
  auto wal = open(recovered);
  for (raft::Index i = 1; i <= 50; ++i) {
    wal->append_entries(make_entries(i, i, 1));
    wal->append_hard_state({1, 1, i});
  }
  wal->sync();
  wal->sync();  // nothing queued: no second fdatasync
  EXPECT_EQ(wal->stats().syncs, 1u);
  EXPECT_EQ(wal->stats().records_written, 100u);
}

TEST_F(WalTest, SegmentsRollAtTheSizeBoundAndReplayInOrder) {
  const std::uint64_t bound = 4096;
  {
    RecoveredLog recovered;
    auto wal = open(recovered, bound);
    for (raft::Index i = 1; i <= 200; i += 5) {
      wal->append_entries(make_entries(i, i + 4, 1, 200));
      wal->append_hard_state({1, 1, i + 4});
      wal->sync();
    }
    EXPECT_GT(wal->stats().segments, 5u);
  }
  auto files = segment_files(dir());
  ASSERT_GT(files.size(), 5u);
  const std::regex name("([0-9a-f]{16})-([0-9a-f]{16})\\.wal");
  raft::Index previous_first = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::smatch m;
    const std::string file = files[i].filename().string();
    ASSERT_TRUE(std::regex_match(file, m, name)) << file;
    EXPECT_EQ(std::stoull(m[1], nullptr, 16), i) << "segment numbers run without gaps";
    const raft::Index first = std::stoull(m[2], nullptr, 16);
    EXPECT_GT(first, previous_first) << file;
    previous_first = first;
    if (i + 1 < files.size()) {
      // A segment is closed only once it has outgrown the bound (by at most one batch).
      EXPECT_GE(std::filesystem::file_size(files[i]), bound) << file;
      EXPECT_LT(std::filesystem::file_size(files[i]), bound + 5 * 300) << file;
    }
  }
  RecoveredLog recovered = reopen(bound);
  EXPECT_EQ(recovered.entries, make_entries(1, 200, 1, 200));
  EXPECT_EQ(recovered.hard_state, (raft::HardState{1, 1, 200}));
  EXPECT_EQ(recovered.segments, files.size());
}

TEST_F(WalTest, ANewSegmentCarriesTheLatestHardStateSoOldOnesCanGo) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered, 1024);
    wal->append_entries(make_entries(1, 10, 3, 200));
    wal->append_hard_state({3, 2, 10});
    wal->sync();  // over the bound: rolls
    wal->append_snapshot_marker({10, 3});
    wal->sync();
    EXPECT_EQ(wal->release_before(10), 1u);
  }
  ASSERT_EQ(segment_files(dir()).size(), 1u);
  RecoveredLog recovered = reopen();
  EXPECT_EQ(recovered.hard_state, (raft::HardState{3, 2, 10}));
  EXPECT_EQ(recovered.snapshot, (SnapshotMarker{10, 3}));
  EXPECT_TRUE(recovered.entries.empty());
}

TEST_F(WalTest, ATornTailCutMidRecordIsTruncatedAndNothingSyncedIsLost) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered);
    wal->append_entries(make_entries(1, 10, 1, 100));
    wal->append_hard_state({1, 1, 10});
    wal->sync();
    wal->append_entries(make_entries(11, 13, 1, 100));
    wal->sync();
  }
  // The last batch was being written when the machine died: cut its last record in half.
  const auto segment = segment_files(dir()).back();
  const auto offsets = record_offsets(segment);
  const std::size_t last_record = offsets.back();
  std::filesystem::resize_file(segment, last_record + 40);

  RecoveredLog recovered = reopen();
  EXPECT_EQ(recovered.entries, make_entries(1, 12, 1, 100));
  EXPECT_EQ(recovered.hard_state, (raft::HardState{1, 1, 10}));
  EXPECT_EQ(recovered.torn_bytes, 40u);
  EXPECT_NE(recovered.torn_tail.find(segment.filename().string()), std::string::npos)
      << recovered.torn_tail;
  EXPECT_EQ(std::filesystem::file_size(segment), last_record) << "the tail is cut off on disk";

  // The log goes on from where the valid data ends.
  {
    RecoveredLog again;
    auto wal = open(again);
    wal->append_entries(make_entries(13, 14, 2, 100));
    wal->sync();
  }
  auto expected = make_entries(1, 12, 1, 100);
  for (auto& e : make_entries(13, 14, 2, 100)) expected.push_back(e);
  EXPECT_EQ(reopen().entries, expected);
}

TEST_F(WalTest, GarbageOrZerosAfterTheLastRecordAreATornTail) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered);
    wal->append_entries(make_entries(1, 4, 1));
    wal->sync();
  }
  const auto segment = segment_files(dir()).back();
  const std::string garbage = "this is not a record, just bytes a dying disk left behind";
  append_to_file(segment, garbage);
  RecoveredLog recovered = reopen();
  EXPECT_EQ(recovered.entries, make_entries(1, 4, 1));
  EXPECT_EQ(recovered.torn_bytes, garbage.size());

  append_to_file(segment, std::string(4096, '\0'));  // zeroed space (e.g. preallocation)
  recovered = reopen();
  EXPECT_EQ(recovered.entries, make_entries(1, 4, 1));
  EXPECT_EQ(recovered.torn_bytes, 4096u);
}

TEST_F(WalTest, ABadRecordFollowedByValidOnesIsCorruptionNotATail) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered);
    for (raft::Index i = 1; i <= 6; ++i) {
      wal->append_entries(make_entries(i, i, 1, 64));
      wal->sync();
    }
  }
  const auto segment = segment_files(dir()).back();
  const auto offsets = record_offsets(segment);
  ASSERT_EQ(offsets.size(), 7u);  // header + 6 entries
  const std::size_t victim = offsets[3];
  flip_byte(segment, victim + kRecordHeaderBytes + 20);  // inside entry 3's data
  expect_refusal(segment.filename().string() + " at offset " + std::to_string(victim) +
                 ": record payload checksum mismatch, but a valid record follows at offset " +
                 std::to_string(offsets[4]));
}

TEST_F(WalTest, AFlippedLengthIsCaughtByTheHeaderCheck) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered);
    wal->append_entries(make_entries(1, 3, 1, 64));
    wal->sync();
  }
  const auto segment = segment_files(dir()).back();
  const auto offsets = record_offsets(segment);
  flip_byte(segment, offsets[1] + 1);  // the length field of entry 1
  expect_refusal("at offset " + std::to_string(offsets[1]) + ": record header checksum mismatch");
}

TEST_F(WalTest, DamageInASegmentThatIsNotTheLastIsCorruptionEvenAtItsEnd) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered, 2048);
    for (raft::Index i = 1; i <= 40; i += 4) {
      wal->append_entries(make_entries(i, i + 3, 1, 200));
      wal->sync();
    }
  }
  auto files = segment_files(dir());
  ASSERT_GE(files.size(), 3u);
  const auto offsets = record_offsets(files[0]);
  std::filesystem::resize_file(files[0], std::filesystem::file_size(files[0]) - 10);
  expect_refusal(files[0].filename().string() + " at offset " + std::to_string(offsets.back()) +
                 ": record payload cut short .* not the last");
}

TEST_F(WalTest, AMissingSegmentIsCorruption) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered, 2048);
    for (raft::Index i = 1; i <= 40; i += 4) {
      wal->append_entries(make_entries(i, i + 3, 1, 200));
      wal->sync();
    }
  }
  auto files = segment_files(dir());
  ASSERT_GE(files.size(), 3u);
  std::filesystem::remove(files[1]);
  expect_refusal("segment 1 is missing");
}

TEST_F(WalTest, ASegmentWhoseHeaderDisagreesWithItsNameIsCorruption) {
  { reopen(); }
  auto files = segment_files(dir());
  std::filesystem::rename(files[0], dir() / segment_file_name(0, 7));
  expect_refusal("does not match the file name");
}

TEST_F(WalTest, AConflictingSuffixIsReplacedOnReplay) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered);
    wal->append_entries(make_entries(1, 10, 1));
    wal->sync();
    // A new leader of term 2 overwrote entries 6.. on this follower.
    wal->append_entries(make_entries(6, 8, 2));
    wal->sync();
  }
  auto expected = make_entries(1, 5, 1);
  for (auto& e : make_entries(6, 8, 2)) expected.push_back(e);
  EXPECT_EQ(reopen().entries, expected);
}

TEST_F(WalTest, ASnapshotMarkerMatchingTheLogKeepsTheEntriesAfterIt) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered);
    wal->append_entries(make_entries(1, 10, 1));
    wal->append_snapshot_marker({6, 1});
    wal->sync();
  }
  RecoveredLog recovered = reopen();
  EXPECT_EQ(recovered.snapshot, (SnapshotMarker{6, 1}));
  EXPECT_EQ(recovered.entries, make_entries(7, 10, 1));
}

TEST_F(WalTest, ASnapshotMarkerThatDisagreesWithTheLogDropsIt) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered);
    wal->append_entries(make_entries(1, 10, 1));
    wal->append_snapshot_marker({20, 3});  // from a leader whose log diverged from ours
    wal->append_entries(make_entries(21, 22, 3));
    wal->sync();
  }
  RecoveredLog recovered = reopen();
  EXPECT_EQ(recovered.snapshot, (SnapshotMarker{20, 3}));
  EXPECT_EQ(recovered.entries, make_entries(21, 22, 3));
}

TEST_F(WalTest, ACommitPastTheEndOfTheLogIsCorruption) {
  {
    RecoveredLog recovered;
    auto wal = open(recovered);
    wal->append_entries(make_entries(1, 3, 1));
    wal->append_hard_state({1, 1, 9});
    wal->sync();
  }
  expect_refusal("commits index 9 but the log ends at 3");
}

TEST_F(WalTest, AnOversizedEntryIsRefusedBeforeAnythingIsQueued) {
  RecoveredLog recovered;
  auto wal = open(recovered);
  std::vector<raft::Entry> batch = make_entries(1, 1, 1);
  batch.push_back(raft::Entry{1, 2, std::string(kMaxRecordPayload, 'x')});
  EXPECT_THROW(wal->append_entries(batch), StorageError);
  wal->sync();
  EXPECT_EQ(wal->stats().records_written, 0u);
}

}  // namespace
}  // namespace faultline::storage
