// Stories of the leader's append coalescing: proposals and commit index moves between two
// Readies reach each follower as one append (more only when max_size_per_msg cuts it),
// not as one message per proposal and another per commit move.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mini_cluster.h"
#include "raft/entry_size.h"

namespace faultline::raft::unit {
namespace {

// "v3" and the like. (Built with +=: GCC 12 at -O3 warns, falsely, about `"v" + string`.)
std::string numbered(std::string prefix, int i) {
  prefix += std::to_string(i);
  return prefix;
}

// Handles one Ready of `id` by hand (persist, apply nothing, advance) and returns its
// messages, so a story can look at exactly what one Ready sends.
std::vector<Message> handle_one_ready(MiniCluster& c, NodeId id) {
  if (!c.node(id).has_ready()) return {};
  Ready rd = c.node(id).ready();
  MemoryStorage& st = c.storage(id);
  if (!rd.entries.empty()) st.append(rd.entries);
  if (rd.has_hard_state) st.set_hard_state(rd.hard_state);
  std::vector<Message> out = std::move(rd.messages);
  c.node(id).advance();
  return out;
}

std::vector<Message> appends_to(const std::vector<Message>& msgs, NodeId to) {
  std::vector<Message> out;
  for (const Message& m : msgs) {
    if (m.type == MessageType::app && m.to == to) out.push_back(m);
  }
  return out;
}

// Delivers `msgs` addressed to `to` and returns what `to` answers in its next Ready.
std::vector<Message> deliver_and_answer(MiniCluster& c, const std::vector<Message>& msgs,
                                        NodeId to) {
  for (const Message& m : msgs) {
    if (m.to == to) {
      EXPECT_EQ(c.node(to).step(m), ErrorCode::ok);
    }
  }
  return handle_one_ready(c, to);
}

TEST(CoalescingTest, FiveProposalsBetweenTwoReadiesTravelInOneAppendPerFollower) {
  MiniCluster c(3);
  c.elect(1);
  const Index before = c.node(1).status().last_index;
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.node(1).propose(numbered("v", i)), ErrorCode::ok);

  const std::vector<Message> sent = handle_one_ready(c, 1);
  for (NodeId follower : {2, 3}) {
    const std::vector<Message> apps = appends_to(sent, follower);
    ASSERT_EQ(apps.size(), 1u) << "to " << follower << ": one append carries the whole batch";
    const Message& m = apps[0];
    EXPECT_EQ(m.index, before) << "it follows the entry the follower already holds";
    ASSERT_EQ(m.entries.size(), 5u);
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(m.entries[i].index, before + 1 + static_cast<Index>(i));
      EXPECT_EQ(m.entries[i].data, numbered("v", i));
    }
  }

  // And the batch commits and applies everywhere, in order.
  for (NodeId follower : {2, 3}) {
    for (const Message& m : appends_to(sent, follower)) {
      ASSERT_EQ(c.node(follower).step(m), ErrorCode::ok);
    }
  }
  c.stabilize();
  for (NodeId id : {1, 2, 3}) {
    ASSERT_GE(c.applied[id].size(), 5u) << "node " << id;
    EXPECT_EQ(c.applied[id].back().data, "v4") << "node " << id;
    EXPECT_EQ(c.node(id).status().hard_state.commit, before + 5) << "node " << id;
  }
}

TEST(CoalescingTest, NewProposalsCarryTheCommitIndexInsteadOfASeparateAppend) {
  MiniCluster c(3);
  c.elect(1);
  const Index before = c.node(1).status().last_index;
  ASSERT_EQ(c.node(1).propose("a"), ErrorCode::ok);
  const std::vector<Message> first = handle_one_ready(c, 1);

  // Follower 2's ack commits "a" (with the leader's own durable copy). Before the leader's
  // next Ready a client proposes "b": the commit move and "b" share one append.
  for (const Message& ack : deliver_and_answer(c, first, 2)) {
    ASSERT_EQ(c.node(1).step(ack), ErrorCode::ok);
  }
  EXPECT_EQ(c.node(1).status().hard_state.commit, before + 1);
  ASSERT_EQ(c.node(1).propose("b"), ErrorCode::ok);

  const std::vector<Message> second = handle_one_ready(c, 1);
  const std::vector<Message> to2 = appends_to(second, 2);
  ASSERT_EQ(to2.size(), 1u) << "the commit index rides with the new entry";
  EXPECT_EQ(to2[0].commit, before + 1);
  ASSERT_EQ(to2[0].entries.size(), 1u);
  EXPECT_EQ(to2[0].entries[0].data, "b");
  // Follower 3 has not acknowledged "a" yet, but the leader pipelines: it gets "b" after
  // "a", and the new commit index with it.
  const std::vector<Message> to3 = appends_to(second, 3);
  ASSERT_EQ(to3.size(), 1u);
  EXPECT_EQ(to3[0].index, before + 1);
  EXPECT_EQ(to3[0].commit, before + 1);
}

