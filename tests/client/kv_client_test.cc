// The etcd KV client: endpoint lists, what each gRPC error means for the history, and
// requests against an in-process fake endpoint.
#include "client/kv_client.h"

#include <gtest/gtest.h>

#include "fake_etcd.h"

namespace faultline::client {
namespace {

using namespace std::chrono_literals;
using record::OpKind;
using record::Outcome;

TEST(ParseEndpoints, AcceptsEtcdctlStyleListsAndDropsSchemes) {
  auto list = parse_endpoints("127.0.0.1:2379,http://127.0.0.1:22379/,localhost:1");
  EXPECT_EQ(list, (std::vector<std::string>{"127.0.0.1:2379", "127.0.0.1:22379", "localhost:1"}));
}

TEST(ParseEndpoints, NamesTheItemThatIsNotHostPort) {
  for (const char* bad : {"", "127.0.0.1:2379,", "127.0.0.1", "127.0.0.1:", ":2379", "h:23x"}) {
    EXPECT_THROW(parse_endpoints(bad), std::invalid_argument) << bad;
  }
  try {
    parse_endpoints("127.0.0.1:1,oops");
    FAIL() << "accepted a bad endpoint";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'oops'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_endpoints("https://127.0.0.1:2379"), std::invalid_argument);
}

TEST(OutcomeOfError, AWriteWhoseFateIsUnknownIsNeverCalledFailed) {
  // etcd proposed these and then gave up waiting: the write may still apply.
  EXPECT_EQ(outcome_of_error(OpKind::write, grpc::StatusCode::UNAVAILABLE,
                             "etcdserver: request timed out"),
            Outcome::timeout);
  EXPECT_EQ(
      outcome_of_error(OpKind::write, grpc::StatusCode::UNAVAILABLE, "etcdserver: leader changed"),
      Outcome::timeout);
  EXPECT_EQ(outcome_of_error(OpKind::write, grpc::StatusCode::UNAVAILABLE, "Socket closed"),
            Outcome::timeout);
  EXPECT_EQ(outcome_of_error(OpKind::write, grpc::StatusCode::DEADLINE_EXCEEDED, ""),
            Outcome::timeout);
  EXPECT_EQ(outcome_of_error(OpKind::write, grpc::StatusCode::UNKNOWN, "?"), Outcome::timeout);
}

TEST(OutcomeOfError, AWriteRefusedBeforeConsensusFails) {
  EXPECT_EQ(outcome_of_error(OpKind::write, grpc::StatusCode::UNAVAILABLE,
                             "failed to connect to all addresses; Connection refused"),
            Outcome::fail);
  EXPECT_EQ(outcome_of_error(OpKind::write, grpc::StatusCode::UNAVAILABLE, "etcdserver: no leader"),
            Outcome::fail);
  EXPECT_EQ(outcome_of_error(OpKind::write, grpc::StatusCode::INVALID_ARGUMENT, "key empty"),
            Outcome::fail);
  EXPECT_EQ(outcome_of_error(OpKind::write, grpc::StatusCode::RESOURCE_EXHAUSTED, "too many"),
            Outcome::fail);
}

TEST(OutcomeOfError, AReadWithoutAnAnswerFailsUnlessItTimedOut) {
  EXPECT_EQ(outcome_of_error(OpKind::read, grpc::StatusCode::UNAVAILABLE,
                             "etcdserver: request timed out"),
            Outcome::fail);
  EXPECT_EQ(outcome_of_error(OpKind::read, grpc::StatusCode::DEADLINE_EXCEEDED, ""),
            Outcome::timeout);
}

TEST(AsyncKvClient, ConnectionsAreSpreadOverEveryEndpoint) {
  AsyncKvClient kv({.endpoints = {"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"},
                    .connections = 7,
                    .completion_threads = 2});
  EXPECT_EQ(kv.connection_count(), 7u);
  // Endpoint 0 owns connections 0, 3, 6; endpoint 2 owns 2 and 5.
  EXPECT_EQ(kv.connection_for(0, 0), 0u);
  EXPECT_EQ(kv.connection_for(0, 1), 3u);
  EXPECT_EQ(kv.connection_for(0, 2), 6u);
  EXPECT_EQ(kv.connection_for(0, 3), 0u);
  EXPECT_EQ(kv.connection_for(2, 1), 5u);
  EXPECT_EQ(kv.connection_for(2, 2), 2u);
  for (std::size_t c = 0; c < 7; ++c) EXPECT_EQ(kv.endpoint_of(c), c % 3);
  // Fewer connections than endpoints would leave an endpoint unreachable: raised.
  AsyncKvClient few({.endpoints = {"127.0.0.1:1", "127.0.0.1:2"}, .connections = 1});
  EXPECT_EQ(few.connection_count(), 2u);
}

TEST(AsyncKvClient, WritesThenReadsBackAValueWithBothConsistencies) {
  testing::FakeEtcd etcd;
  AsyncKvClient kv({.endpoints = {etcd.address()}});
  KvReply put = kv.put_blocking(0, "k1", "hello", 2s);
  ASSERT_EQ(put.outcome, Outcome::ok) << put.error;
  EXPECT_EQ(put.revision, 1);
  EXPECT_EQ(etcd.stored("k1"), "hello");
  for (auto consistency : {ReadConsistency::linearizable, ReadConsistency::serializable}) {
    KvReply got = kv.get_blocking(0, "k1", consistency, 2s);
    ASSERT_EQ(got.outcome, Outcome::ok) << got.error;
    EXPECT_TRUE(got.found);
    EXPECT_EQ(got.value, "hello");
  }
  KvReply missing = kv.get_blocking(0, "absent", ReadConsistency::linearizable, 2s);
  EXPECT_EQ(missing.outcome, Outcome::ok);
  EXPECT_FALSE(missing.found);
}

// The lab's end-of-run store check reads a node's whole key space from that node alone: a
// serializable Range from "\0" to "\0" (every key), with each key's revisions and version,
// and `more` when the limit cut it short.
TEST(AsyncKvClient, ReadsEveryKeyWithItsRevisionsFromOneEndpoint) {
  testing::FakeEtcd etcd;
  AsyncKvClient kv({.endpoints = {etcd.address()}});
  for (auto [key, value] : {std::pair{"k2", "a"}, {"k1", "b"}, {"k2", "c"}})
    ASSERT_EQ(kv.put_blocking(0, key, value, 2s).outcome, Outcome::ok);
  RangeReply all = kv.range_blocking(0, every_key(10, ReadConsistency::serializable), 2s);
  ASSERT_TRUE(all.ok) << all.error;
  const auto asked = etcd.last_range();
  EXPECT_TRUE(asked.serializable());
  EXPECT_EQ(asked.key(), std::string(1, '\0'));
  EXPECT_EQ(asked.range_end(), std::string(1, '\0'));
  EXPECT_EQ(asked.limit(), 10);
  EXPECT_EQ(all.revision, 3);
  EXPECT_FALSE(all.more);
  EXPECT_EQ(all.count, 2);
  EXPECT_EQ(
      all.kvs,
      (std::vector<kv::KeyValue>{
          {.key = "k1", .create_revision = 2, .mod_revision = 2, .version = 1, .value = "b"},
          {.key = "k2", .create_revision = 1, .mod_revision = 3, .version = 2, .value = "c"}}));
  RangeReply cut = kv.range_blocking(0, every_key(1, ReadConsistency::linearizable), 2s);
  ASSERT_TRUE(cut.ok) << cut.error;
  EXPECT_FALSE(etcd.last_range().serializable());
  EXPECT_TRUE(cut.more);
  EXPECT_EQ(cut.count, 2);
  ASSERT_EQ(cut.kvs.size(), 1u);
  EXPECT_EQ(cut.kvs.front().key, "k1");
}

TEST(AsyncKvClient, AStalledEndpointTimesOutAtTheDeadlineWithNoAnswer) {
  testing::FakeEtcd etcd;
  etcd.stall();
  AsyncKvClient kv({.endpoints = {etcd.address()}});
  auto t0 = Clock::now();
  KvReply put = kv.put_blocking(0, "k", "v", 150ms);
  auto waited = Clock::now() - t0;
  EXPECT_EQ(put.outcome, Outcome::timeout);
  EXPECT_NE(put.error.find("DEADLINE_EXCEEDED"), std::string::npos) << put.error;
  EXPECT_GE(waited, 140ms);
  EXPECT_LT(waited, 2s);
  etcd.release();
}

TEST(AsyncKvClient, AServerSideTimeoutOnAPutIsRecordedAsUnknown) {
  testing::FakeEtcd etcd;
  etcd.fail_puts_with(grpc::Status(grpc::StatusCode::UNAVAILABLE, "etcdserver: request timed out"));
  AsyncKvClient kv({.endpoints = {etcd.address()}});
  KvReply put = kv.put_blocking(0, "k", "v", 2s);
  EXPECT_EQ(put.outcome, Outcome::timeout);
  EXPECT_EQ(put.error, "UNAVAILABLE: etcdserver: request timed out");
}

TEST(AsyncKvClient, ANodeThatIsDownFailsFastAndCertainly) {
  int port;
  {
    testing::FakeEtcd gone;  // take a free port, then close it
    port = std::stoi(gone.address().substr(gone.address().rfind(':') + 1));
  }
  AsyncKvClient kv({.endpoints = {"127.0.0.1:" + std::to_string(port)}});
  auto t0 = Clock::now();
  KvReply put = kv.put_blocking(0, "k", "v", 3s);
  EXPECT_EQ(put.outcome, Outcome::fail) << put.error;
  EXPECT_LT(Clock::now() - t0, 2s);
}

TEST(FindLeaderEndpoint, PicksTheEndpointEveryoneNamesAsLeader) {
  testing::FakeEtcd a(11, 12), b(12, 12), c(13, 12);
  AsyncKvClient kv({.endpoints = {a.address(), b.address(), c.address()}});
  EXPECT_EQ(find_leader_endpoint(kv, 2s), 1u);

  testing::FakeEtcd d(21, 22), e(22, 23);  // they disagree: no answer rather than a guess
  AsyncKvClient split({.endpoints = {d.address(), e.address()}});
  EXPECT_EQ(find_leader_endpoint(split, 2s), std::nullopt);
}

}  // namespace
}  // namespace faultline::client
