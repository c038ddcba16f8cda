// The key-value store's etcd semantics for single operations: how revisions, versions and
// create/mod revisions move through put, delete and re-create; the range conventions; limit,
// count, keys-only and sorting; prev_kv; and refusals that leave the store untouched.
#include "kv/store.h"

#include <gtest/gtest.h>

#include <limits>

namespace faultline::kv {
namespace {

const std::string kFromKey("\0", 1);

PutResponse put(KvStore& s, const std::string& key, const std::string& value) {
  PutResponse out;
  EXPECT_EQ(s.put({.key = key, .value = value}, out), KvError::ok);
  return out;
}

RangeResponse range(const KvStore& s, RangeRequest r) {
  RangeResponse out;
  EXPECT_EQ(s.range(r, out), KvError::ok);
  return out;
}

std::vector<std::string> keys_of(const RangeResponse& r) {
  std::vector<std::string> out;
  for (const KeyValue& kv : r.kvs) out.push_back(kv.key);
  return out;
}

TEST(KvStore, ANewStoreIsAtRevisionOneLikeANewEtcd) {
  KvStore s;
  EXPECT_EQ(s.revision(), 1);
  EXPECT_EQ(range(s, {.key = "a"}).revision, 1);
  EXPECT_EQ(put(s, "a", "1").revision, 2);
}

TEST(KvStore, RevisionsAndVersionsFollowAKeyThroughPutDeleteAndRecreate) {
  KvStore s;
  put(s, "a", "1");  // revision 2: created
  put(s, "a", "2");  // revision 3: modified
  put(s, "b", "x");  // revision 4: another key moves the cluster revision, not a's
  KeyValue a = range(s, {.key = "a"}).kvs.at(0);
  EXPECT_EQ(a, (KeyValue{"a", 2, 3, 2, "2", 0}));

  DeleteRangeResponse del;
  ASSERT_EQ(s.delete_range({.key = "a"}, del), KvError::ok);
  EXPECT_EQ(del.deleted, 1);
  EXPECT_EQ(del.revision, 5);
  ASSERT_EQ(s.delete_range({.key = "a"}, del), KvError::ok);
  EXPECT_EQ(del.deleted, 0);
  EXPECT_EQ(del.revision, 5) << "a delete that deletes nothing does not raise the revision";
  EXPECT_EQ(s.revision(), 5);

  put(s, "a", "3");  // revision 6: re-created, its version starts again
  a = range(s, {.key = "a"}).kvs.at(0);
  EXPECT_EQ(a, (KeyValue{"a", 6, 6, 1, "3", 0}));
  EXPECT_EQ(range(s, {.key = "b"}).kvs.at(0), (KeyValue{"b", 4, 4, 1, "x", 0}));
}

class KvRangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* k : {"a", "ab", "abc", "b", "c"}) put(s, k, std::string("v-") + k);
  }
  KvStore s;
};

TEST_F(KvRangeTest, EtcdRangeConventions) {
  EXPECT_EQ(keys_of(range(s, {.key = "ab"})), (std::vector<std::string>{"ab"}));
  EXPECT_EQ(keys_of(range(s, {.key = "zz"})), (std::vector<std::string>{}));
  // Prefix "a": range_end is the prefix with its last byte + 1.
  EXPECT_EQ(keys_of(range(s, {.key = "a", .range_end = "b"})),
            (std::vector<std::string>{"a", "ab", "abc"}));
  EXPECT_EQ(keys_of(range(s, {.key = "ab", .range_end = kFromKey})),
            (std::vector<std::string>{"ab", "abc", "b", "c"}));
  EXPECT_EQ(range(s, {.key = kFromKey, .range_end = kFromKey}).count, 5) << "every key";
  EXPECT_TRUE(range(s, {.key = "c", .range_end = "a"}).kvs.empty())
      << "range_end before key is an empty range, as in etcd";
}

