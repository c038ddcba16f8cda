// The node's Prometheus metrics: counters and histograms updated with relaxed atomics by
// the threads that see the events (the Raft loop, the gRPC handlers), rendered in the
// Prometheus text format by the metrics listener. Names follow etcd's where etcd has the
// metric (etcd_server_has_leader, etcd_disk_wal_fsync_duration_seconds,
// grpc_server_handled_total, ...), so existing dashboards read faultline too; metrics
// etcd lacks are faultline_*. The full list is in docs/server.md.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::server {

// A histogram with fixed bucket bounds (seconds), lock-free to observe.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double seconds);
  // Appends the _bucket, _sum and _count lines (with HELP and TYPE) to `out`.
  void render(std::string& out, std::string_view name, std::string_view help) const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> buckets_;  // per bound, not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_nanos_{0};
};

// The gRPC methods faultline answers, for per-method counters.
enum class RpcMethod : std::uint8_t {
  range,
  put,
  delete_range,
  txn,
  compact,
  status,
  alarm,
  member_list,
  other,
  count_  // not a method: the number of entries
};
std::string_view service_of(RpcMethod m);
std::string_view name_of(RpcMethod m);

inline constexpr int kGrpcCodes = 17;  // grpc::StatusCode 0..16

struct ServerMetrics {
  ServerMetrics();

  std::atomic<std::uint64_t> leader_changes{0};
  std::atomic<std::uint64_t> proposals_failed{0};
  std::atomic<std::int64_t> proposals_pending{0};
  std::atomic<std::uint64_t> snapshots{0};              // taken by this node
  std::atomic<std::uint64_t> snapshots_installed{0};    // received from the leader
  std::atomic<std::uint64_t> slow_ticks{0};             // the loop fell behind the tick clock
  std::atomic<std::uint64_t> peer_messages_refused{0};  // step() refused (e.g. not a member)
  std::atomic<std::uint64_t> inbox_overflows{0};
  Histogram wal_fsync;    // one observation per group commit
  Histogram apply_batch;  // time to apply one Ready's committed entries
  std::array<std::array<std::atomic<std::uint64_t>, kGrpcCodes>,
             static_cast<std::size_t>(RpcMethod::count_)>
      handled{};

  void count_rpc(RpcMethod method, int code) {
    if (code < 0 || code >= kGrpcCodes) code = 2;  // UNKNOWN
    handled[static_cast<std::size_t>(method)][static_cast<std::size_t>(code)].fetch_add(
        1, std::memory_order_relaxed);
  }
};

// Prometheus text helpers.
void render_gauge(std::string& out, std::string_view name, std::string_view help, double value);
void render_counter(std::string& out, std::string_view name, std::string_view help,
                    std::uint64_t value);
std::string_view grpc_code_name(int code);

}  // namespace faultline::server
