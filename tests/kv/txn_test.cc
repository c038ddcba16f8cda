// Txn with etcd's semantics: every compare target and result, missing keys (value compares
// fail, the others compare as 0), range compares, one revision for all writes, ops that see
// the ops before them, and refusals (duplicate keys, too many ops, a bad revision inside the
// taken branch) that change nothing.
#include <gtest/gtest.h>

#include "kv/store.h"

namespace faultline::kv {
namespace {

class KvTxnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PutResponse p;
    s.put({.key = "k", .value = "m"}, p);      // revision 2
    s.put({.key = "k", .value = "m"}, p);      // revision 3: k has create 2, mod 3, version 2
    s.put({.key = "other", .value = "z"}, p);  // revision 4
  }
  // Runs a txn with one compare and a put in each branch; returns which branch ran.
  bool holds(Compare c) {
    TxnRequest t{.compare = {std::move(c)},
                 .success = {PutRequest{.key = "result", .value = "success"}},
                 .failure = {PutRequest{.key = "result", .value = "failure"}}};
    TxnResponse out;
    EXPECT_EQ(s.txn(t, out), KvError::ok);
    return out.succeeded;
  }
  KvStore s;
};

Compare on(std::string key, CompareTarget target, CompareResult result) {
  return Compare{.result = result, .target = target, .key = std::move(key)};
}

TEST_F(KvTxnTest, EachTargetWithEachResult) {
  using enum CompareResult;
  auto version = [](CompareResult r, std::int64_t v) {
    Compare c = on("k", CompareTarget::version, r);
    c.version = v;
    return c;
  };
  EXPECT_TRUE(holds(version(equal, 2)));
  EXPECT_FALSE(holds(version(equal, 1)));
  EXPECT_TRUE(holds(version(greater, 1)));
  EXPECT_FALSE(holds(version(greater, 2)));
  EXPECT_TRUE(holds(version(less, 3)));
  EXPECT_TRUE(holds(version(not_equal, 5)));
  EXPECT_FALSE(holds(version(not_equal, 2)));

  Compare create = on("k", CompareTarget::create, equal);
  create.create_revision = 2;
  EXPECT_TRUE(holds(create));
  Compare mod = on("k", CompareTarget::mod, less);
  mod.mod_revision = 3;
  EXPECT_FALSE(holds(mod)) << "k's mod revision is 3, not less than 3";
  mod.result = greater;
  mod.mod_revision = 2;
  EXPECT_TRUE(holds(mod));

  Compare value = on("k", CompareTarget::value, equal);
  value.value = "m";
  EXPECT_TRUE(holds(value));
  value.result = greater;
  value.value = "a";
  EXPECT_TRUE(holds(value)) << "values compare as bytes";
  value.result = less;
  EXPECT_FALSE(holds(value));

  Compare lease = on("k", CompareTarget::lease, equal);
  EXPECT_TRUE(holds(lease)) << "every key's lease is 0";
}

TEST_F(KvTxnTest, MissingKeysCompareAsZeroExceptValues) {
  using enum CompareResult;
  Compare absent = on("missing", CompareTarget::version, equal);  // "create if absent"
  EXPECT_TRUE(holds(absent));
  absent.target = CompareTarget::create;
  EXPECT_TRUE(holds(absent));
  absent.target = CompareTarget::mod;
  absent.result = greater;
  EXPECT_FALSE(holds(absent));
  Compare value = on("missing", CompareTarget::value, equal);
  EXPECT_FALSE(holds(value)) << "even against the empty value";
  value.result = not_equal;
  value.value = "anything";
  EXPECT_FALSE(holds(value)) << "a value compare on a missing key always fails";
}

TEST_F(KvTxnTest, ARangeCompareMustHoldForEveryKeyInIt) {
  Compare c = on("k", CompareTarget::version, CompareResult::greater);
  c.range_end = std::string("\0", 1);  // k, other, and (after the first txn) result
  c.version = 0;
  EXPECT_TRUE(holds(c));
  c.version = 1;
  EXPECT_FALSE(holds(c)) << "'other' has version 1";
}

