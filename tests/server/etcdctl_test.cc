// Debian's etcdctl (3.4), unchanged, against three `faultline serve` processes on
// loopback: put, get (--prefix, --limit, -w json), del, txn, endpoint status (-w table,
// every endpoint), endpoint health, member list. Labelled slow: it starts real processes.
// If etcdctl is missing it installs Debian's etcd-client (needs root), as scripts/setup.sh
// does.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "local_cluster.h"
#include "support/ports.h"

namespace faultline::server::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct CommandResult {
  int status = -1;
  std::string out;
};

// Runs a shell command with stdin from `input`, capturing stdout and stderr.
CommandResult run(const std::string& command, const std::string& input = "") {
  const std::filesystem::path in_file =
      std::filesystem::temp_directory_path() / ("faultline-etcdctl-in-" + std::to_string(getpid()));
  {
    std::FILE* f = std::fopen(in_file.c_str(), "w");
    std::fwrite(input.data(), 1, input.size(), f);
    std::fclose(f);
  }
  CommandResult r;
  std::FILE* p = popen((command + " < " + in_file.string() + " 2>&1").c_str(), "r");
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = pclose(p);
  std::filesystem::remove(in_file);
  return r;
}

// A `faultline serve` child process, killed (SIGKILL, as the lab does) and reaped at the end.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      // Dies with the test process even if the test crashes before its destructors run.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

class Etcdctl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (run("command -v etcdctl").status != 0) {
      run("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-client");
    }
  }

  void SetUp() override {
    ASSERT_EQ(run("command -v etcdctl").status, 0)
        << "etcdctl is missing and could not be installed";
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "faultline-etcdctl-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::string cluster;
    std::vector<std::string> peers;
    auto ports = faultline::testing::free_ports(6);
    for (std::size_t i = 0; i < 3; ++i) {
      peers.push_back("http://127.0.0.1:" + std::to_string(ports[2 * i]));
      clients_.push_back("127.0.0.1:" + std::to_string(ports[2 * i + 1]));
      cluster += (i ? "," : "") + std::string("n") + std::to_string(i + 1) + "=" + peers.back();
    }
    for (int i = 0; i < 3; ++i) {
      children_.push_back(std::make_unique<Child>(
          std::vector<std::string>{FAULTLINE_BINARY,
                                   "serve",
                                   "--name",
                                   "n" + std::to_string(i + 1),
                                   "--data-dir",
                                   (dir_ / ("n" + std::to_string(i + 1))).string(),
                                   "--initial-cluster",
                                   cluster,
                                   "--initial-cluster-token",
                                   "etcdctl-test",
                                   "--listen-peer-urls",
                                   peers[i],
                                   "--initial-advertise-peer-urls",
                                   peers[i],
                                   "--listen-client-urls",
                                   "http://" + clients_[i],
                                   "--advertise-client-urls",
                                   "http://" + clients_[i],
                                   "--heartbeat-interval",
                                   "50",
                                   "--election-timeout",
                                   "500",
                                   "--log-level",
                                   "warn"}));
      ASSERT_TRUE(children_.back()->started());
    }
    endpoints_ = clients_[0] + "," + clients_[1] + "," + clients_[2];
    // Ready when every node reports the same leader.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    bool ready = false;
    while (!ready && std::chrono::steady_clock::now() < deadline) {
      std::set<std::uint64_t> leaders;
      for (const std::string& c : clients_) {
        auto stub = etcdserverpb::Maintenance::NewStub(
            grpc::CreateChannel(c, grpc::InsecureChannelCredentials()));
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + 500ms);
        etcdserverpb::StatusResponse st;
        leaders.insert(stub->Status(&ctx, {}, &st).ok() ? st.leader() : 0);
      }
      ready = leaders.size() == 1 && *leaders.begin() != 0;
      if (!ready) std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(ready) << "the faultline cluster did not elect a leader";
  }

  void TearDown() override {
    children_.clear();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  CommandResult etcdctl(const std::string& args, const std::string& input = "",
                        const std::string& endpoints = "") {
    return run("ETCDCTL_API=3 etcdctl --command-timeout=10s --endpoints=" +
                   (endpoints.empty() ? endpoints_ : endpoints) + " " + args,
               input);
  }

  std::filesystem::path dir_;
  std::vector<std::string> clients_;
  std::string endpoints_;
  std::vector<std::unique_ptr<Child>> children_;
};

