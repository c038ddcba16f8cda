// RawNode-level stories: elections and replication, refusals that change nothing, and the
// production switches (vote lease, CheckQuorum, PreVote, the thesis PreVote).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include "mini_cluster.h"
#include "raft/profiles.h"

namespace faultline::raft::unit {
namespace {

Config with_profile(std::string_view name) {
  Config c;
  c.switches = find_profile(name)->switches;
  return c;
}

// Everything observable about a node, to show that a refused input changed nothing.
std::string snapshot_of(RawNode& n) {
  Status s = n.status();
  std::ostringstream out;
  out << "term=" << s.hard_state.term << " vote=" << s.hard_state.vote
      << " commit=" << s.hard_state.commit << " lead=" << s.soft_state.leader
      << " role=" << to_string(s.soft_state.role) << " applied=" << s.applied
      << " first=" << s.first_index << " last=" << s.last_index << " elapsed=" << s.election_elapsed
      << " timeout=" << s.randomized_election_timeout << " transferee=" << s.lead_transferee
      << " ready=" << n.has_ready();
  for (const auto& [id, p] : s.progress) {
    out << " [" << id << " match=" << p.match << " next=" << p.next
        << " state=" << to_string(p.state) << " active=" << p.recent_active
        << " probe_sent=" << p.probe_sent << " inflight=" << p.inflight_count << "]";
  }
  out << " log=" << n.log_entries().size();
  return out.str();
}

bool logged(const MiniCluster& c, const std::string& line) {
  return std::find(c.log_lines.begin(), c.log_lines.end(), line) != c.log_lines.end();
}

Term term_of(RawNode& n) { return n.status().hard_state.term; }
StateRole role_of(RawNode& n) { return n.status().soft_state.role; }

// Ticks every node once per round and lets the network settle after each tick.
void run_ticks(MiniCluster& c, int ticks) {
  for (int t = 0; t < ticks; ++t) {
    c.tick_all(1);
    c.stabilize();
  }
}

TEST(RawNodeTest, ThreeNodesElectALeaderAndCommitAProposal) {
  MiniCluster c(3);
  c.elect(1);
  EXPECT_EQ(role_of(c.node(1)), StateRole::leader);
  EXPECT_EQ(c.node(2).status().soft_state.leader, 1u);
  EXPECT_EQ(c.node(3).status().soft_state.leader, 1u);
  EXPECT_TRUE(logged(c, "1 became leader at term 1"));

  ASSERT_EQ(c.node(1).propose("x=1"), ErrorCode::ok);
  c.stabilize();
  for (NodeId id : {1, 2, 3}) {
    // The leader's empty entry of term 1, then the proposal, applied everywhere.
    ASSERT_EQ(c.applied[id].size(), 2u) << "node " << id;
    EXPECT_EQ(c.applied[id][0].data, "");
    EXPECT_EQ(c.applied[id][1].data, "x=1");
    EXPECT_EQ(c.applied[id][1].index, 2u);
    EXPECT_EQ(c.node(id).status().hard_state.commit, 2u);
  }
}

TEST(RawNodeTest, TicksAloneElectExactlyOneLeader) {
  MiniCluster c(3);
  run_ticks(c, 40);
  int leaders = 0;
  for (NodeId id : {1, 2, 3}) leaders += role_of(c.node(id)) == StateRole::leader;
  EXPECT_EQ(leaders, 1);
}

TEST(RawNodeTest, AFollowerForwardsProposalsToItsLeader) {
  MiniCluster c(3);
  c.elect(1);
  ASSERT_EQ(c.node(3).propose("via 3"), ErrorCode::ok);
  c.stabilize();
  ASSERT_EQ(c.applied[1].size(), 2u);
  EXPECT_EQ(c.applied[1][1].data, "via 3");
}

TEST(RawNodeTest, ProposalWithNoLeaderIsRefusedAndChangesNothing) {
  MiniCluster c(3);
  const std::string before = snapshot_of(c.node(2));
  EXPECT_FALSE(c.node(2).has_ready());
  EXPECT_EQ(c.node(2).propose("lost"), ErrorCode::no_leader);
  EXPECT_EQ(snapshot_of(c.node(2)), before);
  EXPECT_FALSE(c.node(2).has_ready());
}

TEST(RawNodeTest, ForwardingDisabledRefusesWithNotLeader) {
  Config base;
  base.disable_proposal_forwarding = true;
  MiniCluster c(3, base);
  c.elect(1);
  const std::string before = snapshot_of(c.node(2));
  EXPECT_EQ(c.node(2).propose("nope"), ErrorCode::not_leader);
  EXPECT_EQ(snapshot_of(c.node(2)), before);
}

TEST(RawNodeTest, MessageFromAnUnknownNodeIsRefusedAndChangesNothing) {
  MiniCluster c(3);
  c.elect(1);
  const std::string before = snapshot_of(c.node(2));
  // Node 9 claims a higher term: accepted, it would depose our leader.
  Message m{.type = MessageType::app, .to = 2, .from = 9, .term = 5, .log_term = 1, .index = 1};
  EXPECT_EQ(c.node(2).step(m), ErrorCode::unknown_node);
  Message resp{.type = MessageType::app_resp, .to = 1, .from = 9, .term = 1, .index = 1};
  EXPECT_EQ(c.node(1).step(resp), ErrorCode::unknown_node);
  EXPECT_EQ(snapshot_of(c.node(2)), before);
  EXPECT_FALSE(c.node(2).has_ready());
}

TEST(RawNodeTest, LocalMessagesAreRefusedFromOutside) {
  MiniCluster c(3);
  const std::string before = snapshot_of(c.node(1));
  for (MessageType t : {MessageType::hup, MessageType::beat, MessageType::check_quorum,
                        MessageType::unreachable, MessageType::snap_status}) {
    Message m{.type = t, .to = 1, .from = 2, .term = 1};
    EXPECT_EQ(c.node(1).step(m), ErrorCode::local_message) << to_string(t);
  }
  EXPECT_EQ(snapshot_of(c.node(1)), before);
}

TEST(RawNodeTest, MalformedMessagesAreRefusedAndChangeNothing) {
  MiniCluster c(3);
  c.elect(1);
  const std::string before = snapshot_of(c.node(2));
  // Entries with a gap after index 1.
  Message gap{.type = MessageType::app, .to = 2, .from = 1, .term = 1, .log_term = 1, .index = 1};
  gap.entries = {Entry{1, 2, "a"}, Entry{1, 4, "b"}};
  EXPECT_EQ(c.node(2).step(gap), ErrorCode::invalid_message);
  // Entries from a term after the sender's.
  Message future{
      .type = MessageType::app, .to = 2, .from = 1, .term = 1, .log_term = 1, .index = 1};
  future.entries = {Entry{7, 2, "a"}};
  EXPECT_EQ(c.node(2).step(future), ErrorCode::invalid_message);
  // Addressed to someone else; and a heartbeat without a term.
  Message wrong_to{.type = MessageType::heartbeat, .to = 3, .from = 1, .term = 1};
  EXPECT_EQ(c.node(2).step(wrong_to), ErrorCode::invalid_message);
  Message no_term{.type = MessageType::heartbeat, .to = 2, .from = 1};
  EXPECT_EQ(c.node(2).step(no_term), ErrorCode::invalid_message);
  EXPECT_EQ(snapshot_of(c.node(2)), before);
}

TEST(RawNodeTest, ARestartedNodeKeepsItsTermVoteAndLogAndReappliesFromApplied) {
  MiniCluster c(3);
  c.elect(1);
  ASSERT_EQ(c.node(1).propose("a"), ErrorCode::ok);
  ASSERT_EQ(c.node(1).propose("b"), ErrorCode::ok);
  c.stabilize();
  // Node 2 restarts from what it persisted, having applied up to index 2.
  Config cfg = c.node(2).config();
  cfg.applied = 2;
  RawNode restarted(cfg, c.storage(2));
  const Status s = restarted.status();
  EXPECT_EQ(s.hard_state.term, 1u);
  EXPECT_EQ(s.hard_state.vote, 1u);
  EXPECT_EQ(s.hard_state.commit, 3u);
  EXPECT_EQ(s.applied, 2u);
  EXPECT_EQ(s.soft_state.role, StateRole::follower);
  EXPECT_EQ(restarted.log_entries(), c.node(1).log_entries());
  ASSERT_TRUE(restarted.has_ready());
  Ready rd = restarted.ready();
  ASSERT_EQ(rd.committed_entries.size(), 1u);  // only "b" is applied again
  EXPECT_EQ(rd.committed_entries[0].data, "b");
  EXPECT_FALSE(rd.has_hard_state);
  EXPECT_TRUE(rd.entries.empty());
  restarted.advance();
  EXPECT_FALSE(restarted.has_ready());

  cfg.applied = 9;  // beyond the stored commit index
  EXPECT_THROW(RawNode(cfg, c.storage(2)), ConfigError);
}

TEST(RawNodeTest, AQuietClusterHasNothingReadyAndHeartbeatsNeedNoSync) {
  MiniCluster c(3);
  c.elect(1);
  c.stabilize();
  for (NodeId id : {1, 2, 3}) EXPECT_FALSE(c.node(id).has_ready());
  const int heartbeat = c.node(1).config().heartbeat_tick;
  for (int t = 0; t < heartbeat; ++t) c.node(1).tick();
  Ready rd = c.node(1).ready();
  ASSERT_EQ(rd.messages.size(), 2u);
  EXPECT_EQ(rd.messages[0].type, MessageType::heartbeat);
  EXPECT_FALSE(rd.must_sync);
  c.node(1).advance();
}

// The timeouts a node draws, one per term change, by stepping heartbeats of rising terms.
std::vector<int> drawn_timeouts(std::uint64_t seed, NodeId id, int count) {
  MemoryStorage storage;
  Config c;
  c.id = id;
  c.peers = {1, 2, 3};
  c.seed = seed;
  RawNode node(c, storage);
  std::vector<int> out{node.status().randomized_election_timeout};
  const NodeId other = id == 1 ? 2 : 1;
  for (int t = 1; t < count; ++t) {
    Message hb{.type = MessageType::heartbeat, .to = id, .from = other, .term = Term(t)};
    node.step(hb);
    out.push_back(node.status().randomized_election_timeout);
    if (node.has_ready()) {
      Ready rd = node.ready();
      storage.set_hard_state(rd.hard_state);
      node.advance();
    }
  }
  return out;
}

TEST(RawNodeTest, RandomizedTimeoutsAreSeededAndWithinOneToTwoElectionTimeouts) {
  const auto a = drawn_timeouts(7, 1, 200);
  EXPECT_EQ(a, drawn_timeouts(7, 1, 200));  // same seed and id: the same run
  EXPECT_NE(a, drawn_timeouts(8, 1, 200));
  EXPECT_NE(a, drawn_timeouts(7, 2, 200));  // nodes sharing a seed still differ
  const int election = Config{}.election_tick;
  std::set<int> seen(a.begin(), a.end());
  EXPECT_GE(*seen.begin(), election);
  EXPECT_LT(*seen.rbegin(), 2 * election);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(election));  // every value is drawn
}

TEST(RawNodeTest, ReadyMisuseIsLoud) {
  MiniCluster c(1);
  EXPECT_THROW(c.node(1).advance(), std::logic_error);
  c.node(1).campaign();
  Ready rd = c.node(1).ready();
  EXPECT_THROW(c.node(1).ready(), std::logic_error);
}

TEST(RawNodeTest, TheLeaderCountsItsOwnEntryOnlyOnceItIsPersisted) {
  MiniCluster c(1);
  c.node(1).campaign();
  ASSERT_EQ(role_of(c.node(1)), StateRole::leader);
  Ready rd = c.node(1).ready();
  ASSERT_EQ(rd.entries.size(), 1u);  // the empty entry of term 1
  EXPECT_TRUE(rd.must_sync);
  EXPECT_TRUE(rd.committed_entries.empty());  // not durable yet, so not committed
  EXPECT_EQ(c.node(1).status().hard_state.commit, 0u);
  c.storage(1).append(rd.entries);
  c.storage(1).set_hard_state(rd.hard_state);
  c.node(1).advance();
  EXPECT_EQ(c.node(1).status().hard_state.commit, 1u);
  ASSERT_TRUE(c.node(1).has_ready());
  EXPECT_EQ(c.node(1).ready().committed_entries.size(), 1u);
}

TEST(RawNodeTest, VoteLeaseAFollowerThatJustHeardTheLeaderIgnoresAHigherTermVote) {
  MiniCluster c(3, with_profile("etcd-3.4"));
  c.elect(1);
  // Node 2 just got the leader's append, so it is inside its lease.
  Message vote{.type = MessageType::vote, .to = 2, .from = 3, .term = 2, .log_term = 1, .index = 1};
  ASSERT_EQ(c.node(2).step(vote), ErrorCode::ok);
  EXPECT_EQ(term_of(c.node(2)), 1u);                    // neither the term...
  EXPECT_EQ(c.node(2).status().soft_state.leader, 1u);  // ...nor the leader changed
  Ready rd = c.node(2).ready();
  EXPECT_TRUE(rd.messages.empty());  // and no answer at all
  c.node(2).advance();
  EXPECT_TRUE(logged(c,
                     "2 ignored MsgVote from 3 [logterm: 1, index: 1] at term 1: lease is "
                     "not expired (remaining ticks: 10)"));
}

TEST(RawNodeTest, VoteLeaseStopsACutFollowerFromDisruptingAndItsTermClimbs) {
  // The cloudflare-2020 cut with etcd-3.4: 3 loses 1, both still reach 2.
  MiniCluster c(3, with_profile("etcd-3.4"));
  c.elect(1);
  c.cut(1, 3);
  run_ticks(c, 60);
  EXPECT_EQ(role_of(c.node(1)), StateRole::leader);
  EXPECT_EQ(term_of(c.node(1)), 1u);
  EXPECT_EQ(term_of(c.node(2)), 1u);
  EXPECT_GE(term_of(c.node(3)), 3u);  // it campaigned again and again
  // At heal, 3's higher term reaches the leader in an append response: one election.
  c.heal();
  run_ticks(c, 60);
  int leaders = 0;
  for (NodeId id : {1, 2, 3}) leaders += role_of(c.node(id)) == StateRole::leader;
  EXPECT_EQ(leaders, 1);
  EXPECT_GT(term_of(c.node(1)), 1u);
}

TEST(RawNodeTest, WithoutTheLeaseTheSameCutDeposesTheLeader) {
  MiniCluster c(3, with_profile("raft"));
  c.elect(1);
  c.cut(1, 3);
  run_ticks(c, 30);
  EXPECT_GT(term_of(c.node(2)), 1u);  // 2 adopted 3's higher term
}

TEST(RawNodeTest, CheckQuorumLeaderStepsDownBetweenOneAndTwoElectionTimeouts) {
  MiniCluster c(3, with_profile("etcd-3.4"));
  c.elect(1);
  c.cut(1, 2);
  c.cut(1, 3);
  const int election = c.node(1).config().election_tick;
  for (int t = 0; t < election; ++t) c.node(1).tick();
  // At the first check the followers had answered since the election: still leader.
  EXPECT_EQ(role_of(c.node(1)), StateRole::leader);
  for (int t = 0; t < election; ++t) c.node(1).tick();
  EXPECT_EQ(role_of(c.node(1)), StateRole::follower);
  EXPECT_EQ(term_of(c.node(1)), 1u);  // at the same term
  EXPECT_EQ(c.node(1).status().soft_state.leader, kNone);
  EXPECT_TRUE(logged(c, "1 stepped down to follower since quorum is not active"));
}

TEST(RawNodeTest, WithoutCheckQuorumAnIsolatedLeaderStaysLeader) {
  MiniCluster c(3, with_profile("prevote"));
  c.elect(1);
  for (int t = 0; t < 100; ++t) c.node(1).tick();
  EXPECT_EQ(role_of(c.node(1)), StateRole::leader);
}

TEST(RawNodeTest, PreVoteAnIsolatedNodeNeverRaisesItsTerm) {
  MiniCluster c(3, with_profile("prevote"));
  c.elect(1);
  c.cut(1, 3);
  c.cut(2, 3);
  bool was_pre_candidate = false;
  for (int t = 0; t < 100; ++t) {
    c.tick_all(1);
    c.stabilize();
    was_pre_candidate |= role_of(c.node(3)) == StateRole::pre_candidate;
    ASSERT_NE(role_of(c.node(3)), StateRole::candidate) << "tick " << t;
  }
  EXPECT_TRUE(was_pre_candidate);
  EXPECT_EQ(term_of(c.node(3)), 1u);
  EXPECT_EQ(term_of(c.node(1)), 1u);
  EXPECT_TRUE(logged(c, "3 became pre-candidate at term 1"));
}

TEST(RawNodeTest, PreVoteWinsAnElectionWhenTheLeaderIsGone) {
  MiniCluster c(3, with_profile("etcd-3.5"));
  c.elect(1);
  c.cut(1, 2);
  c.cut(1, 3);
  run_ticks(c, 60);
  const bool two = role_of(c.node(2)) == StateRole::leader;
  const bool three = role_of(c.node(3)) == StateRole::leader;
  EXPECT_TRUE(two != three);
  EXPECT_EQ(term_of(c.node(two ? 2 : 3)), 2u);  // exactly one real election
}

TEST(RawNodeTest, APreCandidateRejectedByAQuorumReturnsToFollowerAtItsTerm) {
  MiniCluster c(3, with_profile("prevote"));
  c.elect(1);
  // 1 and 2 get an entry that 3, cut off, lacks.
  c.cut(1, 3);
  c.cut(2, 3);
  ASSERT_EQ(c.node(1).propose("3 misses this"), ErrorCode::ok);
  c.stabilize();
  c.node(3).campaign();
  EXPECT_EQ(role_of(c.node(3)), StateRole::pre_candidate);
  c.heal();
  c.stabilize();
  // Its log is behind: both others reject the pre-vote (at term 1, the pre-candidate's
  // own), and it gives up without ever raising its term or disturbing the leader.
  EXPECT_TRUE(logged(c, "3 has received 1 MsgPreVoteResp votes and 2 vote rejections"));
  EXPECT_EQ(role_of(c.node(3)), StateRole::follower);
  EXPECT_EQ(term_of(c.node(3)), 1u);
  EXPECT_EQ(role_of(c.node(1)), StateRole::leader);
  EXPECT_EQ(term_of(c.node(1)), 1u);
}

TEST(RawNodeTest, ThesisPreVoteIsRefusedWhileHearingALeaderWithoutCheckQuorum) {
  MiniCluster c(3, with_profile("thesis-prevote"));
  c.elect(1);
  Message pre{
      .type = MessageType::pre_vote, .to = 2, .from = 3, .term = 2, .log_term = 1, .index = 1};
  ASSERT_EQ(c.node(2).step(pre), ErrorCode::ok);
  Ready rd = c.node(2).ready();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].type, MessageType::pre_vote_resp);
  EXPECT_TRUE(rd.messages[0].reject);
  EXPECT_EQ(rd.messages[0].term, 1u);
  c.node(2).advance();

  // The plain prevote profile grants the same request (etcd: no leader test in PreVote).
  MiniCluster p(3, with_profile("prevote"));
  p.elect(1);
  ASSERT_EQ(p.node(2).step(pre), ErrorCode::ok);
  Ready granted = p.node(2).ready();
  ASSERT_EQ(granted.messages.size(), 1u);
  EXPECT_FALSE(granted.messages[0].reject);
  EXPECT_EQ(granted.messages[0].term, 2u);  // a grant echoes the requested term
  EXPECT_EQ(term_of(p.node(2)), 1u);        // and changes nothing
}