TEST_F(KvRangeTest, LimitCountAndMore) {
  RangeResponse r = range(s, {.key = "a", .range_end = kFromKey, .limit = 2});
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"a", "ab"}));
  EXPECT_TRUE(r.more);
  EXPECT_EQ(r.count, 5) << "count ignores the limit";
  r = range(s, {.key = "a", .range_end = kFromKey, .limit = 5});
  EXPECT_FALSE(r.more);
  EXPECT_EQ(r.kvs.size(), 5u);
  r = range(s, {.key = "a", .range_end = kFromKey, .limit = -3});
  EXPECT_EQ(r.kvs.size(), 5u) << "a negative limit means no limit";
}

TEST_F(KvRangeTest, CountOnlyAndKeysOnly) {
  RangeResponse r = range(s, {.key = "a", .range_end = "b", .count_only = true});
  EXPECT_EQ(r.count, 3);
  EXPECT_TRUE(r.kvs.empty());
  r = range(s, {.key = "a", .range_end = "b", .keys_only = true});
  ASSERT_EQ(r.kvs.size(), 3u);
  EXPECT_EQ(r.kvs[2].key, "abc");
  EXPECT_EQ(r.kvs[2].value, "");
  EXPECT_EQ(r.kvs[2].mod_revision, 4);
}

TEST_F(KvRangeTest, SortingAndRevisionFilters) {
  put(s, "ab", "newer");  // revision 7: ab is now the most recently modified
  RangeResponse r = range(s, {.key = "a",
                              .range_end = kFromKey,
                              .limit = 2,
                              .sort_order = SortOrder::descend,
                              .sort_target = SortTarget::mod});
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"ab", "c"}));
  EXPECT_TRUE(r.more);
  r = range(s, {.key = "a", .range_end = kFromKey, .sort_order = SortOrder::descend});
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"c", "b", "abc", "ab", "a"}));
  // A target other than the key with no order sorts ascending (etcd's rule).
  r = range(s, {.key = "a", .range_end = kFromKey, .sort_target = SortTarget::version});
  EXPECT_EQ(r.kvs.back().key, "ab");
  r = range(s, {.key = "a", .range_end = kFromKey, .min_mod_revision = 5});
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"ab", "b", "c"}));
  EXPECT_EQ(r.count, 5) << "count is taken before the revision filters, as in etcd";
}

TEST_F(KvRangeTest, OnlyTheCurrentRevisionCanBeRead) {
  RangeResponse r;
  EXPECT_EQ(s.range({.key = "a", .revision = s.revision()}, r), KvError::ok);
  EXPECT_EQ(r.kvs.size(), 1u);
  EXPECT_EQ(s.range({.key = "a", .revision = s.revision() + 1}, r), KvError::future_revision);
  EXPECT_EQ(s.range({.key = "a", .revision = 2}, r), KvError::past_revision)
      << "no history is kept: the server answers UNIMPLEMENTED";
}

TEST_F(KvRangeTest, PrevKvOnPutAndDelete) {
  PutResponse p;
  ASSERT_EQ(s.put({.key = "a", .value = "new", .prev_kv = true}, p), KvError::ok);
  ASSERT_TRUE(p.prev_kv.has_value());
  EXPECT_EQ(*p.prev_kv, (KeyValue{"a", 2, 2, 1, "v-a", 0}));
  ASSERT_EQ(s.put({.key = "fresh", .value = "1", .prev_kv = true}, p), KvError::ok);
  EXPECT_FALSE(p.prev_kv.has_value()) << "no previous value for a new key";
  ASSERT_EQ(s.put({.key = "a", .value = "newer"}, p), KvError::ok);
  EXPECT_FALSE(p.prev_kv.has_value()) << "only when asked for";

  DeleteRangeResponse d;
  ASSERT_EQ(s.delete_range({.key = "a", .range_end = "b", .prev_kv = true}, d), KvError::ok);
  EXPECT_EQ(d.deleted, 3);
  ASSERT_EQ(d.prev_kvs.size(), 3u);
  EXPECT_EQ(d.prev_kvs[0].value, "newer");
  EXPECT_EQ(d.revision, s.revision());
  EXPECT_EQ(range(s, {.key = kFromKey, .range_end = kFromKey}).count, 3);
}

