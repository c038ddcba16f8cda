#include "report/page.h"

#include <fmt/format.h>

#include "report/svg.h"

namespace faultline::report {

namespace {

// One style sheet for every page. System fonts only: nothing is downloaded.
constexpr std::string_view kStyle = R"css(
:root { --ink: #1f2328; --muted: #59636e; --rule: #d8dee4; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: var(--ink);
       background: #ffffff; line-height: 1.45; font-size: 14px; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
header.page { border-bottom: 2px solid var(--ink); margin-bottom: 18px; padding-bottom: 10px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 30px 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 6px; }
p.meta, .muted { color: var(--muted); margin: 2px 0; }
figure { margin: 10px 0 18px; }
figure svg { width: 100%; height: auto; display: block; border: 1px solid var(--rule); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 4px; }
.table-wrap { overflow-x: auto; }
table.analysis { border-collapse: collapse; width: 100%; font-size: 12px; margin: 8px 0 12px; }
table.analysis th, table.analysis td { border: 1px solid var(--rule); padding: 3px 5px; text-align: left; }
table.analysis td.span { white-space: nowrap; }
table.analysis thead th { background: var(--panel); font-weight: 600; }
table.analysis td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.analysis tbody tr:nth-child(even) { background: #fbfcfd; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600;
         color: #111; }
.badge.verdict-stable, .badge.verdict-livelock { color: #fff; }
.lin-invalid { color: #b3261e; font-weight: 700; }
.violation { color: #b3261e; }
.verdict-block p { margin: 4px 0; }
section.run { margin-top: 8px; }
details { margin: 8px 0; }
details pre { background: var(--panel); padding: 8px; overflow-x: auto; font-size: 12px; }
nav.toc a { margin-right: 12px; }
footer { color: var(--muted); font-size: 12px; margin-top: 36px; border-top: 1px solid var(--rule);
         padding-top: 8px; }
@media print { main { max-width: none; } h2 { page-break-after: avoid; } figure { page-break-inside: avoid; } }
)css";

}  // namespace

std::string html_document(std::string_view title, std::string_view body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"faultline report\">\n"
      "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n{}</main>\n</body>\n</"
      "html>\n",
      escape_xml(title), kStyle, body);
}

std::string figure_html(const Figure& figure, std::string_view caption, std::string_view id) {
  return fmt::format(
      "<figure id=\"{}\" class=\"figure-{}\">\n{}<figcaption>{}</figcaption>\n</figure>\n",
      escape_xml(id), escape_xml(figure.kind), inline_svg(figure.svg), escape_xml(caption));
}

}  // namespace faultline::report
