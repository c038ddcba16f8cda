// `faultline profiles [--json]`: the named presets of the Raft core's switches, the rows of
// every comparison table, with what each one models. The data is the core's
// (src/raft/profiles.cc); this only prints it.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command.h"
#include "raft/profiles.h"

namespace faultline::cli {
namespace {

const char* on_off(bool on) { return on ? "on" : "-"; }

int print_json() {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const raft::Profile& p : raft::profiles()) {
    all.push_back({
        {"name", p.name},
        {"models", p.models},
        {"description", p.description},
        {"pre_vote", p.switches.pre_vote},
        {"check_quorum", p.switches.check_quorum},
        {"vote_lease", p.switches.vote_lease},
        {"prevote_requires_no_leader", p.switches.prevote_requires_no_leader},
    });
  }
  std::printf("%s\n", all.dump(2).c_str());
  return kValid;
}

int print_table() {
  std::string out =
      fmt::format("{:<16}{:<10}{:<14}{:<12}{:<28}{}\n", "profile", "pre_vote", "check_quorum",
                  "vote_lease", "prevote_requires_no_leader", "models");
  for (const raft::Profile& p : raft::profiles()) {
    out += fmt::format("{:<16}{:<10}{:<14}{:<12}{:<28}{}\n", p.name, on_off(p.switches.pre_vote),
                       on_off(p.switches.check_quorum), on_off(p.switches.vote_lease),
                       on_off(p.switches.prevote_requires_no_leader), p.models);
  }
  out += "\n";
  for (const raft::Profile& p : raft::profiles()) {
    out += fmt::format("{}: {}\n", p.name, p.description);
  }
  std::fputs(out.c_str(), stdout);
  return kValid;
}

CommandRegistration registration{
    "profiles", "list the named presets of the Raft core's switches and what each models", 65,
    [](CLI::App& sub) {
      auto json = std::make_shared<bool>(false);
      sub.add_flag("--json", *json,
                   "print a JSON array of {name, models, description, pre_vote, check_quorum, "
                   "vote_lease, prevote_requires_no_leader}");
      return [json]() -> int { return *json ? print_json() : print_table(); };
    }};

}  // namespace
}  // namespace faultline::cli
