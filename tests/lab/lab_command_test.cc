// The lab's node command lines and what the lab refuses before it starts anything, without
// starting anything (no root, no etcd, no processes): a scenario's [snapshot] table reaches
// both systems' flags, and etcd, which has no flag for its catch-up entries, is refused a
// scenario that asks for another number than its own 5000.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "lab/cluster.h"
#include "lab/etcd.h"
#include "lab/runner.h"
#include "sim/scenario.h"

namespace faultline::lab {
namespace {

// The value after `flag`; "<missing>" if the flag is not there, "<twice>" if it repeats.
std::string flag_value(const std::vector<std::string>& argv, const std::string& flag) {
  if (std::count(argv.begin(), argv.end(), flag) > 1) return "<twice>";
  for (std::size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag) return argv[i + 1];
  return "<missing>";
}

ClusterPlan plan_of(System system) {
  ClusterPlan p;
  p.system = system;
  p.nodes = 3;
  p.run_id = "t1";
  p.work_dir = "/tmp/lab-command-test";
  p.faultline_binary = "/usr/bin/faultline";
  p.snapshot_count = 100;
  p.snapshot_catch_up_entries = 10;
  return p;
}

const std::vector<std::string> kHosts = {"127.0.10.1", "127.0.10.2", "127.0.10.3"};

TEST(LabCommand, FaultlineNodesGetTheScenariosSnapshotCountAndCatchUpEntries) {
  const auto argv = node_command(plan_of(System::faultline), 2, kHosts);
  ASSERT_GE(argv.size(), 2u);
  EXPECT_EQ(argv[0], "/usr/bin/faultline");
  EXPECT_EQ(argv[1], "serve");
  EXPECT_EQ(flag_value(argv, "--name"), "n2");
  EXPECT_EQ(flag_value(argv, "--listen-client-urls"), "http://127.0.10.2:2379");
  EXPECT_EQ(flag_value(argv, "--snapshot-count"), "100");
  EXPECT_EQ(flag_value(argv, "--snapshot-catch-up-entries"), "10");
  // etcd's defaults when the scenario has no [snapshot] table.
  ClusterPlan defaults = plan_of(System::faultline);
  defaults.snapshot_count = ClusterPlan{}.snapshot_count;
  defaults.snapshot_catch_up_entries = ClusterPlan{}.snapshot_catch_up_entries;
  const auto plain = node_command(defaults, 1, kHosts);
  EXPECT_EQ(flag_value(plain, "--snapshot-count"), "100000");
  EXPECT_EQ(flag_value(plain, "--snapshot-catch-up-entries"), "5000");
}

TEST(LabCommand, EtcdNodesGetTheScenariosSnapshotCountAndNoFlagEtcdLacks) {
  ClusterPlan p = plan_of(System::etcd);
  p.snapshot_catch_up_entries = kEtcdCatchUpEntries;
  const auto argv = node_command(p, 3, kHosts);
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv[0], "etcd");
  EXPECT_EQ(flag_value(argv, "--name"), "n3");
  EXPECT_EQ(flag_value(argv, "--initial-cluster"),
            "n1=http://127.0.10.1:2380,n2=http://127.0.10.2:2380,n3=http://127.0.10.3:2380");
  EXPECT_EQ(flag_value(argv, "--snapshot-count"), "100");
  EXPECT_EQ(flag_value(argv, "--snapshot-catch-up-entries"), "<missing>");
}

TEST(LabCommand, ANodeOutsideThePlanIsRefused) {
  EXPECT_THROW(node_command(plan_of(System::faultline), 4, kHosts), LabError);
  EXPECT_THROW(node_command(plan_of(System::faultline), 1, {"127.0.10.1"}), LabError);
}

// A three-node scenario with no faults and `catch_up_entries` kept behind a snapshot.
LabOptions options_for(System system, std::int64_t catch_up_entries) {
  LabOptions o;
  o.scenario.name = "snapshot";
  o.scenario.nodes = 3;
  o.scenario.snapshot.count = 100;
  o.scenario.snapshot.catch_up_entries = catch_up_entries;
  o.system = system;
  o.etcd_binary = "/nonexistent/etcd";  // a check that gets that far says so, and runs nothing
  return o;
}

TEST(LabCheck, RefusesEtcdAScenarioThatKeepsOtherThanItsFixed5000CatchUpEntries) {
  LabOptions o = options_for(System::etcd, 10);
  const auto problem = check_lab(o);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("[snapshot] catch_up_entries = 10, and etcd 3.4 has no flag for that"),
            std::string::npos)
      << *problem;
  EXPECT_NE(problem->find("--system faultline"), std::string::npos) << *problem;
}

TEST(LabCheck, EtcdWithItsOwn5000CatchUpEntriesAndFaultlineWithAnyNumberPassThatCheck) {
  LabOptions etcd = options_for(System::etcd, 5000);
  const auto etcd_problem = check_lab(etcd);
  ASSERT_TRUE(etcd_problem.has_value()) << "the missing etcd binary must still be found";
  EXPECT_EQ(etcd_problem->find("catch_up_entries"), std::string::npos) << *etcd_problem;
  EXPECT_NE(etcd_problem->find("cannot run etcd"), std::string::npos) << *etcd_problem;

  LabOptions faultline = options_for(System::faultline, 10);
  faultline.net = NetMode::loopback;  // no root needed: nothing else to refuse
  const auto faultline_problem = check_lab(faultline);
  EXPECT_FALSE(faultline_problem.has_value()) << *faultline_problem;
}

}  // namespace
}  // namespace faultline::lab
