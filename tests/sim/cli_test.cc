// `faultline sim` as a user meets it: a bad scenario is refused with file, line and problem
// and exit code 2 before anything runs; an unknown profile too; a good run exits 0 and
// prints a table or one JSON object per run. `faultline explore` likewise refuses bad options
// with exit code 2 and prints coverage and the grid. `faultline bench` refuses a duration
// that is not one before it connects anywhere.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `env`: variables to set for the command only, e.g. "TMPDIR=/x".
Outcome faultline(const std::string& args, const std::string& env = "") {
  auto dir =
      std::filesystem::temp_directory_path() / ("faultline-sim-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string cmd = env + " " + std::string(FAULTLINE_BIN) + " " + args + " >" +
                    (dir / "out").string() + " 2>" + (dir / "err").string();
  int status = std::system(cmd.c_str());
  Outcome o;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.out = slurp(dir / "out");
  o.err = slurp(dir / "err");
  std::filesystem::remove_all(dir);
  return o;
}

std::filesystem::path write_scenario(const std::string& name, const std::string& text) {
  auto p =
      std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(p) << text;
  return p;
}

TEST(SimCommand, ABadScenarioIsRefusedWithFileLineAndProblemAndExitCode2) {
  auto p = write_scenario("bad",
                          "name = \"bad\"\nnodes = 3\n[[fault]]\nat = \"20s\"\n"
                          "cut = [\"leader\", \"follower[5]\"]\n");
  auto out_dir =
      std::filesystem::temp_directory_path() / ("sim-cli-out-" + std::to_string(::getpid()));
  auto o = faultline("sim " + p.string() + " --out " + out_dir.string());
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find(p.string() + ":5: `follower[5]` cannot exist"), std::string::npos) << o.err;
  EXPECT_TRUE(o.out.empty()) << "nothing runs: " << o.out;
  EXPECT_FALSE(std::filesystem::exists(out_dir)) << "nothing is written";
  std::filesystem::remove(p);
}

TEST(SimCommand, AnUnknownProfileOrScenarioIsRefusedWithExitCode2) {
  auto o = faultline("sim cloudflare-2020 --profile etcd-9");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("unknown profile `etcd-9`"), std::string::npos) << o.err;
  auto o2 = faultline("sim no-such-scenario");
  EXPECT_EQ(o2.exit_code, 2);
  EXPECT_NE(o2.err.find("no-such-scenario"), std::string::npos) << o2.err;
}

TEST(SimCommand, ARunTooBigForMemoryIsRefusedWithExitCode2AndNothingRuns) {
  auto p =
      write_scenario("huge", "name = \"huge\"\nduration = \"24h\"\n[workload]\nrate = 1000000\n");
  auto out_dir =
      std::filesystem::temp_directory_path() / ("sim-cli-huge-" + std::to_string(::getpid()));
  auto o = faultline("sim " + p.string() + " --out " + out_dir.string());
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("GiB in memory"), std::string::npos) << o.err;
  EXPECT_TRUE(o.out.empty()) << "nothing runs: " << o.out;
  EXPECT_FALSE(std::filesystem::exists(out_dir)) << "nothing is written";
  std::filesystem::remove(p);

  o = faultline("sim-bench --rate 1000000 --duration 100000s");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("GiB in memory"), std::string::npos) << o.err;
  o = faultline("explore --nodes 3 --seeds 1 -p raft --rate 100000 --duration 3600s");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("GiB in memory"), std::string::npos) << o.err;
}

TEST(SimCommand, PrintsOneJsonObjectPerRunAndWritesRecords) {
  auto p = write_scenario("tiny",
                          "name = \"tiny\"\nduration = \"5s\"\n[workload]\nrate = 100\n"
                          "read_share = 0.3\n[[fault]]\nat = \"2s\"\nname = \"c\"\n"
                          "cut = [\"leader\", \"follower[0]\"]\n[[fault]]\nat = \"4s\"\n"
                          "heal = \"c\"\n");
  auto out_dir =
      std::filesystem::temp_directory_path() / ("sim-cli-rec-" + std::to_string(::getpid()));
  auto o =
      faultline("sim " + p.string() + " --profile raft --profile etcd-3.5 --seeds 2 --json --out " +
                out_dir.string());
  EXPECT_EQ(o.exit_code, 0) << o.err;
  std::istringstream lines(o.out);
  std::string line;
  int runs = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["scenario"], "tiny");
    EXPECT_EQ(j["driver"], "sim");
    EXPECT_TRUE(j.contains("phases"));
    EXPECT_EQ(j["invariant_violations"], 0);
    ++runs;
  }
  EXPECT_EQ(runs, 4);
  for (const char* profile : {"raft", "etcd-3.5"})
    for (const char* seed : {"seed-1", "seed-2"})
      EXPECT_TRUE(std::filesystem::exists(out_dir / "tiny" / profile / seed / "meta.json"))
          << profile << "/" << seed;
  std::filesystem::remove_all(out_dir);
  std::filesystem::remove(p);
}

