// The safety checker must be able to say no. Each test hands it a state that breaks one
// property on purpose (the kind of state a buggy core would produce) and expects that
// property to be named; a consistent history must pass. Without these, a green property
// run could mean a checker that checks nothing.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "property/schedule.h"
#include "raft/testing/safety_checker.h"

namespace faultline::raft::testing {
namespace {

std::vector<Entry> log_of(std::initializer_list<Term> terms, Index first = 1) {
  std::vector<Entry> log;
  Index i = first;
  for (Term t : terms) {
    // Appended piece by piece: GCC 12 at -O3 warns, falsely, about `"e" + string`.
    std::string data = "e";
    data += std::to_string(t);
    data += '.';
    data += std::to_string(i);
    log.push_back(Entry{t, i, std::move(data)});
    ++i;
  }
  return log;
}

NodeView view(NodeId id, StateRole role, Term term, Index commit, std::vector<Entry> log) {
  return NodeView{id, role, term, commit, std::move(log)};
}

TEST(SafetyChecker, AcceptsAConsistentHistory) {
  SafetyChecker c;
  // Term 1: node 1 leads and commits 1..2; node 2 follows with the same log.
  EXPECT_FALSE(c.observe(view(1, StateRole::leader, 1, 2, log_of({1, 1}))));
  EXPECT_FALSE(c.observe(view(2, StateRole::follower, 1, 2, log_of({1, 1}))));
  // Term 2: node 2 leads with everything committed before, plus its own entry.
  EXPECT_FALSE(c.observe(view(2, StateRole::leader, 2, 2, log_of({1, 1, 2}))));
  // Node 3 lagged and held an uncommitted entry of term 1 at index 3, which node 2's
  // term-2 entry replaces: allowed, it was never committed.
  EXPECT_FALSE(c.observe(view(3, StateRole::follower, 1, 0, log_of({1, 1, 1}))));
  EXPECT_FALSE(c.observe(view(3, StateRole::follower, 2, 3, log_of({1, 1, 2}))));
  // A node that compacted its log keeps being checked from its first entry on.
  EXPECT_FALSE(c.observe(view(1, StateRole::follower, 2, 3, log_of({2}, 3))));
  EXPECT_EQ(c.leaders_seen(), 2u);
  EXPECT_EQ(c.highest_committed(), 3u);
}

TEST(SafetyChecker, CatchesTwoLeadersInOneTerm) {
  SafetyChecker c;
  EXPECT_FALSE(c.observe(view(1, StateRole::leader, 3, 0, log_of({1}))));
  // Even after node 1 stepped down, a second leader of term 3 is a violation.
  EXPECT_FALSE(c.observe(view(1, StateRole::follower, 3, 0, log_of({1}))));
  auto v = c.observe(view(2, StateRole::leader, 3, 0, log_of({1})));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->property, "election safety");
  EXPECT_NE(v->detail.find("term 3"), std::string::npos) << v->detail;
}

TEST(SafetyChecker, CatchesOneIndexAndTermWithTwoPayloads) {
  SafetyChecker c;
  EXPECT_FALSE(c.observe(view(1, StateRole::follower, 1, 0, log_of({1, 1}))));
  std::vector<Entry> corrupted = log_of({1, 1});
  corrupted[1].data = "something else";
  auto v = c.observe(view(2, StateRole::follower, 1, 0, corrupted));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->property, "log matching");
}

TEST(SafetyChecker, CatchesMatchingEntriesWithDifferentPrefixes) {
  SafetyChecker c;
  EXPECT_FALSE(c.observe(view(1, StateRole::follower, 3, 0, log_of({1, 3}))));
  // Same entry 3/2 (same data), but after an entry of term 2: the logs disagree before it.
  std::vector<Entry> other = log_of({2, 3});
  other[1].data = log_of({1, 3})[1].data;
  auto v = c.observe(view(2, StateRole::follower, 3, 0, other));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->property, "log matching");
}

