// The comparison at a glance: one goodput strip per run on one time axis, so profiles,
// the simulator and the lab, faultline and etcd can be read against each other in one
// picture. Each strip shows the share of each 100 ms window's offered requests that finished
// OK within 100 ms (a ratio, so runs at different rates compare), the fault periods shaded,
// and the elections marked; its label names the run and gives its elections and term rise.
#include <fmt/format.h>

#include <algorithm>

#include "report/figure_parts.h"
#include "report/figures.h"
#include "report/palette.h"

namespace faultline::report {

namespace {

constexpr double kLabelRow = 30;  // the run's label, then room for the election marks
constexpr double kStrip = 46;     // the strip itself
constexpr double kGap = 10;
constexpr double kTop = 40;
constexpr double kAxisRoom = 46;  // second labels and the axis caption under the last strip

// A step path of the windows' on-time ratio, closed to the strip's baseline for a fill.
// Windows with nothing offered are drawn as full (nothing was asked, nothing was missed)
// only when they sit between windows that had load; at the very start they are skipped.
std::string ratio_path(const std::vector<analysis::Window>& windows, const TimeAxis& axis,
                       double top, double bottom) {
  std::string d;
  if (windows.empty()) return d;
  auto y = [&](double ratio) { return bottom - (bottom - top) * std::clamp(ratio, 0.0, 1.0); };
  auto ratio = [](const analysis::Window& w) {
    return w.offered == 0 ? 1.0 : static_cast<double>(w.on_time) / w.offered;
  };
  double previous = ratio(windows.front());
  d += fmt::format("M{} {}V{}", num(axis.x(windows.front().start_us)), num(bottom),
                   num(y(previous)));
  for (const auto& w : windows) {
    double r = ratio(w);
    if (r != previous) {
      d += fmt::format("H{}V{}", num(axis.x(w.start_us)), num(y(r)));
      previous = r;
    }
  }
  d += fmt::format("H{}V{}Z", num(axis.x(windows.back().start_us + kGoodputWindowUs)), num(bottom));
  return d;
}

}  // namespace

Figure comparison_figure(const std::vector<ComparedRun>& runs, const TimeAxis& axis,
                         std::string_view title) {
  const double per_run = kLabelRow + kStrip + kGap;
  const double height = kTop + per_run * static_cast<double>(runs.size()) + kAxisRoom;
  SvgDocument doc(kFigureWidth, height, title);
  parts::begin_body(doc, title,
                    {{parts::swatch(palette::kBlue, 0.55), "share finished OK < 100 ms"},
                     {parts::swatch(palette::kFaultFill, 0.25), "fault in force"},
                     {parts::election_mark(), "election"}});

  double top = kTop;
  for (const auto& run : runs) {
    const RunSeries& s = *run.series;
    const double strip_top = top + kLabelRow;
    const double strip_bottom = strip_top + kStrip;
    doc.open_group("class=\"compared-run\"");
    doc.text(kPlotLeft, top + 13, run.label, "start", "font-size=\"12.5\" font-weight=\"bold\"");
    doc.text(kPlotRight, top + 13, run.note, "end", "font-size=\"11.5\" fill=\"#444\"");
    doc.rect(kPlotLeft, strip_top, kPlotRight - kPlotLeft, kStrip,
             fmt::format("fill=\"none\" stroke=\"{}\"", palette::kGrid));
    parts::fault_shading(doc, s.faults, axis, strip_top, strip_bottom, /*labels=*/false);
    for (double level : {0.5, 1.0}) {
      const double y = strip_bottom - kStrip * level;
      doc.line(kPlotLeft, y, kPlotRight, y,
               fmt::format("stroke=\"{}\" stroke-dasharray=\"2 3\"", palette::kGrid));
    }
    doc.text(kPlotLeft - 6, strip_top + 4, "100%", "end", "font-size=\"10\" fill=\"#444\"");
    doc.text(kPlotLeft - 6, strip_bottom + 3, "0", "end", "font-size=\"10\" fill=\"#444\"");
    doc.raw(fmt::format(
        "<path class=\"goodput-ratio\" d=\"{}\" fill=\"{}\" fill-opacity=\"0.55\" stroke=\"{}\" "
        "stroke-width=\"1\"/>\n",
        ratio_path(s.goodput, axis, strip_top, strip_bottom), palette::kBlue, palette::kBlue));
    for (const auto& e : s.elections) {
      doc.open_group("class=\"election\"");
      doc.title(fmt::format("election: {} leader of term {} at {}", node_label(e.leader), e.term,
                            parts::seconds(e.time_us)));
      doc.raw(parts::election_triangle(axis.x(e.time_us), strip_top - 1));
      doc.close_group();
    }
    doc.close_group();
    top += per_run;
  }
  parts::time_axis(doc, axis, top - kGap, top - kGap);
  parts::end_body(doc);
  return {"comparison", std::string(title), doc.finish()};
}

}  // namespace faultline::report
