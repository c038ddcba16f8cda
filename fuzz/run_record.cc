// Fuzz target: a run record folder as `faultline report`, `analyze` and `check` read it
// (a user's files, possibly truncated or edited by hand). The input replaces one file of a
// small valid record (its first byte picks which). Loading must answer with a RecordError or
// a record; a record that loads must analyze without failing and save and load again to
// the same record; a bare ops.csv reads like the record's own.
#include "record/run_record.h"

#include <array>
#include <filesystem>
#include <string>

#include "analysis/analysis.h"
#include "fuzz_support.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace {

using namespace faultline;
namespace fs = std::filesystem;

constexpr std::array<const char*, 4> kFiles = {"meta.json", "ops.csv", "samples.csv",
                                               "faults.jsonl"};

// A small real record: 3 nodes for 3 s, reads and writes, the leader crashed and restarted.
const std::array<std::string, kFiles.size()>& base_files() {
  static const std::array<std::string, kFiles.size()> files = [] {
    const sim::Scenario scenario = sim::parse_scenario_text(R"(
name = "fuzz-base"
nodes = 3
duration = "3s"
[workload]
rate = 20
keys = 3
value_size = 4
read_share = 0.5
[[fault]]
at = "1s"
name = "kill"
crash = "leader"
[[fault]]
at = "2s"
restart = "kill"
)",
                                                            "fuzz-base.toml");
    sim::SimRequest request;
    request.scenario = &scenario;
    request.profile = "etcd-3.5";
    const fs::path dir = fuzz::scratch_path("record-base");
    record::save(sim::simulate(request).record, dir);
    std::array<std::string, kFiles.size()> out;
    for (std::size_t i = 0; i < kFiles.size(); ++i) out[i] = fuzz::read_file(dir / kFiles[i]);
    fs::remove_all(dir);
    return out;
  }();
  return files;
}

bool same(const record::Operation& a, const record::Operation& b) {
  return a.id == b.id && a.kind == b.kind && a.key == b.key && a.value == b.value &&
         a.sent_us == b.sent_us && a.completed_us == b.completed_us && a.outcome == b.outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto& base = base_files();
  const std::size_t replaced = data[0] % kFiles.size();
  const fs::path dir = fuzz::scratch_path("record-in");
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (std::size_t i = 0; i < kFiles.size(); ++i) {
    fuzz::write_file(dir / kFiles[i],
                     i == replaced
                         ? std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)
                         : std::string_view(base[i]));
  }
  record::RunRecord loaded;
  bool ok = true;
  try {
    loaded = record::load(dir);
  } catch (const record::RecordError&) {
    ok = false;
  }
  if (replaced == 1) {  // the same ops.csv read bare, as `faultline check` does
    try {
      const auto ops = record::load_ops(dir / "ops.csv");
      if (ok) FUZZ_REQUIRE(ops.size() == loaded.ops.size());
    } catch (const record::RecordError&) {
      FUZZ_REQUIRE(!ok);
    }
  }
  fs::remove_all(dir);
  if (!ok) return 0;

  analysis::analyze(loaded, analysis::Options{.lin_step_budget = 20'000});
  const fs::path again_dir = fuzz::scratch_path("record-again");
  record::save(loaded, again_dir);
  record::RunRecord again;
  try {
    again = record::load(again_dir);
  } catch (const record::RecordError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    fuzz::broken("a record that loaded does not load again once saved");
  }
  fs::remove_all(again_dir);
  FUZZ_REQUIRE(again.ops.size() == loaded.ops.size());
  for (std::size_t i = 0; i < again.ops.size(); ++i)
    FUZZ_REQUIRE(same(again.ops[i], loaded.ops[i]));
  FUZZ_REQUIRE(again.samples.size() == loaded.samples.size());
  FUZZ_REQUIRE(again.faults.size() == loaded.faults.size());
  FUZZ_REQUIRE(again.meta.scenario == loaded.meta.scenario && again.meta.seed == loaded.meta.seed);
  return 0;
}
