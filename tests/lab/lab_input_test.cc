// What the lab refuses, and that refusing leaves nothing behind: a scenario the chosen system
// cannot run, a profile etcd has no flag for, a missing etcd, leftovers of a crashed run
// (and `faultline lab clean` removing them). Also the role resolution the lab shares with
// the simulator, and whole faultline runs in the no-root loopback mode: the cloudflare cut,
// a leader crash and restart, a node that aborts on its own (a finding), and a follower
// that comes back too far behind the scenario's snapshots and catches up by one (and then
// holds what the others hold). And the end-of-run store check on real stores that differ.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <map>
#include <optional>
#include <thread>

#include "client/kv_client.h"
#include "lab/cluster.h"
#include "lab/http_get.h"
#include "lab/store_check.h"
#include "lab_harness.h"
#include "sim/roles.h"

namespace faultline::lab {
namespace {

using namespace faultline::lab::testing;

// Removes a run's work folder when the run kept it (a node exited on its own, or the
// stores differed).
struct RemoveKept {
  std::string dir;
  ~RemoveKept() {
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

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

TEST(LabRefuses, EtcdAScenarioKeepingOtherThanItsFixed5000CatchUpEntries) {
  CliRun r = run_lab("snapshot-catch-up", {"--system", "etcd"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("[snapshot] catch_up_entries = 10, and etcd 3.4 has no flag for that"),
            std::string::npos)
      << r.err;
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

// What a node's exit message quotes: how it ended, and the last non-empty lines of its
// log, read from the log's end only, a fragment at the window's start left out.
TEST(LabNodeExit, ItsMessageSaysHowTheNodeEndedAndQuotesTheEndOfItsLog) {
  EXPECT_EQ(describe_exit(1 << 8), "exit code 1");
  EXPECT_EQ(describe_exit(SIGABRT), "killed by signal 6, " + std::string(::strsignal(SIGABRT)));

  const auto log = std::filesystem::temp_directory_path() /
                   ("faultline-log-tail-test-" + std::to_string(::getpid()) + ".log");
  std::ofstream(log) << "one\ntwo\n\n   \nthree\r\nfour\nfive\nsix\n\n";
  EXPECT_EQ(log_tail(log.string(), 5),
            (std::vector<std::string>{"two", "three", "four", "five", "six"}));
  EXPECT_EQ(log_tail(log.string(), 2), (std::vector<std::string>{"five", "six"}));
  // A log of 100 KiB: only its end is read; a very long line is cut.
  std::ofstream(log) << std::string(100 * 1024, 'x') << "\nlast line " << std::string(500, 'y');
  const auto tail = log_tail(log.string(), 5);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail.front().rfind("last line yyy", 0), 0u) << tail.front();
  EXPECT_LT(tail.front().size(), 400u);
  std::filesystem::remove(log);
  EXPECT_TRUE(log_tail(log.string(), 5).empty());
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
  EXPECT_EQ(r.summary["invariant_violations"], 0) << r.summary["violation"];
  // At the end every node holds every key of the workload, the same.
  EXPECT_EQ(r.summary["store_check"].get<std::string>().rfind(
                "3 nodes hold the same 10 keys at applied index ", 0),
            0u)
      << r.summary["store_check"];
  EXPECT_EQ(r.summary["stores_differ"], false);
}

// The scenario's own crash is no finding: the lab killed the leader and started it again,
// so no node exited on its own, the run exits 0 and the record has no failed check.
TEST(LabLoopback, ALeaderTheScenarioCrashesAndRestartsIsNoNodeExit) {
  CliRun r = run_lab("leader-crash",
                     {"--system", "faultline", "--profile", "etcd-3.4", "--net", "loopback"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.summary.is_object()) << r.out;
  EXPECT_EQ(elections(r.summary, "during"), 1);
  EXPECT_EQ(r.summary["invariant_violations"], 0) << r.summary["violation"];
  EXPECT_EQ(r.summary["violation"], "");
  EXPECT_EQ(r.err.find("exited on its own"), std::string::npos) << r.err;
}

// A paused node cannot answer its fault hooks: links are set without waiting on it (each
// call's deadline would make every later fault of the timeline late), and it gets its
// rules, whatever they became meanwhile, when it resumes. A loss is set once, at the sender.
TEST(LabLoopback, APausedNodeHoldsNoFaultUpAndGetsItsRulesWhenItResumes) {
  ClusterPlan plan;
  plan.net = NetMode::loopback;
  plan.run_id = "t" + std::to_string(::getpid() % 100000);
  plan.subnet = "127.0." + std::to_string(20 + (::getpid() + 7) % 200);
  plan.work_dir = std::filesystem::temp_directory_path() / ("faultline-lab-" + plan.run_id);
  plan.faultline_binary = FAULTLINE_BIN;
  auto cluster = LabCluster::create(plan);
  auto rules_of = [&](int node) -> nlohmann::json {
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto r = http_get(plan.subnet + "." + std::to_string(node), 2381, "/faultline/faults",
                        std::chrono::milliseconds(200));
      if (r && r->status == 200) return nlohmann::json::parse(r->body)["rules"];
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return nullptr;
  };
  for (int k = 1; k <= 3; ++k) ASSERT_TRUE(rules_of(k).is_array()) << "node " << k << " is not up";

  // n2 holds rules (a cut with n1), then sleeps while they change: healed, and a lossy
  // link from n2 to n3 instead.
  cluster->apply_links({{{1, 2}, {1.0, {}}}, {{2, 1}, {1.0, {}}}});
  ASSERT_EQ(rules_of(2).size(), 2u);
  cluster->pause(2);
  const auto start = std::chrono::steady_clock::now();
  const std::string detail = cluster->apply_links({{{2, 3}, {0.3, {}}}});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500)) << detail;
  EXPECT_NE(detail.find("n2: paused, its rules are sent when it resumes"), std::string::npos)
      << detail;
  EXPECT_EQ(rules_of(1).size(), 0u);
  EXPECT_EQ(rules_of(3).size(), 0u) << "a loss is the sender's alone";
  // Resumed, n2 has exactly the rules of now: its cut with n1 is gone, the loss is there.
  cluster->resume(2);
  const nlohmann::json n2 = rules_of(2);
  ASSERT_EQ(n2.size(), 1u) << n2;
  EXPECT_EQ(n2[0]["peer"], "n3");
  EXPECT_EQ(n2[0]["direction"], "outbound");
  EXPECT_DOUBLE_EQ(n2[0]["drop_probability"].get<double>(), 0.3);
  cluster->teardown();
  std::filesystem::remove_all(plan.work_dir);
}

std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A folder of the test's own, removed with everything in it at the end of the test.
struct TestDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("faultline-node-exit-test-" + std::to_string(::getpid()));
  TestDir() {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TestDir() { std::filesystem::remove_all(path); }
};

// The faultline "binary" of the node-exit test: every node execs the real faultline, and
// node 3's gets SIGABRT as soon as `trigger` exists. The watcher that sends it is a child
// of node 3's process (the shell that execs it): it dies with that process
// (--pdeathsig) and checks it is still that process's child before it signals, so it can
// never signal anything else; it gives up after 60 s. No core file (ulimit -c 0).
std::string node3_aborts_wrapper(const std::filesystem::path& trigger) {
  return "#!/bin/sh\n"
         "ulimit -c 0\n"
         "case \" $* \" in\n"
         "*\" --name n3 \"*)\n"
         "  echo 'wrapper: n3 will get SIGABRT from the test' >&2\n"
         "  setpriv --pdeathsig KILL sh -c '\n"
         "    i=0\n"
         "    while [ ! -e \"$1\" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done\n"
         "    if [ -e \"$1\" ] && [ \"$PPID\" = \"$2\" ]; then\n"
         "      echo \"wrapper: sending SIGABRT to n3\" >&2\n"
         "      kill -ABRT \"$2\"\n"
         "    fi' watcher " +
         sh_quote(trigger.string()) +
         " $$ &\n"
         "  ;;\n"
         "esac\n"
         "exec " +
         sh_quote(FAULTLINE_BIN) + " \"$@\"\n";
}

// A node that dies by itself is what the lab is for: node 3 aborts two seconds into a run
// with no faults; the run goes on without it, and the result names the node, the time, the
// signal and the end of its log; the record counts one failed safety check, and the data
// and logs are kept.
TEST(LabLoopback, ANodeThatAbortsOnItsOwnIsReportedOnceAsAFailedSafetyCheck) {
  TestDir dir;
  const auto trigger = dir.path / "abort-n3";
  const auto wrapper = dir.path / "faultline-wrapper.sh";
  const auto scenario = dir.path / "node-exit.toml";
  {
    std::ofstream(wrapper) << node3_aborts_wrapper(trigger);
    std::ofstream(scenario) << "name = \"node-exit\"\n"
                               "description = \"Lab test: no faults; node 3 aborts by itself.\"\n"
                               "nodes = 3\n"
                               "duration = \"8s\"\n"
                               "[timing]\n"
                               "heartbeat = \"100ms\"\n"
                               "election_timeout = \"500ms\"\n"
                               "[workload]\n"
                               "rate = 50\n"
                               "value_size = 10\n"
                               "keys = 10\n";
  }
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);

  LabOptions o;
  o.scenario = sim::parse_scenario_file(scenario);
  o.system = System::faultline;
  o.net = NetMode::loopback;
  o.faultline_binary = wrapper.string();
  bool triggered = false;
  o.on_progress = [&](double done_s) {
    if (done_s >= 2.0 && !triggered) triggered = static_cast<bool>(std::ofstream(trigger));
  };
  LabResult r = lab::run_lab(o);
  const RemoveKept remove_kept{r.work_dir};

  ASSERT_TRUE(triggered) << "the run never reached 2 s";
  std::string all;
  for (const auto& m : r.node_exits) all += m + "\n";
  ASSERT_EQ(r.node_exits.size(), 1u) << all;
  const std::string& exit = r.node_exits.front();
  double at_s = 0;
  ASSERT_EQ(std::sscanf(exit.c_str(), "node 3 exited on its own at %lf s", &at_s), 1) << exit;
  EXPECT_GE(at_s, 2.0) << exit;
  EXPECT_LT(at_s, 8.0) << exit;
  EXPECT_NE(exit.find("(killed by signal 6, " + std::string(::strsignal(SIGABRT)) + ")"),
            std::string::npos)
      << exit;
  EXPECT_NE(exit.find("its log ends:"), std::string::npos) << exit;
  EXPECT_NE(exit.find("wrapper: sending SIGABRT to n3"), std::string::npos) << exit;

  EXPECT_EQ(r.record.meta.invariant_violations, 1u);
  EXPECT_EQ(r.record.meta.violation, exit);
  const analysis::Summary summary = analysis::analyze(r.record);
  EXPECT_EQ(summary.invariant_violations, 1u);
  EXPECT_EQ(summary.violation, exit);

  // The run went on without it: node 3's last sample finds nobody there.
  std::optional<record::NodeSample> last_of_n3;
  for (const auto& sample : r.record.samples)
    if (sample.node == 3) last_of_n3 = sample;
  ASSERT_TRUE(last_of_n3.has_value());
  EXPECT_EQ(last_of_n3->role, record::Role::down);
  EXPECT_GT(last_of_n3->time_us, 6'000'000);

  // Its data and log stay for a look.
  ASSERT_FALSE(r.work_dir.empty());
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(r.work_dir) / "n3.log"));
}

// The number after `name ` in the Prometheus text `metrics`; -1 if it is not there.
double metric(const std::string& metrics, const std::string& name) {
  const auto at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + name.size() + 2));
}