TEST_F(Etcdctl, PutGetDeleteAndPrefixes) {
  CommandResult r = etcdctl("put foo bar");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "OK\n");
  r = etcdctl("get foo");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "foo\nbar\n");

  for (const char* k : {"dir/a", "dir/b", "dir/c"})
    ASSERT_EQ(etcdctl(std::string("put ") + k + " v").status, 0);
  r = etcdctl("get dir/ --prefix --keys-only");
  EXPECT_EQ(r.out, "dir/a\n\ndir/b\n\ndir/c\n\n") << r.out;
  r = etcdctl("get dir/ --prefix --limit 2");
  EXPECT_EQ(r.out, "dir/a\nv\ndir/b\nv\n") << r.out;
  r = etcdctl("get dir/ --prefix --limit 1 -w json");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(json::parse(r.out)["more"], true) << r.out;
  EXPECT_EQ(json::parse(r.out)["count"], 3) << r.out;

  r = etcdctl("get foo -w json");
  ASSERT_EQ(r.status, 0) << r.out;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["kvs"][0]["key"], "Zm9v");    // base64("foo")
  EXPECT_EQ(j["kvs"][0]["value"], "YmFy");  // base64("bar")
  EXPECT_EQ(j["kvs"][0]["version"], 1);
  EXPECT_GT(j["header"]["revision"].get<std::int64_t>(), 1);

  r = etcdctl("del dir/ --prefix");
  EXPECT_EQ(r.out, "3\n") << r.out;
  r = etcdctl("get dir/ --prefix");
  EXPECT_EQ(r.out, "") << r.out;
}

TEST_F(Etcdctl, TxnTakesTheBranchItsComparesChoose) {
  ASSERT_EQ(etcdctl("put color blue").status, 0);
  CommandResult r =
      etcdctl("txn", "value(\"color\") = \"blue\"\n\nput color green\n\nput color red\n\n");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "SUCCESS\n\nOK\n") << r.out;
  r = etcdctl("txn", "value(\"color\") = \"blue\"\n\nput color green\n\nget color\n\n");
  EXPECT_EQ(r.out, "FAILURE\n\ncolor\ngreen\n") << r.out;
  EXPECT_EQ(etcdctl("get color --print-value-only").out, "green\n");
}

TEST_F(Etcdctl, EndpointStatusHealthAndMemberList) {
  CommandResult r = etcdctl("endpoint status -w json");
  ASSERT_EQ(r.status, 0) << r.out;
  const json statuses = json::parse(r.out);
  ASSERT_EQ(statuses.size(), 3u);
  int leaders = 0;
  for (const json& s : statuses) {
    const auto& st = s["Status"];
    leaders += st["leader"] == st["header"]["member_id"] ? 1 : 0;
    EXPECT_GT(st["raftTerm"].get<std::uint64_t>(), 0u);
    EXPECT_GT(st["raftIndex"].get<std::uint64_t>(), 0u);
  }
  EXPECT_EQ(leaders, 1) << r.out;

  r = etcdctl("endpoint status -w table");
  ASSERT_EQ(r.status, 0) << r.out;
  for (const std::string& c : clients_) EXPECT_NE(r.out.find(c), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("RAFT TERM"), std::string::npos) << r.out;

  r = etcdctl("endpoint health");
  ASSERT_EQ(r.status, 0) << r.out;
  for (const std::string& c : clients_) {
    EXPECT_NE(r.out.find(c + " is healthy"), std::string::npos) << r.out;
  }

  r = etcdctl("member list");
  ASSERT_EQ(r.status, 0) << r.out;
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(r.out.find(", started, n" + std::to_string(i + 1) + ", "), std::string::npos)
        << r.out;
  }
  // `endpoint status --cluster` finds the endpoints through MemberList's client URLs.
  r = etcdctl("endpoint status --cluster -w json", "", clients_[0]);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(json::parse(r.out).size(), 3u) << r.out;
}

TEST_F(Etcdctl, BadRequestsGetEtcdsMessages) {
  CommandResult r = etcdctl("put '' value");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("key is not provided"), std::string::npos) << r.out;
  r = etcdctl("watch foo");
  EXPECT_NE(r.status, 0);
  r = etcdctl("lease grant 10");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("faultline"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace faultline::server::testing
