// Each node as a lane: a bar coloured by role over time (leader, follower, pre-candidate,
// candidate, down), the node's term as a step line under it with the value written at each
// change (where it fits), and a triangle wherever the node became leader. Fault periods are
// shaded across all lanes so a reader sees what each node did while links were cut.
#include <fmt/format.h>

#include <algorithm>

#include "report/figure_parts.h"
#include "report/figures.h"
#include "report/palette.h"

namespace faultline::report {

namespace {

constexpr double kPlotTop = 42;
constexpr double kRoleHeight = 18;
constexpr double kTermHeight = 30;
constexpr double kLaneGap = 14;
constexpr double kLaneHeight = kRoleHeight + kTermHeight + kLaneGap;

std::string_view role_name(record::Role role) {
  switch (role) {
    case record::Role::leader:
      return "leader";
    case record::Role::candidate:
      return "candidate";
    case record::Role::pre_candidate:
      return "pre-candidate";
    case record::Role::down:
      return "down";
    case record::Role::follower:
      break;
  }
  return "follower";
}

void draw_lane(SvgDocument& doc, const NodeTimeline& node, const TimeAxis& axis, double top,
               std::uint64_t max_term) {
  doc.text(kPlotLeft - 8, top + 13, node_label(node.node), "end",
           "font-size=\"13\" font-weight=\"bold\" fill=\"#222\"");
  doc.text(kPlotLeft - 8, top + kRoleHeight + 20, "term", "end", "font-size=\"10\" fill=\"#666\"");
  doc.rect(kPlotLeft, top, kPlotRight - kPlotLeft, kRoleHeight,
           "fill=\"#ffffff\" stroke=\"#bbb\" stroke-width=\"0.5\"");
  for (const auto& span : node.roles) {
    doc.open_group(fmt::format("class=\"role role-{}\"", role_name(span.role)));
    doc.title(fmt::format("{} {} from {} to {}", node_label(node.node), role_name(span.role),
                          parts::seconds(span.start_us), parts::seconds(span.end_us)));
    double x0 = axis.x(span.start_us);
    // Very short spans (a candidate for 2 ms) still get one visible pixel.
    double width = std::max(axis.x(span.end_us) - x0, 1.0);
    doc.rect(x0, top, width, kRoleHeight,
             fmt::format("fill=\"{}\"", palette::role_colour(span.role)));
    doc.close_group();
  }

  // Term: a step line scaled to the page's highest term, with numbers at changes.
  double strip_top = top + kRoleHeight + 4;
  double strip_bottom = top + kRoleHeight + kTermHeight - 2;
  auto y = [&](std::uint64_t term) {
    double share = max_term == 0 ? 0 : static_cast<double>(term) / static_cast<double>(max_term);
    return strip_bottom - (strip_bottom - strip_top - 10) * share;
  };
  doc.line(kPlotLeft, strip_bottom, kPlotRight, strip_bottom, "stroke=\"#ddd\"");
  if (node.terms.empty()) return;
  std::string d =
      fmt::format("M{} {}", num(axis.x(node.terms[0].at_us)), num(y(node.terms[0].term)));
  for (std::size_t i = 1; i < node.terms.size(); ++i) {
    d += fmt::format("H{}V{}", num(axis.x(node.terms[i].at_us)), num(y(node.terms[i].term)));
  }
  d += fmt::format("H{}", num(kPlotRight));
  doc.raw(
      fmt::format("<path class=\"term\" d=\"{}\" fill=\"none\" stroke=\"#333\" "
                  "stroke-width=\"1.3\"/>\n",
                  d));
  double last_label_end = -1;
  for (std::size_t i = 0; i < node.terms.size(); ++i) {
    const auto& step = node.terms[i];
    std::string label = fmt::format("{}", step.term);
    double x = axis.x(step.at_us) + 2;
    double width = text_width(label, 10) + 3;
    bool last = i + 1 == node.terms.size();
    if (x <= last_label_end || (x + width > kPlotRight && !last)) continue;
    doc.text(std::min(x, kPlotRight - width), y(step.term) - 2, label, "start",
             "class=\"term-label\" font-size=\"10\" fill=\"#333\"");
    last_label_end = x + width;
  }

  for (Micros at : node.elected_us) {
    doc.open_group("class=\"election\"");
    doc.title(fmt::format("{} became leader at {}", node_label(node.node), parts::seconds(at)));
    doc.raw(parts::election_triangle(axis.x(at), top - 1));
    doc.close_group();
  }
}

}  // namespace

Figure node_lanes_figure(const RunSeries& run, const TimeAxis& axis, std::string_view title) {
  double plot_bottom = kPlotTop + kLaneHeight * static_cast<double>(run.nodes.size());
  double height = plot_bottom + 44;
  SvgDocument doc(kFigureWidth, height, title);
  std::vector<parts::LegendItem> legend;
  for (auto role : {record::Role::leader, record::Role::follower, record::Role::pre_candidate,
                    record::Role::candidate, record::Role::down}) {
    legend.push_back({parts::swatch(palette::role_colour(role)), std::string(role_name(role))});
  }
  legend.push_back({parts::line_mark("#333", "", 1.3), "term"});
  legend.push_back({parts::election_mark(), "became leader"});
  parts::begin_body(doc, title, legend);

  parts::time_axis(doc, axis, kPlotTop - 6, plot_bottom - kLaneGap + 2);
  // Shading under the lanes: the role colours stay true, the fault shows between them.
  parts::fault_shading(doc, run.faults, axis, kPlotTop - 6, plot_bottom - kLaneGap + 2,
                       /*labels=*/false);
  double top = kPlotTop;
  for (const auto& node : run.nodes) {
    draw_lane(doc, node, axis, top, run.max_term);
    top += kLaneHeight;
  }
  parts::end_body(doc);
  return {"nodes", std::string(title), doc.finish()};
}

}  // namespace faultline::report
