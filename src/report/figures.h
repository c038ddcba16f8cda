// The figures of a run, each a standalone SVG: goodput over time (the paper's figure),
// each node as a lane (role, term, elections), latency of every request, and the atlas
// grid. Every time-based figure of one page shares one TimeAxis so that stacked figures of
// different runs line up.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/series.h"

namespace faultline::report {

struct Figure {
  std::string kind;   // "goodput", "nodes", "latency", "atlas": also the PNG file name's end
  std::string title;  // shown above the figure and used as its accessible name
  std::string svg;    // a standalone SVG document
};

// Every figure is this wide; the time axis runs from kPlotLeft to kPlotRight.
inline constexpr double kFigureWidth = 960;
inline constexpr double kPlotLeft = 78;
inline constexpr double kPlotRight = 936;

// Maps run time to a horizontal pixel position; shared by every figure of a page.
struct TimeAxis {
  Micros end_us = 1;
  double x(Micros t) const {
    return kPlotLeft + (kPlotRight - kPlotLeft) * static_cast<double>(t) /
                           static_cast<double>(end_us > 0 ? end_us : 1);
  }
};

// Above this many requests the latency figure draws a density instead of every point.
inline constexpr std::size_t kMaxLatencyPoints = 20'000;

Figure goodput_figure(const RunSeries& run, const TimeAxis& axis, std::string_view title);
Figure node_lanes_figure(const RunSeries& run, const TimeAxis& axis, std::string_view title);
Figure latency_figure(const RunSeries& run, const TimeAxis& axis, std::string_view title);

// One run of a comparison: its strip's label (left) and note (right, e.g. its elections).
struct ComparedRun {
  std::string label;
  std::string note;
  const RunSeries* series = nullptr;
};
// Every run's goodput as a strip on one time axis: the comparison in one picture.
Figure comparison_figure(const std::vector<ComparedRun>& runs, const TimeAxis& axis,
                         std::string_view title);

}  // namespace faultline::report
