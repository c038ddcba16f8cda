// The two engines must agree: on thousands of small random register histories (unique
// written values, so both apply), the exact zone check and the exhaustive search give the
// same verdict. The search is Wing and Gong's definition made executable, so this is how
// the zone check's correctness is tested, including unknown outcomes and equal times.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "check/register_search.h"
#include "check/register_zones.h"

namespace faultline::check {
namespace {

// `n` ops on one register: intervals on a coarse clock (so equal times occur), writes of
// distinct values 1, 2, ..., a fifth of them with unknown outcome, reads returning the
// value of a random write or absent (0). Sorted by call, as the search requires.
std::vector<RegisterOp> random_history(std::mt19937_64& rng, int n) {
  std::uniform_int_distribution<int> time(0, 12), length(0, 6), percent(0, 99);
  std::vector<RegisterOp> ops;
  std::uint32_t writes = 0;
  for (int i = 0; i < n; ++i) {
    RegisterOp op;
    op.write = percent(rng) < 50;
    op.call = time(rng);
    op.ret = op.call + length(rng);
    if (op.write) {
      op.value = ++writes;
      if (percent(rng) < 20) op.ret = kNever;
    }
    ops.push_back(op);
  }
  std::uniform_int_distribution<std::uint32_t> pick(0, writes);
  for (auto& op : ops) {
    if (!op.write) op.value = pick(rng);
  }
  std::stable_sort(ops.begin(), ops.end(),
                   [](const RegisterOp& a, const RegisterOp& b) { return a.call < b.call; });
  return ops;
}

std::string show(const std::vector<RegisterOp>& ops) {
  std::string s;
  for (const auto& op : ops) {
    s += std::string(op.write ? "W" : "R") + std::to_string(op.value) + " [" +
         std::to_string(op.call) + ", " + (op.ret == kNever ? "inf" : std::to_string(op.ret)) +
         "]\n";
  }
  return s;
}

TEST(EnginesAgree, OnTenThousandRandomSmallHistories) {
  std::mt19937_64 rng(20240601);
  int valid = 0, invalid = 0;
  for (int round = 0; round < 10'000; ++round) {
    auto ops = random_history(rng, 2 + round % 8);
    std::optional<ZoneResult> zones = check_zones(ops);
    ASSERT_TRUE(zones.has_value()) << "values are distinct, so the zone check applies";
    SearchResult search = search_register(ops, 1'000'000);
    ASSERT_NE(search.outcome, SearchResult::Outcome::out_of_steps);
    bool searched_valid = search.outcome == SearchResult::Outcome::linearizable;
    ASSERT_EQ(zones->linearizable, searched_valid) << "round " << round << "\n" << show(ops);
    (searched_valid ? valid : invalid)++;
  }
  // Both verdicts must be well represented, or the agreement proves little.
  EXPECT_GT(valid, 1500);
  EXPECT_GT(invalid, 1500);
}

TEST(EnginesAgree, TheZoneCheckStepsAsideForRepeatedValues) {
  std::vector<RegisterOp> ops = {{0, 10, true, 1}, {20, 30, true, 1}, {40, 50, false, 1}};
  EXPECT_FALSE(check_zones(ops).has_value());
  std::vector<RegisterOp> writes_absent = {{0, 10, true, 0}};
  EXPECT_FALSE(check_zones(writes_absent).has_value()) << "absent is the initial value";
}

}  // namespace
}  // namespace faultline::check