TEST_F(KvTxnTest, AllWritesShareOneRevisionAndOpsSeeEarlierOps) {
  TxnRequest t{.success = {PutRequest{.key = "x", .value = "1"}, RangeRequest{.key = "x"},
                           DeleteRangeRequest{.key = "other", .prev_kv = true},
                           PutRequest{.key = "y", .value = "2", .prev_kv = true}}};
  TxnResponse out;
  ASSERT_EQ(s.txn(t, out), KvError::ok);
  EXPECT_TRUE(out.succeeded) << "no compares: success";
  EXPECT_EQ(out.revision, 5);
  EXPECT_EQ(s.revision(), 5) << "one revision for the whole txn";
  ASSERT_EQ(out.responses.size(), 4u);
  const auto& seen = std::get<RangeResponse>(out.responses[1]);
  ASSERT_EQ(seen.kvs.size(), 1u);
  EXPECT_EQ(seen.kvs[0].value, "1") << "the range sees the put before it";
  EXPECT_EQ(seen.revision, 5);
  EXPECT_EQ(std::get<DeleteRangeResponse>(out.responses[2]).deleted, 1);
  RangeResponse x, y;
  s.range({.key = "x"}, x);
  s.range({.key = "y"}, y);
  EXPECT_EQ(x.kvs.at(0).mod_revision, 5);
  EXPECT_EQ(y.kvs.at(0).mod_revision, 5);
}

TEST_F(KvTxnTest, AReadOnlyTxnOrOneThatDeletesNothingKeepsTheRevision) {
  TxnRequest t{.success = {RangeRequest{.key = "k"}, DeleteRangeRequest{.key = "missing"}}};
  TxnResponse out;
  ASSERT_EQ(s.txn(t, out), KvError::ok);
  EXPECT_EQ(out.revision, 4);
  EXPECT_EQ(s.revision(), 4);
}

TEST_F(KvTxnTest, TheFailureBranchRunsWhenACompareFails) {
  Compare c = on("k", CompareTarget::value, CompareResult::equal);
  c.value = "not m";
  TxnRequest t{.compare = {c},
               .success = {PutRequest{.key = "k", .value = "s"}},
               .failure = {RangeRequest{.key = "k"}}};
  TxnResponse out;
  ASSERT_EQ(s.txn(t, out), KvError::ok);
  EXPECT_FALSE(out.succeeded);
  EXPECT_EQ(std::get<RangeResponse>(out.responses.at(0)).kvs.at(0).value, "m");
  EXPECT_EQ(s.revision(), 4);
}

// etcd's duplicate check compares [key, range_end) byte for byte, so a delete to the end
// ("\0") collides with no put (found by tests/server/etcd_conformance_test.cc).
TEST_F(KvTxnTest, ADeleteToTheEndDoesNotCollideWithAPutAndBothApplyInOrder) {
  TxnRequest t{.success = {PutRequest{.key = "x", .value = "gone"},
                           DeleteRangeRequest{.key = "b", .range_end = std::string(1, '\0')},
                           PutRequest{.key = "c", .value = "kept"}}};
  TxnResponse out;
  ASSERT_EQ(s.txn(t, out), KvError::ok);
  RangeResponse r;
  ASSERT_EQ(s.range(RangeRequest{.key = "b", .range_end = std::string(1, '\0')}, r), KvError::ok);
  ASSERT_EQ(r.kvs.size(), 1u);
  EXPECT_EQ(r.kvs[0].key, "c");
  EXPECT_EQ(r.kvs[0].value, "kept");
}

