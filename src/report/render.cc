// Putting a page together: the single-run page, the comparison page and the atlas page.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "report/atlas.h"
#include "report/page.h"
#include "report/report.h"
#include "report/series.h"
#include "report/svg.h"
#include "report/tables.h"

namespace faultline::report {

namespace {

constexpr std::string_view kComparisonCaption =
    "One strip per run, on one time axis: the share of each 100 ms window's offered requests "
    "that finished OK within 100 ms (100% at the top of a strip). Shaded: faults in force. "
    "▼ above a strip: an election. Each run's figures follow below.";
constexpr std::string_view kGoodputCaption =
    "Blue area: requests that finished OK within 100 ms, counted per 100 ms window of their "
    "intended start (the paper's goodput). Dashed line: requests offered in the window. Shaded: "
    "faults in force, labelled with the links cut (↔ both directions; → only packets travelling "
    "that way are dropped). ▼ on top: an election (a new leader or a new term). Hover for details.";
constexpr std::string_view kNodesCaption =
    "One lane per node: its role over time in colour, and under it its term (a step line with the "
    "value at each change). ▼: the node won an election. Shaded: faults in force.";
constexpr std::string_view kLatencyPointsCaption =
    "Every request at its intended start; its height is the time until the answer, measured from "
    "the intended start (log scale). Blue dots: OK; crosses: failed; triangles in the top band: "
    "no answer (timed out). Dashed line: 100 ms, the goodput threshold. Shaded: faults in force.";
constexpr std::string_view kLatencyDensityCaption =
    "Too many requests to draw one by one: each cell is shaded by how many requests (intended "
    "start, latency from it, log scale) fell in it; blue OK, vermillion failed, black in the top "
    "band timed out. Dashed line: 100 ms. Shaded: faults in force.";

std::string slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (keep) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "run" : out;
}

std::string ms_text(record::Micros us) { return format_ms(static_cast<double>(us) / 1000.0); }

std::string meta_line(const LoadedRun& run) {
  const auto& m = run.record.meta;
  std::string line =
      fmt::format("{} · heartbeat {} · election timeout {} · {:.1f} s · {} requests", run_label(m),
                  ms_text(m.heartbeat_us), ms_text(m.election_timeout_us),
                  static_cast<double>(m.duration_us) / 1e6, run.record.ops.size());
  if (!run.dir.empty()) line += " · record " + run.dir.string();
  return line;
}

// The fault events and the resolved scenario, folded away under the tables.
std::string details_html(const LoadedRun& run) {
  std::string html =
      "<details><summary>Fault events</summary>\n<table class=\"analysis\">"
      "<thead><tr><th>time</th><th>event</th><th>as written</th><th>links</th>"
      "<th>done</th></tr></thead><tbody>\n";
  for (const auto& f : run.record.faults) {
    std::string links;
    for (const auto& l : f.links)
      links += fmt::format("{}{}→{}", links.empty() ? "" : ", ", l.from, l.to);
    for (auto n : f.nodes) links += fmt::format("{}{}", links.empty() ? "" : ", ", node_label(n));
    html += fmt::format(
        "<tr><td class=\"num\">{:.3f} s</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        static_cast<double>(f.time_us) / 1e6, record::to_string(f.kind), escape_xml(f.label),
        escape_xml(links), escape_xml(f.detail));
  }
  html += "</tbody></table></details>\n";
  if (!run.record.meta.scenario_json.empty()) {
    auto parsed = nlohmann::json::parse(run.record.meta.scenario_json, nullptr, false);
    std::string text = parsed.is_discarded() ? run.record.meta.scenario_json : parsed.dump(2);
    html += fmt::format("<details><summary>Resolved scenario</summary><pre>{}</pre></details>\n",
                        escape_xml(text));
  }
  return html;
}

struct RunFigures {
  Figure goodput, nodes, latency;
  bool density = false;
};

RunFigures figures_for(const LoadedRun& run, const TimeAxis& axis, std::string_view suffix) {
  RunSeries series = compute_series(run.record, run.summary);
  RunFigures f;
  f.goodput = goodput_figure(series, axis, fmt::format("Goodput{}", suffix));
  f.nodes = node_lanes_figure(series, axis, fmt::format("Nodes: role and term{}", suffix));
  f.latency = latency_figure(series, axis, fmt::format("Latency of every request{}", suffix));
  f.density = series.latencies.size() > kMaxLatencyPoints;
  return f;
}

// The lab's runs against the model, per profile: how many agreed (counted from the grid's
// cells, so the table never disagrees with the figure), and the coverage each kept (the
// explorer's own numbers, as the coverage bars are).
std::string lab_section(const Atlas& atlas) {
  const AtlasLab lab = atlas.lab.value_or(AtlasLab{});
  std::map<std::string, std::map<std::string, int>> counted;
  for (const auto& t : atlas.topologies) {
    for (const auto& [profile, r] : t.results) {
      for (const auto& run : r.lab) ++counted[profile][run.agreement];
    }
  }
  const std::string system = lab_system_name(atlas);
  std::string html = "<h2>Model against the lab</h2>\n<p>";
  html += system.empty() ? std::string("The lab's system is not named in the atlas")
                         : "The lab ran " + escape_xml(system);
  if (!lab.net.empty()) html += " (network: " + escape_xml(lab.net) + ")";
  if (lab.seeds)
    html += fmt::format(", {} run{} per case and profile", *lab.seeds, *lab.seeds == 1 ? "" : "s");
  html +=
      "; each run agrees (the model's majority verdict), is in range (a verdict some model seeds "
      "gave) or differs (a verdict no seed gave, or a failed safety check: NODE EXIT, STORES "
      "DIFFER). In the Topologies figure its box sits beside the model's cell.</p>\n";
  html +=
      "<table class=\"analysis lab\"><thead><tr><th>profile</th><th>lab runs</th><th>agrees</th>"
      "<th>in range</th><th>differs</th><th>coverage, model</th><th>coverage, lab</th></tr>"
      "</thead><tbody>\n";
  auto number = [](std::string_view metric, int n) {
    return fmt::format("<td class=\"num\" data-metric=\"{}\" data-value=\"{}\">{}</td>", metric, n,
                       n);
  };
  for (const auto& profile : atlas.profiles) {
    auto summary = lab.profiles.find(profile);
    const AtlasLabProfile* given = summary == lab.profiles.end() ? nullptr : &summary->second;
    const auto& agreement = counted[profile];
    if (!given && agreement.empty()) continue;
    int runs = 0, agrees = 0, in_range = 0, differs = 0;
    for (const auto& [label, n] : agreement) {
      runs += n;
      if (label == "agrees") agrees += n;
      if (label == "in range") in_range += n;
      if (lab_run_differs(label)) differs += n;
    }
    html += "<tr><th scope=\"row\">" + escape_xml(profile) + "</th>" + number("lab_runs", runs) +
            number("agrees", agrees) + number("in_range", in_range) + number("differs", differs);
    // Coverage: of the quorum-connected cases run, how many each kept live.
    const int of = given ? given->quorum_connected_cases.value_or(0) : 0;  // 0: not given
    for (auto [metric, live] : {std::pair{"model_live", given ? given->model_live : std::nullopt},
                                std::pair{"lab_live", given ? given->lab_live : std::nullopt}}) {
      if (!live) {
        html += "<td class=\"num\">not given</td>";
      } else if (of == 0) {
        html += number(metric, *live);
      } else {
        html += fmt::format(
            "<td class=\"num\" data-metric=\"{}\" data-value=\"{}\">{} of {} ({:.0f}%)</td>",
            metric, *live, *live, of, 100.0 * *live / of);
      }
    }
    html += "</tr>\n";
  }
  return html + "</tbody></table>\n";
}

std::string footer(std::size_t runs) {
  return fmt::format(
      "<footer>Made by <code>faultline report</code> from {} run record{}. Goodput, elections, "
      "downtime and the verdict are the analysis' own numbers (docs/analysis.md); how to read the "
      "figures: docs/report.md. This page needs no network.</footer>\n",
      runs, runs == 1 ? "" : "s");
}

}  // namespace

