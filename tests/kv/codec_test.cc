// The two byte forms of kv state: a write command in a Raft entry, and a whole-store snapshot.
// Both must round-trip exactly, and malformed bytes (every truncation, a wrong version,
// trailing junk) must be refused with an error, never crash or half-apply.
#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <vector>

#include "kv/byte_codec.h"
#include "kv/command.h"
#include "kv/store.h"

namespace faultline::kv {
namespace {

Command a_txn_command() {
  Compare c{.result = CompareResult::not_equal,
            .target = CompareTarget::mod,
            .key = "k",
            .range_end = "l",
            .version = -3,
            .create_revision = 7,
            .mod_revision = 1ll << 40,
            .value = std::string("bin\0ary", 7),
            .lease = 9};
  RangeRequest r{.key = "a",
                 .range_end = std::string("\0", 1),
                 .limit = 10,
                 .revision = 5,
                 .sort_order = SortOrder::descend,
                 .sort_target = SortTarget::value,
                 .serializable = true,
                 .keys_only = true,
                 .count_only = true,
                 .min_mod_revision = 1,
                 .max_mod_revision = 2,
                 .min_create_revision = 3,
                 .max_create_revision = 4};
  return Command{
      .request_id = 0xDEADBEEFCAFEull,
      .request = TxnRequest{
          .compare = {c, Compare{}},
          .success = {r, PutRequest{.key = "p", .value = "v", .prev_kv = true}},
          .failure = {DeleteRangeRequest{.key = "d", .range_end = "e", .prev_kv = true}}}};
}

TEST(KvCommand, EveryKindRoundTrips) {
  const std::vector<Command> commands = {
      Command{.request_id = 1,
              .request = PutRequest{.key = "key",
                                    .value = std::string(300, 'v'),
                                    .lease = -1,
                                    .prev_kv = true,
                                    .ignore_value = true,
                                    .ignore_lease = true}},
      Command{.request_id = 0, .request = DeleteRangeRequest{.key = "a", .range_end = "z"}},
      a_txn_command(),
  };
  for (const Command& c : commands) {
    Command back;
    std::string error;
    ASSERT_TRUE(decode(encode(c), back, error)) << error;
    EXPECT_EQ(back, c);
  }
}

TEST(KvCommand, APutCostsLittleMoreThanItsKeyAndValue) {
  const std::string encoded =
      encode({.request_id = 123456,
              .request = PutRequest{.key = "key-00001", .value = std::string(256, 'v')}});
  EXPECT_LE(encoded.size(), 9u + 256u + 12u);
}

TEST(KvCommand, MalformedBytesAreRefusedWithAReason) {
  const std::string good = encode(a_txn_command());
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    Command out;
    std::string error;
    EXPECT_FALSE(decode(good.substr(0, cut), out, error)) << "cut at " << cut;
    EXPECT_NE(error.find("malformed kv command"), std::string::npos) << error;
  }
  Command out;
  std::string error;
  EXPECT_FALSE(decode(good + "x", out, error));
  EXPECT_NE(error.find("trailing bytes"), std::string::npos) << error;
  std::string wrong_version = good;
  wrong_version[0] = 2;
  EXPECT_FALSE(decode(wrong_version, out, error));
  EXPECT_NE(error.find("unsupported command version 2"), std::string::npos) << error;
}

TEST(KvCommand, ApplyingADecodedCommandAnswersLikeTheDirectCall) {
  KvStore direct, via_log;
  PutRequest put{.key = "a", .value = "1", .prev_kv = true};
  PutResponse expected;
  direct.put(put, expected);
  Command cmd;
  std::string error;
  ASSERT_TRUE(decode(encode({.request_id = 7, .request = put}), cmd, error));
  ApplyResult r = via_log.apply(cmd);
  EXPECT_EQ(r.error, KvError::ok);
  EXPECT_EQ(std::get<PutResponse>(r.response), expected);
  EXPECT_EQ(via_log, direct);
  ApplyResult refused = via_log.apply({.request_id = 8, .request = PutRequest{.key = ""}});
  EXPECT_EQ(refused.error, KvError::empty_key);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(refused.response));
}

