// `faultline report`: from run records (or an atlas) to one self-contained HTML page and,
// on request, each figure as a PNG (and SVG) file. The steps are public so tests can check
// each: resolve the inputs, load and analyse the runs, render the page, write it.
//
// Bad input (a folder that is not a run record, a truncated record, runs of different
// scenarios in one comparison, a broken atlas) raises ReportError before anything is written;
// files are written to temporaries and renamed at the end, so no half report is left.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "record/run_record.h"
#include "report/atlas.h"
#include "report/figures.h"
#include "report/report_error.h"

namespace faultline::report {

namespace fs = std::filesystem;

// More runs than this on one page is refused: the page would be unreadable and huge.
inline constexpr std::size_t kMaxRunsPerPage = 64;
// How deep below a given folder run records are looked for.
inline constexpr int kMaxSearchDepth = 8;

// What the command-line arguments name: run record folders, or one atlas.
struct Inputs {
  std::vector<fs::path> runs;
  std::optional<fs::path> atlas;  // a folder holding atlas.json, or the file itself
};

// A folder with meta.json is a run record; one with atlas.json is an atlas; any other folder
// is searched (to kMaxSearchDepth) for run records. Throws ReportError.
Inputs resolve_inputs(const std::vector<fs::path>& arguments);

struct LoadedRun {
  fs::path dir;
  record::RunRecord record;
  analysis::Summary summary;
};

// record::load, then analysis::analyze; a RecordError becomes a ReportError.
LoadedRun load_run(const fs::path& dir, const analysis::Options& options = {});
// For records built in memory (tests, or a driver that has not saved yet).
LoadedRun analyse_run(record::RunRecord record, fs::path dir = {},
                      const analysis::Options& options = {});

struct RenderedFigure {
  std::string file_stem;  // "sim-etcd-3.4-seed-1-goodput": the PNG/SVG name without extension
  Figure figure;
};

struct RenderedReport {
  std::string title;
  std::string html;
  std::vector<RenderedFigure> figures;
};

// One run: its page. Several runs of one scenario: the comparison page (one summary table,
// figures stacked on one time axis). Runs of different scenarios: ReportError.
RenderedReport render_runs(const std::vector<LoadedRun>& runs);
RenderedReport render_atlas(const Atlas& atlas, const fs::path& source);

// "sim · faultline · etcd-3.4 · seed 1": how a run is named on pages.
std::string run_label(const record::Meta& meta);

struct ReportOptions {
  std::vector<fs::path> inputs;
  fs::path output = "report.html";
  std::optional<fs::path> png_dir;
  std::optional<fs::path> svg_dir;
  double png_scale = 2.0;  // pixels per SVG unit: 2 gives crisp figures on slides
  analysis::Options analysis;
  // Called after each run is loaded and analysed (done of total), e.g. to draw progress.
  std::function<void(std::size_t done, std::size_t total)> on_run_analysed;
};

struct ReportOutcome {
  fs::path html;
  std::vector<fs::path> images;
  std::size_t runs = 0;
  bool atlas = false;
};

// The whole command: resolve, load, render, write. Throws ReportError for bad input.
ReportOutcome make_report(const ReportOptions& options);

// Writes `content` to a temporary beside `target`, then renames it into place.
void write_file_atomically(const fs::path& target, std::string_view content);

}  // namespace faultline::report
