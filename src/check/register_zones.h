// An exact, O(n log n) linearizability check for one register whose writes all write
// different values (Gibbons and Korach, "Testing shared memories", 1997). With unique
// values every read names the write it saw, so a linearization is a sequence of clusters
// (a write, then the reads of its value); each cluster has a zone, and the history is
// linearizable exactly when (1) no read finished before its write started, (2) no two
// forward zones overlap, and (3) no backward zone lies inside a forward zone.
// docs/linearizability.md gives the definitions and why the conditions suffice.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "check/register_search.h"

namespace faultline::check {

struct ZoneResult {
  bool linearizable = true;
  std::size_t failing_op = 0;         // index into ops, when not linearizable
  std::vector<std::size_t> evidence;  // the ops that make the contradiction
  std::string why;                    // which condition failed, in words
};

// nullopt when the precondition does not hold: two writes of one value, or a write of
// value 0 (absent, the initial value). Reads of a value no write wrote are reported as not
// linearizable. `ops` need not be sorted.
std::optional<ZoneResult> check_zones(const std::vector<RegisterOp>& ops);

}  // namespace faultline::check
