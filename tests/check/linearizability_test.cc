// The linearizability checker on small histories whose answer is known by hand: each test
// is one anomaly (or one tricky-but-legal pattern) on a register.
#include "check/linearizability.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "history_builder.h"

namespace faultline::check {
namespace {

using testing::HistoryBuilder;

CheckResult check(const HistoryBuilder& h, std::uint64_t budget = 1'000'000) {
  return check_history(h.ops(), {.step_budget = budget});
}

bool window_has(const Witness& w, std::uint64_t id) {
  return std::find(w.window.begin(), w.window.end(), id) != w.window.end();
}

TEST(Linearizability, SequentialWritesAndReadsAreValid) {
  HistoryBuilder h;
  h.read("x", "", 0, 1)
      .write("x", "1", 2, 3)
      .read("x", "1", 4, 5)
      .write("x", "2", 6, 7)
      .read("x", "2", 8, 9);
  CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::valid) << r.detail;
  EXPECT_EQ(r.reads_checked, 3u);
  EXPECT_EQ(r.keys, 1u);
}

TEST(Linearizability, AStaleReadAfterANewerWriteCompletedIsInvalid) {
  HistoryBuilder h;
  h.write("x", "1", 0, 10).write("x", "2", 20, 30).read("x", "1", 40, 50);
  CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::invalid);
  EXPECT_EQ(r.witness.key, "x");
  EXPECT_EQ(r.witness.failing_op, 3u);  // the stale read
  EXPECT_TRUE(window_has(r.witness, 2)) << "the newer write belongs in the witness";
  EXPECT_TRUE(window_has(r.witness, 1)) << "the write of the value read belongs in the witness";
  EXPECT_NE(r.detail.find("#3 read '1'"), std::string::npos) << r.detail;
}

TEST(Linearizability, ALostAcknowledgedWriteIsInvalid) {
  HistoryBuilder h;
  h.write("x", "1", 0, 10).read("x", "", 20, 30);
  CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::invalid);
  EXPECT_EQ(r.witness.failing_op, 2u);
}

TEST(Linearizability, AValueThatComesBackWithoutANewWriteIsInvalid) {
  HistoryBuilder h;
  h.write("x", "1", 0, 10)
      .read("x", "1", 20, 30)
      .write("x", "2", 40, 50)
      .read("x", "2", 60, 70)
      .read("x", "1", 80, 90);
  CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::invalid);
  EXPECT_EQ(r.witness.failing_op, 5u);
}

TEST(Linearizability, ConcurrentWritesMayTakeEffectInEitherOrder) {
  // W1 and W2 overlap; the read after both says W1 was last, so W2 came first.
  HistoryBuilder h;
  h.write("x", "1", 0, 100).write("x", "2", 10, 110).read("x", "1", 120, 130);
  EXPECT_EQ(check(h).verdict, Verdict::valid);
}

TEST(Linearizability, ReadsThatDisagreeOnTheOrderOfFinishedWritesAreInvalid) {
  HistoryBuilder h;
  h.write("x", "1", 0, 100)
      .write("x", "2", 10, 110)
      .read("x", "2", 120, 130)
      .read("x", "1", 140, 150);
  CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::invalid);
  EXPECT_EQ(r.witness.failing_op, 4u);
}

TEST(Linearizability, AReadConcurrentWithAWriteMaySeeEitherValue) {
  HistoryBuilder a, b;
  a.write("x", "1", 0, 10).write("x", "2", 20, 60).read("x", "1", 30, 40).read("x", "2", 70, 80);
  b.write("x", "1", 0, 10).write("x", "2", 20, 60).read("x", "2", 30, 40).read("x", "2", 70, 80);
  EXPECT_EQ(check(a).verdict, Verdict::valid);
  EXPECT_EQ(check(b).verdict, Verdict::valid);
}

TEST(Linearizability, OnlyOneInterleavingOfConcurrentOpsWorks) {
  // Both writes overlap both reads; R1 saw 1 and finished before R2 (which saw 2) was sent,
  // so the only order is W1 R1 W2 R2, and a later read must see 2.
  auto build = [](const std::string& last) {
    HistoryBuilder h;
    h.write("x", "1", 0, 100)
        .write("x", "2", 1, 100)
        .read("x", "1", 2, 50)
        .read("x", "2", 60, 100)
        .read("x", last, 110, 120);
    return h;
  };
  EXPECT_EQ(check(build("2")).verdict, Verdict::valid);
  CheckResult r = check(build("1"));
  ASSERT_EQ(r.verdict, Verdict::invalid);
  EXPECT_EQ(r.witness.failing_op, 5u);
}

TEST(Linearizability, AnUnknownWriteMayHaveHappened) {
  HistoryBuilder h;
  h.write("x", "1", 0, 10)
      .write_unknown("x", "2", 20)
      .read("x", "2", 30, 40)
      .read("x", "2", 50, 60);
  EXPECT_EQ(check(h).verdict, Verdict::valid);
}