// The scenario's [snapshot] table reaches `faultline serve`: follower[0] is down from 2 s to
// 6 s while the cluster takes 200 requests/s, with a snapshot every 100 applied entries and
// 10 entries kept behind it. At restart the leader no longer holds the ~800 entries it
// missed and sends its snapshot (with etcd's defaults, 5000 kept, it would send entries).
// The run passes: no node exits, the history (with reads) is linearizable; and the
// restarted node's faultline_snapshots_installed_total counts the snapshot.
TEST(LabLoopback, AFollowerDownFarBehindTheSnapshotsCatchesUpByTheLeadersSnapshot) {
  LabOptions o;
  o.scenario = sim::parse_scenario_file(test_scenario("snapshot-catch-up"));
  ASSERT_EQ(o.scenario.snapshot.catch_up_entries, 10);
  o.system = System::faultline;
  o.net = NetMode::loopback;
  o.faultline_binary = FAULTLINE_BIN;
  // Each node's counter, read from its /metrics about once a second and at the end of the
  // timeline (run_lab has stopped the nodes when it returns); the highest reading is kept.
  const std::string subnet = loopback_subnet();
  std::map<int, double> installed;
  o.on_progress = [&](double) {
    for (int k = 1; k <= o.scenario.nodes; ++k) {
      auto m = http_get(subnet + "." + std::to_string(k), 2381, "/metrics",
                        std::chrono::milliseconds(300));
      if (m && m->status == 200)
        installed[k] =
            std::max(installed[k], metric(m->body, "faultline_snapshots_installed_total"));
    }
  };
  LabResult r = run_lab(o);
  const RemoveKept remove_kept{r.work_dir};

  std::string exits;
  for (const auto& m : r.node_exits) exits += m + "\n";
  EXPECT_TRUE(r.node_exits.empty()) << exits;
  const analysis::Summary summary = analysis::analyze(r.record);
  EXPECT_EQ(summary.invariant_violations, 0u) << summary.violation;
  EXPECT_EQ(summary.linearizability, "valid") << summary.linearizability_detail;

  // The scenario's crash and restart happened, to the same node.
  int crashed = 0, restarted = 0;
  for (const auto& f : r.record.faults) {
    if (f.kind == record::FaultKind::crash && f.nodes.size() == 1)
      crashed = static_cast<int>(f.nodes.front());
    if (f.kind == record::FaultKind::restart && f.nodes.size() == 1)
      restarted = static_cast<int>(f.nodes.front());
  }
  ASSERT_NE(crashed, 0) << "no crash in the record";
  ASSERT_EQ(restarted, crashed);

  std::string counts;
  for (const auto& [node, n] : installed)
    counts += " n" + std::to_string(node) + "=" + std::to_string(static_cast<long long>(n));
  EXPECT_GE(installed[crashed], 1) << "node " << crashed << " installed no snapshot;" << counts;
  // What the snapshot restored is what the others hold: every key, value, revision and
  // version, and the store's revision.
  EXPECT_EQ(r.store_check.rfind("3 nodes hold the same 10 keys at applied index ", 0), 0u)
      << r.store_check;
  EXPECT_FALSE(r.stores_differ);
}

