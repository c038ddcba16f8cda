// `faultline`: one binary, one subcommand per job (see `faultline --help`).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <vector>

#include "cli/command.h"

namespace faultline::cli {
namespace {

struct Registered {
  std::string name;
  std::string summary;
  int order;
  CommandSetup setup;
};

std::vector<Registered>& registry() {
  static std::vector<Registered> commands;
  return commands;
}

}  // namespace

CommandRegistration::CommandRegistration(std::string name, std::string summary, int order,
                                         CommandSetup setup) {
  registry().push_back({std::move(name), std::move(summary), order, std::move(setup)});
}

}  // namespace faultline::cli

int main(int argc, char** argv) {
  using namespace faultline::cli;
  CLI::App app{"faultline: what a Raft cluster does when the network fails only partly"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "faultline 0.1.0");

  auto& commands = registry();
  std::sort(commands.begin(), commands.end(),
            [](const Registered& a, const Registered& b) { return a.order < b.order; });
  std::vector<std::pair<CLI::App*, std::function<int()>>> runners;
  for (auto& c : commands) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    runners.emplace_back(sub, c.setup(*sub));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kValid : kCannotRun;
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) {
      try {
        return run();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "faultline %s: %s\n", sub->get_name().c_str(), e.what());
        return kCannotRun;
      }
    }
  }
  return kCannotRun;
}
