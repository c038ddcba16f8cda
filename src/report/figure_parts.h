// Pieces every time-based figure draws the same way: the title row, tick positions, the
// time axis, fault shading and the legend. Internal to src/report.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/figures.h"
#include "report/svg.h"

namespace faultline::report::parts {

// "Nice" tick values (1, 2 or 5 times a power of ten) covering [low, high], at most
// about `max_ticks` of them.
std::vector<double> nice_ticks(double low, double high, int max_ticks);

// The figure's title at the top left.
void title_row(SvgDocument& doc, std::string_view title);

// Vertical grid lines and second labels under the plot, with the axis caption.
void time_axis(SvgDocument& doc, const TimeAxis& axis, double plot_top, double plot_bottom);

// Shades every fault period over [plot_top, plot_bottom]; with `labels`, writes what was cut
// at the top of each period where it fits (the tooltip always has the full text). Each
// shading rect carries class="fault" and data-start-us / data-end-us.
void fault_shading(SvgDocument& doc, const std::vector<FaultPeriod>& faults, const TimeAxis& axis,
                   double plot_top, double plot_bottom, bool labels);

// One legend entry: a swatch drawn by `mark` (SVG markup placed at the origin, about 12x12
// px), then the label.
struct LegendItem {
  std::string mark;
  std::string label;
};
// Lays the entries out in a row ending at `right`, baseline `y`; returns the row's left edge.
double legend_row(SvgDocument& doc, const std::vector<LegendItem>& items, double right, double y);

// The title at the top left and the legend at the top right. When both do not fit on one
// row, the legend gets a row of its own: the document grows, and everything drawn until
// end_body() is moved down by the same amount (so plot coordinates never change).
void begin_body(SvgDocument& doc, std::string_view title, const std::vector<LegendItem>& legend);
void end_body(SvgDocument& doc);

// Marks for legends and plots.
std::string swatch(std::string_view fill, double opacity = 1.0);
std::string line_mark(std::string_view stroke, std::string_view dash = "", double width = 2);
std::string election_mark();
// A downward triangle whose tip is at (x, y): where a node became leader.
std::string election_triangle(double x, double y);

// "12.5 s" and "1.2 s–4 s" style labels.
std::string seconds(Micros t);

}  // namespace faultline::report::parts
