// The two ways to put load on an etcd v3 endpoint list, both returning one
// record::Operation per request (the run record's shape, so the lab can save them as-is).
//
// Open loop (`run_open_loop`): requests start on a fixed schedule, request i at
// start + i / rate, each to the next endpoint round-robin, whether or not earlier ones
// have answered. Latency is measured from the *intended* start, so a stalled node cannot
// hide latency by slowing the client down (no coordinated omission). This is the lab's
// workload and the paper's client.
//
// Closed loop (`run_closed_loop`): C clients, each sending its next request when the
// previous one answers; the classic throughput benchmark (etcd's `benchmark put`). Here the
// intended start is the sent time.
//
// Both bound what they keep: at most kMaxRecordedOps operations per run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stop_token>
#include <vector>

#include "client/kv_client.h"
#include "client/workload.h"
#include "record/run_record.h"

namespace faultline::client {

// About 150 bytes per operation without values: 5 million is under a gigabyte.
inline constexpr std::uint64_t kMaxRecordedOps = 5'000'000;

// A run ends when the first of these is reached (a zero means "no limit"; one must be set).
struct RunLimits {
  std::chrono::microseconds duration{0};
  std::uint64_t total_ops = 0;
};

struct OpenLoopOptions {
  double rate_per_s = 1000;
  RunLimits limits;
  std::chrono::microseconds timeout{1'000'000};  // per request
  // Requests past this many in flight are not sent but recorded as failed ("client
  // overloaded"): the schedule never waits, and memory stays bounded.
  std::size_t max_in_flight = 100'000;
  std::vector<record::NodeId> node_ids;            // endpoint i is node node_ids[i]; empty: i + 1
  std::atomic<std::uint64_t>* progress = nullptr;  // counts completed requests, if set
};

struct ClosedLoopOptions {
  std::uint32_t clients = 1;  // client c uses connection c % connection_count()
  RunLimits limits;
  std::chrono::microseconds timeout{1'000'000};
  std::vector<record::NodeId> node_ids;
  std::atomic<std::uint64_t>* progress = nullptr;
};

struct DriveResult {
  std::vector<record::Operation> ops;  // ordered by intended start, then id
  record::Micros started_us = 0;       // the first intended start, since `origin`
  record::Micros finished_us = 0;      // when the last request completed or timed out
  bool stopped = false;                // the stop token ended the run early
  bool capped = false;                 // kMaxRecordedOps ended the run early
};

// Times in the records are microseconds since `origin` (the run's start for the lab).
// Throws std::invalid_argument for options no run could honour (no limit, rate <= 0,
// an open-loop plan over kMaxRecordedOps, node_ids of the wrong length).
DriveResult run_open_loop(AsyncKvClient& kv, const OpGenerator& workload,
                          const OpenLoopOptions& options, Clock::time_point origin,
                          std::stop_token stop = {});
DriveResult run_closed_loop(AsyncKvClient& kv, const OpGenerator& workload,
                            const ClosedLoopOptions& options, Clock::time_point origin,
                            std::stop_token stop = {});

}  // namespace faultline::client
