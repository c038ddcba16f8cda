#include "report/figure_parts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/palette.h"

namespace faultline::report::parts {

std::vector<double> nice_ticks(double low, double high, int max_ticks) {
  std::vector<double> ticks;
  if (!(high > low) || max_ticks < 1) return {low};
  double raw = (high - low) / max_ticks;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  double first = std::ceil(low / step - 1e-9) * step;
  // Bounded: at most max_ticks + 2 values by construction of `step`.
  for (double v = first; v <= high + step * 1e-9 && ticks.size() < 1000; v += step) {
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

void title_row(SvgDocument& doc, std::string_view title) {
  doc.text(kPlotLeft - 60, 20, title, "start",
           "font-size=\"14\" font-weight=\"bold\" fill=\"#222\"");
}

std::string seconds(Micros t) {
  double s = static_cast<double>(t) / 1e6;
  if (std::abs(s - std::round(s)) < 1e-9) return fmt::format("{:.0f} s", s);
  return fmt::format("{:.1f} s", s);
}

void time_axis(SvgDocument& doc, const TimeAxis& axis, double plot_top, double plot_bottom) {
  double end_s = static_cast<double>(axis.end_us) / 1e6;
  for (double s : nice_ticks(0, end_s, 12)) {
    double x = axis.x(static_cast<Micros>(std::llround(s * 1e6)));
    doc.line(x, plot_top, x, plot_bottom, fmt::format("stroke=\"{}\"", palette::kGrid));
    doc.line(x, plot_bottom, x, plot_bottom + 4, fmt::format("stroke=\"{}\"", palette::kAxis));
    doc.text(x, plot_bottom + 16, num(s), "middle", "font-size=\"11\" fill=\"#444\"");
  }
  doc.line(kPlotLeft, plot_bottom, kPlotRight, plot_bottom,
           fmt::format("stroke=\"{}\"", palette::kAxis));
  doc.text((kPlotLeft + kPlotRight) / 2, plot_bottom + 32, "time since the run started (s)",
           "middle", "font-size=\"12\" fill=\"#222\"");
}

void fault_shading(SvgDocument& doc, const std::vector<FaultPeriod>& faults, const TimeAxis& axis,
                   double plot_top, double plot_bottom, bool labels) {
  double last_label_end = -1;
  for (const auto& f : faults) {
    double x0 = axis.x(f.start_us);
    double x1 = axis.x(f.end_us);
    std::string when = fmt::format("{}–{}{}", seconds(f.start_us), seconds(f.end_us),
                                   f.healed ? "" : " (not healed)");
    doc.open_group("class=\"fault-period\"");
    doc.title(
        fmt::format("{} ({}){}{}", f.summary, when, f.scenario.empty() ? "" : ": ", f.scenario));
    doc.rect(x0, plot_top, x1 - x0, plot_bottom - plot_top,
             fmt::format("class=\"fault\" data-start-us=\"{}\" data-end-us=\"{}\" fill=\"{}\" "
                         "fill-opacity=\"{}\"",
                         f.start_us, f.end_us, palette::kFaultFill, palette::kFaultOpacity));
    doc.line(x0, plot_top, x0, plot_bottom,
             fmt::format("stroke=\"{}\" stroke-opacity=\"0.5\"", palette::kFaultFill));
    doc.close_group();
    if (!labels) continue;
    // Label only where it fits inside the period and clears the previous label.
    double width = std::max(text_width(f.summary, 11), text_width(when, 10)) + 8;
    if (x1 - x0 >= width && x0 > last_label_end) {
      doc.text(x0 + 4, plot_top + 13, f.summary, "start",
               "class=\"fault-label\" font-size=\"11\" font-weight=\"bold\" fill=\"#8a3a00\"");
      doc.text(x0 + 4, plot_top + 26, when, "start", "font-size=\"10\" fill=\"#8a3a00\"");
      last_label_end = x0 + width;
    }
  }
}

namespace {
double legend_width(const std::vector<LegendItem>& items) {
  double total = 0;
  for (const auto& item : items) total += 16 + text_width(item.label, 11) + 16;
  return total;
}
}  // namespace

double legend_row(SvgDocument& doc, const std::vector<LegendItem>& items, double right, double y) {
  double x = right - legend_width(items);
  double left = x;
  for (const auto& item : items) {
    doc.raw(
        fmt::format("<g transform=\"translate({},{})\">{}</g>\n", num(x), num(y - 10), item.mark));
    doc.text(x + 16, y, item.label, "start", "font-size=\"11\" fill=\"#333\"");
    x += 16 + text_width(item.label, 11) + 16;
  }
  return left;
}

void begin_body(SvgDocument& doc, std::string_view title, const std::vector<LegendItem>& legend) {
  title_row(doc, title);
  double title_end = kPlotLeft - 60 + text_width(title, 14) * 1.05;
  bool beside = kPlotRight - legend_width(legend) > title_end + 16;
  double shift = beside ? 0 : 20;
  legend_row(doc, legend, kPlotRight, 20 + shift);
  doc.grow(shift);
  doc.open_group(fmt::format("transform=\"translate(0 {})\"", num(shift)));
}

void end_body(SvgDocument& doc) { doc.close_group(); }

std::string swatch(std::string_view fill, double opacity) {
  return fmt::format(
      "<rect x=\"0\" y=\"1\" width=\"12\" height=\"10\" fill=\"{}\" fill-opacity=\"{}\" "
      "stroke=\"#666\" stroke-width=\"0.5\"/>",
      fill, num(opacity));
}

std::string line_mark(std::string_view stroke, std::string_view dash, double width) {
  return fmt::format(
      "<line x1=\"0\" y1=\"6\" x2=\"12\" y2=\"6\" stroke=\"{}\" stroke-width=\"{}\"{}/>", stroke,
      num(width), dash.empty() ? "" : fmt::format(" stroke-dasharray=\"{}\"", dash));
}

std::string election_triangle(double x, double y) {
  return fmt::format("<path d=\"M{} {}l-5 -8h10z\" fill=\"#111\"/>", num(x), num(y));
}

std::string election_mark() { return election_triangle(6, 10); }

}  // namespace faultline::report::parts
