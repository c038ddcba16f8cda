// MemoryStorage: append with truncation, compaction, snapshots, and the error codes that
// tell the core what is gone (compacted) and what is not there yet (unavailable).
#include "raft/storage.h"

#include <gtest/gtest.h>

namespace faultline::raft {
namespace {

std::vector<Entry> ents(std::initializer_list<std::pair<Index, Term>> it) {
  std::vector<Entry> out;
  for (auto [i, t] : it) out.push_back(Entry{t, i, std::string("e").append(std::to_string(i))});
  return out;
}

TEST(MemoryStorageTest, StartsEmptyWithADummyEntry) {
  MemoryStorage s;
  EXPECT_EQ(s.first_index(), 1u);
  EXPECT_EQ(s.last_index(), 0u);
  Term t = 99;
  EXPECT_EQ(s.term(0, t), ErrorCode::ok);
  EXPECT_EQ(t, 0u);
  EXPECT_EQ(s.term(1, t), ErrorCode::unavailable);
  EXPECT_TRUE(s.initial_state().hard_state.empty());
}

TEST(MemoryStorageTest, AppendTruncatesAConflictingSuffix) {
  MemoryStorage s;
  ASSERT_EQ(s.append(ents({{1, 1}, {2, 1}, {3, 1}})), ErrorCode::ok);
  ASSERT_EQ(s.append(ents({{2, 2}})), ErrorCode::ok);  // replaces 2 and drops 3
  EXPECT_EQ(s.last_index(), 2u);
  Term t = 0;
  ASSERT_EQ(s.term(2, t), ErrorCode::ok);
  EXPECT_EQ(t, 2u);
}

TEST(MemoryStorageTest, AppendRefusesGapsAndNonContiguousEntriesAndChangesNothing) {
  MemoryStorage s;
  ASSERT_EQ(s.append(ents({{1, 1}, {2, 1}})), ErrorCode::ok);
  EXPECT_EQ(s.append(ents({{4, 1}})), ErrorCode::unavailable);
  EXPECT_EQ(s.append(ents({{3, 1}, {5, 1}})), ErrorCode::invalid_message);
  EXPECT_EQ(s.last_index(), 2u);
}

TEST(MemoryStorageTest, EntriesRespectBoundsAndSizeButReturnAtLeastOne) {
  MemoryStorage s;
  ASSERT_EQ(s.append(ents({{1, 1}, {2, 1}, {3, 1}})), ErrorCode::ok);
  std::vector<Entry> out;
  EXPECT_EQ(s.entries(1, 4, UINT64_MAX, out), ErrorCode::ok);
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(s.entries(1, 4, 0, out), ErrorCode::ok);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(s.entries(1, 5, UINT64_MAX, out), ErrorCode::unavailable);
  ASSERT_EQ(s.compact(2), ErrorCode::ok);
  EXPECT_EQ(s.entries(2, 4, UINT64_MAX, out), ErrorCode::compacted);
  EXPECT_EQ(s.entries(3, 4, UINT64_MAX, out), ErrorCode::ok);
  EXPECT_EQ(out.size(), 1u);
}

TEST(MemoryStorageTest, CompactKeepsTheTermOfTheCompactedIndex) {
  MemoryStorage s;
  ASSERT_EQ(s.append(ents({{1, 1}, {2, 2}, {3, 3}})), ErrorCode::ok);
  ASSERT_EQ(s.compact(2), ErrorCode::ok);
  EXPECT_EQ(s.first_index(), 3u);
  Term t = 0;
  EXPECT_EQ(s.term(2, t), ErrorCode::ok);  // the dummy entry keeps index 2's term
  EXPECT_EQ(t, 2u);
  EXPECT_EQ(s.term(1, t), ErrorCode::compacted);
  EXPECT_EQ(s.compact(2), ErrorCode::compacted);
  EXPECT_EQ(s.compact(9), ErrorCode::unavailable);
}

TEST(MemoryStorageTest, AppendSkipsWhatIsAlreadyCompacted) {
  MemoryStorage s;
  ASSERT_EQ(s.append(ents({{1, 1}, {2, 1}, {3, 1}})), ErrorCode::ok);
  ASSERT_EQ(s.compact(2), ErrorCode::ok);
  ASSERT_EQ(s.append(ents({{1, 1}, {2, 1}, {3, 1}, {4, 2}})), ErrorCode::ok);
  EXPECT_EQ(s.first_index(), 3u);
  EXPECT_EQ(s.last_index(), 4u);
}

TEST(MemoryStorageTest, CreateSnapshotThenApplyElsewhere) {
  MemoryStorage s;
  s.set_voters({1, 2, 3});
  ASSERT_EQ(s.append(ents({{1, 1}, {2, 1}, {3, 2}})), ErrorCode::ok);
  Snapshot snap;
  ASSERT_EQ(s.create_snapshot(3, {}, "state@3", &snap), ErrorCode::ok);
  EXPECT_EQ(snap.metadata.index, 3u);
  EXPECT_EQ(snap.metadata.term, 2u);
  EXPECT_EQ(snap.metadata.voters, (std::vector<NodeId>{1, 2, 3}));
  EXPECT_EQ(s.create_snapshot(3, {}, "again"), ErrorCode::snapshot_out_of_date);
  EXPECT_EQ(s.create_snapshot(9, {}, "future"), ErrorCode::unavailable);

  MemoryStorage other;
  ASSERT_EQ(other.append(ents({{1, 1}})), ErrorCode::ok);
  ASSERT_EQ(other.apply_snapshot(snap), ErrorCode::ok);
  EXPECT_EQ(other.first_index(), 4u);
  EXPECT_EQ(other.last_index(), 3u);
  EXPECT_EQ(other.initial_state().voters, (std::vector<NodeId>{1, 2, 3}));
  Snapshot got;
  ASSERT_EQ(other.snapshot(got), ErrorCode::ok);
  EXPECT_EQ(got.data, "state@3");
  EXPECT_EQ(other.apply_snapshot(snap), ErrorCode::snapshot_out_of_date);
}

}  // namespace
}  // namespace faultline::raft
