#include "test_files.h"

#include <cairo.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace faultline::report::testing {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("faultline-report-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot be read");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_text(const std::filesystem::path& file, std::string_view content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error(file.string() + ": cannot be written");
}

std::vector<Attributes> find_tags(std::string_view markup, std::string_view name,
                                  const Attributes& required) {
  std::vector<Attributes> found;
  std::string open = "<" + std::string(name) + " ";
  std::size_t at = 0;
  while ((at = markup.find(open, at)) != std::string_view::npos) {
    std::size_t end = markup.find('>', at);
    if (end == std::string_view::npos) break;
    std::string_view tag = markup.substr(at + open.size(), end - at - open.size());
    Attributes attrs;
    std::size_t i = 0;
    while (i < tag.size()) {
      std::size_t eq = tag.find("=\"", i);
      if (eq == std::string_view::npos) break;
      std::size_t close = tag.find('"', eq + 2);
      if (close == std::string_view::npos) break;
      std::string key(tag.substr(i, eq - i));
      while (!key.empty() && key.front() == ' ') key.erase(key.begin());
      attrs[key] = std::string(tag.substr(eq + 2, close - eq - 2));
      i = close + 1;
    }
    bool match = true;
    for (const auto& [k, v] : required) {
      auto it = attrs.find(k);
      if (it == attrs.end() || it->second != v) match = false;
    }
    if (match) found.push_back(std::move(attrs));
    at = end;
  }
  return found;
}

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

std::string_view between(std::string_view text, std::string_view begin, std::string_view end) {
  auto b = text.find(begin);
  if (b == std::string_view::npos) return {};
  auto e = text.find(end, b + begin.size());
  if (e == std::string_view::npos) return {};
  return text.substr(b, e - b);
}

PngFacts inspect_png(const std::filesystem::path& file) {
  PngFacts facts;
  cairo_surface_t* image = cairo_image_surface_create_from_png(file.c_str());
  if (cairo_surface_status(image) == CAIRO_STATUS_SUCCESS) {
    facts.loaded = true;
    facts.width = cairo_image_surface_get_width(image);
    facts.height = cairo_image_surface_get_height(image);
    int stride = cairo_image_surface_get_stride(image);
    const unsigned char* data = cairo_image_surface_get_data(image);
    std::set<std::uint32_t> colours;
    for (int y = 0; y < facts.height && colours.size() < 64; y += 3) {
      const auto* row = reinterpret_cast<const std::uint32_t*>(data + y * stride);
      for (int x = 0; x < facts.width && colours.size() < 64; x += 3) colours.insert(row[x]);
    }
    facts.distinct_colours = colours.size();
  }
  cairo_surface_destroy(image);
  return facts;
}

bool has_colour_near(const std::filesystem::path& file, int r, int g, int b, int tolerance) {
  cairo_surface_t* image = cairo_image_surface_create_from_png(file.c_str());
  bool found = false;
  if (cairo_surface_status(image) == CAIRO_STATUS_SUCCESS) {
    int width = cairo_image_surface_get_width(image);
    int height = cairo_image_surface_get_height(image);
    int stride = cairo_image_surface_get_stride(image);
    const unsigned char* data = cairo_image_surface_get_data(image);
    auto near = [tolerance](int a, int b) { return a - b <= tolerance && b - a <= tolerance; };
    for (int y = 0; y < height && !found; ++y) {
      const auto* row = reinterpret_cast<const std::uint32_t*>(data + y * stride);
      for (int x = 0; x < width && !found; ++x) {
        std::uint32_t p = row[x];  // cairo's ARGB32, native endian; opaque pixels here
        found = near(static_cast<int>((p >> 16) & 0xFF), r) &&
                near(static_cast<int>((p >> 8) & 0xFF), g) && near(static_cast<int>(p & 0xFF), b);
      }
    }
  }
  cairo_surface_destroy(image);
  return found;
}

}  // namespace faultline::report::testing
