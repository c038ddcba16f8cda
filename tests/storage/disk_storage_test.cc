// DiskStorage as the Raft core and the server see it: raft::Storage reads with etcd's error
// codes, hard state and entries durable after sync(), snapshots that compact memory and disk,
// and a restart that rebuilds exactly the same state from snapshot plus log.
#include "storage/disk_storage.h"

#include <gtest/gtest.h>

#include "storage/snapshot_file.h"
#include "storage/storage_error.h"
#include "temp_dir.h"
#include "wal_test_util.h"

namespace faultline::storage {
namespace {

using raft::ErrorCode;
using testing::make_entries;
using testing::segment_files;
using testing::TempDir;

class DiskStorageTest : public ::testing::Test {
 protected:
  DiskStorageOptions options(std::uint64_t segment_bytes = kDefaultSegmentBytes,
                             std::uint64_t catch_up = 5000) const {
    return DiskStorageOptions{tmp_.path() / "member", segment_bytes, catch_up};
  }
  std::vector<raft::Entry> all_entries(const DiskStorage& s) const {
    std::vector<raft::Entry> out;
    EXPECT_EQ(s.entries(s.first_index(), s.last_index() + 1, UINT64_MAX, out), ErrorCode::ok);
    return out;
  }
  std::size_t snapshot_files() const {
    return SnapshotFiles(tmp_.path() / "member" / "snap").list().size();
  }

