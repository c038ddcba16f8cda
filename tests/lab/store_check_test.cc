// The end-of-run store comparison without processes: equal stores pass, and each way one
// node's store can go its own way (a key lost or extra, a value, a create or mod revision, a
// version, the store's revision) is named in one sentence with both nodes' sides. And the
// check around it: it compares nothing until the applied indexes agree twice in a row, and
// nothing when one node is the only one running.
#include "lab/store_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <thread>

namespace faultline::lab {
namespace {

kv::KeyValue kv(std::string key, std::string value, std::int64_t create, std::int64_t mod,
                std::int64_t version) {
  return {.key = std::move(key),
          .create_revision = create,
          .mod_revision = mod,
          .version = version,
          .value = std::move(value)};
}

// What every node of a healthy cluster holds after a few writes: revision 7.
NodeStore healthy(int node) {
  return {.node = node,
          .revision = 7,
          .keys = {kv("k1", "0000000001", 2, 5, 2), kv("k2", "0000000002", 3, 3, 1),
                   kv("k3", "0000000042", 4, 7, 3)}};
}

TEST(CompareStores, EqualStoresPassWhateverTheOrderOfTheirKeys) {
  NodeStore reversed = healthy(3);
  std::reverse(reversed.keys.begin(), reversed.keys.end());
  EXPECT_EQ(compare_stores({healthy(1), healthy(2), reversed}), std::nullopt);
  EXPECT_EQ(compare_stores({}), std::nullopt);
  EXPECT_EQ(compare_stores({healthy(1)}), std::nullopt);
  // Empty stores at the same revision are equal too.
  EXPECT_EQ(compare_stores({{.node = 1, .revision = 1}, {.node = 2, .revision = 1}}), std::nullopt);
}

TEST(CompareStores, AKeyOneNodeLostIsNamedWithWhatTheOtherHolds) {
  NodeStore lost = healthy(2);
  lost.keys.erase(lost.keys.begin() + 1);  // k2
  EXPECT_EQ(compare_stores({healthy(1), lost}),
            "node 2 does not hold k2, node 1 holds k2 = \"0000000002\" (create_revision 3, "
            "mod_revision 3, version 1)");
  // The last key lost: the walk reaches the end of one store first.
  NodeStore last = healthy(3);
  last.keys.pop_back();
  EXPECT_EQ(compare_stores({healthy(1), healthy(2), last}),
            "node 3 does not hold k3, node 1 holds k3 = \"0000000042\" (create_revision 4, "
            "mod_revision 7, version 3)");
}

TEST(CompareStores, AKeyOnlyOneNodeHoldsIsNamed) {
  NodeStore extra = healthy(2);
  extra.keys.push_back(kv("k0", "x", 6, 6, 1));
  EXPECT_EQ(compare_stores({healthy(1), extra}),
            "node 2 holds k0 = \"x\" (create_revision 6, mod_revision 6, version 1), node 1 does "
            "not hold k0");
  // The reference is the one with the extra key.
  EXPECT_EQ(compare_stores({extra, healthy(3)}),
            "node 3 does not hold k0, node 2 holds k0 = \"x\" (create_revision 6, mod_revision 6, "
            "version 1)");
}

TEST(CompareStores, AnotherValueIsNamedWithBothNodesSides) {
  NodeStore other = healthy(2);
  other.keys[2].value = "0000000051";
  EXPECT_EQ(compare_stores({healthy(1), other}),
            "node 2 holds k3 = \"0000000051\" (create_revision 4, mod_revision 7, version 3), "
            "node 1 holds k3 = \"0000000042\" (create_revision 4, mod_revision 7, version 3)");
}

TEST(CompareStores, AnotherModRevisionVersionOrCreateRevisionIsADifference) {
  NodeStore mod = healthy(2);
  mod.keys[2].mod_revision = 6;
  EXPECT_EQ(compare_stores({healthy(1), mod}),
            "node 2 holds k3 = \"0000000042\" (create_revision 4, mod_revision 6, version 3), "
            "node 1 holds k3 = \"0000000042\" (create_revision 4, mod_revision 7, version 3)");
  NodeStore version = healthy(3);
  version.keys[0].version = 1;
  EXPECT_EQ(compare_stores({healthy(1), healthy(2), version}),
            "node 3 holds k1 = \"0000000001\" (create_revision 2, mod_revision 5, version 1), "
            "node 1 holds k1 = \"0000000001\" (create_revision 2, mod_revision 5, version 2)");
  NodeStore create = healthy(2);
  create.keys[1].create_revision = 1;
  EXPECT_EQ(compare_stores({healthy(1), create}),
            "node 2 holds k2 = \"0000000002\" (create_revision 1, mod_revision 3, version 1), "
            "node 1 holds k2 = \"0000000002\" (create_revision 3, mod_revision 3, version 1)");
}

TEST(CompareStores, TheSameKeysAtAnotherRevisionAreADifference) {
  NodeStore ahead = healthy(2);
  ahead.revision = 8;  // e.g. a delete of a key that was never there counted as a write
  EXPECT_EQ(compare_stores({healthy(1), ahead}),
            "node 2's store is at revision 8, node 1's at revision 7");
}

TEST(CompareStores, TheSmallestDifferingKeyIsNamedAndBytesAreShownEscapedAndCut) {
  NodeStore a = healthy(1), b = healthy(2);
  a.keys[2].value = b.keys[2].value = "same";
  a.keys[0].value = std::string("\x01\"q\\", 4);
  EXPECT_EQ(compare_stores({a, b}),
            "node 2 holds k1 = \"0000000001\" (create_revision 2, mod_revision 5, version 2), "
            "node 1 holds k1 = \"\\x01\\\"q\\\\\" (create_revision 2, mod_revision 5, version 2)");
  a = healthy(1);
  a.keys[0].value = std::string(1000, 'v');
  const auto d = compare_stores({healthy(2), a});
  ASSERT_TRUE(d.has_value());
  EXPECT_NE(d->find("node 1 holds k1 = \"" + std::string(64, 'v') + "... (1000 bytes)\""),
            std::string::npos)
      << *d;
}

// The check around the comparison, with a scripted sampler (each call one round of fresh
// samples) and no node to read: it reads nothing, and says why, while the applied indexes
// disagree.
StoreCheckPlan plan_with(std::deque<AppliedReadings> script) {
  StoreCheckPlan plan;
  plan.nodes = {{1, "127.0.0.1:1"}, {2, "127.0.0.1:1"}, {3, "127.0.0.1:1"}};
  plan.settle_within = std::chrono::milliseconds(300);
  plan.fresh_applied = [script = std::make_shared<std::deque<AppliedReadings>>(script)] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a sample period, shorter
    const AppliedReadings r = script->front();
    if (script->size() > 1) script->pop_front();
    return r;
  };
  return plan;
}

TEST(CheckStores, ANodeLeftBehindIsNoFindingButNothingIsCompared) {
  const StoreCheck c = check_stores(plan_with({{{1, 1234}, {2, 1234}, {3, 800}}}));
  EXPECT_EQ(c.outcome, StoreCheck::Outcome::not_compared);
  EXPECT_EQ(c.sentence,
            "not compared: the nodes did not reach one applied index within 0.3 s (node 1 at "
            "1234, node 2 at 1234, node 3 at 800)");
  const StoreCheck silent = check_stores(plan_with({{{1, 5}, {2, std::nullopt}, {3, 5}}}));
  EXPECT_EQ(silent.outcome, StoreCheck::Outcome::not_compared);
  EXPECT_NE(silent.sentence.find("node 2 not answering"), std::string::npos) << silent.sentence;
}

// Agreeing once is not settled: an index that moves between two samples in a row is still
// moving. Here it agrees at 10, then at 11, then stays: the check goes on to read (and,
// with no node at that address, says which node did not give its keys).
TEST(CheckStores, TheIndexMustAgreeInTwoSamplesInARowBeforeAnyStoreIsRead) {
  StoreCheckPlan plan = plan_with({{{1, 10}, {2, 10}, {3, 10}}, {{1, 11}, {2, 11}, {3, 11}}});
  plan.settle_within = std::chrono::milliseconds(2000);
  plan.request_timeout = std::chrono::milliseconds(300);
  int calls = 0;
  auto inner = plan.fresh_applied;
  plan.fresh_applied = [&calls, inner] {
    ++calls;
    return inner();
  };
  const StoreCheck c = check_stores(plan);
  EXPECT_EQ(calls, 3);  // 10, 11, 11: settled at 11; then the reads fail
  EXPECT_EQ(c.outcome, StoreCheck::Outcome::not_compared);
  EXPECT_EQ(c.sentence.rfind("not compared: node 1 did not give its keys (", 0), 0u) << c.sentence;
}

TEST(CheckStores, OneNodeRunningHasNothingToBeComparedWith) {
  StoreCheckPlan plan = plan_with({{{2, 10}}});
  plan.nodes = {{2, "127.0.0.1:1"}};
  plan.not_asked = {"node 1 (down)", "node 3 (paused)"};
  const StoreCheck c = check_stores(plan);
  EXPECT_EQ(c.outcome, StoreCheck::Outcome::not_compared);
  EXPECT_EQ(c.sentence,
            "not compared: node 2 is the only one running; not asked: node 1 (down), node 3 "
            "(paused)");
}

}  // namespace
}  // namespace faultline::lab
