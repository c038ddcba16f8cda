// An asynchronous client for etcd's v3 KV API (faultline or real etcd) over several gRPC
// connections, driven by a few completion-queue threads: no thread per request, so one
// process can keep thousands of requests in flight. `faultline bench` and the lab's
// workload both sit on top of it (see drivers.h).
//
// Usage:
//   AsyncKvClient kv({.endpoints = {"127.0.0.1:2379", "127.0.0.1:22379"}, .connections = 4});
//   kv.put(kv.connection_for(0, 0), "k", "v", deadline, [](KvReply r) { ... });
//
// Connection j talks to endpoint j % endpoints.size(), so every endpoint has at least one
// connection. Callbacks run on a completion thread and must not block.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kv/api.h"
#include "record/run_record.h"

namespace grpc {
class CompletionQueue;
class Status;
}  // namespace grpc

namespace faultline::client {

using Clock = std::chrono::steady_clock;

enum class ReadConsistency : std::uint8_t { linearizable, serializable };

// Parses "127.0.0.1:2379,http://127.0.0.1:22379" into host:port strings (a scheme prefix
// and a trailing slash are dropped, as etcdctl allows). Throws std::invalid_argument
// naming the bad item for an empty list, an empty item or an item without a port.
std::vector<std::string> parse_endpoints(std::string_view csv);

// What one request came back with.
struct KvReply {
  // ok; fail (the server refused, and the request certainly had no effect); timeout (no
  // answer by the deadline, or an answer that leaves it unknown whether a write applied).
  record::Outcome outcome = record::Outcome::timeout;
  bool found = false;  // reads: the key exists
  std::string value;   // reads: the value found
  std::int64_t revision = 0;
  std::string error;  // "CODE: message" for anything but ok
  Clock::time_point completed{};
};

using KvCallback = std::function<void(KvReply&&)>;

// What a Range over many keys came back with.
struct RangeReply {
  bool ok = false;
  std::string error{};              // "CODE: message" when !ok
  std::int64_t revision = 0;        // the header's: the store's revision when it answered
  std::vector<kv::KeyValue> kvs{};  // in key order, at most the limit asked for
  bool more = false;                // more keys matched than the limit let through
  std::int64_t count = 0;           // keys in the range
};

using RangeCallback = std::function<void(RangeReply&&)>;

// The keys a Range covers, with etcd's conventions: range_end empty is the single key
// `key`; range_end "\0" is every key >= `key`, so key "\0" with range_end "\0" is every key.
struct RangeSpec {
  std::string key;
  std::string range_end;
  std::int64_t limit = 0;  // 0: no limit
  ReadConsistency consistency = ReadConsistency::linearizable;
};
inline RangeSpec every_key(std::int64_t limit, ReadConsistency consistency) {
  return {std::string(1, '\0'), std::string(1, '\0'), limit, consistency};
}

// Decides what a gRPC error means for the history. A write whose answer was lost, or that
// the server timed out after proposing it, may still apply later, so it is `timeout`
// (unknown), never `fail`: calling it failed would make a correct system look
// non-linearizable. Only errors raised before the request reached consensus are `fail`.
record::Outcome outcome_of_error(record::OpKind kind, int grpc_code, std::string_view message);

// Maintenance.Status of one endpoint.
struct EndpointStatus {
  std::uint64_t member_id = 0;
  std::uint64_t leader = 0;  // 0: none known
  std::uint64_t raft_term = 0;
  std::uint64_t raft_index = 0;
  std::uint64_t applied_index = 0;
};

struct KvClientOptions {
  std::vector<std::string> endpoints;  // host:port
  std::size_t connections = 1;         // raised to endpoints.size() if smaller
  std::size_t completion_threads = 1;
  // The largest answer accepted; 0 keeps gRPC's default (4 MiB), enough for the workload's
  // answers but not for a whole key space of large values.
  int max_receive_bytes = 0;
};

class AsyncKvClient {
 public:
  // Throws std::invalid_argument for no endpoints or zero threads. Connecting is lazy: an
  // endpoint that is down makes its requests fail, it does not fail the constructor.
  explicit AsyncKvClient(KvClientOptions options);
  // Waits for every request in flight (each has a deadline), then stops the threads.
  ~AsyncKvClient();
  AsyncKvClient(const AsyncKvClient&) = delete;
  AsyncKvClient& operator=(const AsyncKvClient&) = delete;

  std::size_t endpoint_count() const { return endpoints_.size(); }
  std::size_t connection_count() const { return connections_.size(); }
  const std::string& endpoint(std::size_t index) const { return endpoints_.at(index); }
  std::size_t endpoint_of(std::size_t connection) const { return connection % endpoints_.size(); }
  // The `nth` connection (round-robin) of endpoint `endpoint`.
  std::size_t connection_for(std::size_t endpoint, std::uint64_t nth) const;

  void put(std::size_t connection, std::string key, std::string value, Clock::time_point deadline,
           KvCallback done);
  void get(std::size_t connection, std::string key, ReadConsistency consistency,
           Clock::time_point deadline, KvCallback done);
  // Every key of `range` with its revisions. A serializable Range is answered from the
  // endpoint's own store, without asking the leader: what that node holds.
  void range(std::size_t connection, RangeSpec range, Clock::time_point deadline,
             RangeCallback done);

  // Blocking conveniences for tests and tools (not for the load path).
  KvReply put_blocking(std::size_t connection, std::string key, std::string value,
                       std::chrono::milliseconds timeout);
  KvReply get_blocking(std::size_t connection, std::string key, ReadConsistency consistency,
                       std::chrono::milliseconds timeout);
  RangeReply range_blocking(std::size_t connection, RangeSpec range,
                            std::chrono::milliseconds timeout);
  // nullopt with `error` set when the endpoint does not answer in time.
  std::optional<EndpointStatus> status_blocking(std::size_t connection,
                                                std::chrono::milliseconds timeout,
                                                std::string* error = nullptr);

  std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  // Blocks until no request is in flight.
  void wait_idle();

  // Implementation detail shared with kv_client.cc's call objects.
  struct Connection;
  struct PendingCall {
    virtual ~PendingCall() = default;
    virtual void finish(bool ok) = 0;
  };

 private:
  void poll(grpc::CompletionQueue* queue);
  void started();
  void finished();
  Connection& connection(std::size_t index);

  std::vector<std::string> endpoints_;
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::thread> pollers_;
  std::atomic<std::size_t> in_flight_{0};
  std::mutex idle_mutex_;
  std::condition_variable idle_;
};

// The endpoint that is the leader: the one whose member id every answering endpoint names
// as leader. nullopt when none answers, they disagree, or the leader is not in the list.
std::optional<std::size_t> find_leader_endpoint(AsyncKvClient& kv,
                                                std::chrono::milliseconds timeout);

}  // namespace faultline::client
