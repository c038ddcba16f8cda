// Shared by the lab's end-to-end tests: runs the real `faultline` binary (a lab run is a
// process of its own, as a user runs it) and reads its --json summary, and runs the same
// scenario in the simulator for the model-against-reality checks.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "lab/runner.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace faultline::lab::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;         // stdout
  std::string err;         // stderr
  nlohmann::json summary;  // the last stdout line as JSON (null if it is not)
};

inline std::string test_scenario(const std::string& name) {
  return std::string(FAULTLINE_LAB_SCENARIOS) + "/" + name + ".toml";
}

inline CliRun run_faultline(const std::vector<std::string>& args) {
  const auto err_file = std::filesystem::temp_directory_path() /
                        ("faultline-lab-test-" + std::to_string(::getpid()) + ".err");
  std::string cmd = std::string("'") + FAULTLINE_BIN + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>'" + err_file.string() + "'";
  CliRun run;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return run;
  char buf[8192];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) run.out.append(buf, n);
  const int status = ::pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  std::stringstream ss;
  ss << in.rdbuf();
  run.err = ss.str();
  std::filesystem::remove(err_file);
  std::string line = run.out;
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (auto nl = line.find_last_of('\n'); nl != std::string::npos) line = line.substr(nl + 1);
  run.summary = nlohmann::json::parse(line, nullptr, false);
  if (run.summary.is_discarded()) run.summary = nullptr;
  return run;
}

// `faultline lab SCENARIO --json ARGS...`
inline CliRun run_lab(const std::string& scenario, std::vector<std::string> args) {
  args.insert(args.begin(), {"lab", test_scenario(scenario), "--json"});
  return run_faultline(args);
}

// The same scenario in the simulator with `profile`, analysed: the model's answer (under
// `loss_model` instead of the scenario's, if given: `datagram` drops messages, as
// faultline's hooks cut).
inline nlohmann::json run_model(const std::string& scenario, const std::string& profile,
                                std::uint64_t seed = 1,
                                std::optional<sim::LinkParams::LossModel> loss_model = {}) {
  sim::Scenario sc = sim::parse_scenario_file(test_scenario(scenario));
  if (loss_model) sc.network.loss_model = *loss_model;
  const sim::SimResult r = sim::simulate({&sc, profile, seed, {}});
  return analysis::to_json(analysis::analyze(r.record), true);
}

inline int elections(const nlohmann::json& s, const char* phase) {
  return s["phases"][phase]["elections"].get<int>();
}
inline std::uint64_t term_rise(const nlohmann::json& s, const char* phase) {
  return s["phases"][phase]["term_increase"].get<std::uint64_t>();
}
inline std::string verdict(const nlohmann::json& s) { return s["verdict"].get<std::string>(); }

// Share of the phase's requests that did not succeed (refused or no answer in time). On a
// loaded machine "delayed" (no answer in 100 ms) also catches healthy requests, so the
// tests use this one.
inline double failed_share(const nlohmann::json& s, const char* phase) {
  const auto& p = s["phases"][phase];
  const double offered = p["ops_offered"].get<double>();
  return offered == 0 ? 0 : p["ops_failed"].get<double>() / offered;
}

inline bool is_root() { return ::geteuid() == 0; }

// Installs Debian's etcd when it is missing (the lab's tests need it; CI machines are new).
inline bool ensure_etcd() {
  if (std::system("etcd --version >/dev/null 2>&1") == 0) return true;
  std::system("DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server >/dev/null 2>&1");
  return std::system("etcd --version >/dev/null 2>&1") == 0;
}

// What a finished lab left behind: namespaces whose lab process is gone (a live lab of a
// test running in parallel is not a leftover) and nftables tables in the root namespace
// (the lab never makes any there).
inline std::string leftovers_of_labs() {
  std::string out;
  for (const auto& ns : lab_leftovers(false)) out += ns + "\n";
  FILE* p = ::popen("nft list tables 2>/dev/null | grep flt", "r");
  if (p == nullptr) return "cannot list nft tables";
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

}  // namespace faultline::lab::testing
