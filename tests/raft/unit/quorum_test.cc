// Majority arithmetic: the commit index a quorum acknowledged and election outcomes.
#include "raft/quorum.h"

#include <gtest/gtest.h>

#include "raft/progress.h"

namespace faultline::raft {
namespace {

TEST(QuorumTest, CommittedIndexIsWhatAMajorityHolds) {
  MajorityConfig one({1});
  EXPECT_EQ(one.committed_index({{1, 7}}), 7u);

  MajorityConfig three({1, 2, 3});
  EXPECT_EQ(three.committed_index({{1, 5}, {2, 3}, {3, 1}}), 3u);
  EXPECT_EQ(three.committed_index({{1, 5}}), 0u);  // missing voters count as 0

  MajorityConfig four({1, 2, 3, 4});  // quorum 3
  EXPECT_EQ(four.committed_index({{1, 9}, {2, 8}, {3, 2}, {4, 1}}), 2u);

  MajorityConfig five({5, 4, 3, 2, 1});  // order does not matter
  EXPECT_EQ(five.quorum(), 3u);
  EXPECT_EQ(five.committed_index({{1, 10}, {2, 10}, {3, 6}, {4, 2}, {5, 0}}), 6u);
}

TEST(QuorumTest, VoteResults) {
  MajorityConfig three({1, 2, 3});
  EXPECT_EQ(three.vote_result({{1, true}}), VoteResult::pending);
  EXPECT_EQ(three.vote_result({{1, true}, {2, true}}), VoteResult::won);
  EXPECT_EQ(three.vote_result({{1, true}, {2, false}}), VoteResult::pending);
  EXPECT_EQ(three.vote_result({{1, false}, {2, false}}), VoteResult::lost);
  EXPECT_EQ(three.vote_result({{7, true}, {8, true}}), VoteResult::pending);  // non-voters

  MajorityConfig four({1, 2, 3, 4});
  EXPECT_EQ(four.vote_result({{1, true}, {2, true}, {3, false}, {4, false}}), VoteResult::lost);
}

TEST(QuorumTest, TrackerCountsEachVoterOnce) {
  ProgressTracker t({1, 2, 3}, 4, 0);
  t.record_vote(1, true);
  t.record_vote(2, false);
  t.record_vote(2, true);  // a later answer from the same voter does not count
  auto tally = t.tally_votes();
  EXPECT_EQ(tally.granted, 1u);
  EXPECT_EQ(tally.rejected, 1u);
  EXPECT_EQ(tally.result, VoteResult::pending);
}

TEST(QuorumTest, QuorumActiveCountsRecentlyActiveVoters) {
  ProgressTracker t({1, 2, 3}, 4, 0);
  t.progress(1).recent_active = true;
  EXPECT_FALSE(t.quorum_active());
  t.progress(3).recent_active = true;
  EXPECT_TRUE(t.quorum_active());
}

TEST(ProgressTest, ProbeSendsOneThenPausesUntilAnswered) {
  Progress p(5, 4, 0);
  EXPECT_FALSE(p.is_paused());
  p.probe_sent = true;
  EXPECT_TRUE(p.is_paused());
  EXPECT_TRUE(p.maybe_update(4));  // an answer
  EXPECT_FALSE(p.is_paused());
  EXPECT_EQ(p.next, 5u);
}

TEST(ProgressTest, RejectionsBackOffUsingTheHint) {
  Progress p(10, 4, 0);                 // probing at next 10 (sent index 9)
  EXPECT_FALSE(p.maybe_decr_to(5, 3));  // stale: not the index we probed
  EXPECT_TRUE(p.maybe_decr_to(9, 3));
  EXPECT_EQ(p.next, 4u);  // jumps to hint + 1

  p.match = 6;
  p.become_replicate();
  p.optimistic_update(12);
  EXPECT_FALSE(p.maybe_decr_to(6, 0));  // at or below match: stale
  EXPECT_TRUE(p.maybe_decr_to(10, 0));
  EXPECT_EQ(p.next, 7u);  // restart after match
}

TEST(ProgressTest, SnapshotStateResumesAfterTheSnapshot) {
  Progress p(3, 4, 0);
  p.become_snapshot(20);
  EXPECT_TRUE(p.is_paused());
  p.become_probe();
  EXPECT_EQ(p.next, 21u);
}

}  // namespace
}  // namespace faultline::raft
