#include "report/tables.h"

#include <fmt/format.h>

#include "report/palette.h"
#include "report/svg.h"

namespace faultline::report {

std::string format_ms(double ms) {
  if (ms >= 10'000) return fmt::format("{:.1f} s", ms / 1000);
  if (ms >= 10 || ms == 0) return fmt::format("{:.0f} ms", ms);
  return fmt::format("{:.1f} ms", ms);
}

std::string format_share(double share) { return fmt::format("{:.1f}%", share * 100); }

double delayed_share(const analysis::Phase& phase) {
  return phase.ops_offered == 0
             ? 0
             : static_cast<double>(phase.ops_delayed) / static_cast<double>(phase.ops_offered);
}

namespace {

// A number cell: the formatted text, and the exact value for machines.
template <typename T>
std::string cell(std::string_view metric, T value, const std::string& text) {
  return fmt::format("<td class=\"num\" data-metric=\"{}\" data-value=\"{}\">{}</td>", metric,
                     value, escape_xml(text));
}

std::string verdict_badge(std::string_view verdict) {
  return fmt::format("<span class=\"badge verdict-{0}\" style=\"background:{1}\">{0}</span>",
                     escape_xml(verdict), palette::verdict_colour(verdict));
}

std::string phase_span(const analysis::Phase& p) {
  if (p.start_us == p.end_us) return "(empty)";
  return fmt::format("{:.1f}–{:.1f}&#8239;s", static_cast<double>(p.start_us) / 1e6,
                     static_cast<double>(p.end_us) / 1e6);
}

std::string phase_row(const analysis::Phase& p) {
  std::string row =
      fmt::format("<tr data-phase=\"{0}\"><th scope=\"row\">{0}</th><td class=\"span\">{1}</td>",
                  escape_xml(p.name), phase_span(p));
  row += cell("elections", p.elections, fmt::format("{}", p.elections));
  row += cell("leader_changes", p.leader_changes, fmt::format("{}", p.leader_changes));
  row += cell("term_increase", p.term_increase,
              fmt::format("+{} (max {})", p.term_increase, p.max_term));
  row += cell("downtime_ms", p.downtime_ms, format_ms(p.downtime_ms));
  row += cell("longest_gap_ms", p.longest_gap_ms, format_ms(p.longest_gap_ms));
  row += cell("ops_offered", p.ops_offered, fmt::format("{}", p.ops_offered));
  row += cell("goodput_ratio", p.goodput_ratio, format_share(p.goodput_ratio));
  row += cell("delayed_share", delayed_share(p), format_share(delayed_share(p)));
  row += cell("ops_failed", p.ops_failed, fmt::format("{}", p.ops_failed));
  row += cell("ops_timed_out", p.ops_timed_out, fmt::format("{}", p.ops_timed_out));
  row += cell("p50_ms", p.latency.p50_ms, format_ms(p.latency.p50_ms));
  row += cell("p99_ms", p.latency.p99_ms, format_ms(p.latency.p99_ms));
  return row + "</tr>\n";
}

}  // namespace

std::string phase_table(const analysis::Summary& s) {
  std::string html =
      "<div class=\"table-wrap\"><table "
      "class=\"analysis\">\n<thead><tr><th>phase</th><th>time</th><th>elections</th>"
      "<th>leader changes</th><th>term increase</th><th>write downtime</th>"
      "<th>longest gap</th><th>requests</th><th>goodput</th><th>delayed &gt; 100 ms</th>"
      "<th>failed</th><th>of which timed out</th><th>p50</th><th>p99</th></tr></thead>\n"
      "<tbody>\n";
  for (const auto* p : {&s.before, &s.during, &s.after}) html += phase_row(*p);
  return html + "</tbody></table></div>\n";
}

std::string verdict_block(const analysis::Summary& s) {
  std::string html =
      fmt::format("<div class=\"verdict-block\"><p><strong>Verdict:</strong> {} {}</p>\n",
                  verdict_badge(analysis::to_string(s.verdict)), escape_xml(s.verdict_reason));
  html += fmt::format(
      "<p><strong>Linearizability:</strong> <span class=\"lin lin-{0}\" "
      "data-linearizability=\"{0}\">{0}</span>{1}</p>\n",
      escape_xml(s.linearizability),
      s.linearizability_detail.empty() ? "" : " — " + escape_xml(s.linearizability_detail));
  if (s.invariant_violations > 0) {
    // A lab's message quotes the node's log, one line each: keep the lines.
    std::string message;
    for (char c : escape_xml(s.violation))
      message += c == '\n' ? std::string("<br>") : std::string(1, c);
    html += fmt::format(
        "<p class=\"violation\"><strong>Safety check failed</strong> ({} times): {}</p>\n",
        s.invariant_violations, message);
  }
  return html + "</div>\n";
}

std::string comparison_table(const std::vector<ComparisonRow>& rows) {
  std::string html =
      "<div class=\"table-wrap\"><table class=\"analysis comparison\">\n<thead><tr><th "
      "rowspan=\"2\">run</th>"
      "<th rowspan=\"2\">verdict</th><th colspan=\"3\">elections</th>"
      "<th colspan=\"6\">during the faults</th><th rowspan=\"2\">linearizable</th></tr>\n"
      "<tr><th>before</th><th>during</th><th>after</th><th>term increase</th>"
      "<th>write downtime</th><th>goodput</th><th>delayed &gt; 100 ms</th><th>p99</th>"
      "<th>downtime after</th></tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    const auto& s = *row.summary;
    html += fmt::format("<tr><th scope=\"row\"><a href=\"#{}\">{}</a></th><td>{}</td>",
                        escape_xml(row.anchor), escape_xml(row.label),
                        verdict_badge(analysis::to_string(s.verdict)));
    html += cell("elections_before", s.before.elections, fmt::format("{}", s.before.elections));
    html += cell("elections_during", s.during.elections, fmt::format("{}", s.during.elections));
    html += cell("elections_after", s.after.elections, fmt::format("{}", s.after.elections));
    html +=
        cell("term_increase", s.during.term_increase, fmt::format("+{}", s.during.term_increase));
    html += cell("downtime_ms", s.during.downtime_ms, format_ms(s.during.downtime_ms));
    html += cell("goodput_ratio", s.during.goodput_ratio, format_share(s.during.goodput_ratio));
    html += cell("delayed_share", delayed_share(s.during), format_share(delayed_share(s.during)));
    html += cell("p99_ms", s.during.latency.p99_ms, format_ms(s.during.latency.p99_ms));
    html += cell("downtime_after_ms", s.after.downtime_ms, format_ms(s.after.downtime_ms));
    html += fmt::format("<td class=\"lin lin-{0}\">{0}</td></tr>\n", escape_xml(s.linearizability));
  }
  return html + "</tbody></table></div>\n";
}

}  // namespace faultline::report
