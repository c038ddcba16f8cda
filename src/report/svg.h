// A small SVG writer for the report's figures: it escapes text, formats coordinates
// compactly (figures with tens of thousands of points stay small) and keeps the markup in
// one place, so every figure produces the same kind of SVG that both the browser and
// librsvg (for PNG export) render the same way.
#pragma once

#include <string>
#include <string_view>

namespace faultline::report {

// The font every figure asks for: DejaVu Sans ships in Debian (fonts-dejavu-core), so
// the PNG renderer and most browsers draw the same glyphs.
inline constexpr std::string_view kFontFamily = "DejaVu Sans, Verdana, Arial, sans-serif";

// Escapes &, <, >, " and ' for use in XML text and attribute values.
std::string escape_xml(std::string_view text);

// Formats a coordinate with at most two decimals and no trailing zeros ("12.5", "3").
std::string num(double value);

// A rough width of `text` in pixels at `font_size`: SVG cannot measure text before it is
// drawn, and labels must not overlap. DejaVu Sans averages about 0.6 em per character;
// a little more is assumed so that neighbours never touch.
double text_width(std::string_view text, double font_size);

// Builds one standalone SVG document. Attributes are passed as preformatted text
// (`attrs`) because each figure uses only a handful of element kinds.
class SvgDocument {
 public:
  SvgDocument(double width, double height, std::string_view title);

  double width() const { return width_; }
  double height() const { return height_; }
  // Makes the document taller, e.g. when the legend needs a row of its own.
  void grow(double extra_height) { height_ += extra_height; }

  // Raw markup, for elements the helpers below do not cover; the caller escapes.
  void raw(std::string_view markup);

  void rect(double x, double y, double w, double h, std::string_view attrs);
  void line(double x1, double y1, double x2, double y2, std::string_view attrs);
  void circle(double cx, double cy, double r, std::string_view attrs);
  // `anchor` is "start", "middle" or "end".
  void text(double x, double y, std::string_view content, std::string_view anchor,
            std::string_view attrs = "");
  // Groups let a tooltip (<title>, shown on hover) describe a whole mark.
  void open_group(std::string_view attrs);
  void close_group();
  void title(std::string_view tooltip);

  // The finished document, with the XML namespace (valid as a file of its own).
  std::string finish() const;

 private:
  double width_;
  double height_;
  std::string title_;
  std::string body_;
};

// The same SVG without the xmlns attribute, for embedding inside HTML: the HTML parser puts
// <svg> in the SVG namespace by itself, and the page then contains no URL at all.
std::string inline_svg(std::string_view standalone_svg);

}  // namespace faultline::report