TEST(RawNodeTest, LowerTermAppendIsAnsweredWithOurTermWhenCheckQuorumIsOn) {
  MiniCluster c(3, with_profile("etcd-3.4"));
  c.elect(1);
  // Node 3 is cut off and campaigns again and again: its term climbs.
  c.cut(1, 3);
  c.cut(2, 3);
  for (int t = 0; t < 100 && term_of(c.node(3)) < 5; ++t) {
    c.node(3).tick();
    c.stabilize();
  }
  ASSERT_EQ(term_of(c.node(3)), 5u);
  // The leader's append of term 1 arrives (as at heal).
  Message app{.type = MessageType::app,
              .to = 3,
              .from = 1,
              .term = 1,
              .log_term = 1,
              .index = 1,
              .commit = 1};
  ASSERT_EQ(c.node(3).step(app), ErrorCode::ok);
  Ready rd = c.node(3).ready();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].type, MessageType::app_resp);
  EXPECT_EQ(rd.messages[0].term, 5u);
  c.node(3).advance();
  EXPECT_TRUE(logged(c, "3 [term 5] received MsgApp with lower term from 1 [term 1]"));
  // Delivered to the leader, it steps down to follower of term 5.
  ASSERT_EQ(c.node(1).step(rd.messages[0]), ErrorCode::ok);
  EXPECT_EQ(role_of(c.node(1)), StateRole::follower);
  EXPECT_EQ(term_of(c.node(1)), 5u);
}

