// The search at the heart of the linearizability checker: Wing and Gong's depth-first search
// over one register's history, as Lowe and Porcupine refined it. Operations live in a
// doubly linked list of call and return events in time order; the search linearizes a call
// whose model step is legal, lifts it (and its return) out of the list, and backtracks when
// it meets a return event it cannot pass. Every (set of linearized operations, register
// value) pair is visited once (the memo), which turns the exponential search into one
// bounded by the number of distinct configurations.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace faultline::check {

using Time = std::int64_t;
inline constexpr Time kNever = std::numeric_limits<Time>::max();  // an unknown outcome's return

// One operation on one register, values interned to small integers (0 is "absent").
struct RegisterOp {
  Time call = 0;
  Time ret = kNever;  // kNever: may take effect at any time after `call`, or never
  bool write = false;
  std::uint32_t value = 0;  // written, or returned by the read
};

struct SearchResult {
  enum class Outcome { linearizable, not_linearizable, out_of_steps } outcome;
  std::uint64_t steps = 0;
  std::size_t deepest = 0;      // most operations linearized at once
  std::size_t blocking_op = 0;  // index of the op whose return stopped the deepest attempt
};

// `ops` must be sorted by call time. Spends at most `budget` steps.
SearchResult search_register(const std::vector<RegisterOp>& ops, std::uint64_t budget);

}  // namespace faultline::check
