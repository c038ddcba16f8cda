// `faultline serve` flags: a good set resolves the same on every node; each kind of bad
// flag stops the start-up with a message naming the flag, and all problems are reported
// at once.
#include "server/serve_config.h"

#include <gtest/gtest.h>

namespace faultline::server {
namespace {

ServeFlags three_node_flags(const std::string& name, int index) {
  ServeFlags f;
  f.name = name;
  f.initial_cluster =
      "n1=http://127.0.0.1:12380,n2=http://127.0.0.1:22380,n3=http://127.0.0.1:32380";
  const std::string peer = "http://127.0.0.1:" + std::to_string(index * 10000 + 2380);
  f.listen_peer_urls = peer;
  f.initial_advertise_peer_urls = peer;
  f.listen_client_urls = "http://127.0.0.1:" + std::to_string(index * 10000 + 2379);
  f.advertise_client_urls = f.listen_client_urls;
  f.initial_cluster_token = "test-token";
  return f;
}

std::string error_of(const ServeFlags& f) {
  try {
    resolve(f);
  } catch (const ServeConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ServeConfig, EveryNodeDerivesTheSameIdsWhateverTheOrderOfInitialCluster) {
  const ServeConfig a = resolve(three_node_flags("n1", 1));
  ServeFlags reordered = three_node_flags("n2", 2);
  reordered.initial_cluster =
      "n3=http://127.0.0.1:32380,n1=http://127.0.0.1:12380,n2=http://127.0.0.1:22380";
  const ServeConfig b = resolve(reordered);
  ASSERT_EQ(a.members.size(), 3u);
  EXPECT_EQ(a.cluster_id, b.cluster_id);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a.members[i].id, b.members[i].id);
    EXPECT_EQ(a.members[i].name, b.members[i].name);
  }
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(a.self().name, "n1");
  EXPECT_EQ(b.self().name, "n2");
  // Another token is another cluster: other ids.
  ServeFlags other = three_node_flags("n1", 1);
  other.initial_cluster_token = "other";
  EXPECT_NE(resolve(other).id, a.id);
}

TEST(ServeConfig, DefaultsFollowEtcd) {
  const ServeConfig c = resolve(three_node_flags("n1", 1));
  EXPECT_EQ(c.heartbeat_interval_ms, 100);
  EXPECT_EQ(c.election_tick, 10);
  EXPECT_EQ(c.request_timeout_ms(), 7000);
  EXPECT_EQ(c.data_dir, "n1.etcd");
  EXPECT_EQ(c.profile, "etcd-3.4");
  EXPECT_TRUE(c.switches.check_quorum);
  EXPECT_FALSE(c.switches.pre_vote);
  EXPECT_EQ(c.peer_source_address, "127.0.0.1");
  EXPECT_EQ(c.max_request_bytes, 1536u * 1024u);
}

TEST(ServeConfig, PreVoteTurnsThePreVoteSwitchOnTopOfTheProfile) {
  ServeFlags f = three_node_flags("n1", 1);
  f.pre_vote = true;
  EXPECT_TRUE(resolve(f).switches.pre_vote);
  EXPECT_TRUE(resolve(f).switches.check_quorum);
  f.profile = "etcd-3.5";
  f.pre_vote = false;
  EXPECT_FALSE(resolve(f).switches.pre_vote);
}

TEST(ServeConfig, AnUnknownProfileStopsTheStartUpNamingTheKnownOnes) {
  ServeFlags f = three_node_flags("n1", 1);
  f.profile = "etcd-9";
  const std::string error = error_of(f);
  EXPECT_NE(error.find("unknown profile \"etcd-9\""), std::string::npos) << error;
  EXPECT_NE(error.find("etcd-3.5"), std::string::npos) << error;
}

TEST(ServeConfig, MalformedUrlsAreRefused) {
  for (const char* bad :
       {"127.0.0.1:2379", "http://127.0.0.1", "http://127.0.0.1:99999", "https://127.0.0.1:2379",
        "http://example.com:2379", "http://127.0.0.1:2379/v3"}) {
    ServeFlags f = three_node_flags("n1", 1);
    f.listen_client_urls = bad;
    const std::string error = error_of(f);
    EXPECT_NE(error.find("--listen-client-urls"), std::string::npos) << bad << ": " << error;
  }
  ServeFlags f = three_node_flags("n1", 1);
  f.initial_cluster = "n1=http://127.0.0.1:12380,n2";
  EXPECT_NE(error_of(f).find("\"n2\" is not NAME=URL"), std::string::npos) << error_of(f);
}

TEST(ServeConfig, ANameMissingFromInitialClusterIsRefused) {
  ServeFlags f = three_node_flags("n1", 1);
  f.name = "n4";
  const std::string error = error_of(f);
  EXPECT_NE(error.find("--name \"n4\" is not in --initial-cluster (members: n1, n2, n3)"),
            std::string::npos)
      << error;
}

TEST(ServeConfig, AdvertisedPeerUrlsMustMatchInitialCluster) {
  ServeFlags f = three_node_flags("n1", 1);
  f.initial_advertise_peer_urls = "http://127.0.0.1:9999";
  EXPECT_NE(error_of(f).find("does not match"), std::string::npos) << error_of(f);
}

TEST(ServeConfig, TimingFollowsEtcdsRules) {
  ServeFlags f = three_node_flags("n1", 1);
  f.election_timeout_ms = 400;  // < 5 heartbeats of 100 ms
  EXPECT_NE(error_of(f).find("at least 5 times"), std::string::npos) << error_of(f);
  f.heartbeat_interval_ms = 0;
  EXPECT_NE(error_of(f).find("--heartbeat-interval"), std::string::npos);
}

TEST(ServeConfig, SnapshotCatchUpEntriesDefaultToEtcdsFixed5000AndAreBounded) {
  ServeFlags f = three_node_flags("n1", 1);
  EXPECT_EQ(resolve(f).snapshot_catch_up_entries, 5000u);
  f.snapshot_catch_up_entries = 10;
  EXPECT_EQ(resolve(f).snapshot_catch_up_entries, 10u);
  f.snapshot_catch_up_entries = 0;  // keep nothing: a follower one entry behind gets a snapshot
  EXPECT_EQ(resolve(f).snapshot_catch_up_entries, 0u);
  f.snapshot_catch_up_entries = 1'000'000'001;
  EXPECT_NE(error_of(f).find("--snapshot-catch-up-entries must be at most 1000000000"),
            std::string::npos)
      << error_of(f);
}

TEST(ServeConfig, EveryProblemIsReportedAtOnce) {
  ServeFlags f = three_node_flags("n1", 1);
  f.profile = "nope";
  f.initial_cluster_state = "maybe";
  f.listen_peer_urls = "tcp://x";
  const std::string error = error_of(f);
  EXPECT_NE(error.find("--profile"), std::string::npos) << error;
  EXPECT_NE(error.find("--initial-cluster-state"), std::string::npos) << error;
  EXPECT_NE(error.find("--listen-peer-urls"), std::string::npos) << error;
}

}  // namespace
}  // namespace faultline::server