TEST(RawNodeTest, LeaderTransferHandsOverAndRefusesProposalsMeanwhile) {
  MiniCluster c(3);
  c.elect(1);
  c.cut(1, 3);
  ASSERT_EQ(c.node(1).propose("a"), ErrorCode::ok);  // 3 falls behind
  c.stabilize();
  ASSERT_EQ(c.node(1).transfer_leader(3), ErrorCode::ok);
  EXPECT_EQ(c.node(1).status().lead_transferee, 3u);
  EXPECT_EQ(c.node(1).propose("b"), ErrorCode::leader_transferring);
  c.heal();
  c.stabilize();  // 3 catches up, gets MsgTimeoutNow, wins at once
  EXPECT_EQ(role_of(c.node(3)), StateRole::leader);
  EXPECT_EQ(term_of(c.node(3)), 2u);
  EXPECT_EQ(c.node(1).transfer_leader(9), ErrorCode::unknown_node);
}

TEST(RawNodeTest, ATransferCampaignBypassesTheVoteLease) {
  MiniCluster c(3, with_profile("etcd-3.5"));
  c.elect(1);
  // Every follower is inside its lease, yet the transfer target wins at once (no PreVote).
  ASSERT_EQ(c.node(1).transfer_leader(2), ErrorCode::ok);
  c.stabilize();
  EXPECT_EQ(role_of(c.node(2)), StateRole::leader);
  EXPECT_EQ(term_of(c.node(2)), 2u);
  EXPECT_TRUE(logged(c, "2 became candidate at term 2"));
}

