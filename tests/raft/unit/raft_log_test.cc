// The log over storage plus its unstable tail: appending with conflict detection, the
// commit rule, fast backtracking, and the size bounds on what is handed out.
#include "raft/raft_log.h"

#include <gtest/gtest.h>

#include "raft/entry_size.h"
#include "raft/invariant.h"
#include "raft/storage.h"

namespace faultline::raft {
namespace {

std::vector<Entry> ents(std::initializer_list<std::pair<Index, Term>> it) {
  std::vector<Entry> out;
  for (auto [i, t] : it) out.push_back(Entry{t, i, ""});
  return out;
}

std::vector<Term> terms(const RaftLog& log) {
  std::vector<Term> out;
  for (const Entry& e : log.all_entries()) out.push_back(e.term);
  return out;
}

// A log holding entries 1..3 of terms 1, 2, 3 (unstable, as a follower just received).
struct LogFixture : ::testing::Test {
  MemoryStorage storage;
  RaftLog log{storage, kNoLimit};
  void SetUp() override { log.append(ents({{1, 1}, {2, 2}, {3, 3}})); }
};

TEST_F(LogFixture, MaybeAppendRefusesWhenThePreviousEntryDoesNotMatch) {
  EXPECT_FALSE(log.maybe_append(3, 2, 3, ents({{4, 4}})).has_value());  // term differs
  EXPECT_FALSE(log.maybe_append(4, 3, 3, ents({{5, 4}})).has_value());  // index missing
  EXPECT_EQ(log.last_index(), 3u);
  EXPECT_EQ(log.committed(), 0u);
}

TEST_F(LogFixture, MaybeAppendAppendsAndCommitsOnlyUpToTheNewEntries) {
  auto last = log.maybe_append(3, 3, 10, ents({{4, 3}}));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, 4u);
  // The leader committed 10, but we only know the log matches up to 4.
  EXPECT_EQ(log.committed(), 4u);
}

TEST_F(LogFixture, MaybeAppendTruncatesAConflictingUncommittedSuffix) {
  auto last = log.maybe_append(1, 1, 0, ents({{2, 4}, {3, 4}}));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(terms(log), (std::vector<Term>{1, 4, 4}));
}

TEST_F(LogFixture, MaybeAppendOfEntriesAlreadyHeldChangesNothing) {
  log.commit_to(3);
  // A stale, duplicated append below the commit index: all entries match, no conflict.
  auto last = log.maybe_append(0, 0, 3, ents({{1, 1}, {2, 2}}));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, 2u);
  EXPECT_EQ(log.last_index(), 3u);
  EXPECT_EQ(log.committed(), 3u);  // commit never moves backwards
}

TEST_F(LogFixture, AConflictWithACommittedEntryStopsLoudly) {
  log.commit_to(2);
  EXPECT_THROW(log.maybe_append(1, 1, 2, ents({{2, 9}})), InvariantViolation);
  EXPECT_EQ(terms(log), (std::vector<Term>{1, 2, 3}));
}

TEST_F(LogFixture, FindConflict) {
  EXPECT_EQ(log.find_conflict(ents({{1, 1}, {2, 2}})), 0u);
  EXPECT_EQ(log.find_conflict(ents({{2, 2}, {3, 4}})), 3u);
  EXPECT_EQ(log.find_conflict(ents({{3, 3}, {4, 4}})), 4u);  // new entries
}

TEST(RaftLogTest, FindConflictByTermSkipsAWholeTerm) {
  MemoryStorage storage;
  RaftLog log(storage, kNoLimit);
  // Terms: 1 1 1 4 4 5 5 5 (indexes 1..8).
  log.append(ents({{1, 1}, {2, 1}, {3, 1}, {4, 4}, {5, 4}, {6, 5}, {7, 5}, {8, 5}}));
  EXPECT_EQ(log.find_conflict_by_term(8, 5), 8u);  // already matches the term
  EXPECT_EQ(log.find_conflict_by_term(8, 4), 5u);  // skip every term-5 entry
  EXPECT_EQ(log.find_conflict_by_term(8, 3), 3u);  // and the term-4 ones
  EXPECT_EQ(log.find_conflict_by_term(8, 2), 3u);
  EXPECT_EQ(log.find_conflict_by_term(8, 0), 0u);
  EXPECT_EQ(log.find_conflict_by_term(20, 1), 20u);  // beyond the log: the index itself
}

TEST_F(LogFixture, MaybeCommitOnlyCountsEntriesOfTheGivenTerm) {
  // Figure 8: a quorum holding index 2 (term 2) does not commit it in term 3.
  EXPECT_FALSE(log.maybe_commit(2, 3));
  EXPECT_EQ(log.committed(), 0u);
  EXPECT_TRUE(log.maybe_commit(3, 3));
  EXPECT_EQ(log.committed(), 3u);
  EXPECT_FALSE(log.maybe_commit(2, 2));  // never backwards
}

TEST_F(LogFixture, CommitBeyondTheLogStopsLoudly) {
  EXPECT_THROW(log.commit_to(4), InvariantViolation);
  EXPECT_EQ(log.committed(), 0u);
}

TEST_F(LogFixture, UpToDateComparesLastTermThenIndex) {
  EXPECT_TRUE(log.is_up_to_date(1, 4));
  EXPECT_TRUE(log.is_up_to_date(3, 3));
  EXPECT_FALSE(log.is_up_to_date(2, 3));
  EXPECT_FALSE(log.is_up_to_date(9, 2));
}

