// Latency over time: every request at its intended start, its latency on a log scale (from
// the intended start, so a stalled cluster shows as rising latency rather than as missing
// requests). Failures are crosses; timeouts (no answer) are triangles in a band above the
// plot. With more than kMaxLatencyPoints requests, the points become a density: cells
// shaded by how many requests fell in them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "report/figure_parts.h"
#include "report/figures.h"
#include "report/palette.h"

namespace faultline::report {

namespace {

constexpr double kHeight = 320;
constexpr double kTimeoutBandTop = 40;
constexpr double kPlotTop = 62;
constexpr double kPlotBottom = 264;

// A log scale over whole decades of milliseconds.
struct LatencyScale {
  double low_decade = -1;  // log10(ms) at the bottom
  double high_decade = 3;  // log10(ms) at the top
  double y(double latency_ms) const {
    double v = std::log10(std::max(latency_ms, std::pow(10.0, low_decade)));
    return kPlotBottom - (kPlotBottom - kPlotTop) * (v - low_decade) / (high_decade - low_decade);
  }
};

LatencyScale scale_for(const std::vector<LatencyPoint>& points) {
  double low = 1e18, high = 0;
  for (const auto& p : points) {
    if (p.latency_us < 0) continue;
    double ms = std::max(static_cast<double>(p.latency_us) / 1000.0, 0.01);
    low = std::min(low, ms);
    high = std::max(high, ms);
  }
  LatencyScale s;
  if (high <= 0) return s;
  s.low_decade = std::floor(std::log10(low));
  s.high_decade = std::max(std::ceil(std::log10(high)), s.low_decade + 2);
  // 100 ms, the goodput threshold, is always on the axis.
  s.low_decade = std::min(s.low_decade, 1.0);
  s.high_decade = std::max(s.high_decade, 3.0);
  return s;
}

std::string decade_label(int decade) {
  if (decade >= 3) return fmt::format("{:g} s", std::pow(10.0, decade - 3));
  return fmt::format("{:g} ms", std::pow(10.0, decade));
}

std::string cross(double x, double y) {
  return fmt::format("M{} {}l4 4m0 -4l-4 4", num(x - 2), num(y - 2));
}

void draw_points(SvgDocument& doc, const RunSeries& run, const TimeAxis& axis,
                 const LatencyScale& scale) {
  std::string ok, failed, timeouts;
  for (const auto& p : run.latencies) {
    double x = axis.x(p.at_us);
    if (p.latency_us < 0) {
      timeouts += fmt::format("M{} {}l-3 5h6z", num(x), num(kTimeoutBandTop + 4));
      continue;
    }
    double y = scale.y(static_cast<double>(p.latency_us) / 1000.0);
    if (p.outcome == record::Outcome::ok) {
      ok += fmt::format("M{} {}h0", num(x), num(y));
    } else {
      failed += cross(x, y);
    }
  }
  // One path per kind with round caps: a zero-length segment draws a dot, and the file stays
  // a fraction of the size of one <circle> per request.
  doc.raw(
      fmt::format("<path class=\"latency-ok\" d=\"{}\" stroke=\"{}\" stroke-opacity=\"0.45\" "
                  "stroke-width=\"2.6\" stroke-linecap=\"round\" fill=\"none\"/>\n",
                  ok, palette::kBlue));
  doc.raw(
      fmt::format("<path class=\"latency-failed\" d=\"{}\" stroke=\"{}\" stroke-width=\"1.3\" "
                  "fill=\"none\"/>\n",
                  failed, palette::kVermillion));
  doc.raw(fmt::format("<path class=\"latency-timeout\" d=\"{}\" fill=\"#111\"/>\n", timeouts));
}

// The density: columns of 100 ms (or wider, to stay within ~480 columns), rows of a tenth
// of a decade; each cell's opacity grows with the log of its count.
void draw_density(SvgDocument& doc, const RunSeries& run, const TimeAxis& axis,
                  const LatencyScale& scale) {
  Micros column_us = std::max<Micros>(kGoodputWindowUs, axis.end_us / 480 + 1);
  constexpr int kRowsPerDecade = 10;
  struct Cell {
    std::uint32_t ok = 0;
    std::uint32_t failed = 0;
  };
  std::map<std::pair<Micros, int>, Cell> cells;  // (column, row)
  std::map<Micros, std::uint32_t> timeouts;      // column -> count
  for (const auto& p : run.latencies) {
    Micros column = std::max<Micros>(p.at_us, 0) / column_us;
    if (p.latency_us < 0) {
      ++timeouts[column];
      continue;
    }
    double ms = std::max(static_cast<double>(p.latency_us) / 1000.0, 1e-6);
    int row = static_cast<int>(std::floor((std::log10(ms) - scale.low_decade) * kRowsPerDecade));
    auto& cell = cells[{column, std::max(row, 0)}];
    (p.outcome == record::Outcome::ok ? cell.ok : cell.failed)++;
  }
  std::uint32_t peak = 1;
  for (const auto& [key, cell] : cells) peak = std::max({peak, cell.ok, cell.failed});
  auto opacity = [&](std::uint32_t n) {
    return 0.15 + 0.85 * std::log1p(n) / std::log1p(static_cast<double>(peak));
  };
  double row_height =
      (kPlotBottom - kPlotTop) / ((scale.high_decade - scale.low_decade) * kRowsPerDecade);
  for (const auto& [key, cell] : cells) {
    auto [column, row] = key;
    double x0 = axis.x(column * column_us);
    double x1 = axis.x((column + 1) * column_us);
    double y = kPlotBottom - row_height * (row + 1);
    if (y < kPlotTop - 0.5) continue;
    // Failures win the cell's colour: they are the rarer, more important event.
    bool failures = cell.failed > 0;
    doc.rect(x0, y, x1 - x0, row_height,
             fmt::format("class=\"{}\" fill=\"{}\" fill-opacity=\"{}\"",
                         failures ? "density-failed" : "density-ok",
                         failures ? palette::kVermillion : palette::kBlue,
                         num(opacity(failures ? cell.failed : cell.ok))));
  }
  for (const auto& [column, count] : timeouts) {
    double x0 = axis.x(column * column_us);
    doc.rect(x0, kTimeoutBandTop, axis.x((column + 1) * column_us) - x0, 12,
             fmt::format("class=\"density-timeout\" fill=\"#111\" fill-opacity=\"{}\"",
                         num(0.25 + 0.75 * std::log1p(count) / std::log1p(1000.0))));
  }
}

}  // namespace

Figure latency_figure(const RunSeries& run, const TimeAxis& axis, std::string_view title) {
  SvgDocument doc(kFigureWidth, kHeight, title);
  bool density = run.latencies.size() > kMaxLatencyPoints;
  std::vector<parts::LegendItem> legend;
  if (density) {
    legend = {{parts::swatch(palette::kBlue, 0.7), "OK (density)"},
              {parts::swatch(palette::kVermillion, 0.7), "failed (density)"},
              {parts::swatch("#111", 0.7), "timed out"}};
  } else {
    legend = {
        {fmt::format("<circle cx=\"6\" cy=\"6\" r=\"2.5\" fill=\"{}\"/>", palette::kBlue), "OK"},
        {fmt::format("<path d=\"M3 3l6 6m0 -6l-6 6\" stroke=\"{}\" stroke-width=\"1.5\"/>",
                     palette::kVermillion),
         "failed"},
        {"<path d=\"M6 2l-4 8h8z\" fill=\"#111\"/>", "timed out (no answer)"}};
  }
  legend.push_back({parts::line_mark("#555", "2 2", 1), "100 ms"});
  parts::begin_body(doc, title, legend);

  LatencyScale scale = scale_for(run.latencies);
  for (int d = static_cast<int>(scale.low_decade); d <= static_cast<int>(scale.high_decade); ++d) {
    double y = scale.y(std::pow(10.0, d));
    doc.line(kPlotLeft, y, kPlotRight, y, fmt::format("stroke=\"{}\"", palette::kGrid));
    doc.text(kPlotLeft - 6, y + 4, decade_label(d), "end", "font-size=\"11\" fill=\"#444\"");
  }
  doc.text(kPlotLeft - 6, kTimeoutBandTop + 10, "timeout", "end", "font-size=\"10\" fill=\"#444\"");
  doc.rect(kPlotLeft, kTimeoutBandTop, kPlotRight - kPlotLeft, 12, "fill=\"#f4f4f4\"");
  parts::time_axis(doc, axis, kPlotTop, kPlotBottom);
  parts::fault_shading(doc, run.faults, axis, kTimeoutBandTop, kPlotBottom, /*labels=*/false);
  doc.line(kPlotLeft, kPlotTop, kPlotLeft, kPlotBottom,
           fmt::format("stroke=\"{}\"", palette::kAxis));
  doc.text(18, (kPlotTop + kPlotBottom) / 2, "latency (log scale)", "middle",
           fmt::format("font-size=\"12\" fill=\"#222\" transform=\"rotate(-90 18 {})\"",
                       num((kPlotTop + kPlotBottom) / 2)));

  if (density) {
    draw_density(doc, run, axis, scale);
  } else {
    draw_points(doc, run, axis, scale);
  }
  double y100 = scale.y(100);
  doc.line(kPlotLeft, y100, kPlotRight, y100,
           "class=\"threshold\" stroke=\"#555\" stroke-dasharray=\"2 2\"");
  parts::end_body(doc);
  return {"latency", std::string(title), doc.finish()};
}

}  // namespace faultline::report
