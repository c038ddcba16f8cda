// The metrics listener: /metrics and /health as etcd serves them, and the fault hooks set
// at run time through POST /faultline/faults: bad input is refused whole; a one-way cut
// from the leader makes the cut follower's term climb while the leader stays (etcd-3.4's
// vote lease); a delay slows exactly the requests that must cross the delayed link.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "local_cluster.h"
#include "server/raft_node.h"

namespace faultline::server::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::uint16_t metrics_port(LocalCluster& c, int i) { return c.server(i).metrics_ports().at(0); }

int other_than(LocalCluster& c, std::initializer_list<int> taken) {
  for (int i = 0; i < c.size(); ++i) {
    if (std::find(taken.begin(), taken.end(), i) == taken.end()) return i;
  }
  return -1;
}

TEST(Admin, MetricsAndHealthReadLikeEtcds) {
  LocalCluster c(3);
  c.start_all();
  const auto leader = c.wait_for_leader(10s);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(put(*c.kv(*leader), "m", "1").ok());

  std::string body;
  ASSERT_EQ(http(metrics_port(c, *leader), "GET", "/metrics", "", &body), 200);
  EXPECT_NE(body.find("etcd_server_has_leader 1\n"), std::string::npos) << body;
  EXPECT_NE(body.find("etcd_server_is_leader 1\n"), std::string::npos);
  EXPECT_NE(body.find("# TYPE etcd_disk_wal_fsync_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(body.find("grpc_method=\"Put\",grpc_code=\"OK\"} 1"), std::string::npos) << body;
  EXPECT_NE(body.find("etcd_network_peer_sent_bytes_total{To="), std::string::npos);
  EXPECT_NE(body.find("faultline_raft_term "), std::string::npos);

  ASSERT_EQ(http(metrics_port(c, *leader), "GET", "/health", "", &body), 200);
  EXPECT_EQ(json::parse(body)["health"], "true");
  EXPECT_EQ(http(metrics_port(c, *leader), "GET", "/nowhere", "", &body), 404);
  EXPECT_EQ(http(metrics_port(c, *leader), "POST", "/metrics", "", &body), 405);
}

TEST(Admin, BadFaultRulesAreRefusedWholeAndChangeNothing) {
  LocalCluster c(3);
  c.start_all();
  const std::uint16_t port = metrics_port(c, 0);
  std::string body;
  for (const char* bad : {
           "{not json",
           R"({"peer": "n9", "drop": true})",
           R"({"peer": "n1", "drop": true})",  // itself
           R"({"peer": "n2", "drop_probability": 2})",
           R"({"peer": "n2", "delay_ms": -5})",
           R"({"peer": "n2", "delay_ms": 60001})",
           R"({"peer": "n2", "delay_ms": 1e30})",  // beyond int64 once in microseconds
           R"({"peer": "n2", "direction": "sideways", "drop": true})",
           R"({"peer": "n2", "dorp": true})",
           R"([{"peer": "n2", "drop": true}, {"peer": "nobody", "drop": true}])",
       }) {
    EXPECT_EQ(http(port, "POST", "/faultline/faults", bad, &body), 400) << bad;
    EXPECT_TRUE(json::parse(body).contains("error")) << body;
  }
  ASSERT_EQ(http(port, "GET", "/faultline/faults", "", &body), 200);
  EXPECT_TRUE(json::parse(body)["rules"].empty()) << body;

  ASSERT_EQ(
      http(port, "POST", "/faultline/faults",
           R"({"peer": "n2", "direction": "outbound", "delay_ms": 25, "drop_probability": 0.1})",
           &body),
      200);
  json rules = json::parse(body)["rules"];
  ASSERT_EQ(rules.size(), 1u) << body;
  EXPECT_EQ(rules[0]["peer"], "n2");
  EXPECT_EQ(rules[0]["direction"], "outbound");
  EXPECT_EQ(rules[0]["delay_ms"], 25.0);
  ASSERT_EQ(http(port, "DELETE", "/faultline/faults", "", &body), 200);
  EXPECT_TRUE(json::parse(body)["rules"].empty());
}

TEST(Admin, AOneWayCutFromTheLeaderInflatesTheCutFollowersTermButKeepsTheLeader) {
  LocalCluster c(3, [](ServeFlags& f) { f.profile = "etcd-3.4"; });
  c.start_all();
  const auto leader = c.wait_for_leader(10s);
  ASSERT_TRUE(leader);
  const int cut = other_than(c, {*leader});
  const raft::Term term = c.server(*leader).node().status().term;

  std::string body;
  const std::string rule =
      R"({"peer": ")" + c.flags(cut).name + R"(", "direction": "outbound", "drop": true})";
  ASSERT_EQ(http(metrics_port(c, *leader), "POST", "/faultline/faults", rule, &body), 200) << body;

  // The cut follower hears no heartbeat, campaigns, and its term climbs; the third node and
  // the leader heard from a leader within the election timeout and ignore it (the lease).
  const auto deadline = std::chrono::steady_clock::now() + 8s;
  while (c.server(cut).node().status().term < term + 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GE(c.server(cut).node().status().term, term + 2) << "the cut follower never campaigned";
  EXPECT_EQ(c.server(*leader).node().status().role, raft::StateRole::leader);
  EXPECT_EQ(c.server(*leader).node().status().term, term) << "the lease should protect the leader";
  EXPECT_TRUE(put(*c.kv(*leader), "during", "cut").ok());

  // Heal: the cut node's higher term reaches the leader and deposes it; one election follows
  // and the cluster serves again.
  ASSERT_EQ(http(metrics_port(c, *leader), "DELETE", "/faultline/faults", "", &body), 200);
  const auto after = c.wait_for_leader(15s);
  ASSERT_TRUE(after);
  EXPECT_GT(c.server(*after).node().status().term, term);
  EXPECT_TRUE(put(*c.kv(*after), "after", "heal").ok());
}

TEST(Admin, ADelayedLinkSlowsOnlyTheRequestsThatCrossIt) {
  LocalCluster c(3);
  c.start_all();
  const auto leader = c.wait_for_leader(10s);
  ASSERT_TRUE(leader);
  const int slow = other_than(c, {*leader});
  const int fast = other_than(c, {*leader, slow});
  ASSERT_TRUE(put(*c.kv(slow), "warm", "up").ok());

  std::string body;
  const std::string rule =
      R"({"peer": ")" + c.flags(slow).name + R"(", "direction": "outbound", "delay_ms": 400})";
  ASSERT_EQ(http(metrics_port(c, *leader), "POST", "/faultline/faults", rule, &body), 200);

  auto median_put = [&](int node) {
    std::vector<std::chrono::steady_clock::duration> took;
    auto kv = c.kv(node);
    for (int k = 0; k < 5; ++k) {
      const auto start = std::chrono::steady_clock::now();
      EXPECT_TRUE(put(*kv, "k", std::to_string(k)).ok());
      took.push_back(std::chrono::steady_clock::now() - start);
    }
    std::sort(took.begin(), took.end());
    return took[2];
  };
  // A write through the delayed follower is answered when that follower applies it, which
  // needs the leader's (delayed) word that it committed.
  EXPECT_GE(median_put(slow), 390ms);
  // A write through the other follower commits with it and is not held back.
  EXPECT_LT(median_put(fast), 300ms);
}

}  // namespace
}  // namespace faultline::server::testing