// A fault naming the leader, due while an election is under way just before the run's end
// (the scenario crashed the leader 0.15 s before: its sample says so within 0.1 s), waits
// for a leader only until the end and is refused there; the heal due after it is refused
// too. Nothing is done to the cluster, or written to the record, after the run's end.
TEST(LabLoopback, NoFaultIsDoneAfterTheRunsEndWhileItWaitsForALeader) {
  LabOptions o;
  o.scenario = sim::parse_scenario_text(R"(
name = "late-fault"
nodes = 3
duration = "3s"
[timing]
heartbeat = "100ms"
election_timeout = "500ms"
[workload]
rate = 100
[[fault]]
at = "2.75s"
crash = "leader"
[[fault]]
at = "2.9s"
name = "late"
isolate = "leader"
[[fault]]
at = "2.95s"
heal = "late"
)",
                                        "late-fault.toml");
  o.system = System::faultline;
  o.net = NetMode::loopback;
  o.faultline_binary = FAULTLINE_BIN;
  LabResult r = run_lab(o);
  const RemoveKept remove_kept{r.work_dir};

  ASSERT_EQ(r.record.faults.size(), 3u);
  EXPECT_EQ(r.record.faults[0].kind, record::FaultKind::crash);
  EXPECT_EQ(r.record.faults[0].detail.rfind("refused", 0), std::string::npos);
  // The followers last heard the leader at most 0.1 s before the crash and time out at
  // least 0.4 s after that (the first of at least 5 ticks of 100 ms): no leader before
  // 3.05 s, so none by the end.
  EXPECT_EQ(r.record.faults[1].detail.rfind("refused: no node was leader before the run ended", 0),
            0u)
      << r.record.faults[1].detail;
  EXPECT_EQ(r.record.faults[2].detail.rfind("refused: the run ended", 0), 0u)
      << r.record.faults[2].detail;
  for (const auto& f : r.record.faults)
    EXPECT_LE(f.time_us, o.scenario.duration_us + 50'000) << f.label << ": " << f.detail;
}

