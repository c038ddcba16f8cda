// Runs `faultline lab ... --json` in a child process, for commands that run several labs
// (compare, nemesis): a lab moves its main thread into a network namespace before any
// other thread exists, so one process runs one lab. The child's stderr passes through.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace faultline::cli {

struct LabChild {
  int exit_code = -1;      // the child's exit code; -1 if it could not start or was killed
  nlohmann::json summary;  // its --json summary (the last line of its stdout); null if none
  std::string command;     // what ran, for messages
};

// `args` follow `faultline lab`; `--json` is added.
LabChild run_lab_child(const std::vector<std::string>& args);

// A new folder "<prefix>-XXXXXX" in the temporary directory for a campaign's scenario files
// and records; nullopt if none could be made.
std::optional<std::filesystem::path> make_temp_folder(const std::string& prefix);

// How a lab run's first failed safety check is marked beside the model (compare, explore
// --lab): "STORES DIFFER" when the nodes' stores differed at the end, else "NODE EXIT".
std::string finding_label(const std::string& violation);

}  // namespace faultline::cli
