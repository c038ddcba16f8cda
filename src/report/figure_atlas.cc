// The atlas drawn: coverage per profile as bars, then one card per topology: the nodes on
// a circle with every cut link dashed in vermillion (an arrowhead when only one direction is
// cut, pointing the way the packets are dropped), the leader filled blue, a lagging node
// ringed orange, quorum-connected nodes ringed green; under it one cell per profile,
// coloured by verdict and giving the downtime.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>

#include "report/atlas.h"
#include "report/figure_parts.h"
#include "report/palette.h"
#include "report/svg.h"

namespace faultline::report {

namespace {

constexpr int kColumns = 4;
constexpr double kCardWidth = 222;
constexpr double kCardGap = 8;
constexpr double kGridLeft = 18;
constexpr double kGraphHeight = 118;
constexpr double kResultRow = 17;
constexpr double kGridTop = 62;

// Dark text on light verdict colours, white on dark ones, so the words stay readable.
std::string_view verdict_text_colour(std::string_view verdict) {
  return verdict == "stable" || verdict == "livelock" ? "#ffffff" : "#111111";
}

std::string downtime_text(const AtlasResult& r) {
  if (!r.downtime_ms) return "";
  if (*r.downtime_ms >= 1000) return fmt::format(" · {:.1f} s", *r.downtime_ms / 1000);
  return fmt::format(" · {:.0f} ms", *r.downtime_ms);
}

void draw_graph(SvgDocument& doc, const Atlas& atlas, const AtlasTopology& topo, double left,
                double top) {
  double cx = left + kCardWidth / 2;
  double cy = top + 58;
  double radius = 38;
  auto position = [&](int node) {
    double angle = -std::numbers::pi / 2 + 2 * std::numbers::pi * (node - 1) / atlas.nodes;
    return std::pair{cx + radius * std::cos(angle), cy + radius * std::sin(angle)};
  };
  std::set<std::pair<int, int>> cut(topo.cut_links.begin(), topo.cut_links.end());
  for (int a = 1; a <= atlas.nodes; ++a) {
    for (int b = a + 1; b <= atlas.nodes; ++b) {
      auto [ax, ay] = position(a);
      auto [bx, by] = position(b);
      bool ab = cut.count({a, b}) > 0;
      bool ba = cut.count({b, a}) > 0;
      if (!ab && !ba) {
        doc.line(ax, ay, bx, by, "stroke=\"#9a9a9a\" stroke-width=\"1.5\"");
        continue;
      }
      doc.open_group("class=\"cut-link\"");
      doc.title(ab && ba ? fmt::format("n{} ↔ n{} cut both ways", a, b)
                         : fmt::format("n{} → n{} cut (the other direction works)", ab ? a : b,
                                       ab ? b : a));
      doc.line(ax, ay, bx, by,
               fmt::format("stroke=\"{}\" stroke-width=\"1.8\" stroke-dasharray=\"4 3\"",
                           palette::kVermillion));
      if (ab != ba) {
        // An arrowhead just outside the receiving node's circle.
        auto [fx, fy] = ab ? position(a) : position(b);
        auto [tx, ty] = ab ? position(b) : position(a);
        double length = std::hypot(tx - fx, ty - fy);
        double ux = (tx - fx) / length, uy = (ty - fy) / length;
        double px = tx - ux * 13, py = ty - uy * 13;
        doc.raw(fmt::format("<path d=\"M{} {}L{} {}L{} {}z\" fill=\"{}\"/>\n", num(px), num(py),
                            num(px - ux * 8 - uy * 4), num(py - uy * 8 + ux * 4),
                            num(px - ux * 8 + uy * 4), num(py - uy * 8 - ux * 4),
                            palette::kVermillion));
      }
      doc.close_group();
    }
  }
  std::set<int> quorum(topo.quorum_connected.begin(), topo.quorum_connected.end());
  for (int n = 1; n <= atlas.nodes; ++n) {
    auto [x, y] = position(n);
    std::string roles;
    if (n == topo.leader) roles += ", leader";
    if (n == topo.lagging) roles += ", lagging";
    if (quorum.count(n)) roles += ", quorum-connected";
    doc.open_group("class=\"atlas-node\"");
    doc.title(fmt::format("n{}{}", n, roles));
    if (quorum.count(n)) {
      doc.circle(
          x, y, 14.5,
          fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"2\"", palette::kBluishGreen));
    }
    if (n == topo.lagging) {
      doc.circle(x, y, 11.5,
                 fmt::format("fill=\"#fff\" stroke=\"{}\" stroke-width=\"3.5\"", palette::kOrange));
    }
    bool leader = n == topo.leader;
    doc.circle(x, y, 10,
               fmt::format("fill=\"{}\" stroke=\"#333\" stroke-width=\"1\"",
                           leader ? palette::kBlue : "#ffffff"));
    doc.text(
        x, y + 4, fmt::format("{}", n), "middle",
        fmt::format("font-size=\"11\" font-weight=\"bold\" fill=\"{}\"", leader ? "#fff" : "#111"));
    doc.close_group();
  }
  std::string caption = topo.id;
  if (topo.any_quorum_connected && !*topo.any_quorum_connected)
    caption += " · no quorum-connected node";
  doc.text(cx, top + 112, caption, "middle", "font-size=\"10\" fill=\"#444\"");
}

void draw_results(SvgDocument& doc, const Atlas& atlas, const AtlasTopology& topo, double left,
                  double top) {
  double y = top;
  for (const auto& profile : atlas.profiles) {
    doc.text(left + 4, y + 12, profile, "start", "font-size=\"10\" fill=\"#333\"");
    double cell_left = left + 90;
    double cell_width = kCardWidth - 96;
    auto found = topo.results.find(profile);
    if (found == topo.results.end()) {
      doc.rect(cell_left, y + 1, cell_width, kResultRow - 2, "fill=\"#eeeeee\"");
      doc.text(cell_left + 4, y + 12, "not run", "start", "font-size=\"10\" fill=\"#666\"");
    } else {
      const auto& r = found->second;
      doc.open_group(fmt::format("class=\"verdict verdict-{}\"", escape_xml(r.verdict)));
      std::string detail =
          fmt::format("{} on {}: {}{}", profile, topo.id, r.verdict, downtime_text(r));
      if (r.elections) detail += fmt::format(", {:.1f} elections", *r.elections);
      for (const auto& [v, count] : r.verdicts) detail += fmt::format("; {}× {}", count, v);
      doc.title(detail);
      doc.rect(cell_left, y + 1, cell_width, kResultRow - 2,
               fmt::format("fill=\"{}\"", palette::verdict_colour(r.verdict)));
      doc.text(cell_left + 4, y + 12, r.verdict + downtime_text(r), "start",
               fmt::format("font-size=\"10\" fill=\"{}\"", verdict_text_colour(r.verdict)));
      doc.close_group();
    }
    y += kResultRow;
  }
}

}  // namespace

