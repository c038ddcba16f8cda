// The whole report from the committed fixture records: the page has every figure, the
// table's numbers are the analysis' own, nothing in it reaches for the network, and the
// PNGs are real pictures. Several runs of one scenario make one comparison page.
#include "report/report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>

#include "report/tables.h"
#include "synthetic_run.h"
#include "test_files.h"

namespace faultline::report {
namespace {

using testing::between;
using testing::find_tags;
using testing::TempDir;

const fs::path kScenarioDir = testing::kFixtures / "cloudflare-2020";
const fs::path kEtcd34 = kScenarioDir / "etcd-3.4" / "seed-7";
const fs::path kEtcd35 = kScenarioDir / "etcd-3.5" / "seed-7";

// The fixtures are small (10 s at 200 requests/s, the cut from 3 s to 6 s). To rebuild them
// after a change of the record format:
//   report_test --gtest_also_run_disabled_tests --gtest_filter='Fixtures.*'
TEST(Fixtures, DISABLED_Regenerate) {
  for (const char* profile : {"etcd-3.4", "etcd-3.5"}) {
    testing::SyntheticRun p;
    p.profile = profile;
    p.duration_us = 10'000'000;
    p.cut_us = 3'000'000;
    p.heal_us = 6'000'000;
    p.ops_per_second = 200;
    record::save(testing::make_run(p), kScenarioDir / profile / "seed-7");
  }
}

void expect_no_network_references(const std::string& html) {
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
}

// Every number cell of the phase row equals the analysis' value.
void expect_phase_row_matches(const std::string& html, const analysis::Phase& phase) {
  auto row = std::string(between(html, fmt::format("<tr data-phase=\"{}\">", phase.name), "</tr>"));
  ASSERT_FALSE(row.empty()) << phase.name;
  std::map<std::string, std::string> cells;
  for (auto& td : find_tags(row, "td", {{"class", "num"}}))
    cells[td["data-metric"]] = td["data-value"];
  EXPECT_EQ(cells["elections"], fmt::format("{}", phase.elections));
  EXPECT_EQ(cells["leader_changes"], fmt::format("{}", phase.leader_changes));
  EXPECT_EQ(cells["term_increase"], fmt::format("{}", phase.term_increase));
  EXPECT_EQ(cells["downtime_ms"], fmt::format("{}", phase.downtime_ms));
  EXPECT_EQ(cells["goodput_ratio"], fmt::format("{}", phase.goodput_ratio));
  EXPECT_EQ(cells["delayed_share"], fmt::format("{}", delayed_share(phase)));
  EXPECT_EQ(cells["ops_failed"], fmt::format("{}", phase.ops_failed));
  EXPECT_EQ(cells["p50_ms"], fmt::format("{}", phase.latency.p50_ms));
  EXPECT_EQ(cells["p99_ms"], fmt::format("{}", phase.latency.p99_ms));
}

TEST(Report, OneRunGivesAPageWithEveryFigureTheAnalysisTableAndPngs) {
  TempDir out;
  ReportOptions options;
  options.inputs = {kEtcd34};
  options.output = out / "report.html";
  options.png_dir = out / "png";
  auto outcome = make_report(options);
  EXPECT_EQ(outcome.runs, 1u);
  std::string html = testing::read_text(out / "report.html");

  for (const char* id : {"goodput", "nodes", "latency"}) {
    EXPECT_EQ(find_tags(html, "figure", {{"id", id}}).size(), 1u) << id;
  }
  EXPECT_EQ(testing::count(html, "<svg"), 3u);
  EXPECT_EQ(testing::count(html, "<figcaption>"), 3u);
  EXPECT_NE(html.find(">cloudflare-2020</h1>"), std::string::npos);

  auto loaded = load_run(kEtcd34);
  const auto& s = loaded.summary;
  EXPECT_EQ(s.during.elections, 0) << "etcd-3.4: no election while the cut lasts";
  EXPECT_GE(s.after.elections, 1) << "etcd-3.4: an election at heal";
  EXPECT_GT(s.during.term_increase, 0u) << "the cut node's term climbs";
  for (const auto* phase : {&s.before, &s.during, &s.after}) expect_phase_row_matches(html, *phase);
  EXPECT_NE(html.find(fmt::format("badge verdict-{}", analysis::to_string(s.verdict))),
            std::string::npos);
  EXPECT_NE(html.find(fmt::format("data-linearizability=\"{}\"", s.linearizability)),
            std::string::npos);

  // The shading in the goodput figure sits at the record's fault times (3 s .. 6 s).
  auto goodput = std::string(between(html, "<figure id=\"goodput\"", "</figure>"));
  auto faults = find_tags(goodput, "rect", {{"class", "fault"}});
  ASSERT_EQ(faults.size(), 1u);
  TimeAxis axis{loaded.record.meta.duration_us};
  EXPECT_NEAR(std::stod(faults[0]["x"]), axis.x(3'000'000), 0.01);
  EXPECT_NEAR(std::stod(faults[0]["x"]) + std::stod(faults[0]["width"]), axis.x(6'000'000), 0.02);

  expect_no_network_references(html);

  ASSERT_EQ(outcome.images.size(), 3u);
  for (const auto& image : outcome.images) {
    SCOPED_TRACE(image.string());
    auto png = testing::inspect_png(image);
    ASSERT_TRUE(png.loaded);
    EXPECT_EQ(png.width, 2 * 960) << "rendered at scale 2";
    EXPECT_GT(png.distinct_colours, 8u) << "not a blank picture";
  }
  // Nothing but the finished files is left in the output folders.
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(out.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 4u);
}

TEST(Report, RunsOfOneScenarioFoundBelowAFolderMakeOneComparisonOnOneTimeAxis) {
  TempDir out;
  ReportOptions options;
  options.inputs = {kScenarioDir, kEtcd35};  // the second is below the first: drawn once
  options.output = out / "compare.html";
  options.svg_dir = out / "svg";
  auto outcome = make_report(options);
  EXPECT_EQ(outcome.runs, 2u);
  std::string html = testing::read_text(options.output);
  EXPECT_NE(html.find("2 runs compared"), std::string::npos);

  // One summary table, one row per run, in the order found (sorted paths).
  auto table = std::string(between(html, "<table class=\"analysis comparison\">", "</table>"));
  auto rows = find_tags(table, "a");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["href"], "#sim-faultline-etcd-3.4-seed-7");
  EXPECT_EQ(rows[1]["href"], "#sim-faultline-etcd-3.5-seed-7");
  auto etcd35 = load_run(kEtcd35).summary;
  EXPECT_EQ(etcd35.after.elections, 0) << "etcd-3.5 (PreVote): no election at heal";
  auto elections_after = find_tags(table, "td", {{"data-metric", "elections_after"}});
  ASSERT_EQ(elections_after.size(), 2u);
  EXPECT_EQ(elections_after[1]["data-value"], "0");
  EXPECT_NE(elections_after[0]["data-value"], "0");

