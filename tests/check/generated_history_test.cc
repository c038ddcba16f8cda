// The checker at the scale of a real run: histories from a model of a correct store must
// be valid within the default budget, and one injected anomaly must be found.
#include "generated_history.h"

#include <gtest/gtest.h>

#include <chrono>

#include "check/linearizability.h"

namespace faultline::check {
namespace {

using testing::generate_linearizable_history;

TEST(GeneratedHistory, ACorrectStoreWithStallsAndTimeoutsIsValid) {
  auto g = generate_linearizable_history(20, 1000, 10, 42);
  auto start = std::chrono::steady_clock::now();
  CheckResult r = check_history(g.ops);
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.verdict, Verdict::valid) << r.detail;
  EXPECT_EQ(r.keys, 10u);
  EXPECT_GT(r.reads_checked, 5000u);
  std::printf("20,000 ops over 10 keys: %zu checked, %llu steps, %.3f s\n", r.ops_checked,
              static_cast<unsigned long long>(r.steps), took);
}

TEST(GeneratedHistory, OneStaleReadAmongTwentyThousandOpsIsFound) {
  auto g = generate_linearizable_history(20, 1000, 10, 7);
  // Find a read at ~12 s whose key had two acknowledged writes complete before it was sent,
  // and make it return the older one.
  std::size_t target = 0;
  std::string older;
  for (std::size_t i = 12'000; i < g.ops.size() && target == 0; ++i) {
    const auto& read = g.ops[i];
    if (read.kind != record::OpKind::read || read.outcome != record::Outcome::ok) continue;
    std::vector<const record::Operation*> done;
    for (std::size_t j = 0; j < i; ++j) {
      const auto& w = g.ops[j];
      if (w.kind == record::OpKind::write && w.key == read.key &&
          w.outcome == record::Outcome::ok && w.completed_us < read.sent_us) {
        done.push_back(&w);
      }
    }
    // The older write must have finished before the newer was sent: then no order puts it
    // last, and the read of its value is certainly stale.
    if (done.size() >= 2 && done.back()->value == read.value &&
        done[done.size() - 2]->completed_us < done.back()->sent_us) {
      older = done[done.size() - 2]->value;
      target = i;
    }
  }
  ASSERT_NE(target, 0u);
  g.ops[target].value = older;
  CheckResult r = check_history(g.ops);
  ASSERT_EQ(r.verdict, Verdict::invalid) << r.detail;
  EXPECT_EQ(r.witness.key, g.ops[target].key);
}

}  // namespace
}  // namespace faultline::check