TEST(RawNodeTest, AFollowerForwardsATransferRequestToItsLeader) {
  MiniCluster c(3);
  c.elect(1);
  ASSERT_EQ(c.node(3).transfer_leader(3), ErrorCode::ok);
  c.stabilize();
  EXPECT_EQ(role_of(c.node(3)), StateRole::leader);
  MiniCluster lonely(3);
  EXPECT_EQ(lonely.node(2).transfer_leader(3), ErrorCode::no_leader);
}

TEST(RawNodeTest, AStalledTransferIsAbortedAfterAnElectionTimeout) {
  MiniCluster c(3);
  c.elect(1);
  c.cut(1, 3);
  ASSERT_EQ(c.node(1).propose("a"), ErrorCode::ok);
  c.stabilize();
  ASSERT_EQ(c.node(1).transfer_leader(3), ErrorCode::ok);
  for (int t = 0; t < c.node(1).config().election_tick; ++t) c.node(1).tick();
  EXPECT_EQ(c.node(1).status().lead_transferee, kNone);
  EXPECT_EQ(c.node(1).propose("b"), ErrorCode::ok);
}

TEST(RawNodeTest, SafeReadIndexIsReleasedAfterAHeartbeatRound) {
  MiniCluster c(3);
  c.elect(1);
  ASSERT_EQ(c.node(1).read_index("r1"), ErrorCode::ok);
  // Before the heartbeat round completes there is no read state.
  Ready rd = c.node(1).ready();
  EXPECT_TRUE(rd.read_states.empty());
  for (Message& m : rd.messages) {
    EXPECT_EQ(m.type, MessageType::heartbeat);
    EXPECT_EQ(m.context, "r1");
    ASSERT_EQ(c.node(m.to).step(m), ErrorCode::ok);
  }
  c.node(1).advance();
  Ready follower = c.node(2).ready();
  ASSERT_EQ(c.node(1).step(follower.messages.at(0)), ErrorCode::ok);  // one ack + self
  c.node(2).advance();
  Ready released = c.node(1).ready();
  ASSERT_EQ(released.read_states.size(), 1u);
  EXPECT_EQ(released.read_states[0].context, "r1");
  EXPECT_EQ(released.read_states[0].index, 1u);
  c.node(1).advance();
}

