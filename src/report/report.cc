// The whole `faultline report` command: everything is read, checked and rendered in memory
// first; then every output is staged as a temporary file and only renamed into place once
// all of them were written, so bad input or a failed write leaves nothing half done.
#include "report/report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>

#include "report/png.h"

namespace faultline::report {

namespace {

fs::path temporary_for(const fs::path& target) {
  fs::path t = target;
  t += fmt::format(".tmp-{}", ::getpid());
  return t;
}

void write_text(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw ReportError(fmt::format("{}: cannot be created", path.string()));
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) throw ReportError(fmt::format("{}: write failed", path.string()));
}

void ensure_folder(const fs::path& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw ReportError(fmt::format("{}: cannot create the folder: {}", dir.string(),
                                  ec ? ec.message() : "a file is in the way"));
  }
}

// Staged outputs: temporaries that become the real files only in commit().
class StagedFiles {
 public:
  ~StagedFiles() {
    for (const auto& [temporary, target] : files_) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
    }
  }
  // Refuses a target that a rename could not replace, before anything is written.
  fs::path stage(const fs::path& target) {
    if (fs::is_directory(target)) {
      throw ReportError(
          fmt::format("{}: is a folder; cannot write the file there", target.string()));
    }
    files_.emplace_back(temporary_for(target), target);
    return files_.back().first;
  }
  // Renames every temporary into place; if one fails, the files already renamed are
  // removed again so no partial set of outputs stays behind.
  std::vector<fs::path> commit() {
    std::vector<fs::path> done;
    for (const auto& [temporary, target] : files_) {
      std::error_code ec;
      fs::rename(temporary, target, ec);
      if (ec) {
        std::error_code ignored;
        for (const auto& d : done) fs::remove(d, ignored);
        throw ReportError(fmt::format("{}: cannot be written: {}", target.string(), ec.message()));
      }
      done.push_back(target);
    }
    files_.clear();
    return done;
  }

 private:
  std::vector<std::pair<fs::path, fs::path>> files_;
};

}  // namespace

void write_file_atomically(const fs::path& target, std::string_view content) {
  StagedFiles staged;
  write_text(staged.stage(target), content);
  staged.commit();
}

ReportOutcome make_report(const ReportOptions& options) {
  Inputs inputs = resolve_inputs(options.inputs);
  ReportOutcome outcome;
  RenderedReport rendered;
  if (inputs.atlas) {
    rendered = render_atlas(load_atlas(*inputs.atlas), *inputs.atlas);
    outcome.atlas = true;
  } else {
    std::vector<LoadedRun> runs;
    for (const auto& dir : inputs.runs) {
      runs.push_back(load_run(dir, options.analysis));
      if (options.on_run_analysed) options.on_run_analysed(runs.size(), inputs.runs.size());
    }
    rendered = render_runs(runs);
    outcome.runs = runs.size();
  }

  ensure_folder(options.output.parent_path());
  if (options.png_dir) ensure_folder(*options.png_dir);
  if (options.svg_dir) ensure_folder(*options.svg_dir);
  StagedFiles staged;
  write_text(staged.stage(options.output), rendered.html);
  for (const auto& f : rendered.figures) {
    if (options.svg_dir) {
      write_text(staged.stage(*options.svg_dir / (f.file_stem + ".svg")), f.figure.svg);
    }
    if (options.png_dir) {
      write_png(f.figure.svg, options.png_scale,
                staged.stage(*options.png_dir / (f.file_stem + ".png")));
    }
  }
  auto written = staged.commit();
  outcome.html = written.front();
  outcome.images.assign(written.begin() + 1, written.end());
  return outcome;
}

}  // namespace faultline::report
