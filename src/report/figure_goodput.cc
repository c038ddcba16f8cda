// Goodput over time, as the paper drew it: per 100 ms window, the requests that finished
// OK within 100 ms (a filled step area) against the requests offered (a dashed step line),
// with the fault periods shaded and labelled and the elections marked on top.
#include <fmt/format.h>

#include <algorithm>

#include "report/figure_parts.h"
#include "report/figures.h"
#include "report/palette.h"

namespace faultline::report {

namespace {

constexpr double kHeight = 290;
constexpr double kPlotTop = 40;
constexpr double kPlotBottom = 236;

// A step path through the windows' values; `closed` returns to the baseline for a fill.
std::string step_path(const std::vector<analysis::Window>& windows, const TimeAxis& axis,
                      double y_max, bool offered, bool closed) {
  auto y = [&](double v) { return kPlotBottom - (kPlotBottom - kPlotTop) * v / y_max; };
  std::string d;
  d.reserve(windows.size() * 16);
  if (windows.empty()) return d;
  double first = offered ? windows[0].offered : windows[0].on_time;
  d += closed ? fmt::format("M{} {}V{}", num(axis.x(0)), num(kPlotBottom), num(y(first)))
              : fmt::format("M{} {}", num(axis.x(0)), num(y(first)));
  double previous = first;
  for (const auto& w : windows) {
    double v = offered ? w.offered : w.on_time;
    if (v != previous) {
      d += fmt::format("H{}V{}", num(axis.x(w.start_us)), num(y(v)));
      previous = v;
    }
  }
  d += fmt::format("H{}", num(axis.x(windows.back().start_us + kGoodputWindowUs)));
  if (closed) d += fmt::format("V{}Z", num(kPlotBottom));
  return d;
}

}  // namespace

Figure goodput_figure(const RunSeries& run, const TimeAxis& axis, std::string_view title) {
  SvgDocument doc(kFigureWidth, kHeight, title);
  parts::begin_body(doc, title,
                    {{parts::swatch(palette::kBlue, 0.55), "finished OK < 100 ms"},
                     {parts::line_mark(palette::kMuted, "4 3", 1.5), "offered"},
                     {parts::swatch(palette::kFaultFill, 0.25), "fault in force"},
                     {parts::election_mark(), "election"}});

  std::uint32_t peak = 1;
  for (const auto& w : run.goodput) peak = std::max({peak, w.offered, w.on_time});
  auto ticks = parts::nice_ticks(0, peak * 1.08, 5);
  double y_max = std::max(ticks.back(), peak * 1.08);
  auto y = [&](double v) { return kPlotBottom - (kPlotBottom - kPlotTop) * v / y_max; };

  for (double t : ticks) {
    doc.line(kPlotLeft, y(t), kPlotRight, y(t), fmt::format("stroke=\"{}\"", palette::kGrid));
    doc.text(kPlotLeft - 6, y(t) + 4, num(t), "end", "font-size=\"11\" fill=\"#444\"");
  }
  parts::time_axis(doc, axis, kPlotTop, kPlotBottom);
  parts::fault_shading(doc, run.faults, axis, kPlotTop, kPlotBottom, /*labels=*/true);
  doc.line(kPlotLeft, kPlotTop, kPlotLeft, kPlotBottom,
           fmt::format("stroke=\"{}\"", palette::kAxis));
  doc.text(18, (kPlotTop + kPlotBottom) / 2, "requests / 100 ms", "middle",
           fmt::format("font-size=\"12\" fill=\"#222\" transform=\"rotate(-90 18 {})\"",
                       num((kPlotTop + kPlotBottom) / 2)));

  doc.raw(fmt::format(
      "<path class=\"goodput\" d=\"{}\" fill=\"{}\" fill-opacity=\"0.55\" stroke=\"{}\" "
      "stroke-width=\"1\"/>\n",
      step_path(run.goodput, axis, y_max, false, true), palette::kBlue, palette::kBlue));
  doc.raw(fmt::format(
      "<path class=\"offered\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" "
      "stroke-dasharray=\"4 3\"/>\n",
      step_path(run.goodput, axis, y_max, true, false), palette::kMuted));

  for (const auto& e : run.elections) {
    doc.open_group("class=\"election\"");
    doc.title(fmt::format("election: {} leader of term {} at {}", node_label(e.leader), e.term,
                          parts::seconds(e.time_us)));
    doc.raw(parts::election_triangle(axis.x(e.time_us), kPlotTop - 1));
    doc.close_group();
  }
  parts::end_body(doc);
  return {"goodput", std::string(title), doc.finish()};
}

}  // namespace faultline::report
