// The lab's network, for real: namespaces on a bridge, and nftables cuts that are
// directional and silent. Needs root (label `root`); skips itself otherwise.
#include "lab/network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include "lab/process.h"

namespace faultline::lab {
namespace {

// Runs `fn` on a thread that has entered namespace `ns` (setns is per thread).
template <typename F>
auto in_namespace(const std::string& ns, F fn) {
  return std::async(std::launch::async, [ns, fn]() {
    int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::setns(fd, CLONE_NEWNET), 0);
    ::close(fd);
    return fn();
  });
}

// Sends one UDP datagram from namespace `from_ns` to `to_addr`:9 and reports whether a
// socket bound in `to_ns` received it within 300 ms.
bool udp_reaches(const LabNetwork& net, int from, int to) {
  auto receiver = in_namespace(net.node_namespace(to), [&net, to]() {
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(9999);
    ::inet_pton(AF_INET, net.node_address(to).c_str(), &a.sin_addr);
    EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{0, 600000};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[16];
    ssize_t n = ::recv(s, buf, sizeof buf, 0);
    ::close(s);
    return n > 0;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  in_namespace(net.node_namespace(from), [&net, to]() {
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(9999);
    ::inet_pton(AF_INET, net.node_address(to).c_str(), &a.sin_addr);
    ssize_t n = ::sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::close(s);
    return n;
  }).get();
  return receiver.get();
}

class LabNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_network_privileges()) GTEST_SKIP() << "needs root for namespaces";
  }
};

TEST_F(LabNetworkTest, ACutIsOneWayAndSilentAndHealRestoresIt) {
  LabNetwork net = LabNetwork::create({.run_id = "tnet1", .nodes = 3});
  EXPECT_TRUE(udp_reaches(net, 1, 3));
  EXPECT_TRUE(udp_reaches(net, 3, 1));

  std::string rules = net.set_links({{.from = 1, .to = 3, .loss = 1.0}});
  EXPECT_NE(rules.find("iifname \"n1\" oifname \"n3\" drop"), std::string::npos);
  EXPECT_FALSE(udp_reaches(net, 1, 3)) << "1 -> 3 is cut";
  EXPECT_TRUE(udp_reaches(net, 3, 1)) << "the other direction still works";
  EXPECT_TRUE(udp_reaches(net, 1, 2)) << "the bystander is untouched";

  net.set_links({});
  EXPECT_TRUE(udp_reaches(net, 1, 3)) << "heal restores the link";
  net.teardown();
  for (const auto& ns : leftover_namespaces())
    EXPECT_EQ(ns.rfind("flt-tnet1-", 0), std::string::npos);
}

TEST_F(LabNetworkTest, BadLinksAreRefusedAndChangeNothing) {
  LabNetwork net = LabNetwork::create({.run_id = "tnet2", .nodes = 3});
  net.set_links({{.from = 1, .to = 2, .loss = 1.0}});
  EXPECT_THROW(net.set_links({{.from = 1, .to = 4, .loss = 1.0}}), LabError);
  EXPECT_THROW(net.set_links({{.from = 2, .to = 2, .loss = 1.0}}), LabError);
  EXPECT_THROW(net.set_links({{.from = 1, .to = 3, .loss = 1.5}}), LabError);
  ASSERT_EQ(net.links().size(), 1u);
  EXPECT_EQ(net.links()[0], (LinkRule{1, 2, 1.0}));
}

TEST_F(LabNetworkTest, LeftoversOfACrashedRunAreFoundAndRemoved) {
  std::string prefix;
  {
    LabNetwork net = LabNetwork::create({.run_id = "tnet3", .nodes = 2});
    prefix = net.prefix();
    // A node process that would keep its namespace alive.
    NodeProcess p = NodeProcess::start(net.node_namespace(1), {"sleep", "30"}, "/dev/null");
    ASSERT_TRUE(p.running());
    net.abandon();  // what a crash leaves: namespaces and a live process in one
    std::vector<std::string> found;
    for (const auto& ns : leftover_namespaces())
      if (ns.rfind(prefix, 0) == 0) found.push_back(ns);
    EXPECT_EQ(found.size(), 4u) << "switch, two nodes, client";
    auto actions = remove_leftovers(found);
    EXPECT_FALSE(p.running()) << "the process in a leftover namespace was killed";
    bool killed = false;
    for (const auto& a : actions) killed |= a.find("killed process") != std::string::npos;
    EXPECT_TRUE(killed);
  }
  for (const auto& ns : leftover_namespaces()) EXPECT_EQ(ns.rfind(prefix, 0), std::string::npos);
}

TEST(LabNetworkPlan, InvalidPlansAreRefusedBeforeAnythingIsMade) {
  EXPECT_THROW(LabNetwork::create({.run_id = "Bad!", .nodes = 3}), LabError);
  EXPECT_THROW(LabNetwork::create({.run_id = "ok", .nodes = 0}), LabError);
  EXPECT_THROW(LabNetwork::create({.run_id = "ok", .nodes = 10}), LabError);
}

}  // namespace
}  // namespace faultline::lab
