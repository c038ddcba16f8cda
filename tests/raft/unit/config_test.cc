// Config validation and the profiles: every invalid combination is refused with a
// sentence that names what to change; every shipped profile is valid.
#include "raft/config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "raft/profiles.h"
#include "raft/raw_node.h"
#include "raft/storage.h"

namespace faultline::raft {
namespace {

Config valid_config() {
  Config c;
  c.id = 1;
  c.peers = {1, 2, 3};
  return c;
}

// The single problem validate() reports for `c` (the test fails if there is not exactly one).
std::string only_problem(const Config& c) {
  auto problems = validate(c);
  EXPECT_EQ(problems.size(), 1u);
  return problems.empty() ? std::string() : problems.front();
}

TEST(ConfigTest, DefaultsWithIdAndPeersAreValid) {
  EXPECT_TRUE(validate(valid_config()).empty());
  // No peers is allowed at validation time: a restarted node reads them from storage.
  Config c = valid_config();
  c.peers.clear();
  EXPECT_TRUE(validate(c).empty());
}

TEST(ConfigTest, EachInvalidSettingIsNamed) {
  struct Case {
    const char* what;
    void (*change)(Config&);
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"id 0",
       [](Config& c) {
         c.id = 0;
         c.peers = {};
       },
       "id must not be 0"},
      {"id not in peers",
       [](Config& c) {
         c.peers = {2, 3, 4};
       },
       "is not among the peers"},
      {"duplicate peer",
       [](Config& c) {
         c.peers = {1, 2, 2};
       },
       "peer 2 is listed more than once"},
      {"peer 0",
       [](Config& c) {
         c.peers = {1, 0};
       },
       "peers must not contain 0"},
      {"election == heartbeat", [](Config& c) { c.election_tick = 1; },
       "election_tick (1) must be greater than heartbeat_tick (1)"},
      {"heartbeat 0", [](Config& c) { c.heartbeat_tick = 0; },
       "heartbeat_tick (0) must be at least 1"},
      {"no inflight", [](Config& c) { c.max_inflight_msgs = 0; },
       "max_inflight_msgs (0) must be at least 1"},
      {"zero message size", [](Config& c) { c.max_size_per_msg = 0; },
       "max_size_per_msg must be greater than 0"},
      {"inflight bytes below a message", [](Config& c) { c.max_inflight_bytes = 10; },
       "max_inflight_bytes (10) must be 0 (no limit) or at least max_size_per_msg"},
      {"thesis prevote without prevote",
       [](Config& c) { c.switches.prevote_requires_no_leader = true; },
       "prevote_requires_no_leader needs pre_vote"},
      {"lease reads without check quorum",
       [](Config& c) { c.read_only = ReadOnlyOption::lease_based; },
       "read_only = lease_based needs check_quorum"},
      {"no read index room", [](Config& c) { c.max_pending_read_index = 0; },
       "max_pending_read_index must be at least 1"},
  };
  for (const Case& k : cases) {
    Config c = valid_config();
    k.change(c);
    EXPECT_NE(only_problem(c).find(k.expected), std::string::npos)
        << k.what << ": got \"" << only_problem(c) << "\"";
  }
}

TEST(ConfigTest, EveryProblemIsReportedAtOnce) {
  Config c;  // id 0
  c.heartbeat_tick = 0;
  c.max_inflight_msgs = 0;
  c.switches.prevote_requires_no_leader = true;
  EXPECT_EQ(validate(c).size(), 4u);
}

TEST(ConfigTest, LeaseReadsAreValidWithCheckQuorum) {
  Config c = valid_config();
  c.read_only = ReadOnlyOption::lease_based;
  c.switches.check_quorum = true;
  EXPECT_TRUE(validate(c).empty());
}

TEST(ConfigTest, RawNodeRefusesAnInvalidConfigWithEveryProblem) {
  MemoryStorage storage;
  Config c = valid_config();
  c.election_tick = 1;
  c.max_size_per_msg = 0;
  try {
    RawNode node(c, storage);
    FAIL() << "an invalid config was accepted";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("election_tick"), std::string::npos) << what;
    EXPECT_NE(what.find("max_size_per_msg"), std::string::npos) << what;
  }
}

TEST(ConfigTest, RawNodeNeedsVotersFromPeersOrStorage) {
  MemoryStorage storage;
  Config c = valid_config();
  c.peers.clear();
  EXPECT_THROW(RawNode(c, storage), ConfigError);
  storage.set_voters({1, 2, 3});
  EXPECT_NO_THROW(RawNode(c, storage));
  storage.set_voters({2, 3});  // this node is not a voter of what storage holds
  EXPECT_THROW(RawNode(c, storage), ConfigError);
}

TEST(ProfilesTest, TheFiveProfilesOfTheDesignInTableOrder) {
  auto all = profiles();
  ASSERT_EQ(all.size(), 5u);
  const char* names[] = {"raft", "etcd-3.4", "etcd-3.5", "prevote", "thesis-prevote"};
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].name, names[i]);
  EXPECT_EQ(profile_names(), "raft, etcd-3.4, etcd-3.5, prevote, thesis-prevote");
}

TEST(ProfilesTest, SwitchesMatchTheDesignTable) {
  auto sw = [](std::string_view name) { return find_profile(name)->switches; };
  // {pre_vote, check_quorum, vote_lease, prevote_requires_no_leader}
  auto expect = [](Switches s, bool pv, bool cq, bool vl, bool thesis) {
    EXPECT_EQ(s.pre_vote, pv);
    EXPECT_EQ(s.check_quorum, cq);
    EXPECT_EQ(s.vote_lease, vl);
    EXPECT_EQ(s.prevote_requires_no_leader, thesis);
  };
  expect(sw("raft"), false, false, false, false);
  expect(sw("etcd-3.4"), false, true, true, false);
  expect(sw("etcd-3.5"), true, true, true, false);
  expect(sw("prevote"), true, false, false, false);
  expect(sw("thesis-prevote"), true, false, false, true);
}

TEST(ProfilesTest, EveryProfileIsDescribedAndValid) {
  for (const Profile& p : profiles()) {
    EXPECT_FALSE(p.models.empty()) << p.name;
    EXPECT_FALSE(p.description.empty()) << p.name;
    Config c = valid_config();
    c.switches = p.switches;
    EXPECT_TRUE(validate(c).empty()) << p.name;
  }
}

TEST(ProfilesTest, UnknownNameIsNull) {
  EXPECT_EQ(find_profile("etcd-3.6"), nullptr);
  EXPECT_EQ(find_profile(""), nullptr);
}

}  // namespace
}  // namespace faultline::raft