TEST(CoalescingTest, SeveralCommitMovesBetweenTwoReadiesAreAnnouncedOnce) {
  MiniCluster c(3);
  c.elect(1);
  const Index before = c.node(1).status().last_index;
  // Two batches in flight, each in its own Ready.
  ASSERT_EQ(c.node(1).propose("a"), ErrorCode::ok);
  std::vector<Message> in_flight = handle_one_ready(c, 1);
  ASSERT_EQ(c.node(1).propose("b"), ErrorCode::ok);
  for (Message& m : handle_one_ready(c, 1)) in_flight.push_back(std::move(m));

  // Follower 2 acknowledges both appends: the commit index moves twice on the leader.
  const std::vector<Message> acks = deliver_and_answer(c, in_flight, 2);
  ASSERT_EQ(acks.size(), 2u);
  for (const Message& ack : acks) ASSERT_EQ(c.node(1).step(ack), ErrorCode::ok);
  EXPECT_EQ(c.node(1).status().hard_state.commit, before + 2);

  // One empty append per follower announces the final commit index.
  const std::vector<Message> sent = handle_one_ready(c, 1);
  for (NodeId follower : {2, 3}) {
    const std::vector<Message> apps = appends_to(sent, follower);
    ASSERT_EQ(apps.size(), 1u) << "to " << follower;
    EXPECT_TRUE(apps[0].entries.empty());
    EXPECT_EQ(apps[0].commit, before + 2);
  }
}

TEST(CoalescingTest, MaxSizePerMsgStillBoundsEveryAppend) {
  Config base;
  // Room for three 8-byte entries per append.
  base.max_size_per_msg = 3 * (8 + kEntryOverheadBytes);
  MiniCluster c(3, base);
  c.elect(1);
  const Index before = c.node(1).status().last_index;
  for (int i = 0; i < 10; ++i) ASSERT_EQ(c.node(1).propose(numbered("payload", i)), ErrorCode::ok);

  const std::vector<Message> sent = handle_one_ready(c, 1);
  for (NodeId follower : {2, 3}) {
    const std::vector<Message> apps = appends_to(sent, follower);
    ASSERT_EQ(apps.size(), 4u) << "10 entries, at most 3 per append";
    Index expect = before + 1;
    for (const Message& m : apps) {
      EXPECT_LE(m.entries.size(), 3u);
      EXPECT_EQ(m.index, expect - 1) << "appends are contiguous";
      for (const Entry& e : m.entries) EXPECT_EQ(e.index, expect++);
    }
    EXPECT_EQ(expect, before + 11) << "every entry is sent exactly once";
  }
}

TEST(CoalescingTest, ALeaderThatStepsDownBeforeItsReadyOwesNothing) {
  MiniCluster c(3);
  c.elect(1);
  ASSERT_EQ(c.node(1).propose("lost"), ErrorCode::ok);
  // Before its Ready the leader hears of a higher term (textbook Raft: no lease) and
  // becomes a follower: the append it owed for "lost" must not go out.
  Message vote{.type = MessageType::vote, .to = 1, .from = 3, .term = 5};
  vote.log_term = 1;
  vote.index = c.node(3).status().last_index;
  ASSERT_EQ(c.node(1).step(vote), ErrorCode::ok);
  EXPECT_EQ(c.node(1).status().soft_state.role, StateRole::follower);

  const std::vector<Message> sent = handle_one_ready(c, 1);
  EXPECT_TRUE(appends_to(sent, 2).empty());
  EXPECT_TRUE(appends_to(sent, 3).empty());
}

}  // namespace
}  // namespace faultline::raft::unit