TEST(RawNodeTest, ReadIndexFromAFollowerIsForwardedAndAnswered) {
  MiniCluster c(3);
  c.elect(1);
  ASSERT_EQ(c.node(1).propose("x"), ErrorCode::ok);
  c.stabilize();
  ASSERT_EQ(c.node(3).read_index("f"), ErrorCode::ok);
  c.stabilize();
  // The leader confirmed its leadership, then told 3 the index to wait for.
  ASSERT_EQ(c.read_states[3].size(), 1u);
  EXPECT_EQ(c.read_states[3][0].context, "f");
  EXPECT_EQ(c.read_states[3][0].index, 2u);
  EXPECT_TRUE(c.read_states[1].empty());
  EXPECT_EQ(c.node(2).read_index(""), ErrorCode::invalid_message);
  MiniCluster lonely(3);
  EXPECT_EQ(lonely.node(2).read_index("x"), ErrorCode::no_leader);
}

TEST(RawNodeTest, ANewLeaderHoldsReadsUntilItCommitsInItsTerm) {
  MiniCluster c(3);
  c.node(1).campaign();
  c.stabilize(1);  // votes are out, but the empty entry of term 1 is not committed yet
  c.stabilize(1);
  ASSERT_EQ(role_of(c.node(1)), StateRole::leader);
  ASSERT_EQ(c.node(1).status().hard_state.commit, 0u);
  ASSERT_EQ(c.node(1).read_index("early"), ErrorCode::ok);
  c.process_readies();
  EXPECT_TRUE(c.read_states[1].empty());
  c.stabilize();
  ASSERT_EQ(c.read_states[1].size(), 1u);
  EXPECT_EQ(c.read_states[1][0].index, 1u);  // the commit index of its own term
}

