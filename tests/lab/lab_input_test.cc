// What the lab refuses, and that refusing leaves nothing behind: a scenario the chosen system
// cannot run, a profile etcd has no flag for, a missing etcd, leftovers of a crashed run
// (and `faultline lab clean` removing them). Also the role resolution the lab shares with
// the simulator, and a whole faultline run in the no-root loopback mode.
#include <gtest/gtest.h>

#include "lab_harness.h"
#include "sim/roles.h"

namespace faultline::lab {
namespace {

using namespace faultline::lab::testing;

sim::NodeRef ref(sim::NodeRef::Kind kind, int index, std::string text) {
  return sim::NodeRef{kind, index, std::move(text)};
}

TEST(LabRoles, FollowersAreTheNonLeadersInIdOrderAsInTheSimulator) {
  const auto leader = ref(sim::NodeRef::Kind::leader, 0, "leader");
  const auto f0 = ref(sim::NodeRef::Kind::follower, 0, "follower[0]");
  const auto f1 = ref(sim::NodeRef::Kind::follower, 1, "follower[1]");
  EXPECT_EQ(sim::resolve_node_ref(leader, 2, 3).value_or(-1), 2);
  EXPECT_EQ(sim::resolve_node_ref(f0, 2, 3).value_or(-1), 1);
  EXPECT_EQ(sim::resolve_node_ref(f1, 2, 3).value_or(-1), 3);
  EXPECT_EQ(sim::resolve_node_ref(f0, 1, 3).value_or(-1), 2);
  // Without a leader no role resolves; node[k] always does.
  EXPECT_FALSE(sim::resolve_node_ref(f0, std::nullopt, 3));
  EXPECT_EQ(sim::resolve_node_ref(ref(sim::NodeRef::Kind::node, 3, "node[3]"), std::nullopt, 3)
                .value_or(-1),
            3);
  EXPECT_FALSE(sim::resolve_node_ref(ref(sim::NodeRef::Kind::node, 4, "node[4]"), 1, 3));
}

TEST(LabRoles, TheCloudflareCutIsTwoDirectedLinksAndIsolateIsEveryLinkOfOneNode) {
  std::string detail;
  sim::LinkShape cut{sim::LinkShape::Kind::cut,
                     {ref(sim::NodeRef::Kind::leader, 0, "leader"),
                      ref(sim::NodeRef::Kind::follower, 0, "follower[0]")},
                     {}};
  auto links = sim::resolve_link_shapes({cut}, 3, 3, detail);
  EXPECT_EQ(links, (std::vector<sim::IdLink>{{3, 1}, {1, 3}}));
  EXPECT_EQ(detail, "leader=node 3; follower[0]=node 1; ");
  sim::LinkShape isolate{
      sim::LinkShape::Kind::isolate, {ref(sim::NodeRef::Kind::follower, 0, "follower[0]")}, {}};
  links = sim::resolve_link_shapes({isolate}, 1, 3, detail);
  EXPECT_EQ(links, (std::vector<sim::IdLink>{{2, 1}, {1, 2}, {2, 3}, {3, 2}}));
  EXPECT_TRUE(sim::resolve_link_shapes({cut}, std::nullopt, 3, detail).empty());
}

TEST(LabRefuses, EtcdWithAProfileItHasNoFlagFor) {
  CliRun r = run_lab("cloudflare-2020", {"--system", "etcd", "--profile", "raft"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("etcd has no flag for profile `raft`"), std::string::npos) << r.err;
}

TEST(LabRefuses, EtcdInLoopbackMode) {
  CliRun r = run_lab("cloudflare-2020", {"--system", "etcd", "--net", "loopback"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("etcd cannot run in --net loopback"), std::string::npos) << r.err;
}

TEST(LabRefuses, ADelayOnEtcdBecauseThisKernelHasNoNetem) {
  CliRun r = run_lab("delayed-link", {"--system", "etcd"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no netem"), std::string::npos) << r.err;
}

TEST(LabRefuses, AMissingEtcdBinaryAndSaysHowToInstallIt) {
  CliRun r = run_lab("cloudflare-2020", {"--system", "etcd", "--etcd-binary", "/nonexistent/etcd"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("apt-get install etcd-server"), std::string::npos) << r.err;
}

TEST(LabRefuses, LeftoversOfACrashedRunUntilLabCleanRemovesThem) {
  if (!is_root()) GTEST_SKIP() << "needs root";
  // A namespace named as a lab with pid 4190000 (above this machine's pid_max) made
  // it: exactly what a lab killed with SIGKILL leaves.
  const std::string ns = "flt-l2ht0w-n1";
  ASSERT_EQ(std::system(("ip netns add " + ns).c_str()), 0);
  CliRun refused = run_lab("cloudflare-2020", {"--system", "faultline"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("faultline lab clean"), std::string::npos) << refused.err;
  CliRun clean = run_faultline({"lab", "clean"});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_NE(clean.out.find(ns), std::string::npos) << clean.out;
  EXPECT_NE(std::system(("ip netns list | grep -q '^" + ns + "'").c_str()), 0)
      << "lab clean left " << ns;
  std::system(("ip netns del " + ns + " 2>/dev/null").c_str());  // whatever happened above
}

TEST(LabSetup, AFaultlineClusterIsUpAndGoneInUnderThreeSeconds) {
  if (!is_root()) GTEST_SKIP() << "needs root";
  CliRun r = run_faultline({"lab", test_scenario("cloudflare-2020"), "--setup-only"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  double setup = 0, teardown = 0;
  ASSERT_EQ(std::sscanf(r.out.c_str() + r.out.find("healthy cluster"),
                        "healthy cluster %lf s, teardown %lf s", &setup, &teardown),
            2)
      << r.out;
  EXPECT_LT(setup + teardown, 3.0) << r.out;
  EXPECT_EQ(leftovers_of_labs(), "");
}

// No root needed: the same cut through faultline's fault hooks on per-node loopback
// addresses gives etcd-3.4's story.
TEST(LabLoopback, FaultlineCloudflareCutThroughFaultHooks) {
  CliRun r = run_lab("cloudflare-2020",
                     {"--system", "faultline", "--profile", "etcd-3.4", "--net", "loopback"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.summary.is_object()) << r.out;
  EXPECT_EQ(elections(r.summary, "during"), 0);
  EXPECT_GT(term_rise(r.summary, "during"), 0u);
  EXPECT_NEAR(elections(r.summary, "after"), 1, 1);
}

}  // namespace
}  // namespace faultline::lab
