// Metrics: histogram arithmetic and Prometheus text rendering.
#include "server/metrics.h"

#include <fmt/format.h>

#include <cmath>

namespace faultline::server {
namespace {

// etcd's buckets for disk latencies: 1 ms doubling to about 8 s.
std::vector<double> exponential_buckets(double start, double factor, int count) {
  std::vector<double> out;
  double b = start;
  for (int i = 0; i < count; ++i, b *= factor) out.push_back(b);
  return out;
}

std::string format_number(double v) {
  if (std::isinf(v)) return "+Inf";
  return fmt::format("{}", v);
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(bounds_.size() + 1) {}

void Histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<std::uint64_t>(std::max(0.0, seconds) * 1e9),
                       std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view help) const {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const double le = i < bounds_.size() ? bounds_[i] : INFINITY;
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, format_number(le), cumulative);
  }
  out += fmt::format(
      "{}_sum {}\n", name,
      format_number(static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9));
  out += fmt::format("{}_count {}\n", name, count_.load(std::memory_order_relaxed));
}

ServerMetrics::ServerMetrics()
    : wal_fsync(exponential_buckets(0.001, 2, 14)),
      apply_batch(exponential_buckets(0.0001, 2, 16)) {}

std::string_view service_of(RpcMethod m) {
  switch (m) {
    case RpcMethod::range:
    case RpcMethod::put:
    case RpcMethod::delete_range:
    case RpcMethod::txn:
    case RpcMethod::compact:
      return "etcdserverpb.KV";
    case RpcMethod::status:
    case RpcMethod::alarm:
      return "etcdserverpb.Maintenance";
    case RpcMethod::member_list:
      return "etcdserverpb.Cluster";
    default:
      return "other";
  }
}

std::string_view name_of(RpcMethod m) {
  switch (m) {
    case RpcMethod::range:
      return "Range";
    case RpcMethod::put:
      return "Put";
    case RpcMethod::delete_range:
      return "DeleteRange";
    case RpcMethod::txn:
      return "Txn";
    case RpcMethod::compact:
      return "Compact";
    case RpcMethod::status:
      return "Status";
    case RpcMethod::alarm:
      return "Alarm";
    case RpcMethod::member_list:
      return "MemberList";
    default:
      return "Unimplemented";
  }
}

std::string_view grpc_code_name(int code) {
  static constexpr std::array<std::string_view, kGrpcCodes> kNames = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  return code >= 0 && code < kGrpcCodes ? kNames[static_cast<std::size_t>(code)] : "Unknown";
}

void render_gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name,
                     format_number(value));
}

void render_counter(std::string& out, std::string_view name, std::string_view help,
                    std::uint64_t value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, value);
}

}  // namespace faultline::server
