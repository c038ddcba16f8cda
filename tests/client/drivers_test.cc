// The load drivers' stories: the open loop keeps its schedule through a stall and charges
// the stall to every request meant to start during it (no coordinated omission); the
// closed loop's clients are sequential; endpoints are used round-robin; a run stops on
// request and never waits past its timeouts.
#include "client/drivers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <thread>

#include "fake_etcd.h"

namespace faultline::client {
namespace {

using namespace std::chrono_literals;
using record::Outcome;

OpGenerator puts(bool keep_values = true) {
  WorkloadSpec spec;
  spec.key_space = 50;
  spec.value_size = 32;
  spec.keep_values = keep_values;
  return OpGenerator(spec);
}

TEST(OpenLoop, AStalledNodeCannotHideLatencyFromTheSchedule) {
  testing::FakeEtcd etcd;
  AsyncKvClient kv({.endpoints = {etcd.address()}, .connections = 1, .completion_threads = 1});
  OpenLoopOptions options;
  options.rate_per_s = 200;  // one request every 5 ms
  options.limits.duration = 600ms;
  options.timeout = 3s;
  auto generator = puts();

  // The node stalls for the first 300 ms of the run, then answers everything at once.
  etcd.stall();
  std::jthread releaser([&] {
    std::this_thread::sleep_for(300ms);
    etcd.release();
  });
  auto origin = Clock::now();
  DriveResult run = run_open_loop(kv, generator, options, origin);

  ASSERT_EQ(run.ops.size(), 120u);
  record::Micros first_answer = INT64_MAX;
  for (const auto& op : run.ops) first_answer = std::min(first_answer, op.completed_us);
  for (std::size_t i = 0; i < run.ops.size(); ++i) {
    const auto& op = run.ops[i];
    ASSERT_EQ(op.outcome, Outcome::ok) << op.error;
    // The schedule is exact: request i was meant to start at i * 5 ms.
    EXPECT_NEAR(op.intended_us - run.started_us, static_cast<double>(i) * 5000, 1) << i;
    const auto latency = op.completed_us - op.intended_us;
    const auto stall_left = 300'000 - (op.intended_us - run.started_us);
    if (stall_left > 20'000) {
      // Meant to start during the stall: charged the rest of the stall.
      EXPECT_GE(latency, stall_left - 10'000) << "request " << i;
    }
  }
  // It kept sending while nothing answered: about 60 requests before the first answer,
  // where a closed-loop client would have sent one.
  int sent_before_any_answer = 0;
  for (const auto& op : run.ops) sent_before_any_answer += op.sent_us < first_answer;
  EXPECT_GE(sent_before_any_answer, 40);
}

TEST(OpenLoop, SendsEachRequestToTheNextEndpointInTurn) {
  testing::FakeEtcd a, b, c;
  AsyncKvClient kv({.endpoints = {a.address(), b.address(), c.address()}, .connections = 6});
  OpenLoopOptions options;
  options.rate_per_s = 2000;
  options.limits.total_ops = 90;
  options.node_ids = {7, 8, 9};
  auto generator = puts();
  DriveResult run = run_open_loop(kv, generator, options, Clock::now());
  ASSERT_EQ(run.ops.size(), 90u);
  for (std::size_t i = 0; i < run.ops.size(); ++i) {
    EXPECT_EQ(run.ops[i].node, 7 + i % 3) << i;
    EXPECT_EQ(run.ops[i].id, i);
    EXPECT_EQ(run.ops[i].outcome, Outcome::ok);
  }
  EXPECT_EQ(a.requests(), 30);
  EXPECT_EQ(b.requests(), 30);
  EXPECT_EQ(c.requests(), 30);
}

TEST(OpenLoop, RecordsWhatWasWrittenAndReadWhenAskedTo) {
  testing::FakeEtcd etcd;
  AsyncKvClient kv({.endpoints = {etcd.address()}});
  WorkloadSpec spec;
  spec.mix = OpMix::mix;
  spec.key_space = 3;
  spec.value_size = 24;
  spec.keep_values = true;
  OpGenerator generator(spec);
  OpenLoopOptions options;
  options.rate_per_s = 500;
  options.limits.total_ops = 100;
  DriveResult run = run_open_loop(kv, generator, options, Clock::now());
  ASSERT_EQ(run.ops.size(), 100u);
  // Every value written, with its write. Requests overlap, so a read may see a write
  // issued after it (a later id) that reached the node first: collect them all first.
  std::map<std::string, const record::Operation*> written;
  for (const auto& op : run.ops) {
    ASSERT_EQ(op.outcome, Outcome::ok);
    if (op.kind == record::OpKind::write) {
      EXPECT_EQ(op.value.size(), 24u);
      written[op.value] = &op;
    }
  }
  int reads_seeing_a_write = 0;
  for (const auto& op : run.ops) {
    if (op.kind == record::OpKind::write || op.value.empty()) continue;
    // A read returns a value some write of this run put under the same key, sent
    // before the read's answer came back.
    auto it = written.find(op.value);
    ASSERT_NE(it, written.end()) << op.value;
    EXPECT_EQ(it->second->key, op.key) << op.value;
    EXPECT_LE(it->second->sent_us, op.completed_us) << op.value;
    ++reads_seeing_a_write;
  }
  EXPECT_GT(reads_seeing_a_write, 10);
}

TEST(OpenLoop, ANodeThatNeverAnswersYieldsTimeoutsWithoutCompletionTimes) {
  testing::FakeEtcd etcd;
  etcd.stall();
  AsyncKvClient kv({.endpoints = {etcd.address()}});
  OpenLoopOptions options;
  options.rate_per_s = 100;
  options.limits.total_ops = 10;
  options.timeout = 100ms;
  auto generator = puts(false);
  auto t0 = Clock::now();
  DriveResult run = run_open_loop(kv, generator, options, t0);
  EXPECT_LT(Clock::now() - t0, 1s);  // 90 ms of schedule + one timeout, not the stall
  ASSERT_EQ(run.ops.size(), 10u);
  for (const auto& op : run.ops) {
    EXPECT_EQ(op.outcome, Outcome::timeout);
    EXPECT_EQ(op.completed_us, -1);
    EXPECT_TRUE(op.value.empty());  // keep_values off
  }
  etcd.release();
}

TEST(OpenLoop, RefusesToSendPastItsInFlightBoundButKeepsTheSchedule) {
  testing::FakeEtcd etcd;
  etcd.stall();
  AsyncKvClient kv({.endpoints = {etcd.address()}});
  OpenLoopOptions options;
  options.rate_per_s = 1000;
  options.limits.total_ops = 20;
  options.timeout = 300ms;
  options.max_in_flight = 5;
  auto generator = puts(false);
  DriveResult run = run_open_loop(kv, generator, options, Clock::now());
  etcd.release();
  ASSERT_EQ(run.ops.size(), 20u);
  int refused = 0;
  for (const auto& op : run.ops) {
    if (op.sent_us == -1) {
      ++refused;
      EXPECT_EQ(op.outcome, Outcome::fail);
      EXPECT_NE(op.error.find("overloaded"), std::string::npos);
    }
  }
  EXPECT_EQ(refused, 15);
}

TEST(OpenLoop, StopsPromptlyWhenAsked) {
  testing::FakeEtcd etcd;
  AsyncKvClient kv({.endpoints = {etcd.address()}});
  OpenLoopOptions options;
  options.rate_per_s = 100;
  options.limits.duration = 60s;
  auto generator = puts(false);
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stop.request_stop();
  });
  auto t0 = Clock::now();
  DriveResult run = run_open_loop(kv, generator, options, t0, stop.get_token());
  EXPECT_LT(Clock::now() - t0, 2s);
  EXPECT_TRUE(run.stopped);
  EXPECT_GE(run.ops.size(), 10u);
  EXPECT_LT(run.ops.size(), 200u);  // of the 6000 the full minute would have sent
}

TEST(OpenLoop, RejectsPlansItCannotKeep) {
  testing::FakeEtcd etcd;
  AsyncKvClient kv({.endpoints = {etcd.address()}});
  auto generator = puts(false);
  OpenLoopOptions options;
  EXPECT_THROW(run_open_loop(kv, generator, options, Clock::now()), std::invalid_argument);
  options.limits.duration = 1s;
  options.rate_per_s = 0;
  EXPECT_THROW(run_open_loop(kv, generator, options, Clock::now()), std::invalid_argument);
  options.rate_per_s = 1e7;
  options.limits.duration = 10s;  // 100 million requests: over the recording bound
  EXPECT_THROW(run_open_loop(kv, generator, options, Clock::now()), std::invalid_argument);
  options.rate_per_s = 10;
  options.node_ids = {1, 2};  // one endpoint, two ids
  EXPECT_THROW(run_open_loop(kv, generator, options, Clock::now()), std::invalid_argument);
  EXPECT_EQ(etcd.requests(), 0);
}

TEST(ClosedLoop, EachClientWaitsForItsAnswerBeforeSendingAgain) {
  testing::FakeEtcd a, b;
  AsyncKvClient kv(
      {.endpoints = {a.address(), b.address()}, .connections = 4, .completion_threads = 2});
  ClosedLoopOptions options;
  options.clients = 8;
  options.limits.total_ops = 400;
  auto generator = puts();
  DriveResult run = run_closed_loop(kv, generator, options, Clock::now());
  ASSERT_EQ(run.ops.size(), 400u);
  std::map<std::uint32_t, std::vector<const record::Operation*>> by_client;
  std::vector<bool> seen(400, false);
  for (const auto& op : run.ops) {
    ASSERT_EQ(op.outcome, Outcome::ok) << op.error;
    EXPECT_EQ(op.intended_us, op.sent_us);
    ASSERT_LT(op.id, 400u);
    EXPECT_FALSE(seen[op.id]) << "id " << op.id << " used twice";
    seen[op.id] = true;
    by_client[op.client].push_back(&op);
  }
  EXPECT_EQ(by_client.size(), 8u);
  for (auto& [client, ops] : by_client) {
    for (std::size_t i = 1; i < ops.size(); ++i) {
      EXPECT_GE(ops[i]->sent_us, ops[i - 1]->completed_us) << "client " << client;
    }
    // Client c always talks through connection c % 4, i.e. endpoint c % 2.
    EXPECT_EQ(ops.front()->node, 1 + client % 2);
  }
  EXPECT_EQ(a.requests() + b.requests(), 400);
  EXPECT_GE(run.finished_us, run.ops.back().completed_us);
}

TEST(ClosedLoop, StopsAtItsDurationEvenWhenEveryRequestFails) {
  testing::FakeEtcd etcd;
  etcd.fail_puts_with(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "refused"));
  AsyncKvClient kv({.endpoints = {etcd.address()}});
  ClosedLoopOptions options;
  options.clients = 2;
  options.limits.duration = 200ms;
  auto generator = puts(false);
  auto t0 = Clock::now();
  DriveResult run = run_closed_loop(kv, generator, options, t0);
  EXPECT_LT(Clock::now() - t0, 2s);
  ASSERT_FALSE(run.ops.empty());
  for (const auto& op : run.ops) {
    EXPECT_EQ(op.outcome, Outcome::fail);
    EXPECT_EQ(op.error, "INVALID_ARGUMENT: refused");
  }
}

}  // namespace
}  // namespace faultline::client
