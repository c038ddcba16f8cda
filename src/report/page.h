// The HTML around the figures and tables: one self-contained page (inline CSS, inline SVG,
// no script, no font or image fetched from anywhere), readable offline and printable.
#pragma once

#include <string>
#include <string_view>

#include "report/figures.h"

namespace faultline::report {

// A whole document: <head> with the inline style sheet, then `body`.
std::string html_document(std::string_view title, std::string_view body);

// A figure with its SVG inline and a caption saying how to read it. `id` is the element id.
std::string figure_html(const Figure& figure, std::string_view caption, std::string_view id);

}  // namespace faultline::report
