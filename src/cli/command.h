// Subcommands register themselves: each cmd_*.cc defines one static CommandRegistration,
// so adding a command never touches main.cc. Exit codes follow Jepsen: 0 valid,
// 1 invalid (a safety violation), 2 could not decide or could not run.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace faultline::cli {

enum ExitCode : int { kValid = 0, kInvalid = 1, kCannotRun = 2 };

// Declares the subcommand's options on `sub` and returns what runs it once parsed.
using CommandSetup = std::function<std::function<int()>(CLI::App& sub)>;

struct CommandRegistration {
  // `order` sorts `faultline --help`; `summary` is its one-line description.
  CommandRegistration(std::string name, std::string summary, int order, CommandSetup setup);
};

}  // namespace faultline::cli
