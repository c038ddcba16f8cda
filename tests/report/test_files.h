// Helpers shared by the report's tests: temporary folders, reading files back, picking
// elements and attributes out of generated SVG/HTML, and checking that a PNG is a real,
// non-blank picture.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::report::testing {

// A fresh folder under the system's temporary folder, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The committed fixtures (tests run with the source tree as working directory).
inline const std::filesystem::path kFixtures = "tests/report/fixtures";

std::string read_text(const std::filesystem::path& file);
void write_text(const std::filesystem::path& file, std::string_view content);

// Every start tag `<name ...>` whose attributes include all of `required` (attribute ->
// exact value); each result maps attribute names to values.
using Attributes = std::map<std::string, std::string>;
std::vector<Attributes> find_tags(std::string_view markup, std::string_view name,
                                  const Attributes& required = {});

// Counts the occurrences of `needle` in `haystack`.
std::size_t count(std::string_view haystack, std::string_view needle);

// The part of `text` from the first `begin` to the following `end` (empty if absent).
std::string_view between(std::string_view text, std::string_view begin, std::string_view end);

struct PngFacts {
  bool loaded = false;
  int width = 0;
  int height = 0;
  std::size_t distinct_colours = 0;  // counted up to 64
};
PngFacts inspect_png(const std::filesystem::path& file);
// Whether some pixel is within `tolerance` of (r, g, b) in every channel.
bool has_colour_near(const std::filesystem::path& file, int r, int g, int b, int tolerance = 10);

}  // namespace faultline::report::testing