  TempDir tmp_;
};

TEST_F(DiskStorageTest, AnswersRaftStorageReadsLikeMemoryStorage) {
  DiskStorage s(options());
  EXPECT_EQ(s.first_index(), 1u);
  EXPECT_EQ(s.last_index(), 0u);
  s.save(nullptr, make_entries(1, 10, 1, 100));
  s.sync();

  std::vector<raft::Entry> out;
  EXPECT_EQ(s.entries(3, 6, UINT64_MAX, out), ErrorCode::ok);
  EXPECT_EQ(out, make_entries(3, 5, 1, 100));
  EXPECT_EQ(s.entries(3, 6, 250, out), ErrorCode::ok);  // 116 bytes each, counted with index+term
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(s.entries(3, 6, 1, out), ErrorCode::ok);
  EXPECT_EQ(out.size(), 1u) << "at least one entry, whatever the byte limit";
  EXPECT_EQ(s.entries(5, 12, UINT64_MAX, out), ErrorCode::unavailable);
  raft::Term term = 0;
  EXPECT_EQ(s.term(0, term), ErrorCode::ok);
  EXPECT_EQ(term, 0u);
  EXPECT_EQ(s.term(10, term), ErrorCode::ok);
  EXPECT_EQ(term, 1u);
  EXPECT_EQ(s.term(11, term), ErrorCode::unavailable);
}

TEST_F(DiskStorageTest, HardStateIsDurableOnceSyncedAndNotBefore) {
  {
    DiskStorage s(options());
    raft::HardState voted{5, 3, 0};
    s.save(&voted, {});
    s.sync();  // only now may the vote be sent
    raft::HardState later{6, 2, 0};
    s.save(&later, {});  // the node dies before syncing: this vote was never sent
  }
  DiskStorage s(options());
  EXPECT_EQ(s.initial_state().hard_state, (raft::HardState{5, 3, 0}));
  EXPECT_EQ(s.hard_state(), (raft::HardState{5, 3, 0}));
}

TEST_F(DiskStorageTest, ARestartRecoversEntriesAndTheConflictingSuffixRule) {
  {
    DiskStorage s(options());
    s.save(nullptr, make_entries(1, 8, 1));
    s.sync();
    raft::HardState hs{2, 2, 5};
    s.save(&hs, make_entries(4, 6, 2));  // a new leader replaced 4.. and committed 5
    s.sync();
    auto expected = make_entries(1, 3, 1);
    for (auto& e : make_entries(4, 6, 2)) expected.push_back(e);
    EXPECT_EQ(all_entries(s), expected);
  }
  DiskStorage s(options());
  auto expected = make_entries(1, 3, 1);
  for (auto& e : make_entries(4, 6, 2)) expected.push_back(e);
  EXPECT_EQ(all_entries(s), expected);
  EXPECT_EQ(s.initial_state().hard_state, (raft::HardState{2, 2, 5}));
  EXPECT_EQ(s.recovery().last_index, 6u);
}

TEST_F(DiskStorageTest, BadInputIsRefusedAndChangesNothing) {
  DiskStorage s(options());
  s.save(nullptr, make_entries(1, 3, 1));
  s.sync();
  auto gap = make_entries(5, 6, 1);
  EXPECT_THROW(s.save(nullptr, gap), StorageError);
  std::vector<raft::Entry> holes = make_entries(4, 4, 1);
  holes.push_back(make_entries(6, 6, 1)[0]);
  EXPECT_THROW(s.save(nullptr, holes), StorageError);
  raft::HardState too_far{1, 0, 9};
  EXPECT_THROW(s.save(&too_far, make_entries(4, 4, 1)), StorageError);
  EXPECT_THROW(s.create_snapshot(3, {1}, "state"), StorageError) << "index 3 is not committed";
  EXPECT_THROW(s.compact(2), StorageError) << "no snapshot covers index 2";
  s.sync();
  EXPECT_EQ(all_entries(s), make_entries(1, 3, 1));
  EXPECT_EQ(s.stats().wal.records_written, 3u) << "nothing refused reached the WAL";
  EXPECT_TRUE(s.hard_state().empty());
}

TEST_F(DiskStorageTest, ASnapshotCompactsMemoryAndDeletesOldSegments) {
  {
    DiskStorage s(options(2048, /*catch_up=*/20));
    for (raft::Index i = 1; i <= 200; i += 10) {
      raft::HardState hs{1, 1, i + 9};
      s.save(&hs, make_entries(i, i + 9, 1, 200));
      s.sync();
    }
    const std::size_t segments_before = segment_files(tmp_.path() / "member" / "wal").size();
    ASSERT_GT(segments_before, 10u);

    raft::Snapshot snap = s.create_snapshot(150, {1, 2, 3}, "kv state at 150");
    EXPECT_EQ(snap.metadata.index, 150u);
    EXPECT_EQ(snap.metadata.term, 1u);
    EXPECT_EQ(s.first_index(), 131u) << "20 entries kept behind the snapshot for slow followers";
    EXPECT_EQ(s.last_index(), 200u);
    const std::size_t segments_after = segment_files(tmp_.path() / "member" / "wal").size();
    EXPECT_LT(segments_after, segments_before / 2) << "segments wholly before 150 are deleted";

    raft::Snapshot held;
    EXPECT_EQ(s.snapshot(held), ErrorCode::ok);
    EXPECT_EQ(held, snap);

    s.create_snapshot(190, {1, 2, 3}, "kv state at 190");
    EXPECT_EQ(snapshot_files(), 1u) << "the older snapshot file is gone";
  }
  DiskStorage s(options(2048, 20));
  raft::Snapshot snap;
  ASSERT_EQ(s.snapshot(snap), ErrorCode::ok);
  EXPECT_EQ(snap.data, "kv state at 190");
  EXPECT_EQ(snap.metadata.voters, (std::vector<raft::NodeId>{1, 2, 3}));
  EXPECT_EQ(s.initial_state().voters, (std::vector<raft::NodeId>{1, 2, 3}));
  EXPECT_EQ(s.first_index(), 191u) << "a restart starts the log right after the snapshot";
  EXPECT_EQ(all_entries(s), make_entries(191, 200, 1, 200));
  EXPECT_EQ(s.initial_state().hard_state.commit, 200u);
  raft::Term term = 0;
  EXPECT_EQ(s.term(190, term), ErrorCode::ok);
  EXPECT_EQ(s.term(189, term), ErrorCode::compacted);
  std::vector<raft::Entry> out;
  EXPECT_EQ(s.entries(190, 195, UINT64_MAX, out), ErrorCode::compacted);
}

TEST_F(DiskStorageTest, ASnapshotFromTheLeaderReplacesADivergentLog) {
  {
    DiskStorage s(options());
    raft::HardState hs{1, 1, 3};
    s.save(&hs, make_entries(1, 6, 1));
    s.sync();
    raft::Snapshot from_leader{"leader's state at 50", {50, 4, {1, 2, 3}}};
    s.apply_snapshot(from_leader);
    EXPECT_EQ(s.first_index(), 51u);
    EXPECT_EQ(s.last_index(), 50u);
    raft::HardState after{4, 0, 50};
    s.save(&after, make_entries(51, 52, 4));
    s.sync();
  }
  DiskStorage s(options());
  raft::Snapshot snap;
  ASSERT_EQ(s.snapshot(snap), ErrorCode::ok);
  EXPECT_EQ(snap.metadata.index, 50u);
  EXPECT_EQ(snap.data, "leader's state at 50");
  EXPECT_EQ(all_entries(s), make_entries(51, 52, 4));
  EXPECT_EQ(s.hard_state(), (raft::HardState{4, 0, 50}));
}

TEST_F(DiskStorageTest, ASnapshotThatMatchesTheLogKeepsTheEntriesAfterIt) {
  DiskStorage s(options());
  raft::HardState hs{2, 1, 4};
  s.save(&hs, make_entries(1, 8, 2));
  s.sync();
  s.apply_snapshot(raft::Snapshot{"state at 4", {4, 2, {1}}});
  EXPECT_EQ(all_entries(s), make_entries(5, 8, 2));
  EXPECT_THROW(s.apply_snapshot(raft::Snapshot{"old", {3, 2, {1}}}), StorageError);
  EXPECT_EQ(all_entries(s), make_entries(5, 8, 2));
}

TEST_F(DiskStorageTest, ASnapshotFileWithoutItsWalMarkerIsIgnoredAndRemoved) {
  {
    DiskStorage s(options());
    raft::HardState hs{1, 1, 5};
    s.save(&hs, make_entries(1, 5, 1));
    s.sync();
  }
  // The node died after writing a snapshot file but before its marker reached the WAL.
  SnapshotFiles(tmp_.path() / "member" / "snap").save(raft::Snapshot{"orphan", {5, 1, {1}}});
  DiskStorage s(options());
  raft::Snapshot snap;
  s.snapshot(snap);
  EXPECT_TRUE(snap.empty());
  EXPECT_EQ(all_entries(s), make_entries(1, 5, 1));
  EXPECT_EQ(snapshot_files(), 0u);
}

TEST_F(DiskStorageTest, AMissingOrDamagedSnapshotFileStopsTheNode) {
  {
    DiskStorage s(options());
    raft::HardState hs{1, 1, 5};
    s.save(&hs, make_entries(1, 5, 1));
    s.sync();
    s.create_snapshot(5, {1}, "state at 5");
  }
  const auto path = tmp_.path() / "member" / "snap" / SnapshotFiles::file_name(5, 1);
  testing::flip_byte(path, 40);
  try {
    DiskStorage s(options());
    FAIL() << "opened with a damaged snapshot";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::corruption);
    EXPECT_NE(std::string(e.what()).find(path.filename().string() + ": checksum mismatch"),
              std::string::npos)
        << e.what();
  }
  std::filesystem::remove(path);
  try {
    DiskStorage s(options());
    FAIL() << "opened without the snapshot its WAL names";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::corruption);
    EXPECT_NE(std::string(e.what()).find("file is missing"), std::string::npos) << e.what();
  }
}

TEST_F(DiskStorageTest, CompactDropsOnlyWhatASnapshotCovers) {
  DiskStorage s(options());
  raft::HardState hs{1, 1, 10};
  s.save(&hs, make_entries(1, 10, 1));
  s.sync();
  s.create_snapshot(6, {1}, "state");
  EXPECT_EQ(s.first_index(), 1u) << "the catch-up window (5000) keeps everything here";
  s.compact(4);
  EXPECT_EQ(s.first_index(), 5u);
  s.compact(2);  // already compacted further: nothing to do
  EXPECT_EQ(s.first_index(), 5u);
  EXPECT_THROW(s.compact(8), StorageError);
  EXPECT_EQ(s.first_index(), 5u);
}

}  // namespace
}  // namespace faultline::storage
