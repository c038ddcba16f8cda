// Fuzz target: a scenario file as a user writes it. Parsing must answer with a ScenarioError
// (file, line, problem) or a scenario that can be run, never crash; and a scenario that
// parses must run: small ones are simulated (on a profile the input picks) and must end
// with no invariant violation and, when they read, a linearizable history.
#include "sim/scenario.h"

#include <cmath>
#include <string>

#include "check/linearizability.h"
#include "fuzz_support.h"
#include "raft/profiles.h"
#include "sim/simulator.h"

namespace {

using namespace faultline;

// Roughly how many events a run costs; larger runs are parsed but not simulated.
bool small_enough(const sim::Scenario& s) {
  const double seconds = static_cast<double>(s.duration_us) / 1e6;
  const double ticks = seconds * s.nodes * 1e6 / static_cast<double>(s.timing.heartbeat_us);
  const double ops = seconds * s.workload.rate;
  return s.nodes <= 7 && seconds <= 30 && ticks <= 20'000 && ops <= 3'000;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  sim::Scenario scenario;
  try {
    scenario = sim::parse_scenario_text(text, "fuzz.toml");
  } catch (const sim::ScenarioError& e) {
    FUZZ_REQUIRE(std::string_view(e.what()).starts_with("fuzz.toml"));
    return 0;
  }
  FUZZ_REQUIRE(scenario.nodes >= 1 && scenario.duration_us > 0);
  FUZZ_REQUIRE(scenario.timing.heartbeat_us > 0 && scenario.election_tick() >= 1);
  for (const auto& f : scenario.faults)
    FUZZ_REQUIRE(f.at_us >= 0 && f.at_us <= scenario.duration_us);
  const std::string json = sim::scenario_to_json(scenario);
  FUZZ_REQUIRE(!json.empty());
  if (!small_enough(scenario)) return 0;

  const auto profiles = raft::profiles();
  sim::SimRequest request;
  request.scenario = &scenario;
  request.profile = std::string(profiles[size % profiles.size()].name);
  request.seed = size;
  const sim::SimResult result = sim::simulate(request);
  if (result.record.meta.invariant_violations != 0) {
    std::fprintf(stderr, "%s\n", result.record.meta.violation.c_str());
    faultline::fuzz::broken("a scenario that parses ran into an invariant violation");
  }
  if (scenario.workload.read_share > 0) {
    const check::CheckResult lin = check::check_history(result.record.ops);
    if (lin.verdict == check::Verdict::invalid) {
      std::fprintf(stderr, "%s\n", lin.detail.c_str());
      faultline::fuzz::broken("a simulated history is not linearizable");
    }
  }
  return 0;
}
