// Fuzz target: a history file given to `faultline check`, in Jepsen's JSON. Reading it must
// answer with a HistoryError or operations, never crash or throw anything else; checking
// must answer within its step budget; and a history written back out and read again must
// get the same verdict.
#include <nlohmann/json.hpp>

#include "check/history_json.h"
#include "check/linearizability.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace faultline;
  const nlohmann::json json = nlohmann::json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;
  std::vector<record::Operation> ops;
  try {
    ops = check::from_jepsen_json(json);
  } catch (const check::HistoryError&) {
    return 0;
  }
  const check::CheckOptions options{.step_budget = 20'000};
  const check::CheckResult first = check::check_history(ops, options);
  FUZZ_REQUIRE(first.steps <= options.step_budget + ops.size());

  nlohmann::json written;
  try {
    written = check::to_jepsen_json(ops);
  } catch (const check::HistoryError&) {
    return 0;  // not expressible (a key or value that is not UTF-8)
  }
  std::vector<record::Operation> again;
  try {
    again = check::from_jepsen_json(written);
  } catch (const check::HistoryError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    faultline::fuzz::broken("a history faultline wrote cannot be read back");
  }
  FUZZ_REQUIRE(again.size() == ops.size());
  const check::CheckResult second = check::check_history(again, options);
  if (first.verdict != check::Verdict::unknown && second.verdict != check::Verdict::unknown)
    FUZZ_REQUIRE(first.verdict == second.verdict);
  return 0;
}