std::string run_label(const record::Meta& m) {
  return fmt::format("{} · {} · {} · seed {}", m.driver.empty() ? "?" : m.driver,
                     m.system.empty() ? "?" : m.system, m.profile.empty() ? "?" : m.profile,
                     m.seed);
}

RenderedReport render_runs(const std::vector<LoadedRun>& runs) {
  if (runs.empty()) throw ReportError("no run record given");
  for (const auto& run : runs) {
    if (run.record.meta.scenario != runs.front().record.meta.scenario) {
      throw ReportError(fmt::format(
          "runs of different scenarios cannot share one comparison: {} is \"{}\" but {} is "
          "\"{}\"; report them separately",
          runs.front().dir.string(), runs.front().record.meta.scenario, run.dir.string(),
          run.record.meta.scenario));
    }
  }
  const std::string scenario = runs.front().record.meta.scenario;
  TimeAxis axis;
  for (const auto& run : runs) {
    axis.end_us = std::max(axis.end_us, compute_series(run.record, run.summary).end_us);
  }

  std::vector<std::string> slugs;
  std::set<std::string> taken;
  for (const auto& run : runs) {
    std::string s = slug(run_label(run.record.meta));
    for (int n = 2; taken.count(s); ++n)
      s = fmt::format("{}-{}", slug(run_label(run.record.meta)), n);
    taken.insert(s);
    slugs.push_back(s);
  }

  RenderedReport report;
  std::string body;
  if (runs.size() == 1) {
    const auto& run = runs.front();
    report.title = fmt::format("{}: {}", scenario, run_label(run.record.meta));
    auto f = figures_for(run, axis, "");
    body += fmt::format("<header class=\"page\"><h1>{}</h1><p class=\"meta\">{}</p></header>\n",
                        escape_xml(scenario), escape_xml(meta_line(run)));
    body += "<h2>Analysis</h2>\n" + verdict_block(run.summary) + phase_table(run.summary);
    body += "<h2>Goodput</h2>\n" + figure_html(f.goodput, kGoodputCaption, "goodput");
    body += "<h2>Nodes</h2>\n" + figure_html(f.nodes, kNodesCaption, "nodes");
    body += "<h2>Latency</h2>\n" +
            figure_html(f.latency, f.density ? kLatencyDensityCaption : kLatencyPointsCaption,
                        "latency");
    body += "<h2>Record</h2>\n" + details_html(run);
    for (Figure* fig : {&f.goodput, &f.nodes, &f.latency}) {
      report.figures.push_back({slugs[0] + "-" + fig->kind, std::move(*fig)});
    }
  } else {
    report.title = fmt::format("{}: {} runs compared", scenario, runs.size());
    body += fmt::format(
        "<header class=\"page\"><h1>{}</h1><p class=\"meta\">{} runs of one scenario on one time "
        "axis</p></header>\n",
        escape_xml(scenario), runs.size());
    std::vector<ComparisonRow> rows;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      rows.push_back({run_label(runs[i].record.meta), slugs[i], &runs[i].summary});
    }
    body += "<h2>Summary</h2>\n" + comparison_table(rows);
    {
      std::vector<RunSeries> series;
      series.reserve(runs.size());
      for (const auto& run : runs) series.push_back(compute_series(run.record, run.summary));
      std::vector<ComparedRun> compared;
      for (std::size_t i = 0; i < runs.size(); ++i) {
        const analysis::Summary& sum = runs[i].summary;
        compared.push_back({run_label(runs[i].record.meta),
                            fmt::format("elections {} during · {} after · term rise {} · {}",
                                        sum.during.elections, sum.after.elections,
                                        sum.during.term_increase, analysis::to_string(sum.verdict)),
                            &series[i]});
      }
      Figure all = comparison_figure(compared, axis, fmt::format("{}: every run", scenario));
      body += "<h2>At a glance</h2>\n" + figure_html(all, kComparisonCaption, "comparison");
      report.figures.push_back({"comparison", std::move(all)});
    }
    std::vector<RunFigures> figs;
    for (const auto& run : runs) {
      figs.push_back(figures_for(run, axis, " — " + run_label(run.record.meta)));
    }
    body += "<h2>Goodput</h2>\n";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      body += figure_html(figs[i].goodput, i + 1 == runs.size() ? kGoodputCaption : "",
                          slugs[i] + "-goodput");
    }
    body += "<h2>Nodes</h2>\n";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      body += figure_html(figs[i].nodes, i + 1 == runs.size() ? kNodesCaption : "",
                          slugs[i] + "-nodes");
    }
    body += "<h2>Latency</h2>\n";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      std::string_view caption = figs[i].density ? kLatencyDensityCaption : kLatencyPointsCaption;
      body += figure_html(figs[i].latency, caption, slugs[i] + "-latency");
    }
    body += "<h2>Each run</h2>\n";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      body += fmt::format("<section class=\"run\" id=\"{}\"><h3>{}</h3><p class=\"meta\">{}</p>\n",
                          slugs[i], escape_xml(run_label(runs[i].record.meta)),
                          escape_xml(meta_line(runs[i])));
      body += verdict_block(runs[i].summary) + phase_table(runs[i].summary) +
              details_html(runs[i]) + "</section>\n";
      for (Figure* fig : {&figs[i].goodput, &figs[i].nodes, &figs[i].latency}) {
        report.figures.push_back({slugs[i] + "-" + fig->kind, std::move(*fig)});
      }
    }
  }
  body += footer(runs.size());
  report.html = html_document(report.title, body);
  return report;
}

