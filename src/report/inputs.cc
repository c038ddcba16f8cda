// Finding what the arguments name (run records, an atlas) and loading the runs.
#include <fmt/format.h>

#include <algorithm>

#include "raft/profiles.h"
#include "report/report.h"

namespace faultline::report {

namespace {

constexpr std::string_view kMetaFile = "meta.json";

bool is_run_dir(const fs::path& dir) { return fs::is_regular_file(dir / std::string(kMetaFile)); }
bool is_atlas_dir(const fs::path& dir) {
  return fs::is_regular_file(dir / std::string(kAtlasFile));
}

// Depth-first, sorted so the page lists runs in a stable order; a run folder is not
// searched further (its files are the record, not more runs).
void find_runs(const fs::path& dir, int depth, std::vector<fs::path>& found,
               const fs::path& argument) {
  if (is_run_dir(dir)) {
    found.push_back(dir);
    if (found.size() > kMaxRunsPerPage) {
      throw ReportError(fmt::format("{}: more than {} run records below it; name fewer folders",
                                    argument.string(), kMaxRunsPerPage));
    }
    return;
  }
  if (depth >= kMaxSearchDepth) return;
  std::vector<fs::path> children;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory() && !entry.is_symlink()) children.push_back(entry.path());
  }
  if (ec) throw ReportError(fmt::format("{}: cannot be listed: {}", dir.string(), ec.message()));
  // Profiles in the order tables list them (raft, etcd-3.4, etcd-3.5, ...), then by name.
  auto rank = [](const fs::path& p) {
    const auto all = raft::profiles();
    const auto name = p.filename().string();
    const auto found = std::find_if(all.begin(), all.end(),
                                    [&](const raft::Profile& pr) { return pr.name == name; });
    return std::pair(found - all.begin(), name);
  };
  std::sort(children.begin(), children.end(),
            [&](const fs::path& a, const fs::path& b) { return rank(a) < rank(b); });
  for (const auto& child : children) find_runs(child, depth + 1, found, argument);
}

}  // namespace

Inputs resolve_inputs(const std::vector<fs::path>& arguments) {
  if (arguments.empty()) throw ReportError("no run record given");
  Inputs inputs;
  for (const auto& arg : arguments) {
    if (!fs::exists(arg))
      throw ReportError(fmt::format("{}: no such file or folder", arg.string()));
    if (fs::is_regular_file(arg)) {
      if (arg.filename() == kAtlasFile) {
        inputs.atlas = arg;
        continue;
      }
      if (arg.filename() == kMetaFile) {
        inputs.runs.push_back(arg.parent_path().empty() ? fs::path(".") : arg.parent_path());
        continue;
      }
      throw ReportError(
          fmt::format("{}: not a run record (a run record is a folder with meta.json, ops.csv, "
                      "samples.csv and faults.jsonl)",
                      arg.string()));
    }
    if (is_atlas_dir(arg)) {
      inputs.atlas = arg;
      continue;
    }
    std::size_t before = inputs.runs.size();
    find_runs(arg, 0, inputs.runs, arg);
    if (inputs.runs.size() == before) {
      throw ReportError(fmt::format(
          "{}: not a run record (no meta.json) and no run records below it", arg.string()));
    }
  }
  if (inputs.atlas && !inputs.runs.empty()) {
    throw ReportError(fmt::format("{}: an atlas is drawn on a page of its own; give it alone",
                                  inputs.atlas->string()));
  }
  if (inputs.runs.size() > kMaxRunsPerPage) {
    throw ReportError(fmt::format("{} run records given; at most {} fit on one page",
                                  inputs.runs.size(), kMaxRunsPerPage));
  }
  // The same folder named twice (directly and through its parent) is drawn once.
  std::vector<fs::path> unique;
  for (const auto& run : inputs.runs) {
    auto canonical = fs::weakly_canonical(run);
    if (std::none_of(unique.begin(), unique.end(),
                     [&](const fs::path& u) { return fs::weakly_canonical(u) == canonical; })) {
      unique.push_back(run);
    }
  }
  inputs.runs = std::move(unique);
  return inputs;
}

LoadedRun analyse_run(record::RunRecord record, fs::path dir, const analysis::Options& options) {
  LoadedRun run;
  run.dir = std::move(dir);
  run.summary = analysis::analyze(record, options);
  run.record = std::move(record);
  return run;
}

LoadedRun load_run(const fs::path& dir, const analysis::Options& options) {
  record::RunRecord loaded;
  try {
    loaded = record::load(dir);
  } catch (const record::RecordError& e) {
    throw ReportError(e.what());
  }
  return analyse_run(std::move(loaded), dir, options);
}

}  // namespace faultline::report
