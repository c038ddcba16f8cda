// The atlas page: every topology drawn as a small graph with its cut links, leader and
// lagging node, one verdict cell per profile, coverage on top; and a broken atlas.json named
// precisely. The fixture atlas-3 is hand-written test data, not measured results.
#include "report/atlas.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "report/report.h"
#include "test_files.h"

namespace faultline::report {
namespace {

using testing::find_tags;
using testing::TempDir;

const fs::path kAtlas = testing::kFixtures / "atlas-3";

TEST(Atlas, TheFixtureLoadsWithEveryField) {
  Atlas atlas = load_atlas(kAtlas);
  EXPECT_EQ(atlas.nodes, 3);
  EXPECT_EQ(atlas.profiles, (std::vector<std::string>{"raft", "etcd-3.4", "etcd-3.5"}));
  ASSERT_EQ(atlas.topologies.size(), 6u);
  const auto& cloudflare = atlas.topologies[1];
  EXPECT_EQ(cloudflare.id, "t02");
  EXPECT_EQ(cloudflare.cut_links, (std::vector<std::pair<int, int>>{{1, 3}, {3, 1}}));
  EXPECT_EQ(cloudflare.leader, 3);
  EXPECT_EQ(cloudflare.quorum_connected, std::vector<int>{2});
  EXPECT_EQ(cloudflare.results.at("raft").verdict, "livelock");
  EXPECT_EQ(cloudflare.results.at("raft").verdicts.at("livelock"), 4);
  EXPECT_EQ(atlas.topologies[4].lagging, 1);
  EXPECT_EQ(atlas.topologies[5].any_quorum_connected, false);
  EXPECT_DOUBLE_EQ(atlas.coverage.at("etcd-3.5"), 0.8);
}

TEST(Atlas, EveryTopologyIsACardWithItsCutLinksAndOneCellPerProfile) {
  Atlas atlas = load_atlas(kAtlas);
  Figure grid = atlas_grid_figure(atlas);
  EXPECT_EQ(find_tags(grid.svg, "g", {{"class", "topology"}}).size(), 6u);
  // Cut pairs: t02 1, t03 1 (one way), t04 2, t05 1, t06 3.
  EXPECT_EQ(testing::count(grid.svg, "class=\"cut-link\""), 8u);
  EXPECT_NE(grid.svg.find("n3 → n1 cut (the other direction works)"), std::string::npos);
  EXPECT_EQ(testing::count(grid.svg, "class=\"verdict verdict-"), 17u) << "t06 has no etcd-3.5";
  EXPECT_NE(grid.svg.find(">not run</text>"), std::string::npos);
  EXPECT_EQ(testing::count(grid.svg, "class=\"verdict verdict-livelock\""), 1u);
  EXPECT_EQ(testing::count(grid.svg, "class=\"verdict verdict-deadlock\""), 2u);
  EXPECT_NE(grid.svg.find("livelock · 9.2 s"), std::string::npos) << "verdict and downtime";
  EXPECT_NE(grid.svg.find("n3, leader"), std::string::npos);
  EXPECT_NE(grid.svg.find("n1, lagging"), std::string::npos);
  EXPECT_NE(grid.svg.find("no quorum-connected node"), std::string::npos);

  Figure coverage = atlas_coverage_figure(atlas);
  EXPECT_EQ(testing::count(coverage.svg, "class=\"coverage-bar\""), 3u);
  EXPECT_NE(coverage.svg.find(">83%</text>"), std::string::npos);
}

TEST(Atlas, ReportOnTheAtlasFolderDrawsTheAtlasPage) {
  TempDir out;
  ReportOptions options;
  options.inputs = {kAtlas};
  options.output = out / "atlas.html";
  options.png_dir = out / "png";
  auto outcome = make_report(options);
  EXPECT_TRUE(outcome.atlas);
  std::string html = testing::read_text(options.output);
  EXPECT_EQ(find_tags(html, "figure", {{"id", "coverage"}}).size(), 1u);
  EXPECT_EQ(find_tags(html, "figure", {{"id", "topologies"}}).size(), 1u);
  // The verdict table: etcd-3.5 is stable in four topologies (t01, t02, t03, t05), no other
  // profile in more than two.
  EXPECT_EQ(find_tags(html, "td", {{"data-metric", "stable"}, {"data-value", "4"}}).size(), 1u);
  EXPECT_EQ(find_tags(html, "td", {{"data-metric", "stable"}, {"data-value", "2"}}).size(), 2u);
  ASSERT_EQ(outcome.images.size(), 2u);
  for (const auto& image : outcome.images) EXPECT_TRUE(testing::inspect_png(image).loaded);
}

std::string failure_loading(const std::string& json) {
  TempDir dir;
  testing::write_text(dir / "atlas.json", json);
  try {
    load_atlas(dir.path());
  } catch (const ReportError& e) {
    return e.what();
  }
  return "";
}

TEST(Atlas, ABrokenAtlasIsNamedByFileFieldAndProblem) {
  EXPECT_NE(failure_loading("{\"nodes\": 3, \"profiles\": [\"raft\"], \"topologies\": [")
                .find("atlas.json: not valid JSON"),
            std::string::npos);
  std::string out_of_range = failure_loading(
      R"({"nodes": 3, "profiles": ["raft"], "topologies": [{"id": "a", "cut_links": [[1, 4]], "results": {}}]})");
  EXPECT_NE(out_of_range.find("topologies[0].cut_links[0]: node 4 is not one of 1..3"),
            std::string::npos)
      << out_of_range;
  std::string unknown_profile = failure_loading(
      R"({"nodes": 3, "profiles": ["raft"], "topologies": [{"cut_links": [], "results": {"paxos": {"verdict": "stable"}}}]})");
  EXPECT_NE(unknown_profile.find("results.paxos: profile not listed"), std::string::npos)
      << unknown_profile;
  EXPECT_NE(failure_loading(R"({"nodes": 300, "profiles": ["raft"], "topologies": []})")
                .find("nodes: 300 is outside"),
            std::string::npos);
  EXPECT_NE(failure_loading(R"({"format": "other/2", "nodes": 3})").find("unsupported format"),
            std::string::npos);
  // Integers must be integers their fields hold: not cut down to one that looks valid (2^32
  // + 3 is 3 as a 32-bit int), nor converted from a float out of range.
  for (const char* nodes : {"4294967299", "3.0", "1e300"}) {
    const std::string error = failure_loading(std::string(R"({"nodes": )") + nodes +
                                              R"(, "profiles": ["raft"], "topologies": []})");
    EXPECT_NE(error.find("nodes: missing or not an integer"), std::string::npos)
        << nodes << ": " << error;
  }
  for (const char* seeds : {"-1", "2.5", "1e300"}) {
    const std::string error = failure_loading(std::string(R"({"nodes": 3, "seeds": )") + seeds +
                                              R"(, "profiles": ["raft"], "topologies": []})");
    EXPECT_NE(error.find("seeds: not a count of seeds"), std::string::npos)
        << seeds << ": " << error;
  }
  // The model's verdicts are the analysis's four, as the lab's are (an unknown one would be
  // drawn in no verdict's colour).
  const std::string unknown_verdict = failure_loading(
      R"({"nodes": 3, "profiles": ["raft"], "topologies": [{"cut_links": [], "results": {"raft": {"verdict": "wedged"}}}]})");
  EXPECT_NE(unknown_verdict.find("results.raft.verdict: unknown verdict \"wedged\""),
            std::string::npos)
      << unknown_verdict;
  const std::string unknown_count = failure_loading(
      R"({"nodes": 3, "profiles": ["raft"], "topologies": [{"cut_links": [], "results": {"raft": {"verdict": "stable", "verdicts": {"stable": 4, "fine": 1}}}}]})");
  EXPECT_NE(unknown_count.find("results.raft.verdicts: unknown verdict \"fine\""),
            std::string::npos)
      << unknown_count;
  const std::string wrapped_node = failure_loading(
      R"({"nodes": 3, "profiles": ["raft"], "topologies": [{"id": "a", "cut_links": [[1, 18446744073709551615]], "results": {}}]})");
  EXPECT_NE(wrapped_node.find("topologies[0].cut_links[0]: expected a node id"), std::string::npos)
      << wrapped_node;
}

// The lab beside the model. The fixture atlas-3-lab is atlas-3 with hand-written lab runs (not
// measured results) for t02 and t03, one run per profile: t02 raft is in range, t03 raft left
// a node exited, t03 etcd-3.5 differs; the other three agree.
const fs::path kLabAtlas = testing::kFixtures / "atlas-3-lab";

TEST(Atlas, TheLabFixtureLoadsItsRunsAndItsSummary) {
  Atlas atlas = load_atlas(kLabAtlas);
  const auto& t02_raft = atlas.topologies[1].results.at("raft").lab;
  ASSERT_EQ(t02_raft.size(), 1u);
  EXPECT_EQ(t02_raft[0].verdict, "disrupted");
  EXPECT_EQ(t02_raft[0].downtime_ms, 2300);
  EXPECT_EQ(t02_raft[0].elections, 3);
  EXPECT_EQ(t02_raft[0].agreement, "in range");
  EXPECT_EQ(t02_raft[0].record, "lab/seed-1/atlas-t02/raft");
  EXPECT_EQ(atlas.topologies[2].results.at("etcd-3.5").lab.at(0).agreement, "DIFFERS");
  EXPECT_TRUE(atlas.topologies[3].results.at("raft").lab.empty()) << "t04 never ran in the lab";
  ASSERT_TRUE(atlas.lab);
  EXPECT_EQ(atlas.lab->system, "etcd");
  EXPECT_EQ(atlas.lab->system_version, "3.4.23");
  EXPECT_EQ(atlas.lab->net, "namespaces");
  EXPECT_EQ(atlas.lab->seeds, 1);
  const auto& raft = atlas.lab->profiles.at("raft");
  EXPECT_EQ(raft.agreement, (std::map<std::string, int>{{"in range", 1}, {"NODE EXIT", 1}}));
  EXPECT_EQ(raft.model_live, 1);
  EXPECT_EQ(raft.lab_live, 2);
  EXPECT_EQ(raft.quorum_connected_cases, 2);
  EXPECT_TRUE(has_lab_runs(atlas));
  EXPECT_EQ(lab_system_name(atlas), "etcd 3.4.23");

  // An atlas from before the lab loads as it did: no runs, no lab.
  Atlas model_only = load_atlas(kAtlas);
  EXPECT_FALSE(model_only.lab);
  EXPECT_FALSE(has_lab_runs(model_only));
}

TEST(Atlas, EachLabRunSitsBesideItsModelCellMarkedByWhetherItAgrees) {
  Figure grid = atlas_grid_figure(load_atlas(kLabAtlas));
  EXPECT_EQ(find_tags(grid.svg, "g", {{"class", "lab lab-agrees"}}).size(), 3u);
  EXPECT_EQ(find_tags(grid.svg, "g", {{"class", "lab lab-in-range"}}).size(), 1u);
  EXPECT_EQ(find_tags(grid.svg, "g", {{"class", "lab lab-differs"}}).size(), 2u)
      << "DIFFERS and NODE EXIT both differ";
  EXPECT_EQ(testing::count(grid.svg, "<g class=\"lab "), 6u) << "only the cells run in the lab";
  for (const char* id : {"t01", "t04", "t05", "t06"}) {
    auto card = testing::between(grid.svg, fmt::format("data-id=\"{}\"", id), "class=\"topology\"");
    EXPECT_EQ(testing::count(card, "class=\"lab "), 0u) << id;
  }

  // The box: coloured by the lab's verdict, marked, and its tooltip names system and runs.
  auto agrees = testing::between(
      grid.svg, "<title>etcd-3.4 on t02 in the lab (etcd 3.4.23): disrupted · 1.4 s", "</g>");
  EXPECT_NE(agrees.find("1.0 elections; 1 run: 1 agrees; record lab/seed-1/atlas-t02/etcd-3.4"),
            std::string::npos)
      << agrees;
  EXPECT_NE(agrees.find("fill=\"#E69F00\""), std::string::npos) << "orange: disrupted";
  EXPECT_NE(agrees.find(">✓</text>"), std::string::npos);
  auto in_range = testing::between(grid.svg, "<g class=\"lab lab-in-range\">", "</g>");
  EXPECT_NE(in_range.find("raft on t02 in the lab (etcd 3.4.23): disrupted"), std::string::npos);
  EXPECT_NE(in_range.find("1 run: 1 in range"), std::string::npos) << in_range;
  EXPECT_NE(in_range.find(">~</text>"), std::string::npos);
  auto differs = testing::between(grid.svg, "<title>etcd-3.5 on t03 in the lab", "</g>");
  EXPECT_NE(differs.find("livelock · 4.1 s"), std::string::npos) << differs;
  EXPECT_NE(differs.find("1 run: 1 DIFFERS"), std::string::npos) << differs;
  EXPECT_NE(differs.find("fill=\"#D55E00\""), std::string::npos) << "vermillion: livelock";
  EXPECT_NE(differs.find(">✗</text>"), std::string::npos);

  // The model's cell gives way to the box only where there is one.
  auto model_t02 = testing::between(
      grid.svg, "<g class=\"verdict verdict-disrupted\"><title>etcd-3.4 on t02", "</g>");
  EXPECT_NE(model_t02.find("width=\"88\""), std::string::npos) << model_t02;
  auto model_t04 = testing::between(
      grid.svg, "<g class=\"verdict verdict-disrupted\"><title>etcd-3.4 on t04", "</g>");
  EXPECT_NE(model_t04.find("width=\"126\""), std::string::npos) << model_t04;
  EXPECT_NE(grid.title.find("(5 seeds per cell; lab: etcd 3.4.23)"), std::string::npos)
      << grid.title;
  EXPECT_NE(grid.svg.find("lab box (lab&#39;s verdict)"), std::string::npos);
}

// A minimal atlas of one topology whose raft cell carries `lab` (JSON text).
std::string atlas_with_lab(const std::string& lab, const std::string& rest = "") {
  return R"({"nodes": 3, "profiles": ["raft", "etcd-3.4"], "topologies": [{"id": "t1",
    "cut_links": [[1, 2]], "results": {"raft": {"verdict": "disrupted", "lab": )" +
         lab + R"(}, "etcd-3.4": {"verdict": "stable"}}}])" + rest + "}";
}

TEST(Atlas, TheLabBoxTakesTheMostFrequentVerdictAndOnATieTheWorse) {
  TempDir dir;
  testing::write_text(dir / "atlas.json",
                      R"({"nodes": 3, "profiles": ["raft", "etcd-3.4"], "seeds": 3,
    "topologies": [{"id": "t1", "cut_links": [[1, 2]], "results": {
      "raft": {"verdict": "disrupted", "lab": [
        {"verdict": "disrupted", "agreement": "agrees"},
        {"verdict": "deadlock", "agreement": "DIFFERS"},
        {"verdict": "disrupted", "agreement": "agrees"}]},
      "etcd-3.4": {"verdict": "stable", "lab": [
        {"verdict": "livelock", "agreement": "in range"},
        {"verdict": "stable", "agreement": "agrees"}]}}}],
    "lab": {"net": "veth & <bridge>"}})");
  Atlas atlas = load_atlas(dir.path());
  Figure grid = atlas_grid_figure(atlas);
  auto frequent = testing::between(grid.svg, "<title>raft on t1 in the lab: ", "</g>");
  EXPECT_NE(frequent.find("in the lab: disrupted; 1× deadlock; 2× disrupted; 3 runs: 2 agrees, "
                          "1 DIFFERS"),
            std::string::npos)
      << frequent;
  EXPECT_NE(frequent.find("fill=\"#E69F00\""), std::string::npos) << "disrupted, not deadlock";
  auto tie = testing::between(grid.svg, "<title>etcd-3.4 on t1 in the lab: ", "</g>");
  EXPECT_NE(tie.find("in the lab: livelock;"), std::string::npos) << tie;
  EXPECT_NE(tie.find("fill=\"#D55E00\""), std::string::npos) << "livelock, the worse of the two";
  EXPECT_NE(grid.title.find("(3 seeds per cell; with lab runs)"), std::string::npos)
      << "no system named" << grid.title;

  // The page counts the cells' runs; without the explorer's summary it has no coverage.
  std::string html = render_atlas(atlas, dir.path()).html;
  auto table = testing::between(html, "<table class=\"analysis lab\">", "</table>");
  auto raft = testing::between(table, ">raft</th>", "</tr>");
  EXPECT_EQ(find_tags(raft, "td", {{"data-metric", "lab_runs"}, {"data-value", "3"}}).size(), 1u);
  EXPECT_EQ(find_tags(raft, "td", {{"data-metric", "agrees"}, {"data-value", "2"}}).size(), 1u);
  EXPECT_EQ(find_tags(raft, "td", {{"data-metric", "differs"}, {"data-value", "1"}}).size(), 1u);
  EXPECT_EQ(testing::count(raft, "not given"), 2u) << "no coverage without the summary";
  EXPECT_NE(html.find("The lab's system is not named in the atlas (network: veth &amp; "
                      "&lt;bridge&gt;)"),
            std::string::npos)
      << "what the file says is escaped";
  EXPECT_EQ(html.find("<bridge>"), std::string::npos);
}

TEST(Atlas, ThePageSetsTheLabAgainstTheModelPerProfile) {
  TempDir out;
  ReportOptions options;
  options.inputs = {kLabAtlas};
  options.output = out / "atlas.html";
  make_report(options);
  std::string html = testing::read_text(options.output);
  auto section = testing::between(html, "<h2>Model against the lab</h2>", "<h2>Topologies</h2>");
  ASSERT_FALSE(section.empty()) << "the section sits between Verdicts and Topologies";
  EXPECT_NE(
      section.find("The lab ran etcd 3.4.23 (network: namespaces), 1 run per case and profile"),
      std::string::npos)
      << section;
  struct Row {
    const char* profile;
    int runs, agrees, in_range, differs;
    const char* model_live;
    const char* lab_live;
  };
  for (const Row& expected : {Row{"raft", 2, 0, 1, 1, "1 of 2 (50%)", "2 of 2 (100%)"},
                              Row{"etcd-3.4", 2, 2, 0, 0, "2 of 2 (100%)", "2 of 2 (100%)"},
                              Row{"etcd-3.5", 2, 1, 0, 1, "2 of 2 (100%)", "1 of 2 (50%)"}}) {
    auto row = testing::between(section, fmt::format(">{}</th>", expected.profile), "</tr>");
    ASSERT_FALSE(row.empty()) << expected.profile;
    auto value = [&](const char* metric, int n) {
      return find_tags(row, "td", {{"data-metric", metric}, {"data-value", std::to_string(n)}})
          .size();
    };
    EXPECT_EQ(value("lab_runs", expected.runs), 1u) << expected.profile;
    EXPECT_EQ(value("agrees", expected.agrees), 1u) << expected.profile;
    EXPECT_EQ(value("in_range", expected.in_range), 1u) << expected.profile;
    EXPECT_EQ(value("differs", expected.differs), 1u) << expected.profile;
    EXPECT_NE(row.find(std::string(">") + expected.model_live + "</td>"), std::string::npos) << row;
    EXPECT_NE(row.find(std::string(">") + expected.lab_live + "</td>"), std::string::npos) << row;
  }
  EXPECT_NE(testing::between(html, "<figure id=\"topologies\"", "</figure>")
                .find("A small box at the right of a cell is the same case in the lab"),
            std::string::npos);
}

TEST(Atlas, AnAtlasWithoutLabRunsDrawsNoLabBoxAndNoLabSection) {
  Atlas atlas = load_atlas(kAtlas);
  Figure grid = atlas_grid_figure(atlas);
  EXPECT_EQ(testing::count(grid.svg, "class=\"lab "), 0u);
  EXPECT_EQ(grid.svg.find("lab box"), std::string::npos);
  EXPECT_EQ(grid.title, "Every topology of 3 nodes (5 seeds per cell)");
  std::string html = render_atlas(atlas, kAtlas).html;
  EXPECT_EQ(html.find("Model against the lab"), std::string::npos);
  EXPECT_EQ(html.find("in the lab"), std::string::npos) << "nor in the caption";
}

TEST(Atlas, ABrokenLabIsNamedByFileFieldAndProblem) {
  struct Case {
    std::string json;
    const char* message;
  };
  const std::string run = R"({"verdict": "stable", "agreement": "agrees"})";
  std::string too_many = "[" + run;
  for (std::size_t i = 1; i <= kAtlasMaxLabRuns; ++i) too_many += ", " + run;
  too_many += "]";
  const std::vector<Case> cases{
      {atlas_with_lab(R"({"verdict": "stable"})"),
       "topologies[0].results.raft.lab: expected a list of lab runs"},
      {atlas_with_lab("[" + run + R"(, "stable"])"),
       "topologies[0].results.raft.lab[1]: expected an object"},
      {atlas_with_lab(R"([{"verdict": "wedged", "agreement": "agrees"}])"),
       "topologies[0].results.raft.lab[0].verdict: unknown verdict \"wedged\""},
      {atlas_with_lab(R"([{"agreement": "agrees"}])"),
       "topologies[0].results.raft.lab[0].verdict: missing or not a string"},
      {atlas_with_lab(R"([{"verdict": "stable", "agreement": true}])"),
       "topologies[0].results.raft.lab[0].agreement: missing or not a string"},
      {atlas_with_lab(R"([{"verdict": "stable"}])"),
       "topologies[0].results.raft.lab[0].agreement: missing or not a string"},
      {atlas_with_lab(too_many), "topologies[0].results.raft.lab: more than 100 lab runs"},
      {atlas_with_lab("[]", R"(, "lab": "etcd")"), "lab: expected an object"},
      {atlas_with_lab("[]", R"(, "lab": {"system": 3})"), "lab.system: expected a string"},
      {atlas_with_lab("[]", R"(, "lab": {"profiles": []})"), "lab.profiles: expected {profile"},
      {atlas_with_lab("[]", R"(, "lab": {"profiles": {"paxos": {}}})"),
       "lab.profiles.paxos: profile not listed"},
      {atlas_with_lab("[]", R"(, "lab": {"profiles": {"raft": {"model_live": -1}}})"),
       "lab.profiles.raft.model_live: not a count"},
      {atlas_with_lab("[]", R"(, "lab": {"profiles": {"raft": {"agreement": {"agrees": 1.5}}}})"),
       "lab.profiles.raft.agreement.agrees: not a count"},
  };
  for (const auto& c : cases) {
    const std::string error = failure_loading(c.json);
    EXPECT_NE(error.find(std::string("atlas.json: ") + c.message), std::string::npos)
        << c.json << "\n  gave: " << error;
  }
  // Exactly at the bound is fine.
  too_many = "[" + run;
  for (std::size_t i = 1; i < kAtlasMaxLabRuns; ++i) too_many += ", " + run;
  EXPECT_EQ(failure_loading(atlas_with_lab(too_many + "]")), "");
}

}  // namespace
}  // namespace faultline::report