KvStore a_store_with_history() {
  KvStore s;
  PutResponse p;
  DeleteRangeResponse d;
  for (int i = 0; i < 50; ++i)
    s.put({.key = "key" + std::to_string(i % 20), .value = std::to_string(i)}, p);
  s.delete_range({.key = "key1", .range_end = "key2"}, d);
  s.put({.key = "key10", .value = "recreated"}, p);
  s.put({.key = std::string("bin\0key", 7), .value = std::string(1000, '\xFF')}, p);
  return s;
}

TEST(KvSnapshot, RoundTripsTheWholeStateIncludingTheRevision) {
  const KvStore original = a_store_with_history();
  KvStore restored;
  std::string error;
  ASSERT_TRUE(restored.restore(original.save(), error)) << error;
  EXPECT_EQ(restored, original);
  EXPECT_EQ(restored.revision(), original.revision());
  EXPECT_EQ(restored.data_bytes(), original.data_bytes());
  // Both go on identically: versions continue, revisions continue.
  KvStore a = original;
  PutResponse pa, pb;
  a.put({.key = "key10", .value = "again"}, pa);
  restored.put({.key = "key10", .value = "again"}, pb);
  EXPECT_EQ(pa, pb);
  EXPECT_EQ(a, restored);
}

TEST(KvSnapshot, MalformedSnapshotsAreRefusedAndTheStoreIsUntouched) {
  const std::string good = a_store_with_history().save();
  KvStore target;
  PutResponse p;
  target.put({.key = "mine", .value = "keep me"}, p);
  const KvStore before = target;
  std::string error;
  for (std::size_t cut = 0; cut < good.size(); cut += 7) {
    EXPECT_FALSE(target.restore(good.substr(0, cut), error)) << "cut at " << cut;
  }
  EXPECT_FALSE(target.restore(good + "junk", error));
  EXPECT_NE(error.find("trailing bytes"), std::string::npos) << error;
  EXPECT_FALSE(target.restore("definitely not a snapshot", error));
  EXPECT_EQ(target, before);
}

// A snapshot written by hand: header, revision, then (key, value, create, mod, version).
std::string a_snapshot(std::int64_t revision,
                       std::vector<std::array<std::int64_t, 3>> revisions_of_keys) {
  std::string out = "faultKV";
  ByteWriter w(out);
  w.u8(1);
  w.zigzag(revision);
  w.varint(revisions_of_keys.size());
  for (std::size_t i = 0; i < revisions_of_keys.size(); ++i) {
    w.bytes("key" + std::to_string(i));
    w.bytes("value");
    for (std::int64_t v : revisions_of_keys[i]) w.zigzag(v);
  }
  return out;
}

TEST(KvSnapshot, RevisionsAndVersionsThatNoStoreCanReachAreRefused) {
  KvStore target;
  std::string error;
  // The hand-written form is the real one: a consistent snapshot restores.
  ASSERT_TRUE(target.restore(a_snapshot(9, {{2, 9, 3}, {4, 4, 1}}), error)) << error;
  EXPECT_EQ(target.revision(), 9);
  const KvStore before = target;

  // At INT64_MAX the next write's revision would overflow.
  EXPECT_FALSE(target.restore(a_snapshot(std::numeric_limits<std::int64_t>::max(), {}), error));
  EXPECT_NE(error.find("out of range"), std::string::npos) << error;
  EXPECT_FALSE(target.restore(a_snapshot(std::int64_t{1} << 62, {}), error));
  // A key changed at most once per revision from its creation to its last change.
  EXPECT_FALSE(target.restore(a_snapshot(9, {{2, 9, 9}}), error));
  EXPECT_NE(error.find("inconsistent"), std::string::npos) << error;
  EXPECT_FALSE(
      target.restore(a_snapshot(9, {{1, 1, std::numeric_limits<std::int64_t>::max()}}), error));
  EXPECT_EQ(target, before);
  // The largest accepted revision still leaves room to write.
  ASSERT_TRUE(target.restore(a_snapshot((std::int64_t{1} << 62) - 1, {}), error)) << error;
  PutResponse p;
  EXPECT_EQ(target.put({.key = "k", .value = "v"}, p), KvError::ok);
  EXPECT_EQ(p.revision, std::int64_t{1} << 62);
}

}  // namespace
}  // namespace faultline::kv
