// Linearizability checking of register histories. Per-key decomposition first (a history of
// independent registers is linearizable exactly when each key's sub-history is); then per
// key either the exact zone check of Gibbons and Korach (writes of distinct values) or a
// Wing-and-Gong search with the improvements of Lowe and of Porcupine (memoization of the
// set of linearized operations together with the register value). docs/linearizability.md
// explains the model, the treatment of failed and unknown outcomes, and the witness.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "record/run_record.h"

namespace faultline::check {

enum class Verdict { valid, invalid, unknown };
std::string_view to_string(Verdict v);

// How a key's history is checked. `automatic`: the exact O(n log n) zone check when every
// write of the key wrote a different value (the normal case: drivers write unique values),
// else the search. `search`: always the search (to cross-check the two in tests).
enum class Engine { automatic, search };

struct CheckOptions {
  // Search steps (one step: one attempt to linearize or undo one operation) over the whole
  // history before the checker gives up and answers `unknown`. The zone check counts one
  // step per operation. The search takes about 1 us and at most ~50 bytes per step.
  std::uint64_t step_budget = 1'000'000;
  Engine engine = Engine::automatic;
};

// Why a history is not linearizable: the key whose sub-history has no linearization, the
// operation that could not be placed (its completion is where every candidate order got
// stuck), and a small window of operations around it that shows the contradiction.
struct Witness {
  std::string key;
  std::uint64_t failing_op = 0;       // Operation::id
  std::vector<std::uint64_t> window;  // Operation::id, in invocation order
  std::size_t linearized_prefix = 0;  // search only: most ops of the key linearized at once
  std::string explanation;            // one human-readable sentence
};

struct CheckResult {
  Verdict verdict = Verdict::unknown;
  Witness witness;                // meaningful only when verdict == invalid
  std::uint64_t steps = 0;        // search steps taken
  std::size_t keys = 0;           // keys checked
  std::size_t ops_checked = 0;    // operations left after dropping those that cannot matter
  std::size_t reads_checked = 0;  // successful reads among them (0: nothing to contradict)
  std::string detail;             // why unknown, or the witness as text
};

// Checks a history of single-key writes and reads on registers that start absent (a read
// returning "" means "absent"). Outcomes: ok (took effect, at some instant between sent_us
// and completed_us); fail (certainly did not take effect: the driver must mark `fail` only
// then); timeout (may or may not have taken effect, at any instant after sent_us).
// Operations with a bad shape (ok with completed_us < sent_us) make the verdict unknown
// with the reason in `detail`; the input is never modified.
CheckResult check_history(const std::vector<record::Operation>& ops,
                          const CheckOptions& options = {});

}  // namespace faultline::check
