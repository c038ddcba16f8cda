// `faultline check HISTORY`: is a recorded history linearizable? HISTORY is a run record
// folder (its ops.csv), a bare ops.csv, or a JSON history in the shape Jepsen's tools read.
// Exit codes as Jepsen's: 0 valid, 1 invalid, 2 unknown or could not run.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "check/history_json.h"
#include "check/linearizability.h"
#include "cli/command.h"
#include "record/run_record.h"

namespace faultline::cli {
namespace {

namespace fs = std::filesystem;

std::vector<record::Operation> read_history(const fs::path& path) {
  if (fs::is_directory(path)) {
    if (fs::exists(path / "meta.json")) return record::load(path).ops;
    return record::load_ops(path / "ops.csv");
  }
  if (path.extension() == ".csv") return record::load_ops(path);
  return check::load_history(path);
}

struct CheckCommand {
  std::string history;
  std::string export_path;
  std::string format = "elle";
  std::uint64_t budget = 20'000'000;
  bool search_only = false;
  bool json = false;

  int run() const {
    std::vector<record::Operation> ops = read_history(history);
    check::HistoryFormat shape =
        format == "knossos" ? check::HistoryFormat::knossos : check::HistoryFormat::elle;
    if (!export_path.empty()) check::export_history(ops, export_path, shape);

    check::CheckOptions options;
    options.step_budget = budget;
    options.engine = search_only ? check::Engine::search : check::Engine::automatic;
    check::CheckResult r = check::check_history(ops, options);
    if (json) {
      nlohmann::json out = {{"history", history},
                            {"result", check::to_string(r.verdict)},
                            {"valid", r.verdict == check::Verdict::unknown
                                          ? nlohmann::json(nullptr)
                                          : nlohmann::json(r.verdict == check::Verdict::valid)},
                            {"ops", ops.size()},
                            {"ops_checked", r.ops_checked},
                            {"reads_checked", r.reads_checked},
                            {"keys", r.keys},
                            {"steps", r.steps},
                            {"detail", r.detail}};
      if (r.verdict == check::Verdict::invalid) {
        out["witness"] = {{"key", r.witness.key},
                          {"failing_op", r.witness.failing_op},
                          {"window", r.witness.window}};
      }
      std::printf("%s\n",
                  out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      std::printf("%s\t%s\n%s\n", history.c_str(), std::string(check::to_string(r.verdict)).c_str(),
                  r.detail.c_str());
    }
    switch (r.verdict) {
      case check::Verdict::valid:
        return kValid;
      case check::Verdict::invalid:
        return kInvalid;
      case check::Verdict::unknown:
        return kCannotRun;
    }
    return kCannotRun;
  }
};

const CommandRegistration registration(
    "check", "is a recorded history linearizable? (0 valid, 1 invalid, 2 unknown)", 60,
    [](CLI::App& sub) -> std::function<int()> {
      auto command = std::make_shared<CheckCommand>();
      sub.add_option("HISTORY", command->history,
                     "a run record folder, an ops.csv, or a JSON history (Jepsen/elle-cli shape)")
          ->required();
      sub.add_option("--export-history", command->export_path,
                     "also write the history as JSON for Jepsen's tools (elle-cli, knossos)");
      sub.add_option("--format", command->format, "shape of --export-history: elle or knossos")
          ->check(CLI::IsMember({"elle", "knossos"}));
      sub.add_option("--budget", command->budget,
                     "search steps before answering unknown (only histories with repeated "
                     "values need the search)");
      sub.add_flag("--search", command->search_only,
                   "always use the exhaustive search, never the zone check (slower; for "
                   "cross-checking)");
      sub.add_flag("--json", command->json, "print the result as one JSON object");
      return [command] { return command->run(); };
    });

}  // namespace
}  // namespace faultline::cli
