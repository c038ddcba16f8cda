// `faultline report RUN_DIR... [-o report.html] [--png DIR] [--svg DIR]`: one self-contained
// HTML page from run records (one run: its page; several runs of one scenario: the
// comparison page) or from an atlas, and each figure as PNG/SVG on request.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/progress.h"
#include "report/report.h"

namespace faultline::cli {
namespace {

CommandRegistration registration{
    "report", "draw run records or an atlas as a self-contained HTML page (and PNG figures)", 60,
    [](CLI::App& sub) {
      auto options = std::make_shared<report::ReportOptions>();
      auto inputs = std::make_shared<std::vector<std::string>>();
      auto png = std::make_shared<std::string>();
      auto svg = std::make_shared<std::string>();
      auto output = std::make_shared<std::string>("report.html");
      sub.add_option("RUN_DIR", *inputs,
                     "run record folders, folders to search for them, or an atlas folder")
          ->required();
      sub.add_option("-o,--output", *output, "the HTML page to write")->capture_default_str();
      sub.add_option("--png", *png, "also write every figure as a PNG file into this folder");
      sub.add_option("--svg", *svg, "also write every figure as an SVG file into this folder");
      sub.add_option("--png-scale", options->png_scale, "PNG pixels per figure unit")
          ->capture_default_str()
          ->check(CLI::Range(0.5, 4.0));
      sub.footer(
          "Exit codes: 0 written; 2 bad input (not a run record, a truncated record, runs of "
          "different scenarios), nothing written.\nSee docs/report.md.");
      return [=]() -> int {
        for (const auto& in : *inputs) options->inputs.emplace_back(in);
        options->output = *output;
        if (!png->empty()) options->png_dir = *png;
        if (!svg->empty()) options->svg_dir = *svg;
        // Loading and analysing many runs (the linearizability check) can take a while.
        std::unique_ptr<Progress> progress;
        options->on_run_analysed = [&progress](std::size_t done, std::size_t total) {
          if (total < 2) return;
          if (!progress) progress = std::make_unique<Progress>("analysing runs", total);
          progress->advance();
          if (done == total) progress->finish();
        };
        try {
          auto outcome = report::make_report(*options);
          options->on_run_analysed = nullptr;
          std::string what = outcome.atlas       ? "atlas"
                             : outcome.runs == 1 ? "1 run"
                                                 : std::to_string(outcome.runs) + " runs compared";
          std::printf("wrote %s (%s)\n", outcome.html.c_str(), what.c_str());
          for (const auto& image : outcome.images) std::printf("wrote %s\n", image.c_str());
          return kValid;
        } catch (const report::ReportError& e) {
          std::fprintf(stderr, "faultline report: %s\n", e.what());
          return kCannotRun;
        }
      };
    }};

}  // namespace
}  // namespace faultline::cli
