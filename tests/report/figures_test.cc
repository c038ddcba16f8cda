// The figures of the synthetic cloudflare-2020 run, read back from their SVG: the faults are
// shaded exactly where they happened, elections are marked where the analysis found them,
// and the latency figure switches to a density when there are too many requests.
#include "report/figures.h"

#include <gtest/gtest.h>

#include <cmath>

#include "report/report.h"
#include "report/series.h"
#include "synthetic_run.h"
#include "test_files.h"

namespace faultline::report {
namespace {

using testing::find_tags;

struct Drawn {
  LoadedRun run;
  RunSeries series;
  TimeAxis axis;
};

Drawn draw(const testing::SyntheticRun& params) {
  Drawn d{analyse_run(testing::make_run(params)), {}, {}};
  d.series = compute_series(d.run.record, d.run.summary);
  d.axis.end_us = d.series.end_us;
  return d;
}

// The 60 s, 60 000-request run, analysed once for all the tests below.
const Drawn& cloudflare() {
  static const Drawn drawn = draw({});
  return drawn;
}

void expect_fault_shading_at(const std::string& svg, const TimeAxis& axis, Micros start,
                             Micros end) {
  auto rects = find_tags(svg, "rect", {{"class", "fault"}});
  ASSERT_EQ(rects.size(), 1u) << "one fault period, one shaded rect";
  EXPECT_EQ(rects[0]["data-start-us"], std::to_string(start));
  EXPECT_EQ(rects[0]["data-end-us"], std::to_string(end));
  EXPECT_NEAR(std::stod(rects[0]["x"]), axis.x(start), 0.01);
  EXPECT_NEAR(std::stod(rects[0]["width"]), axis.x(end) - axis.x(start), 0.02);
}

TEST(Figures, EveryTimeFigureShadesTheCutFromTwentyToFortySeconds) {
  const auto& d = cloudflare();
  // The pixel positions themselves, for a 60 s axis from kPlotLeft to kPlotRight.
  EXPECT_NEAR(d.axis.x(20'000'000), kPlotLeft + (kPlotRight - kPlotLeft) / 3, 0.01);
  for (const auto& figure :
       {goodput_figure(d.series, d.axis, "g"), node_lanes_figure(d.series, d.axis, "n"),
        latency_figure(d.series, d.axis, "l")}) {
    SCOPED_TRACE(figure.kind);
    expect_fault_shading_at(figure.svg, d.axis, 20'000'000, 40'000'000);
  }
}

TEST(Figures, TheGoodputFigureLabelsTheCutAndMarksEachElectionOfTheAnalysis) {
  const auto& d = cloudflare();
  auto figure = goodput_figure(d.series, d.axis, "Goodput");
  EXPECT_EQ(figure.kind, "goodput");
  EXPECT_NE(figure.svg.find(">cut n1 ↔ n3</text>"), std::string::npos);
  EXPECT_NE(figure.svg.find("20 s–40 s"), std::string::npos);
  ASSERT_GE(d.run.summary.elections.size(), 2u) << "the first election and one at heal";
  EXPECT_EQ(testing::count(figure.svg, "class=\"election\""), d.run.summary.elections.size());
  // Axis captions with units, and the two series.
  EXPECT_NE(figure.svg.find("requests / 100 ms"), std::string::npos);
  EXPECT_NE(figure.svg.find("time since the run started (s)"), std::string::npos);
  EXPECT_EQ(find_tags(figure.svg, "path", {{"class", "goodput"}}).size(), 1u);
  EXPECT_EQ(find_tags(figure.svg, "path", {{"class", "offered"}}).size(), 1u);
}

TEST(Figures, TheNodeLanesShowTheCutFollowerCampaigningAndItsTermAtChanges) {
  const auto& d = cloudflare();
  auto figure = node_lanes_figure(d.series, d.axis, "Nodes");
  for (const char* node : {">n1</text>", ">n2</text>", ">n3</text>"}) {
    EXPECT_NE(figure.svg.find(node), std::string::npos) << node;
  }
  EXPECT_GE(testing::count(figure.svg, "class=\"role role-candidate\""), 1u);
  EXPECT_GE(testing::count(figure.svg, "class=\"role role-leader\""), 2u) << "n3, then n2";
  EXPECT_EQ(find_tags(figure.svg, "path", {{"class", "term"}}).size(), 3u);
  // The climbing term is written at changes, the highest value included.
  std::string top = std::to_string(d.series.max_term);
  EXPECT_NE(figure.svg.find(">" + top + "</text>"), std::string::npos);
  // Label thinning: never more labels than changes.
  std::size_t changes = 0;
  for (const auto& n : d.series.nodes) changes += n.terms.size();
  EXPECT_LE(testing::count(figure.svg, "class=\"term-label\""), changes);
}

TEST(Figures, LatencyDrawsEveryRequestWhenFewAndADensityWhenMany) {
  testing::SyntheticRun small;
  small.duration_us = 10'000'000;
  small.cut_us = 3'000'000;
  small.heal_us = 6'000'000;
  small.ops_per_second = 200;
  auto few = draw(small);
  auto points = latency_figure(few.series, few.axis, "few");
  std::size_t timeouts = 0, failed = 0;
  for (const auto& op : few.run.record.ops) {
    timeouts += op.outcome == record::Outcome::timeout;
    failed += op.outcome == record::Outcome::fail;
  }
  ASSERT_GT(timeouts, 0u);
  ASSERT_GT(failed, 0u);
  EXPECT_EQ(find_tags(points.svg, "path", {{"class", "latency-ok"}}).size(), 1u);
  EXPECT_EQ(testing::count(points.svg, "l-3 5h6z"), timeouts) << "one triangle per timeout";
  EXPECT_EQ(testing::count(points.svg, "l4 4m0 -4l-4 4"), failed) << "one cross per failure";
  EXPECT_EQ(testing::count(points.svg, "density-"), 0u);

  const auto& many = cloudflare();  // 60 000 requests
  ASSERT_GT(many.run.record.ops.size(), kMaxLatencyPoints);
  auto density = latency_figure(many.series, many.axis, "many");
  EXPECT_EQ(find_tags(density.svg, "path", {{"class", "latency-ok"}}).size(), 0u);
  EXPECT_GT(testing::count(density.svg, "class=\"density-ok\""), 100u);
  EXPECT_GT(testing::count(density.svg, "class=\"density-failed\""), 0u);
  EXPECT_GT(testing::count(density.svg, "class=\"density-timeout\""), 0u);
  EXPECT_LT(density.svg.size(), 2'000'000u) << "a density keeps the page small";
}

TEST(Figures, RunsOfDifferentLengthsShareOneTimeAxis) {
  testing::SyntheticRun shorter;
  shorter.duration_us = 30'000'000;
  shorter.cut_us = 10'000'000;
  shorter.heal_us = 20'000'000;
  auto d = draw(shorter);
  TimeAxis shared{60'000'000};  // the longest run of the page
  auto figure = goodput_figure(d.series, shared, "shorter");
  expect_fault_shading_at(figure.svg, shared, 10'000'000, 20'000'000);
  EXPECT_NEAR(shared.x(10'000'000), kPlotLeft + (kPlotRight - kPlotLeft) / 6, 0.01);
}

}  // namespace
}  // namespace faultline::report
