// The atlas drawn: coverage per profile as bars, then one card per topology: the nodes on
// a circle with every cut link dashed in vermillion (an arrowhead when only one direction is
// cut, pointing the way the packets are dropped), the leader filled blue, a lagging node
// ringed orange, quorum-connected nodes ringed green; under it one cell per profile,
// coloured by verdict and giving the downtime, and beside it, when the case ran in the lab, a
// small box coloured by the lab's verdict and marked by whether the lab agreed.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numbers>
#include <optional>
#include <set>

#include "analysis/analysis.h"
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
constexpr double kLabBoxWidth = 36;
// Verdicts from best to worst, for ties.
constexpr std::array<std::string_view, 4> kVerdictOrder{"stable", "disrupted", "livelock",
                                                        "deadlock"};

// Dark text on light verdict colours, white on dark ones, so the words stay readable.
std::string_view verdict_text_colour(std::string_view verdict) {
  return verdict == "stable" || verdict == "livelock" ? "#ffffff" : "#111111";
}

std::string downtime_text(std::optional<double> downtime_ms) {
  if (!downtime_ms) return "";
  if (*downtime_ms >= 1000) return fmt::format(" · {:.1f} s", *downtime_ms / 1000);
  return fmt::format(" · {:.0f} ms", *downtime_ms);
}