TEST(RawNodeTest, LeaseBasedReadsNeedNoHeartbeatRound) {
  Config base = with_profile("etcd-3.4");
  base.read_only = ReadOnlyOption::lease_based;
  MiniCluster c(3, base);
  c.elect(1);
  c.cut(1, 2);
  c.cut(1, 3);  // no acks could arrive, yet the read is served from the lease
  ASSERT_EQ(c.node(1).read_index("lease"), ErrorCode::ok);
  c.process_readies();
  ASSERT_EQ(c.read_states[1].size(), 1u);
  EXPECT_EQ(c.read_states[1][0].index, 1u);
}

TEST(RawNodeTest, ReadIndexQueueIsBounded) {
  Config base;
  base.max_pending_read_index = 2;
  MiniCluster c(3, base);
  c.elect(1);
  c.cut(1, 2);
  c.cut(1, 3);  // no acks can arrive: requests stay pending
  EXPECT_EQ(c.node(1).read_index("a"), ErrorCode::ok);
  EXPECT_EQ(c.node(1).read_index("b"), ErrorCode::ok);
  EXPECT_EQ(c.node(1).read_index("c"), ErrorCode::too_many_pending_reads);
}

TEST(RawNodeTest, UncommittedTailIsBounded) {
  Config base;
  base.max_uncommitted_entries_size = 10;
  MiniCluster c(3, base);
  c.elect(1);
  c.cut(1, 2);
  c.cut(1, 3);  // nothing commits
  EXPECT_EQ(c.node(1).propose("12345678"), ErrorCode::ok);
  EXPECT_EQ(c.node(1).propose("12345"), ErrorCode::proposal_too_large);
  EXPECT_EQ(c.node(1).propose("12"), ErrorCode::ok);
}