// ignore_value and ignore_lease write the key again with what it holds: a new mod revision
// and version, the same value (and no lease, as ever).
TEST(KvStoreTest, IgnoreValueAndIgnoreLeaseRewriteTheKeyWithWhatItHolds) {
  KvStore s;
  put(s, "a", "kept");  // revision 2
  PutResponse p;
  ASSERT_EQ(s.put({.key = "a", .prev_kv = true, .ignore_value = true}, p), KvError::ok);
  EXPECT_EQ(p.revision, 3);
  ASSERT_TRUE(p.prev_kv);
  EXPECT_EQ(p.prev_kv->value, "kept");
  ASSERT_EQ(s.put({.key = "a", .value = "new", .ignore_lease = true}, p), KvError::ok);
  RangeResponse r;
  ASSERT_EQ(s.range({.key = "a"}, r), KvError::ok);
  ASSERT_EQ(r.kvs.size(), 1u);
  EXPECT_EQ(r.kvs[0].value, "new");
  EXPECT_EQ(r.kvs[0].version, 3);
  EXPECT_EQ(r.kvs[0].mod_revision, 4);
  ASSERT_EQ(s.put({.key = "a", .ignore_value = true, .ignore_lease = true}, p), KvError::ok);
  ASSERT_EQ(s.range({.key = "a"}, r), KvError::ok);
  EXPECT_EQ(r.kvs.at(0).value, "new");
  EXPECT_EQ(r.kvs.at(0).version, 4);
  KvStore fresh;
  put(fresh, "a", "new");
  EXPECT_EQ(s.data_bytes(), fresh.data_bytes()) << "the kept value is counted once";
}

// Found by fuzz/client_request.cc: limit + 1 overflowed (undefined behaviour) at INT64_MAX.
TEST_F(KvRangeTest, TheLargestLimitIsNoLimit) {
  RangeResponse r;
  ASSERT_EQ(s.range({.key = "a",
                     .range_end = std::string(1, '\0'),
                     .limit = std::numeric_limits<std::int64_t>::max()},
                    r),
            KvError::ok);
  EXPECT_EQ(static_cast<std::int64_t>(r.kvs.size()), r.count);
  EXPECT_FALSE(r.more);
}

TEST_F(KvRangeTest, BadRequestsAreRefusedAndChangeNothing) {
  const std::string before = s.save();
  PutResponse p;
  RangeResponse r;
  DeleteRangeResponse d;
  EXPECT_EQ(s.put({.key = "", .value = "x"}, p), KvError::empty_key);
  EXPECT_EQ(s.range({.key = ""}, r), KvError::empty_key);
  EXPECT_EQ(s.delete_range({.key = ""}, d), KvError::empty_key);
  EXPECT_EQ(s.put({.key = "a", .value = "x", .ignore_value = true}, p), KvError::value_provided);
  EXPECT_EQ(s.put({.key = "a", .lease = 7, .ignore_lease = true}, p), KvError::lease_provided);
  EXPECT_EQ(s.put({.key = "a", .value = "x", .lease = 7}, p), KvError::lease_not_found);
  EXPECT_EQ(s.put({.key = "nothing-here", .ignore_value = true}, p), KvError::key_not_found);
  EXPECT_EQ(s.put({.key = "nothing-here", .ignore_lease = true}, p), KvError::key_not_found);
  EXPECT_EQ(s.put({.key = "nothing-here", .lease = 7, .ignore_value = true}, p),
            KvError::lease_not_found)
      << "a Put alone looks up its lease first";
  EXPECT_EQ(s.put({.key = "a", .value = std::string(kMaxRequestBytes, 'x')}, p),
            KvError::request_too_large);
  EXPECT_EQ(s.range({.key = "a", .sort_order = static_cast<SortOrder>(3)}, r),
            KvError::invalid_sort);
  EXPECT_EQ(s.range({.key = "a", .sort_target = static_cast<SortTarget>(5)}, r),
            KvError::invalid_sort);
  EXPECT_EQ(s.range({.key = "", .sort_target = static_cast<SortTarget>(5)}, r), KvError::empty_key)
      << "the key is checked first";
  EXPECT_EQ(s.save(), before) << "no refusal changed the state";
}

}  // namespace
}  // namespace faultline::kv