Figure atlas_coverage_figure(const Atlas& atlas) {
  constexpr double kRow = 24;
  constexpr double kBarLeft = 150;
  constexpr double kBarWidth = 600;
  double height = 44 + kRow * static_cast<double>(atlas.profiles.size()) + 10;
  // Coverage counts only the cases some node could lead (a quorum-connected node).
  auto leadable =
      std::count_if(atlas.topologies.begin(), atlas.topologies.end(), [](const AtlasTopology& t) {
        return t.any_quorum_connected ? *t.any_quorum_connected : !t.quorum_connected.empty();
      });
  std::string title = fmt::format(
      "Coverage: of the {} cases with a quorum-connected node, the share each profile keeps live",
      leadable);
  SvgDocument doc(kFigureWidth, height, title);
  parts::title_row(doc, title);
  double y = 40;
  for (const auto& profile : atlas.profiles) {
    doc.text(kBarLeft - 10, y + 15, profile, "end", "font-size=\"12\" fill=\"#222\"");
    doc.rect(kBarLeft, y + 3, kBarWidth, kRow - 8, "fill=\"#eeeeee\"");
    auto found = atlas.coverage.find(profile);
    if (found == atlas.coverage.end()) {
      doc.text(kBarLeft + 6, y + 15, "not given", "start", "font-size=\"11\" fill=\"#666\"");
    } else {
      doc.rect(kBarLeft, y + 3, kBarWidth * found->second, kRow - 8,
               fmt::format("class=\"coverage-bar\" fill=\"{}\"", palette::kBlue));
      doc.text(kBarLeft + kBarWidth + 8, y + 15, fmt::format("{:.0f}%", found->second * 100),
               "start", "font-size=\"12\" fill=\"#222\"");
    }
    y += kRow;
  }
  return {"coverage", title, doc.finish()};
}

Figure atlas_grid_figure(const Atlas& atlas) {
  double card_height = kGraphHeight + kResultRow * static_cast<double>(atlas.profiles.size()) + 12;
  auto rows = (atlas.topologies.size() + kColumns - 1) / kColumns;
  double height = kGridTop + card_height * static_cast<double>(rows) + 10;
  std::string title =
      fmt::format("Every topology of {} nodes ({} seeds per cell)", atlas.nodes, atlas.seeds);
  SvgDocument doc(kFigureWidth, height, title);
  parts::title_row(doc, title);
  std::string ring_green = fmt::format(
      "<circle cx=\"6\" cy=\"6\" r=\"5\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
      palette::kBluishGreen);
  std::string ring_orange = fmt::format(
      "<circle cx=\"6\" cy=\"6\" r=\"4.5\" fill=\"#fff\" stroke=\"{}\" stroke-width=\"3\"/>",
      palette::kOrange);
  std::string leader =
      fmt::format("<circle cx=\"6\" cy=\"6\" r=\"5\" fill=\"{}\"/>", palette::kBlue);
  parts::legend_row(doc,
                    {{leader, "leader"},
                     {ring_orange, "lagging"},
                     {ring_green, "quorum-connected"},
                     {parts::line_mark(palette::kVermillion, "4 3", 1.8), "cut (arrow: one way)"}},
                    kPlotRight, 20);
  std::vector<parts::LegendItem> verdicts;
  for (std::string v : {"stable", "disrupted", "livelock", "deadlock"}) {
    verdicts.push_back({parts::swatch(palette::verdict_colour(v)), v});
  }
  parts::legend_row(doc, verdicts, kPlotRight, 42);
  for (std::size_t i = 0; i < atlas.topologies.size(); ++i) {
    double left = kGridLeft + static_cast<double>(i % kColumns) * (kCardWidth + kCardGap);
    double top = kGridTop + static_cast<double>(i / kColumns) * card_height;
    doc.open_group(
        fmt::format("class=\"topology\" data-id=\"{}\"", escape_xml(atlas.topologies[i].id)));
    doc.rect(left, top, kCardWidth, card_height - 8,
             "fill=\"#fafafa\" stroke=\"#d0d0d0\" rx=\"4\"");
    draw_graph(doc, atlas, atlas.topologies[i], left, top);
    draw_results(doc, atlas, atlas.topologies[i], left, top + kGraphHeight);
    doc.close_group();
  }
  return {"atlas", title, doc.finish()};
}

}  // namespace faultline::report