TEST(SimCommand, PrintsATableWithOneRowPerProfile) {
  auto p = write_scenario("table",
                          "name = \"table\"\nduration = \"3s\"\n[workload]\nrate = 50\n"
                          "[[fault]]\nat = \"1s\"\ncrash = \"leader\"\n");
  auto o = faultline("sim " + p.string() + " --seeds 2");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  for (const char* profile : {"raft ", "etcd-3.4 ", "etcd-3.5 "})
    EXPECT_NE(o.out.find(std::string("\n") + profile), std::string::npos) << o.out;
  std::filesystem::remove(p);
}

// --loss-model replaces the scenario's: a one-way cut, which over TCP (stream) stalls both
// directions and makes the follower campaign, and dropping messages (datagram) does not.
TEST(SimCommand, TheLossModelCanBeChosenOnTheCommandLine) {
  auto p = write_scenario("oneway",
                          "name = \"oneway\"\nduration = \"8s\"\n[workload]\nrate = 100\n"
                          "[[fault]]\nat = \"2s\"\nname = \"c\"\n"
                          "one_way = [\"follower[0]\", \"leader\"]\n[[fault]]\nat = \"6s\"\n"
                          "heal = \"c\"\n");
  auto highest_term = [&](const std::string& extra) {
    auto o = faultline("sim " + p.string() + " -p etcd-3.4 --json" + extra);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    std::uint64_t highest = 0;
    if (o.exit_code != 0) return highest;
    const auto run = nlohmann::json::parse(o.out);
    for (const auto& n : run["nodes"])
      highest = std::max(highest, n["max_term"].get<std::uint64_t>());
    return highest;
  };
  EXPECT_EQ(highest_term(" --loss-model datagram"), 1u) << "the follower hears every heartbeat";
  EXPECT_GE(highest_term(""), 3u) << "stream, the default: the follower campaigns";
  EXPECT_EQ(highest_term(" --loss-model stream"), highest_term(""));
  auto bad = faultline("sim " + p.string() + " --loss-model udp");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--loss-model"), std::string::npos) << bad.err;
  std::filesystem::remove(p);
}

}  // namespace

namespace {

TEST(ExploreCommand, BadOptionsAreRefusedWithExitCode2AndNothingRuns) {
  auto o = faultline("explore --nodes 7");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("--nodes must be 3, 4 or 5"), std::string::npos) << o.err;
  EXPECT_TRUE(o.out.empty());
  o = faultline("explore --nodes 3 -p no-such-profile");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("unknown profile `no-such-profile`"), std::string::npos) << o.err;
  // --lab's options are checked before the model runs, and before any lab starts.
  o = faultline("explore --nodes 3 --case t02-1");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("--case is for --lab"), std::string::npos) << o.err;
  o = faultline("explore --nodes 3 --lab --case t02-1 --case t99-9");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("no case `t99-9` in the 3-node atlas"), std::string::npos) << o.err;
  o = faultline("explore --nodes 3 --lab --system zookeeper");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("--system must be etcd or faultline"), std::string::npos) << o.err;
  o = faultline("explore --nodes 3 --lab --lab-seeds 0");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("--lab-seeds must be between 1 and 100"), std::string::npos) << o.err;
  o = faultline("explore --nodes 3 --loss-model udp");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("--loss-model must be stream or datagram"), std::string::npos) << o.err;
  // A lab is set beside a model that cuts as it does: packets in namespaces, messages on
  // loopback.
  o = faultline("explore --nodes 3 --lab --system faultline --net loopback --loss-model stream");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("a lab on loopback cuts messages (the transport's hooks), so the model "
                       "it is set beside is --loss-model datagram"),
            std::string::npos)
      << o.err;
  o = faultline("explore --nodes 3 --lab --loss-model datagram");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("a lab on namespaces cuts packets (nftables)"), std::string::npos) << o.err;
  // etcd has no switch for textbook Raft: the lab's own check refuses the profile.
  o = faultline("explore --nodes 3 --lab --system etcd -p raft");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("faultline explore: lab: "), std::string::npos) << o.err;
  EXPECT_TRUE(o.out.empty()) << o.out;
}

