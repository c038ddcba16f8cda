// Rasterizes the report's SVG figures to PNG with librsvg and cairo (Debian's librsvg2-dev),
// for papers and slides. Fonts come from fontconfig: DejaVu Sans (fonts-dejavu-core).
#pragma once

#include <filesystem>
#include <string_view>

namespace faultline::report {

// Renders `svg` at `scale` pixels per SVG unit (less for a figure so large that the image
// would pass 64 megapixels) and writes the PNG to `target`. Throws ReportError when the SVG
// cannot be parsed or the file cannot be written; the caller renames into place.
void write_png(std::string_view svg, double scale, const std::filesystem::path& target);

}  // namespace faultline::report