// The mean of the runs' values, over the runs that give one.
std::optional<double> mean_of(const std::vector<AtlasLabRun>& runs,
                              std::optional<double> AtlasLabRun::*field) {
  double sum = 0;
  int n = 0;
  for (const auto& r : runs) {
    if (const auto& v = r.*field) {
      sum += *v;
      ++n;
    }
  }
  if (n == 0) return std::nullopt;
  return sum / n;
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

// The lab's verdict for one cell: the one most of its runs gave (ties: the worse).
std::string lab_verdict(const std::vector<AtlasLabRun>& runs) {
  std::map<std::string, int> counts;
  for (const AtlasLabRun& r : runs) ++counts[r.verdict];
  return analysis::majority_verdict(counts);
}

// How the lab's runs of a cell compare with the model: the mark and the group's class.
struct LabMark {
  std::string_view mark;
  std::string_view css;
};
LabMark lab_mark(const std::vector<AtlasLabRun>& runs) {
  auto any = [&](auto pred) { return std::any_of(runs.begin(), runs.end(), pred); };
  if (any([](const AtlasLabRun& r) { return lab_run_differs(r.agreement); })) {
    return {"✗", "lab-differs"};
  }
  if (any([](const AtlasLabRun& r) { return r.agreement == "in range"; })) {
    return {"~", "lab-in-range"};
  }
  return {"✓", "lab-agrees"};
}

// "etcd-3.4 on t03 in the lab (etcd 3.4.23): disrupted · 1.4 s; 1 run: 1 agrees", with the
// verdict of every run when they differ and the records to replay them.
std::string lab_detail(const std::string& profile, const AtlasTopology& topo,
                       const std::vector<AtlasLabRun>& runs, const std::string& verdict,
                       const std::string& system) {
  std::map<std::string, int> verdicts, agreements;
  std::string records;
  int recorded = 0;
  for (const auto& r : runs) {
    ++verdicts[r.verdict];
    ++agreements[r.agreement];
    if (r.record.empty()) continue;
    records += (recorded++ == 0 ? "" : ", ") + r.record;
  }
  std::string text = fmt::format("{} on {} in the lab{}: {}{}", profile, topo.id,
                                 system.empty() ? "" : " (" + system + ")", verdict,
                                 downtime_text(mean_of(runs, &AtlasLabRun::downtime_ms)));
  if (auto elections = mean_of(runs, &AtlasLabRun::elections)) {
    text += fmt::format(", {:.1f} elections", *elections);
  }
  if (verdicts.size() > 1) {
    for (const auto& [v, count] : verdicts) text += fmt::format("; {}× {}", count, v);
  }
  text += fmt::format("; {} run{}: ", runs.size(), runs.size() == 1 ? "" : "s");
  std::string tally;
  for (std::string_view a : {"agrees", "in range"}) {
    if (auto found = agreements.find(std::string(a)); found != agreements.end()) {
      tally += fmt::format("{}{} {}", tally.empty() ? "" : ", ", found->second, a);
      agreements.erase(found);
    }
  }
  for (const auto& [a, count] : agreements) {
    tally += fmt::format("{}{} {}", tally.empty() ? "" : ", ", count, a);
  }
  text += tally;
  if (recorded > 0) text += (recorded == 1 ? "; record " : "; records ") + records;
  return text;
}

void draw_lab_box(SvgDocument& doc, const std::string& profile, const AtlasTopology& topo,
                  const std::vector<AtlasLabRun>& runs, const std::string& system, double x,
                  double y) {
  std::string verdict = lab_verdict(runs);
  LabMark mark = lab_mark(runs);
  doc.open_group(fmt::format("class=\"lab {}\"", mark.css));
  doc.title(lab_detail(profile, topo, runs, verdict, system));
  doc.rect(x, y + 1, kLabBoxWidth, kResultRow - 2,
           fmt::format("fill=\"{}\" stroke=\"#333\" stroke-width=\"0.6\"",
                       palette::verdict_colour(verdict)));
  doc.text(x + kLabBoxWidth / 2, y + 12, mark.mark, "middle",
           fmt::format("font-size=\"11\" font-weight=\"bold\" fill=\"{}\"",
                       verdict_text_colour(verdict)));
  doc.close_group();
}

void draw_results(SvgDocument& doc, const Atlas& atlas, const AtlasTopology& topo, double left,
                  double top) {
  const std::string system = lab_system_name(atlas);
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
      // The lab's box takes the right end of the cell; the model keeps the rest.
      if (!r.lab.empty()) cell_width -= kLabBoxWidth + 2;
      doc.open_group(fmt::format("class=\"verdict verdict-{}\"", escape_xml(r.verdict)));
      std::string detail =
          fmt::format("{} on {}: {}{}", profile, topo.id, r.verdict, downtime_text(r.downtime_ms));
      if (r.elections) detail += fmt::format(", {:.1f} elections", *r.elections);
      for (const auto& [v, count] : r.verdicts) detail += fmt::format("; {}× {}", count, v);
      doc.title(detail);
      doc.rect(cell_left, y + 1, cell_width, kResultRow - 2,
               fmt::format("fill=\"{}\"", palette::verdict_colour(r.verdict)));
      // A narrowed cell drops the downtime when it does not fit (the tooltip keeps it).
      std::string label = r.verdict + downtime_text(r.downtime_ms);
      if (text_width(label, 10) + 6 > cell_width) label = r.verdict;
      doc.text(cell_left + 4, y + 12, label, "start",
               fmt::format("font-size=\"10\" fill=\"{}\"", verdict_text_colour(r.verdict)));
      doc.close_group();
      if (!r.lab.empty()) {
        draw_lab_box(doc, profile, topo, r.lab, system, cell_left + cell_width + 2, y);
      }
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
  const bool lab = has_lab_runs(atlas);
  std::string title =
      fmt::format("Every topology of {} nodes ({} seeds per cell", atlas.nodes, atlas.seeds);
  if (lab) {
    const std::string system = lab_system_name(atlas);
    title += system.empty() ? "; with lab runs" : "; lab: " + system;
  }
  title += ")";
  std::string ring_green = fmt::format(
      "<circle cx=\"6\" cy=\"6\" r=\"5\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
      palette::kBluishGreen);
  std::string ring_orange = fmt::format(
      "<circle cx=\"6\" cy=\"6\" r=\"4.5\" fill=\"#fff\" stroke=\"{}\" stroke-width=\"3\"/>",
      palette::kOrange);
  std::string leader =
      fmt::format("<circle cx=\"6\" cy=\"6\" r=\"5\" fill=\"{}\"/>", palette::kBlue);
  const std::vector<parts::LegendItem> roles{
      {leader, "leader"},
      {ring_orange, "lagging"},
      {ring_green, "quorum-connected"},
      {parts::line_mark(palette::kVermillion, "4 3", 1.8), "cut (arrow: one way)"}};
  std::vector<parts::LegendItem> verdicts;
  for (std::string_view v : kVerdictOrder) {
    verdicts.push_back({parts::swatch(palette::verdict_colour(v)), std::string(v)});
  }
  if (lab) {
    verdicts.push_back(
        {"<rect x=\"0\" y=\"0\" width=\"12\" height=\"12\" fill=\"#fff\" stroke=\"#333\" "
         "stroke-width=\"0.6\"/><text x=\"6\" y=\"10\" text-anchor=\"middle\" "
         "font-size=\"10\" font-weight=\"bold\">✓</text>",
         "lab box (lab's verdict): ✓ agrees, ~ in range, ✗ differs"});
  }
  // A title too long to sit beside the first legend row (the lab's name makes it longer)
  // pushes both rows, and the cards, down by one row.
  double roles_width = 0;
  for (const auto& item : roles) roles_width += 32 + text_width(item.label, 11);
  double title_end = kGridLeft + text_width(title, 14) * 1.05;
  double shift = title_end + 16 > kPlotRight - roles_width ? 22 : 0;

  double card_height = kGraphHeight + kResultRow * static_cast<double>(atlas.profiles.size()) + 12;
  auto rows = (atlas.topologies.size() + kColumns - 1) / kColumns;
  double height = kGridTop + shift + card_height * static_cast<double>(rows) + 10;
  SvgDocument doc(kFigureWidth, height, title);
  parts::title_row(doc, title);
  parts::legend_row(doc, roles, kPlotRight, 20 + shift);
  parts::legend_row(doc, verdicts, kPlotRight, 42 + shift);
  for (std::size_t i = 0; i < atlas.topologies.size(); ++i) {
    double left = kGridLeft + static_cast<double>(i % kColumns) * (kCardWidth + kCardGap);
    double top = kGridTop + shift + static_cast<double>(i / kColumns) * card_height;
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