RenderedReport render_atlas(const Atlas& atlas, const fs::path& source) {
  RenderedReport report;
  report.title =
      fmt::format("Atlas: {} topologies of {} nodes", atlas.topologies.size(), atlas.nodes);
  Figure coverage = atlas_coverage_figure(atlas);
  Figure grid = atlas_grid_figure(atlas);
  std::string body = fmt::format(
      "<header class=\"page\"><h1>{}</h1><p class=\"meta\">{} profiles · {} seeds each · from "
      "{}</p></header>\n",
      escape_xml(report.title), atlas.profiles.size(), atlas.seeds, escape_xml(source.string()));
  body += "<h2>Coverage</h2>\n" +
          figure_html(coverage,
                      "The share of topologies in which the profile made progress, as the "
                      "explorer measured it.",
                      "coverage");

  // Verdict counts per profile: the grid in one glance.
  std::map<std::string, std::map<std::string, int>> counts;
  for (const auto& t : atlas.topologies) {
    for (const auto& [profile, r] : t.results) ++counts[profile][r.verdict];
  }
  body += "<h2>Verdicts</h2>\n<table class=\"analysis\"><thead><tr><th>profile</th>";
  const std::vector<std::string> verdicts{"stable", "disrupted", "livelock", "deadlock"};
  for (const auto& v : verdicts) body += "<th>" + v + "</th>";
  body += "</tr></thead><tbody>\n";
  for (const auto& profile : atlas.profiles) {
    body += "<tr><th scope=\"row\">" + escape_xml(profile) + "</th>";
    for (const auto& v : verdicts) {
      int n = counts[profile][v];
      body +=
          fmt::format("<td class=\"num\" data-metric=\"{}\" data-value=\"{}\">{}</td>", v, n, n);
    }
    body += "</tr>\n";
  }
  body += "</tbody></table>\n";
  const bool lab = has_lab_runs(atlas);
  if (lab) body += lab_section(atlas);
  std::string caption =
      "Each card is one topology: nodes on a circle, grey lines are working links, dashed "
      "vermillion lines are cut (an arrowhead: only that direction is cut). Blue node: the leader "
      "when the cut began; orange ring: a node whose log lags; green ring: a quorum-connected "
      "node. Under it one cell per profile, coloured by verdict, with the mean write downtime. "
      "Hover a cell for the per-seed verdicts.";
  if (lab) {
    caption +=
        " A small box at the right of a cell is the same case in the lab, coloured by the lab's "
        "verdict (the most frequent over its runs): ✓ every run agrees with the model, ~ some "
        "gave a verdict only some model seeds gave, ✗ a run differs or failed a safety check. "
        "Hover it for the runs and their records.";
  }
  body += "<h2>Topologies</h2>\n" + figure_html(grid, caption, "topologies");
  body +=
      "<footer>Made by <code>faultline report</code> from an atlas written by "
      "<code>faultline explore</code>; how to read it: docs/report.md. This page needs no "
      "network.</footer>\n";
  report.figures.push_back({"atlas-coverage", std::move(coverage)});
  report.figures.push_back({"atlas-topologies", std::move(grid)});
  report.html = html_document(report.title, body);
  return report;
}

}  // namespace faultline::report
