// The atlas page: every topology drawn as a small graph with its cut links, leader and
// lagging node, one verdict cell per profile, coverage on top; and a broken atlas.json named
// precisely. The fixture atlas-3 is hand-written test data, not measured results.
#include "report/atlas.h"

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
  const std::string wrapped_node = failure_loading(
      R"({"nodes": 3, "profiles": ["raft"], "topologies": [{"id": "a", "cut_links": [[1, 18446744073709551615]], "results": {}}]})");
  EXPECT_NE(wrapped_node.find("topologies[0].cut_links[0]: expected a node id"), std::string::npos)
      << wrapped_node;
}

}  // namespace
}  // namespace faultline::report
