// Debian's etcd as a lab system: its command line, reading its real Raft state, and a
// real 3-node etcd cluster in lab namespaces (root only).
#include "lab/etcd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "lab/http_get.h"
#include "lab/network.h"
#include "lab/process.h"

namespace faultline::lab {
namespace {

TEST(EtcdCommand, NamesEveryMemberWithOneTokenAndPreVoteOnlyWhenAsked) {
  std::vector<EtcdNode> cluster = {{"n1", "127.0.10.1", 2379, 2380, "/d/1"},
                                   {"n2", "127.0.10.2", 2379, 2380, "/d/2"}};
  EtcdSettings s{.token = "tok", .heartbeat_ms = 100, .election_ms = 500};
  auto argv = etcd_command(cluster[1], cluster, s);
  auto arg = [&](const std::string& flag) {
    for (std::size_t i = 0; i + 1 < argv.size(); ++i)
      if (argv[i] == flag) return argv[i + 1];
    return std::string("<missing>");
  };
  EXPECT_EQ(arg("--initial-cluster"), "n1=http://127.0.10.1:2380,n2=http://127.0.10.2:2380");
  EXPECT_EQ(arg("--listen-client-urls"), "http://127.0.10.2:2379");
  EXPECT_EQ(arg("--initial-cluster-token"), "tok");
  EXPECT_EQ(arg("--election-timeout"), "500");
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--pre-vote"), 0);
  s.pre_vote = true;
  argv = etcd_command(cluster[1], cluster, s);
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--pre-vote"), 1);
}

TEST(EtcdDebugVars, ReadsTheCurrentTermStateAndLeader) {
  const std::string body = R"({"cmdline": ["etcd"], "raft.status": {"id":"5af107d8ec44d441",
    "term":7,"vote":"5af107d8ec44d441","commit":12,"lead":"ec4d6e90a178b0e9",
    "raftState":"StatePreCandidate","applied":11,"progress":{},"leadtransferee":"0"}})";
  auto s = parse_debug_vars(body);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, 0x5af107d8ec44d441u);
  EXPECT_EQ(s->term, 7u);
  EXPECT_EQ(s->leader, 0xec4d6e90a178b0e9u);
  EXPECT_EQ(s->role, record::Role::pre_candidate);
  EXPECT_EQ(s->commit, 12u);
  EXPECT_EQ(s->applied, 11u);
}

TEST(EtcdDebugVars, RefusesWhatIsNotEtcdsFormat) {
  EXPECT_FALSE(parse_debug_vars("not json"));
  EXPECT_FALSE(parse_debug_vars(R"({"memstats": {}})"));
  EXPECT_FALSE(parse_debug_vars(
      R"({"raft.status": {"id":"zz","term":1,"lead":"0","raftState":"StateFollower"}})"));
  EXPECT_FALSE(parse_debug_vars(
      R"({"raft.status": {"id":"1","term":1,"lead":"0","raftState":"StateBoss"}})"));
}

// A real etcd cluster in lab namespaces elects a leader that every member agrees on.
TEST(EtcdInLab, AThreeNodeClusterElectsOneLeaderEveryMemberSees) {
  if (!have_network_privileges()) GTEST_SKIP() << "needs root for namespaces";
  if (!etcd_version("etcd")) GTEST_SKIP() << "etcd is not installed (apt-get install etcd-server)";
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("faultline-etcd-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto t0 = std::chrono::steady_clock::now();
  LabNetwork net = LabNetwork::create({.run_id = "tetcd", .nodes = 3});
  std::vector<EtcdNode> cluster;
  for (int i = 1; i <= 3; ++i) {
    cluster.push_back({"n" + std::to_string(i), net.node_address(i), 2379, 2380,
                       (dir / ("n" + std::to_string(i))).string()});
  }
  std::vector<NodeProcess> procs;
  for (const auto& n : cluster) {
    procs.push_back(NodeProcess::start(net.node_namespace(std::stoi(n.name.substr(1))),
                                       etcd_command(n, cluster, {.token = "t1"}),
                                       (dir / (n.name + ".log")).string()));
  }
  // Observe from the client namespace, as the lab does.
  auto leaders =
      std::async(std::launch::async, [&]() {
        int fd = ::open(("/run/netns/" + net.client_namespace()).c_str(), O_RDONLY | O_CLOEXEC);
        EXPECT_EQ(::setns(fd, CLONE_NEWNET), 0);
        ::close(fd);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < deadline) {
          std::vector<std::uint64_t> seen;
          for (const auto& n : cluster) {
            auto r =
                http_get(n.address, n.client_port, "/debug/vars", std::chrono::milliseconds(300));
            if (!r) break;
            auto s = parse_debug_vars(r->body);
            if (!s || s->leader == 0) break;
            seen.push_back(s->leader);
          }
          if (seen.size() == cluster.size()) return seen;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return std::vector<std::uint64_t>{};
      }).get();
  auto setup = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& p : procs) p.kill();
  net.teardown();
  fs::remove_all(dir);
  ASSERT_EQ(leaders.size(), 3u) << "no leader agreed on within 20 s";
  EXPECT_EQ(leaders[0], leaders[1]);
  EXPECT_EQ(leaders[1], leaders[2]);
  std::printf("etcd lab: namespaces + 3 members + agreed leader in %.2f s\n", setup);
}

}  // namespace
}  // namespace faultline::lab
