#include "report/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace faultline::report {

namespace {
constexpr std::string_view kXmlns = " xmlns=\"http://www.w3.org/2000/svg\"";
}

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string num(double value) {
  if (!std::isfinite(value)) return "0";
  std::string s = fmt::format("{:.2f}", value);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

double text_width(std::string_view text, double font_size) {
  // Count UTF-8 code points, not bytes, so arrows and dashes count once.
  std::size_t glyphs = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++glyphs;
  }
  return static_cast<double>(glyphs) * font_size * 0.62;
}

SvgDocument::SvgDocument(double width, double height, std::string_view title)
    : width_(width), height_(height), title_(title) {}

void SvgDocument::raw(std::string_view markup) { body_ += markup; }

void SvgDocument::rect(double x, double y, double w, double h, std::string_view attrs) {
  body_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {}/>\n", num(x), num(y),
                       num(std::max(0.0, w)), num(std::max(0.0, h)), attrs);
}

void SvgDocument::line(double x1, double y1, double x2, double y2, std::string_view attrs) {
  body_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {}/>\n", num(x1), num(y1),
                       num(x2), num(y2), attrs);
}

void SvgDocument::circle(double cx, double cy, double r, std::string_view attrs) {
  body_ +=
      fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" {}/>\n", num(cx), num(cy), num(r), attrs);
}

void SvgDocument::text(double x, double y, std::string_view content, std::string_view anchor,
                       std::string_view attrs) {
  body_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" {}>{}</text>\n", num(x), num(y),
                       anchor, attrs, escape_xml(content));
}

void SvgDocument::open_group(std::string_view attrs) { body_ += fmt::format("<g {}>", attrs); }

void SvgDocument::close_group() { body_ += "</g>\n"; }

void SvgDocument::title(std::string_view tooltip) {
  body_ += fmt::format("<title>{}</title>", escape_xml(tooltip));
}

std::string SvgDocument::finish() const {
  // A white background so PNG exports are not transparent on dark slides.
  return fmt::format(
      "<svg{} viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\" "
      "aria-label=\"{}\" font-family=\"{}\" font-size=\"12\">\n"
      "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n{}</svg>\n",
      kXmlns, num(width_), num(height_), num(width_), num(height_), escape_xml(title_), kFontFamily,
      num(width_), num(height_), body_);
}

std::string inline_svg(std::string_view standalone_svg) {
  std::string out(standalone_svg);
  if (auto at = out.find(kXmlns); at != std::string::npos) out.erase(at, kXmlns.size());
  return out;
}

}  // namespace faultline::report