// A lab run that cannot start (here: the lab has no temporary directory for its nodes) is
// said on its row and the campaign goes on to the next; the command exits 2 at the end and
// keeps what it made. Needs neither root nor a cluster: nothing starts.
TEST(ExploreCommand, ALabRunThatCannotStartIsSaidAndTheOthersStillRun) {
  const auto out =
      std::filesystem::temp_directory_path() / ("faultline-explore-" + std::to_string(::getpid()));
  auto o = faultline(
      "explore --nodes 3 --lab --system faultline --net loopback --case t01-1 "
      "--case t03-1 -p etcd-3.4 --duration 5s --out " +
          out.string(),
      "TMPDIR=/nonexistent/faultline-test");
  EXPECT_EQ(o.exit_code, 2) << o.out << o.err;
  EXPECT_NE(
      o.out.find("t01-1     -                       1   - 1,2,3      etcd-3.4        NOT RUN: "
                 "the lab could not run (exit 2)"),
      std::string::npos)
      << o.out;
  EXPECT_NE(
      o.out.find("t03-1     1-2 1-3                 1   - 2,3        etcd-3.4        NOT RUN"),
      std::string::npos)
      << o.out;
  EXPECT_NE(o.err.find("[2/2] t03-1"), std::string::npos) << "the second run was tried: " << o.err;
  EXPECT_NE(o.err.find("2 lab run(s) could not run; kept in " + out.string()), std::string::npos)
      << o.err;
  EXPECT_NE(o.out.find("lab vs model: no run; coverage: model 0.0% (0/0)"), std::string::npos)
      << "a case that never ran counts in neither coverage: " << o.out;
  EXPECT_TRUE(std::filesystem::exists(out / "atlas.json"));
  EXPECT_TRUE(std::filesystem::exists(out / "scenarios" / "atlas-t03-1.toml"));
  // The loopback lab cuts with the transport's hooks; the case it was handed (and the model
  // beside it) says so.
  std::ifstream scenario(out / "scenarios" / "atlas-t03-1.toml");
  const std::string text{std::istreambuf_iterator<char>(scenario), {}};
  EXPECT_NE(text.find("loss_model = \"datagram\""), std::string::npos) << text;
  EXPECT_NE(o.out.find("cuts drop messages and heal at once"), std::string::npos) << o.out;
  std::filesystem::remove_all(out);
}

TEST(ExploreCommand, PrintsCoverageAndOneGridLinePerCase) {
  auto o = faultline("explore --nodes 3 --seeds 1 --duration 6s -p etcd-3.5");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("etcd-3.5        100.0%  (12/12)"), std::string::npos) << o.out;
  // Everything cut: nobody can write, and no node is quorum-connected.
  EXPECT_NE(o.out.find("t04-1     1-2 1-3 2-3             1   - none       X"), std::string::npos)
      << o.out;
}

}  // namespace

// `faultline bench` reads durations as scenarios do (and a bare number as seconds); what is
// not one is refused before any connection, never converted to a wrong length.
TEST(BenchCommand, ADurationThatIsNotOneIsRefusedWithExitCode2) {
  for (const char* bad : {"inf", "1e300s", "-1s", "10 s", "2d"}) {
    auto o = faultline(std::string("bench --endpoints 127.0.0.1:1 --duration '") + bad + "'");
    EXPECT_EQ(o.exit_code, 2) << bad;
    EXPECT_NE(o.err.find("is not a duration"), std::string::npos) << bad << ": " << o.err;
  }
}

// `faultline nemesis`: bad options are refused with exit code 2 and nothing runs; a seed's
// timeline prints as a scenario file that `faultline sim` runs; a batch of seeds on every
// profile passes and says so, and failing seeds would be written out with --out.
TEST(NemesisCommand, BadOptionsAreRefusedWithExitCode2) {
  for (const char* bad : {"--nodes 1", "--nodes 16", "--duration 5s", "--duration 30",
                          "--read-share 2", "--profile nope", "--seeds 0"}) {
    auto o = faultline(std::string("nemesis ") + bad);
    EXPECT_EQ(o.exit_code, 2) << bad << ": " << o.out;
    EXPECT_NE(o.err, "") << bad;
    EXPECT_EQ(o.out, "") << bad;
  }
}

TEST(NemesisCommand, PrintsASeedsScenarioThatSimRuns) {
  auto o = faultline("nemesis --seed 7 --nodes 5 --print");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("name = \"nemesis-7\""), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("nodes = 5"), std::string::npos) << o.out;
  EXPECT_EQ(faultline("nemesis --seed 7 --nodes 5 --print").out, o.out);
  auto p = write_scenario("nemesis-7", o.out);
  auto run = faultline("sim " + p.string() + " --profile etcd-3.5 --seed 7 --json");
  std::filesystem::remove(p);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["scenario"], "nemesis-7");
  EXPECT_EQ(j["linearizable"], true);
}

TEST(NemesisCommand, ManySeedsOnEveryProfilePass) {
  auto out_dir =
      std::filesystem::temp_directory_path() / ("nemesis-cli-out-" + std::to_string(::getpid()));
  auto o = faultline("nemesis --seeds 40 --out " + out_dir.string());
  EXPECT_EQ(o.exit_code, 0) << o.err;
  for (const char* profile : {"raft", "etcd-3.4", "etcd-3.5", "prevote", "thesis-prevote"})
    EXPECT_NE(o.out.find(std::string(profile) + " "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("200 runs"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("every run safe, linearizable and recovered"), std::string::npos) << o.out;
  EXPECT_FALSE(std::filesystem::exists(out_dir)) << "only failing seeds are written out";
  std::filesystem::remove_all(out_dir);
}
