// Finding a scenario by catalogue name: $FAULTLINE_SCENARIOS first (so an installed binary
// can be pointed anywhere), then the source tree's scenarios/ folder (compiled in).
#include <cstdlib>

#include "sim/scenario.h"

#ifndef FAULTLINE_SOURCE_DIR
#define FAULTLINE_SOURCE_DIR "."
#endif

namespace faultline::sim {
namespace {

std::vector<std::filesystem::path> catalogue_dirs() {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("FAULTLINE_SCENARIOS"); env && *env) dirs.emplace_back(env);
  dirs.emplace_back(std::filesystem::path(FAULTLINE_SOURCE_DIR) / "scenarios");
  return dirs;
}

}  // namespace

std::filesystem::path catalogue_dir() {
  std::error_code ec;
  for (auto& d : catalogue_dirs())
    if (std::filesystem::is_directory(d, ec)) return d;
  return catalogue_dirs().back();
}

std::filesystem::path find_scenario(std::string_view name_or_path) {
  std::error_code ec;
  std::filesystem::path direct(name_or_path);
  if (std::filesystem::is_regular_file(direct, ec)) return direct;
  std::string file(name_or_path);
  if (!file.ends_with(".toml")) file += ".toml";
  std::string looked;
  for (auto& d : catalogue_dirs()) {
    auto candidate = d / file;
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
    looked += (looked.empty() ? "" : ", ") + d.string();
  }
  throw ScenarioError(std::string(name_or_path), 0,
                      "no such scenario file, and no catalogue scenario of that name in " + looked);
}

}  // namespace faultline::sim