TEST(RawNodeTest, AFollowerBehindACompactedLogIsCaughtUpBySnapshot) {
  MiniCluster c(3);
  c.elect(1);
  c.cut(1, 3);
  c.cut(2, 3);
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(c.node(1).propose(std::string("v").append(std::to_string(i))), ErrorCode::ok);
  c.stabilize();
  const Index applied = c.node(1).status().applied;
  ASSERT_EQ(applied, 6u);
  ASSERT_EQ(c.storage(1).create_snapshot(applied, {1, 2, 3}, "state@6"), ErrorCode::ok);
  ASSERT_EQ(c.storage(1).compact(applied), ErrorCode::ok);
  c.heal();
  run_ticks(c, 3);  // heartbeats reveal 3 is behind; its next entries are compacted
  EXPECT_TRUE(logged(c, "1 [firstindex: 7, commit: 6] sent snapshot[index: 6, term: 1] to 3"));
  EXPECT_TRUE(logged(c, "3 [commit: 6] restored snapshot [index: 6, term: 1]"));
  EXPECT_EQ(c.node(3).status().hard_state.commit, 6u);
  EXPECT_EQ(c.node(3).status().applied, 6u);
  c.node(1).report_snapshot(3, true);
  ASSERT_EQ(c.node(1).propose("after"), ErrorCode::ok);
  c.stabilize();
  EXPECT_EQ(c.node(3).status().hard_state.commit, 7u);
  EXPECT_EQ(c.applied[3].back().data, "after");
}

TEST(RawNodeTest, AnUnreachablePeerIsProbedInsteadOfPipelined) {
  MiniCluster c(3);
  c.elect(1);
  ASSERT_EQ(c.node(1).status().progress.at(2).state, ProgressState::replicate);
  c.node(1).report_unreachable(2);
  EXPECT_EQ(c.node(1).status().progress.at(2).state, ProgressState::probe);
  c.node(1).report_unreachable(9);  // unknown: ignored
  ASSERT_EQ(c.node(1).propose("y"), ErrorCode::ok);
  c.stabilize();
  EXPECT_EQ(c.node(1).status().progress.at(2).state, ProgressState::replicate);
}