TEST(SafetyChecker, CatchesALeaderMissingACommittedEntry) {
  SafetyChecker c;
  // Entries 1..2 committed in term 1.
  EXPECT_FALSE(c.observe(view(1, StateRole::leader, 1, 2, log_of({1, 1}))));
  // A leader of term 2 whose log stops at index 1.
  auto v = c.observe(view(2, StateRole::leader, 2, 1, log_of({1})));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->property, "leader completeness");
}

TEST(SafetyChecker, CatchesALeaderWithADifferentCommittedEntry) {
  SafetyChecker c;
  EXPECT_FALSE(c.observe(view(1, StateRole::leader, 2, 2, log_of({1, 2}))));
  // Term 3's leader holds an entry of term 1 at index 2, where 2/2 was committed.
  auto v = c.observe(view(3, StateRole::leader, 3, 1, log_of({1, 1})));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->property, "leader completeness");
}

TEST(SafetyChecker, CatchesACommittedEntryChangingOnAFollower) {
  SafetyChecker c;
  EXPECT_FALSE(c.observe(view(1, StateRole::follower, 2, 2, log_of({1, 1}))));
  auto v = c.observe(view(2, StateRole::follower, 2, 2, log_of({1, 2})));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->property, "state-machine safety");
}

TEST(SafetyChecker, CatchesTwoNodesApplyingDifferentEntries) {
  SafetyChecker c;
  AppliedState empty;
  EXPECT_FALSE(c.observe_apply(1, empty, Entry{1, 1, "x"}));
  auto v = c.observe_apply(2, empty, Entry{1, 1, "y"});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->property, "state-machine safety");
}

TEST(SafetyChecker, CatchesAnApplyOutOfOrder) {
  SafetyChecker c;
  auto v = c.observe_apply(1, AppliedState{}, Entry{1, 2, "skipped index 1"});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->property, "state-machine safety");
}

TEST(SafetyChecker, CatchesASnapshotOfAnotherHistory) {
  SafetyChecker c;
  AppliedState s;
  EXPECT_FALSE(c.observe_apply(1, s, Entry{1, 1, "a"}));
  s.apply(Entry{1, 1, "a"});
  EXPECT_FALSE(c.observe_restore(2, s));  // the same state: fine
  AppliedState other;
  other.apply(Entry{1, 1, "b"});
  auto v = c.observe_restore(3, other);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->property, "state-machine safety");
}

// End to end: the same random schedules, but with a disk that forgets the vote a node
// persisted (Raft's rule "persist your vote before answering" broken on purpose). A node
// can then vote twice in one term, and sooner or later two leaders share a term. The
// property runs must notice; if they never did, a green run would prove nothing.
TEST(SafetyChecker, RandomSchedulesCatchADiskThatForgetsVotes) {
  constexpr std::uint64_t kMaxSchedules = 3000;  // the first is found within ~200 today
  std::optional<property::ScheduleResult> caught;
  std::uint64_t seed = 1;
  for (; seed <= kMaxSchedules && !caught; ++seed) {
    property::ScheduleSpec spec;
    spec.nodes = 3;
    spec.seed = seed;
    spec.steps = 1200;
    spec.forget_vote_on_restart = true;
    property::ScheduleResult r = property::run_schedule(spec);
    if (r.violation) caught = std::move(r);
  }
  ASSERT_TRUE(caught) << "no violation in " << kMaxSchedules << " schedules with amnesiac disks";
  EXPECT_EQ(caught->violation->property, "election safety") << caught->violation->describe();
  EXPECT_FALSE(caught->recent_actions.empty());
}

TEST(AppliedState, SnapshotFormRoundTripsAndRejectsGarbage) {
  AppliedState s;
  s.apply(Entry{1, 1, ""});
  s.apply(Entry{2, 2, "x"});
  auto back = AppliedState::decode(s.encode());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->proposals, 1u);
  EXPECT_FALSE(AppliedState::decode("not a state"));
  EXPECT_FALSE(AppliedState::decode("1 2 3"));
}

}  // namespace
}  // namespace faultline::raft::testing
