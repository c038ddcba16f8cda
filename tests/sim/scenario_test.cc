// The scenario format: what a good file means, and how each kind of bad file is refused
// with the file, the line and the problem (and nothing else happens).
#include "sim/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace faultline::sim {
namespace {

constexpr const char* kHeader = R"(name = "t"
nodes = 3
duration = "60s"
)";

Scenario parse(const std::string& body) { return parse_scenario_text(kHeader + body, "t.toml"); }

// Parses `text` (as a whole file) and returns the error it must raise.
ScenarioError refuse(const std::string& text) {
  try {
    parse_scenario_text(text, "bad.toml");
  } catch (const ScenarioError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted a bad scenario:\n" << text;
  return ScenarioError("", 0, "");
}

TEST(ScenarioFormat, DefaultsAreThePapersSetup) {
  Scenario s = parse_scenario_text("name = \"bare\"\n", "bare.toml");
  EXPECT_EQ(s.nodes, 3);
  EXPECT_EQ(s.duration_us, 60'000'000);
  EXPECT_EQ(s.timing.heartbeat_us, 100'000);
  EXPECT_EQ(s.timing.election_timeout_us, 500'000);
  EXPECT_EQ(s.election_tick(), 5);
  EXPECT_EQ(s.workload.rate, 1000);
  EXPECT_EQ(s.workload.value_size, 10);
  EXPECT_EQ(s.workload.keys, 10);
  EXPECT_EQ(s.workload.request_timeout_us, 1'000'000);
  EXPECT_EQ(s.network.delay_us, 200);
  EXPECT_EQ(s.snapshot.count, 100'000);  // etcd's defaults
  EXPECT_EQ(s.snapshot.catch_up_entries, 5000);
  EXPECT_TRUE(s.faults.empty());
}

TEST(ScenarioFormat, SnapshotsTakeACountAndTheEntriesKeptForSlowFollowers) {
  Scenario s = parse("[snapshot]\ncount = 50\ncatch_up_entries = 0\n");
  EXPECT_EQ(s.snapshot.count, 50);
  EXPECT_EQ(s.snapshot.catch_up_entries, 0);
  EXPECT_NE(scenario_to_json(s).find(R"("snapshot":{"catch_up_entries":0,"count":50})"),
            std::string::npos)
      << scenario_to_json(s);
  ScenarioError zero = refuse(std::string(kHeader) + "[snapshot]\ncount = 0\n");
  EXPECT_EQ(zero.line(), 5);
  EXPECT_NE(zero.problem().find("`count`"), std::string::npos) << zero.problem();
  ScenarioError negative = refuse(std::string(kHeader) + "[snapshot]\ncatch_up_entries = -1\n");
  EXPECT_NE(negative.problem().find("`catch_up_entries`"), std::string::npos) << negative.problem();
  ScenarioError unknown = refuse(std::string(kHeader) + "[snapshot]\nevery = 10\n");
  EXPECT_NE(unknown.problem().find("every"), std::string::npos) << unknown.problem();
}

TEST(ScenarioFormat, DurationsNeedAUnit) {
  EXPECT_EQ(parse_duration("20s"), 20'000'000);
  EXPECT_EQ(parse_duration("100ms"), 100'000);
  EXPECT_EQ(parse_duration("0.2ms"), 200);
  EXPECT_EQ(parse_duration("250us"), 250);
  EXPECT_EQ(parse_duration("2m"), 120'000'000);
  EXPECT_EQ(parse_duration("1.5h"), 5'400'000'000);
  EXPECT_EQ(parse_duration("20.25s"), 20'250'000);
  EXPECT_FALSE(parse_duration("20"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("20 s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_EQ(format_duration(20'000'000), "20s");
  EXPECT_EQ(format_duration(200), "200us");
  EXPECT_EQ(format_duration(1'500), "1.5ms");
  EXPECT_EQ(format_duration(20'250'000), "20.25s");
}

TEST(ScenarioFormat, ACutNamesBothDirectionsByRole) {
  Scenario s = parse(R"(
[[fault]]
at = "20s"
name = "partial"
cut = ["leader", "follower[0]"]

[[fault]]
at = "40s"
heal = "partial"
)");
  ASSERT_EQ(s.faults.size(), 2u);
  const Fault& cut = s.faults[0];
  EXPECT_EQ(cut.action, Fault::Action::cut);
  EXPECT_EQ(cut.at_us, 20'000'000);
  ASSERT_EQ(cut.shapes.size(), 1u);
  EXPECT_EQ(cut.shapes[0].kind, LinkShape::Kind::cut);
  EXPECT_EQ(cut.shapes[0].nodes[0].kind, NodeRef::Kind::leader);
  EXPECT_EQ(cut.shapes[0].nodes[1].kind, NodeRef::Kind::follower);
  EXPECT_EQ(cut.shapes[0].nodes[1].index, 0);
  EXPECT_EQ(cut.label, "cut leader <-> follower[0]");
  const Fault& heal = s.faults[1];
  EXPECT_EQ(heal.action, Fault::Action::heal);
  EXPECT_EQ(heal.targets, std::vector<std::string>{"partial"});
}

TEST(ScenarioFormat, ShorthandsCombineIntoOneSetOfCuts) {
  Scenario s = parse_scenario_text(R"(name = "t"
nodes = 5
[[fault]]
at = "20s"
isolate = "leader"
one_way = [["node[1]", "node[2]"], ["node[3]", "node[4]"]]
partition = [["follower[1]"], ["follower[2]", "follower[3]"]]
)",
                                   "t.toml");
  ASSERT_EQ(s.faults.size(), 1u);
  const auto& shapes = s.faults[0].shapes;
  ASSERT_EQ(shapes.size(), 4u);
  EXPECT_EQ(shapes[0].kind, LinkShape::Kind::one_way);
  EXPECT_EQ(shapes[1].kind, LinkShape::Kind::one_way);
  EXPECT_EQ(shapes[2].kind, LinkShape::Kind::isolate);
  EXPECT_EQ(shapes[3].kind, LinkShape::Kind::partition);
  EXPECT_EQ(shapes[3].groups.size(), 2u);
}

TEST(ScenarioFormat, LossOnNamedLinksDegradesThemInsteadOfCutting) {
  Scenario s = parse(R"(
[[fault]]
at = "20s"
cut = ["leader", "follower[0]"]
loss = 0.7
)");
  EXPECT_EQ(s.faults[0].action, Fault::Action::degrade);
  EXPECT_DOUBLE_EQ(*s.faults[0].loss, 0.7);
  EXPECT_EQ(s.faults[0].label, "loss 70% on leader <-> follower[0]");
}

TEST(ScenarioFormat, RepeatMakesAFlappingFault) {
  Scenario s = parse(R"(
[[fault]]
at = "10s"
isolate = "follower[0]"
repeat = { every = "20s", count = 3, duration = "10s" }
)");
  ASSERT_TRUE(s.faults[0].repeat);
  EXPECT_EQ(s.faults[0].repeat->every_us, 20'000'000);
  EXPECT_EQ(s.faults[0].repeat->count, 3);
  EXPECT_EQ(s.faults[0].repeat->duration_us, 10'000'000);
}

TEST(ScenarioFormat, FaultsAreSortedByTimeKeepingFileOrderForTies) {
  Scenario s = parse(R"(
[[fault]]
at = "30s"
crash = "node[1]"
[[fault]]
at = "10s"
pause = "node[2]"
[[fault]]
at = "10s"
crash = "node[3]"
)");
  ASSERT_EQ(s.faults.size(), 3u);
  EXPECT_EQ(s.faults[0].action, Fault::Action::pause);
  EXPECT_EQ(s.faults[1].action, Fault::Action::crash);
  EXPECT_EQ(s.faults[1].nodes[0].index, 3);
  EXPECT_EQ(s.faults[2].at_us, 30'000'000);
}

// ---- bad input: file, line, problem -------------------------------------------------------

TEST(BadScenario, ASyntaxErrorNamesItsLine) {
  auto e = refuse("name = \"x\"\nnodes = = 3\n");
  EXPECT_EQ(e.file(), "bad.toml");
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(e.problem().find("TOML syntax"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).rfind("bad.toml:2: ", 0), 0u) << e.what();
}

TEST(BadScenario, AnUnknownKeyIsNamedWithTheKnownOnes) {
  auto e = refuse("name = \"x\"\n[workload]\nrate = 10\nrat = 10\n");
  EXPECT_EQ(e.line(), 4);
  EXPECT_NE(e.problem().find("unknown key `rat`"), std::string::npos) << e.what();
  EXPECT_NE(e.problem().find("rate"), std::string::npos) << e.what();
}

TEST(BadScenario, AnUnknownKeyInAFaultIsRefused) {
  auto e = refuse("name = \"x\"\n[[fault]]\nat = \"20s\"\ncrash = \"leader\"\nwhen = \"now\"\n");
  EXPECT_EQ(e.line(), 5);
  EXPECT_NE(e.problem().find("unknown key `when`"), std::string::npos) << e.what();
}

TEST(BadScenario, ARoleThatCannotExistInTheClusterIsRefused) {
  auto e = refuse(
      "name = \"x\"\nnodes = 3\n[[fault]]\nat = \"20s\"\ncut = [\"leader\", \"follower[2]\"]\n");
  EXPECT_EQ(e.line(), 5);
  EXPECT_NE(e.problem().find("`follower[2]` cannot exist in a 3-node cluster"), std::string::npos)
      << e.what();
  auto e2 = refuse("name = \"x\"\nnodes = 3\n[[fault]]\nat = \"20s\"\ncrash = \"node[4]\"\n");
  EXPECT_NE(e2.problem().find("`node[4]` cannot exist"), std::string::npos) << e2.what();
  auto e3 = refuse("name = \"x\"\n[[fault]]\nat = \"20s\"\ncrash = \"boss\"\n");
  EXPECT_NE(e3.problem().find("not a node"), std::string::npos) << e3.what();
}

TEST(BadScenario, AFaultAfterTheEndIsRefused) {
  auto e =
      refuse("name = \"x\"\nduration = \"60s\"\n\n[[fault]]\nat = \"70s\"\ncrash = \"leader\"\n");
  EXPECT_EQ(e.line(), 5);
  EXPECT_NE(e.problem().find("after the end of the run"), std::string::npos) << e.what();
  auto e2 = refuse(
      "name = \"x\"\nduration = \"60s\"\n[[fault]]\nat = \"20s\"\ncrash = \"leader\"\n"
      "repeat = { every = \"20s\", count = 3, duration = \"5s\" }\n");
  EXPECT_NE(e2.problem().find("last repetition fires at 60s"), std::string::npos) << e2.what();
}

TEST(BadScenario, OtherMistakesAreExplained) {
  struct Case {
    std::string text;
    std::string problem;
  };
  std::vector<Case> cases = {
      {"nodes = 3\n", "missing `name`"},
      {"name = \"x\"\nduration = \"60\"\n", "is not a duration"},
      {"name = \"x\"\nnodes = 40\n", "`nodes` must be between 1 and 15"},
      {"name = \"x\"\n[timing]\nheartbeat = \"100ms\"\nelection_timeout = \"550ms\"\n",
       "multiple of `heartbeat`"},
      {"name = \"x\"\n[network]\nloss = 1.5\n", "0 to 1"},
      {"name = \"x\"\n[[fault]]\ncrash = \"leader\"\n", "needs `at`"},
      {"name = \"x\"\n[[fault]]\nat = \"1s\"\ncrash = \"leader\"\npause = \"leader\"\n",
       "exactly one thing"},
      {"name = \"x\"\n[[fault]]\nat = \"1s\"\nheal = \"nothing\"\n", "earlier fault"},
      {"name = \"x\"\n[[fault]]\nat = \"1s\"\ncut = [\"leader\", \"leader\"]\n", "itself"},
      {"name = \"x\"\n[[fault]]\nat = \"1s\"\ncrash = \"leader\"\nloss = 0.5\n", "apply to links"},
      {"name = \"x\"\n[[fault]]\nat = \"1s\"\nname = \"c\"\ncrash = \"leader\"\n[[fault]]\n"
       "at = \"2s\"\nheal = \"c\"\n",
       "not a link fault"},
      {"name = \"x\"\n[[fault]]\nat = \"1s\"\nheal = \"all\"\nrepeat = { every = \"2s\", count = "
       "2, "
       "duration = \"1s\" }\n",
       "only cuts"},
  };
  for (const auto& c : cases) {
    auto e = refuse(c.text);
    EXPECT_NE(e.problem().find(c.problem), std::string::npos) << "for:\n"
                                                              << c.text << "got: " << e.what();
    EXPECT_GT(e.line(), 0) << e.what();
  }
}

TEST(BadScenario, AMissingFileIsNamed) {
  try {
    parse_scenario_file("/nonexistent/x.toml");
    FAIL() << "a missing file was accepted";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/x.toml");
    EXPECT_NE(e.problem().find("no such scenario file"), std::string::npos);
  }
}

// ---- the catalogue ------------------------------------------------------------------------

TEST(Catalogue, ShipsTheScenariosOfTheLiteratureAndEveryOneParses) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(catalogue_dir())) {
    if (entry.path().extension() != ".toml") continue;
    Scenario s = parse_scenario_file(entry.path());
    EXPECT_EQ(s.name, entry.path().stem().string()) << "a scenario's name is its file name";
    EXPECT_FALSE(s.description.empty()) << s.name << " must say what the literature predicts";
    EXPECT_FALSE(s.faults.empty()) << s.name;
    names.insert(s.name);
  }
  for (const char* required :
       {"leader-crash", "cloudflare-2020", "intermittent-full", "flapping-link", "quorum-loss",
        "constrained-election", "chained", "lossy-link", "one-way"})
    EXPECT_TRUE(names.count(required)) << "missing catalogue scenario " << required;
}

TEST(Catalogue, FindsAScenarioByNameOrPath) {
  auto p = find_scenario("cloudflare-2020");
  EXPECT_EQ(p.filename(), "cloudflare-2020.toml");
  EXPECT_EQ(find_scenario(p.string()), p);
  EXPECT_THROW(find_scenario("no-such-scenario"), ScenarioError);
}

}  // namespace
}  // namespace faultline::sim