TEST(RawNodeTest, ReplicationIsBoundedByTheInflightWindow) {
  Config base;
  base.max_inflight_msgs = 2;
  MiniCluster c(3, base);
  c.elect(1);
  c.cut(1, 2);  // appends to 2 are lost, so the window never empties by acks
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(c.node(1).propose(std::string("p").append(std::to_string(i))), ErrorCode::ok);
    c.process_readies();
  }
  const ProgressStatus p2 = c.node(1).status().progress.at(2);
  EXPECT_EQ(p2.state, ProgressState::replicate);
  EXPECT_EQ(p2.inflight_count, 2u);
  EXPECT_EQ(p2.next, 4u);  // only entries 2 and 3 were sent
  c.stabilize();
  EXPECT_EQ(c.node(1).status().hard_state.commit, 6u);  // committed with 3's help
}

TEST(RawNodeTest, FastBacktrackingRepairsADivergentFollower) {
  MiniCluster c(3);
  c.elect(1);
  // 1 appends entries at term 1 that only it has, then is deposed.
  c.cut(1, 2);
  c.cut(1, 3);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.node(1).propose("lost"), ErrorCode::ok);
  c.stabilize();
  c.elect(2);  // term 2, with 3's vote
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.node(2).propose("kept"), ErrorCode::ok);
  c.stabilize();
  c.heal();
  run_ticks(c, 5);
  auto log1 = c.node(1).log_entries();
  auto log2 = c.node(2).log_entries();
  EXPECT_EQ(log1, log2);
  EXPECT_EQ(c.applied[1].back().data, "kept");
}

// The simulator forks runs by cloning every node onto a copy of its disk. The clone is the
// original in every respect (the same Ready for the same inputs, its election timer and
// generator included), and it reads only its own storage: what the original persists
// later does not show in the clone's log.
TEST(RawNodeTest, ACloneOnACopyOfTheStorageGoesOnExactlyLikeTheOriginal) {
  MiniCluster c(3);
  c.elect(1);
  ASSERT_EQ(c.node(1).propose("a"), ErrorCode::ok);
  c.stabilize();
  // Cloned with a Ready outstanding: the bookkeeping of what it handed out is copied too.
  ASSERT_EQ(c.node(1).propose("b"), ErrorCode::ok);
  Ready first = c.node(1).ready();
  MemoryStorage disk_copy = c.storage(1);
  std::unique_ptr<RawNode> clone = c.node(1).clone(disk_copy);
  EXPECT_EQ(snapshot_of(*clone), snapshot_of(c.node(1)));

  auto persist_and_advance = [](RawNode& n, MemoryStorage& st, Ready& rd) {
    if (!rd.entries.empty()) st.append(rd.entries);
    if (rd.has_hard_state) st.set_hard_state(rd.hard_state);
    n.advance();
  };
  persist_and_advance(c.node(1), c.storage(1), first);
  EXPECT_EQ(c.node(1).log_entries().size(), 3u);  // the term's empty entry, a, b
  EXPECT_EQ(clone->log_entries().size(), 3u);     // b is still unstable in the clone
  EXPECT_EQ(disk_copy.last_index(), 2u) << "the original's persist went to its own disk";
  persist_and_advance(*clone, disk_copy, first);
  EXPECT_EQ(disk_copy.last_index(), 3u);

  // The same inputs give the same outputs, ticks (and so the randomized timeouts) included.
  for (int round = 0; round < 30; ++round) {
    for (RawNode* n : {&c.node(1), clone.get()}) {
      n->tick();
      if (round % 3 == 0) {
        ASSERT_EQ(n->propose("p" + std::to_string(round)), ErrorCode::ok);
      }
    }
    ASSERT_EQ(c.node(1).has_ready(), clone->has_ready());
    if (!clone->has_ready()) continue;
    Ready a = c.node(1).ready();
    Ready b = clone->ready();
    EXPECT_EQ(a.entries, b.entries) << "round " << round;
    EXPECT_EQ(a.messages, b.messages) << "round " << round;
    EXPECT_EQ(a.has_hard_state, b.has_hard_state);
    EXPECT_EQ(a.hard_state, b.hard_state);
    persist_and_advance(c.node(1), c.storage(1), a);
    persist_and_advance(*clone, disk_copy, b);
  }
  EXPECT_EQ(snapshot_of(*clone), snapshot_of(c.node(1)));
}

}  // namespace
}  // namespace faultline::raft::unit