TEST(Linearizability, AnUnknownWriteMayNotHaveHappened) {
  HistoryBuilder h;
  h.write("x", "1", 0, 10)
      .write_unknown("x", "2", 20)
      .read("x", "1", 30, 40)
      .read("x", "1", 50, 60);
  EXPECT_EQ(check(h).verdict, Verdict::valid);
}

TEST(Linearizability, AnUnknownWriteTakesEffectAtMostOnce) {
  // Seen, overwritten, then seen again: the unknown write cannot happen twice.
  HistoryBuilder h;
  h.write("x", "1", 0, 10)
      .write_unknown("x", "2", 20)
      .read("x", "2", 30, 40)
      .write("x", "3", 50, 60)
      .read("x", "2", 70, 80);
  EXPECT_EQ(check(h).verdict, Verdict::invalid);
}

TEST(Linearizability, AnUnknownWriteCannotTakeEffectBeforeItWasSent) {
  HistoryBuilder h;
  h.read("x", "2", 0, 10).write_unknown("x", "2", 20);
  EXPECT_EQ(check(h).verdict, Verdict::invalid);
}

TEST(Linearizability, AFailedWriteCertainlyDidNotHappen) {
  HistoryBuilder h;
  h.write("x", "1", 0, 10).write_failed("x", "2", 20, 25).read("x", "2", 30, 40);
  CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::invalid);
  EXPECT_EQ(r.witness.failing_op, 3u);
  EXPECT_NE(r.detail.find("no write that may have taken effect"), std::string::npos) << r.detail;
}

TEST(Linearizability, ReadsWithoutAnAnswerConstrainNothing) {
  HistoryBuilder h;
  h.write("x", "1", 0, 10).read_unknown("x", 20).read("x", "1", 30, 40);
  CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::valid);
  EXPECT_EQ(r.ops_checked, 2u);
}

TEST(Linearizability, KeysAreIndependentRegisters) {
  // Interleaved keys: each key is fine on its own, though a single register would not be.
  HistoryBuilder h;
  h.write("a", "1", 0, 10).write("b", "2", 20, 30).read("a", "1", 40, 50).read("b", "2", 60, 70);
  EXPECT_EQ(check(h).verdict, Verdict::valid);
}

TEST(Linearizability, TheWitnessNamesTheKeyThatFails) {
  HistoryBuilder h;
  h.write("a", "1", 0, 10)
      .write("b", "1", 0, 10)
      .write("b", "2", 20, 30)
      .read("a", "1", 40, 50)
      .read("b", "1", 40, 50);
  CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::invalid);
  EXPECT_EQ(r.witness.key, "b");
  EXPECT_EQ(r.witness.failing_op, 5u);
}

TEST(Linearizability, ATinyStepBudgetAnswersUnknown) {
  // Writes of repeated values need the search (the zone check needs distinct values), and
  // the search stops at its budget.
  HistoryBuilder h;
  for (int i = 0; i < 50; ++i) h.write("x", i % 2 ? "odd" : "even", i * 10, i * 10 + 5);
  h.read("x", "odd", 600, 610);
  CheckResult r = check(h, 10);
  EXPECT_EQ(r.verdict, Verdict::unknown);
  EXPECT_NE(r.detail.find("step budget"), std::string::npos) << r.detail;
  EXPECT_EQ(check(h).verdict, Verdict::valid) << "with room to search, the same history is valid";
}

TEST(Linearizability, RepeatedValuesAreCheckedByTheSearch) {
  // A value written twice: the second "1" makes the last read legal again.
  HistoryBuilder ok, stale;
  ok.write("x", "1", 0, 10).write("x", "2", 20, 30).write("x", "1", 40, 50).read("x", "1", 60, 70);
  stale.write("x", "1", 0, 10)
      .write("x", "2", 20, 30)
      .write("x", "1", 40, 50)
      .read("x", "2", 60, 70);
  EXPECT_EQ(check(ok).verdict, Verdict::valid);
  CheckResult r = check(stale);
  ASSERT_EQ(r.verdict, Verdict::invalid);
  EXPECT_EQ(r.witness.failing_op, 4u);
  EXPECT_EQ(r.witness.linearized_prefix, 3u) << "the three writes linearize; the read cannot";
}

TEST(Linearizability, AnAnswerBeforeTheRequestIsAMalformedHistory) {
  HistoryBuilder h;
  h.write("x", "1", 10, 5);
  CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::unknown);
  EXPECT_NE(r.detail.find("malformed"), std::string::npos) << r.detail;
}

TEST(Linearizability, AnEmptyHistoryIsValid) {
  EXPECT_EQ(check_history({}).verdict, Verdict::valid);
}

}  // namespace
}  // namespace faultline::check