TEST_F(LogFixture, StableToMovesEntriesOutOfTheUnstableTail) {
  storage.append(ents({{1, 1}, {2, 2}}));
  log.stable_to(2, 2);
  EXPECT_EQ(log.unstable_entries().size(), 1u);
  EXPECT_EQ(log.persisted_last_index(), 2u);
  log.stable_to(3, 9);  // the tail was rewritten meanwhile: ignored
  EXPECT_EQ(log.unstable_entries().size(), 1u);
}

TEST_F(LogFixture, AppliedMustStayWithinCommitted) {
  log.commit_to(2);
  log.applied_to(2);
  EXPECT_EQ(log.applied(), 2u);
  EXPECT_THROW(log.applied_to(3), InvariantViolation);
  EXPECT_THROW(log.applied_to(1), InvariantViolation);
}

TEST(RaftLogTest, NextCommittedEntriesAreBoundedButNeverEmpty) {
  MemoryStorage storage;
  // 2 entries per batch: each costs 10 data bytes + the fixed overhead.
  RaftLog log(storage, 2 * (10 + kEntryOverheadBytes));
  std::vector<Entry> es;
  for (Index i = 1; i <= 5; ++i) es.push_back(Entry{1, i, std::string(10, 'x')});
  log.append(es);
  log.commit_to(5);
  auto batch = log.next_committed_entries();
  ASSERT_EQ(batch.size(), 2u);
  log.applied_to(2);
  EXPECT_EQ(log.next_committed_entries().front().index, 3u);

  MemoryStorage stable;
  stable.append(es);
  RaftLog tiny(stable, 0);  // a limit below one entry still yields one
  tiny.commit_to(5);
  EXPECT_EQ(tiny.next_committed_entries().size(), 1u);
}

TEST(RaftLogTest, SliceSpansStorageAndUnstableAndReportsCompaction) {
  MemoryStorage storage;
  storage.append(ents({{1, 1}, {2, 1}, {3, 1}}));
  RaftLog log(storage, kNoLimit);
  log.append(ents({{4, 2}, {5, 2}}));
  std::vector<Entry> out;
  ASSERT_EQ(log.slice(2, 6, kNoLimit, out), ErrorCode::ok);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out.front().index, 2u);
  EXPECT_EQ(out.back().index, 5u);
  storage.compact(2);
  EXPECT_EQ(log.slice(2, 6, kNoLimit, out), ErrorCode::compacted);
  Term t = 0;
  EXPECT_EQ(log.term(1, t), ErrorCode::compacted);
  EXPECT_EQ(log.term(6, t), ErrorCode::unavailable);
}

// The size limit is applied before entries are copied (storage and unstable tail alike);
// what comes out must be exactly what cutting the whole range with limit_size gives.
TEST(RaftLogTest, SliceHonoursTheSizeLimitAcrossStorageAndUnstable) {
  MemoryStorage storage;
  std::vector<Entry> stored;
  for (Index i = 1; i <= 4; ++i) stored.push_back(Entry{1, i, "12345678"});
  storage.append(stored);
  RaftLog log(storage, kNoLimit);
  std::vector<Entry> tail;
  for (Index i = 5; i <= 8; ++i) tail.push_back(Entry{2, i, "12345678"});
  log.append(tail);
  const std::uint64_t one = 8 + kEntryOverheadBytes;
  for (std::uint64_t limit : {std::uint64_t{0}, one, 2 * one + 1, 5 * one, 6 * one - 1, kNoLimit}) {
    for (Index lo = 1; lo <= 8; ++lo) {
      std::vector<Entry> expected;
      ASSERT_EQ(log.slice(lo, 9, kNoLimit, expected), ErrorCode::ok);
      limit_size(expected, limit);
      std::vector<Entry> out;
      ASSERT_EQ(log.slice(lo, 9, limit, out), ErrorCode::ok);
      EXPECT_EQ(out, expected) << "lo " << lo << ", limit " << limit;
    }
  }
}

TEST_F(LogFixture, FindConflictTreatsEntriesPastTheEndAsNew) {
  // Entry 3 matches; 4 and 5 are new: the first new index is the answer.
  EXPECT_EQ(log.find_conflict(ents({{3, 3}, {4, 3}, {5, 3}})), 4u);
  // A mismatch inside the log wins over new entries after it.
  EXPECT_EQ(log.find_conflict(ents({{2, 9}, {3, 3}, {4, 3}})), 2u);
}

TEST(RaftLogTest, RestoreFromASnapshotReplacesTheLog) {
  MemoryStorage storage;
  RaftLog log(storage, kNoLimit);
  log.append(ents({{1, 1}, {2, 1}}));
  Snapshot snap;
  snap.metadata.index = 10;
  snap.metadata.term = 3;
  log.restore(snap);
  EXPECT_EQ(log.first_index(), 11u);
  EXPECT_EQ(log.last_index(), 10u);
  EXPECT_EQ(log.last_term(), 3u);
  EXPECT_EQ(log.committed(), 10u);
  EXPECT_TRUE(log.has_pending_snapshot());
  log.stable_snap_to(10);
  EXPECT_FALSE(log.has_pending_snapshot());
}

}  // namespace
}  // namespace faultline::raft