// As etcd's applier: only the branch taken is checked against the state, its puts' keys
// (for ignore_*) before their leases.
TEST_F(KvTxnTest, PutsAreCheckedAgainstTheStateOnlyInTheBranchTaken) {
  TxnResponse out;
  TxnRequest lease_not_taken{.success = {PutRequest{.key = "k", .value = "s"}},
                             .failure = {PutRequest{.key = "k", .lease = 5}}};
  ASSERT_EQ(s.txn(lease_not_taken, out), KvError::ok);
  EXPECT_TRUE(out.succeeded);
  const std::string before = s.save();
  TxnRequest lease_taken{.success = {PutRequest{.key = "k", .lease = 5}}};
  EXPECT_EQ(s.txn(lease_taken, out), KvError::lease_not_found);
  TxnRequest key_first{.success = {PutRequest{.key = "k", .value = "s"},
                                   PutRequest{.key = "new", .lease = 5, .ignore_value = true}}};
  EXPECT_EQ(s.txn(key_first, out), KvError::key_not_found) << "in a txn the key comes first";
  EXPECT_EQ(s.save(), before) << "a refused branch changes nothing, not even its first put";
  TxnRequest emptied{.success = {DeleteRangeRequest{.key = "a", .range_end = std::string(1, '\0')},
                                 PutRequest{.key = "k", .ignore_value = true}}};
  EXPECT_EQ(s.txn(emptied, out), KvError::key_not_found)
      << "the delete before it leaves ignore_value nothing to keep";
  EXPECT_EQ(s.save(), before);
  TxnRequest keep{.success = {PutRequest{.key = "k", .prev_kv = true, .ignore_value = true}}};
  ASSERT_EQ(s.txn(keep, out), KvError::ok);
  EXPECT_EQ(std::get<PutResponse>(out.responses.at(0)).prev_kv->value, "s");
}

TEST_F(KvTxnTest, BadTxnsAreRefusedAndChangeNothing) {
  const std::string before = s.save();
  TxnResponse out;
  TxnRequest dup{.success = {PutRequest{.key = "a", .value = "1"}, PutRequest{.key = "a"}}};
  EXPECT_EQ(s.txn(dup, out), KvError::duplicate_key);
  TxnRequest put_in_delete{.failure = {DeleteRangeRequest{.key = "a", .range_end = "c"},
                                       PutRequest{.key = "b", .value = "1"}}};
  EXPECT_EQ(s.txn(put_in_delete, out), KvError::duplicate_key) << "checked in both branches";
  TxnRequest too_many;
  for (int i = 0; i <= static_cast<int>(kMaxTxnOps); ++i) {
    too_many.success.push_back(PutRequest{.key = "k" + std::to_string(i)});
  }
  EXPECT_EQ(s.txn(too_many, out), KvError::too_many_ops);
  TxnRequest empty_compare{.compare = {on("", CompareTarget::version, CompareResult::equal)}};
  EXPECT_EQ(s.txn(empty_compare, out), KvError::empty_key);
  TxnRequest bad_result{.compare = {on("k", CompareTarget::version, CompareResult{4})}};
  EXPECT_EQ(s.txn(bad_result, out), KvError::invalid_compare);
  TxnRequest bad_target{.compare = {on("k", CompareTarget{5}, CompareResult::equal)}};
  EXPECT_EQ(s.txn(bad_target, out), KvError::invalid_compare);
  TxnRequest bad_sort{.failure = {RangeRequest{.key = "k", .sort_order = SortOrder{3}}}};
  EXPECT_EQ(s.txn(bad_sort, out), KvError::invalid_sort) << "checked in the branch not taken";
  TxnRequest ops_before_keys{.success = {PutRequest{.key = "a"}, PutRequest{.key = "a"}},
                             .failure = {PutRequest{.key = ""}}};
  EXPECT_EQ(s.txn(ops_before_keys, out), KvError::empty_key)
      << "etcd checks every op of both branches before either branch's keys";
  TxnRequest future_read{
      .success = {PutRequest{.key = "a", .value = "1"}, RangeRequest{.key = "a", .revision = 99}}};
  EXPECT_EQ(s.txn(future_read, out), KvError::future_revision)
      << "checked before the put before it is applied";
  TxnRequest past_after_write{
      .success = {PutRequest{.key = "a", .value = "1"}, RangeRequest{.key = "a", .revision = 4}}};
  EXPECT_EQ(s.txn(past_after_write, out), KvError::past_revision);
  EXPECT_EQ(s.save(), before);
}

}  // namespace
}  // namespace faultline::kv