// A cluster of one node, on loopback, for the store check's test below.
std::unique_ptr<LabCluster> one_node_cluster(int which) {
  ClusterPlan plan;
  plan.net = NetMode::loopback;
  plan.nodes = 1;
  plan.run_id = "s" + std::to_string(which) + std::to_string(::getpid() % 10000);
  plan.subnet = "127.0." + std::to_string(20 + (::getpid() + 13 + which) % 200);
  plan.work_dir = std::filesystem::temp_directory_path() / ("faultline-lab-" + plan.run_id);
  plan.faultline_binary = FAULTLINE_BIN;
  std::filesystem::remove_all(plan.work_dir);
  return LabCluster::create(plan);
}

// No Raft cluster lets one node's store differ while its applied index agrees, so two
// one-node clusters stand in for two nodes of one: real `faultline serve` stores, read
// through their own endpoints. The same writes to both: the check finds them equal. Then
// one write each, with another value (the same number of writes, so the applied indexes
// still agree): the check names the key, with both nodes' sides.
TEST(LabStoreCheck, TwoRealStoresThatDifferAreFoundAndNamedThroughTheirOwnEndpoints) {
  std::vector<std::unique_ptr<LabCluster>> clusters;
  clusters.push_back(one_node_cluster(1));
  clusters.push_back(one_node_cluster(2));
  struct RemoveAll {
    std::vector<std::unique_ptr<LabCluster>>& clusters;
    ~RemoveAll() {
      for (auto& c : clusters) {
        c->teardown();
        std::filesystem::remove_all(c->plan().work_dir);
      }
    }
  } remove_all{clusters};
  for (auto& c : clusters) {
    bool leads = false;
    for (int attempt = 0; attempt < 200 && !leads; ++attempt) {
      leads = c->sample(1, std::chrono::milliseconds(80)).role == record::Role::leader;
      if (!leads) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(leads) << c->plan().subnet << ".1 never led";
  }
  StoreCheckPlan plan;
  for (int i = 0; i < 2; ++i)
    plan.nodes.emplace_back(i + 1, clusters[static_cast<std::size_t>(i)]->client_endpoints()[0]);
  plan.fresh_applied = [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    AppliedReadings r;
    for (int i = 0; i < 2; ++i) {
      const auto s =
          clusters[static_cast<std::size_t>(i)]->sample(1, std::chrono::milliseconds(80));
      r[i + 1] = s.role == record::Role::down ? std::nullopt : std::optional(s.applied);
    }
    return r;
  };
  client::AsyncKvClient writer(
      {.endpoints = {plan.nodes[0].second, plan.nodes[1].second}, .connections = 2});
  auto put = [&](std::size_t node, const std::string& key, const std::string& value) {
    const client::KvReply r =
        writer.put_blocking(writer.connection_for(node, 0), key, value, std::chrono::seconds(2));
    ASSERT_EQ(r.outcome, record::Outcome::ok) << r.error;
  };
  for (std::size_t node : {0u, 1u}) {
    put(node, "k1", "same");
    put(node, "k2", "same");
  }
  const StoreCheck equal = check_stores(plan);
  EXPECT_EQ(equal.outcome, StoreCheck::Outcome::equal) << equal.sentence;
  EXPECT_EQ(equal.sentence.rfind("2 nodes hold the same 2 keys at applied index ", 0), 0u)
      << equal.sentence;
  EXPECT_NE(equal.sentence.find(" (revision 3)"), std::string::npos) << equal.sentence;

  put(0, "k2", "from node 1");
  put(1, "k2", "from node 2");
  const StoreCheck differ = check_stores(plan);
  EXPECT_EQ(differ.outcome, StoreCheck::Outcome::differ) << differ.sentence;
  EXPECT_EQ(differ.sentence.rfind("the nodes' stores differ at applied index ", 0), 0u)
      << differ.sentence;
  const std::string sides =
      ": node 2 holds k2 = \"from node 2\" (create_revision 3, mod_revision 4, version 2), node "
      "1 holds k2 = \"from node 1\" (create_revision 3, mod_revision 4, version 2)";
  EXPECT_NE(differ.sentence.find(sides), std::string::npos) << differ.sentence;
}

}  // namespace
}  // namespace faultline::lab