  // The comparison at a glance: one strip per run, each with its run's elections marked.
  auto glance = std::string(between(html, "<h2>At a glance</h2>", "<h2>Goodput</h2>"));
  EXPECT_EQ(testing::count(glance, "class=\"compared-run\""), 2u);
  auto etcd34 = load_run(kScenarioDir / "etcd-3.4" / "seed-7").summary;
  const auto all_elections = [](const analysis::Summary& s) {
    return static_cast<std::size_t>(s.before.elections + s.during.elections + s.after.elections);
  };
  EXPECT_EQ(testing::count(glance, "class=\"election\""),
            all_elections(etcd34) + all_elections(etcd35));
  EXPECT_GT(all_elections(etcd34), all_elections(etcd35)) << "etcd-3.4 elects again at heal";

  // Seven figures (the strips, then three per run), and all fault shading at the same
  // place: the axis is shared.
  EXPECT_EQ(testing::count(html, "<svg"), 7u);
  auto faults = find_tags(html, "rect", {{"class", "fault"}});
  ASSERT_EQ(faults.size(), 8u);
  for (auto& f : faults) EXPECT_EQ(f["x"], faults[0]["x"]);
  EXPECT_EQ(outcome.images.size(), 7u) << "each figure as SVG";
  expect_no_network_references(html);
}

TEST(Report, AFileWrittenAtomicallyLeavesNoTemporaryBehind) {
  TempDir out;
  write_file_atomically(out / "a.html", "first");
  write_file_atomically(out / "a.html", "second");
  EXPECT_EQ(testing::read_text(out / "a.html"), "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(out.path()), fs::directory_iterator()), 1);
}

}  // namespace
}  // namespace faultline::report
