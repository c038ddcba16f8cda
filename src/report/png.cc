#include "report/png.h"

#include <cairo.h>
#include <fmt/format.h>
#include <librsvg/rsvg.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "report/report_error.h"

// fontconfig (reached through librsvg and pango) keeps its font cache for the life of the
// process and never frees it; without this, LeakSanitizer would fail every sanitizer run
// that exports a PNG. Only fontconfig's allocations are exempted. Weak, so another part of
// the program may define its own list without a link error.
extern "C" __attribute__((weak)) const char* __lsan_default_suppressions() {
  return "leak:libfontconfig.so\n";
}
// And no "Suppressions used" report on stderr at exit: the commands' stderr is for the
// user (tests check it stays empty in a pipe).
extern "C" __attribute__((weak)) const char* __lsan_default_options() {
  return "print_suppressions=0";
}

namespace faultline::report {

namespace {

// A bound on one image: a tall atlas at scale 2 must not ask cairo for gigabytes.
constexpr double kMaxPixels = 64e6;
constexpr double kMaxSide = 32000;

struct GObjectUnref {
  void operator()(RsvgHandle* h) const { g_object_unref(h); }
};
struct SurfaceDestroy {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDestroy {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};

std::string take_message(GError* error) {
  std::string message = error ? error->message : "unknown error";
  if (error) g_error_free(error);
  return message;
}

}  // namespace

void write_png(std::string_view svg, double scale, const std::filesystem::path& target) {
  GError* error = nullptr;
  std::unique_ptr<RsvgHandle, GObjectUnref> handle(
      rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(svg.data()), svg.size(), &error));
  if (!handle) {
    throw ReportError(fmt::format("{}: the figure's SVG could not be parsed: {}", target.string(),
                                  take_message(error)));
  }
  gdouble width = 0, height = 0;
  if (!rsvg_handle_get_intrinsic_size_in_pixels(handle.get(), &width, &height) || width <= 0 ||
      height <= 0) {
    throw ReportError(fmt::format("{}: the figure has no size", target.string()));
  }
  if (width * height * scale * scale > kMaxPixels) {
    scale = std::sqrt(kMaxPixels / (width * height));
  }
  // Cairo's images are at most 32767 pixels on a side.
  scale = std::min(scale, kMaxSide / std::max(width, height));
  int pixels_wide = static_cast<int>(std::ceil(width * scale));
  int pixels_high = static_cast<int>(std::ceil(height * scale));
  std::unique_ptr<cairo_surface_t, SurfaceDestroy> surface(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pixels_wide, pixels_high));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    throw ReportError(fmt::format("{}: cannot allocate a {}x{} image", target.string(), pixels_wide,
                                  pixels_high));
  }
  {
    std::unique_ptr<cairo_t, ContextDestroy> cr(cairo_create(surface.get()));
    RsvgRectangle viewport{0, 0, width * scale, height * scale};
    if (!rsvg_handle_render_document(handle.get(), cr.get(), &viewport, &error)) {
      throw ReportError(fmt::format("{}: the figure could not be drawn: {}", target.string(),
                                    take_message(error)));
    }
  }
  cairo_surface_flush(surface.get());
  if (cairo_surface_write_to_png(surface.get(), target.c_str()) != CAIRO_STATUS_SUCCESS) {
    std::error_code ignored;
    std::filesystem::remove(target, ignored);
    throw ReportError(fmt::format("{}: cannot be written", target.string()));
  }
}

}  // namespace faultline::report
