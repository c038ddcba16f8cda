#include "client/drivers.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace faultline::client {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

record::Micros since(Clock::time_point origin, Clock::time_point t) {
  return duration_cast<microseconds>(t - origin).count();
}

// Counts this driver's own requests in flight (the client may be shared with others).
class InFlight {
 public:
  void add() { count_.fetch_add(1, std::memory_order_relaxed); }
  void done() {
    if (count_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(mutex_);
      zero_.notify_all();
    }
  }
  std::size_t count() const { return count_.load(std::memory_order_relaxed); }
  void wait_zero() {
    std::unique_lock lock(mutex_);
    zero_.wait(lock, [this] { return count_.load(std::memory_order_acquire) == 0; });
  }

 private:
  std::atomic<std::size_t> count_{0};
  std::mutex mutex_;
  std::condition_variable zero_;
};

void check_common(const AsyncKvClient& kv, const RunLimits& limits,
                  std::chrono::microseconds timeout, const std::vector<record::NodeId>& ids) {
  if (limits.duration.count() <= 0 && limits.total_ops == 0) {
    throw std::invalid_argument("a run needs a duration or a total number of operations");
  }
  if (limits.duration.count() < 0) throw std::invalid_argument("duration must not be negative");
  if (limits.total_ops > kMaxRecordedOps) {
    throw std::invalid_argument("at most " + std::to_string(kMaxRecordedOps) +
                                " operations per run");
  }
  if (timeout.count() <= 0) throw std::invalid_argument("timeout must be positive");
  if (!ids.empty() && ids.size() != kv.endpoint_count()) {
    throw std::invalid_argument("node_ids must name one node per endpoint");
  }
}

record::NodeId node_of(const std::vector<record::NodeId>& ids, std::size_t endpoint) {
  return ids.empty() ? endpoint + 1 : ids[endpoint];
}

// Fills the outcome fields of `op` from `reply`.
void complete(record::Operation& op, KvReply&& reply, Clock::time_point origin, bool keep_values) {
  op.outcome = reply.outcome;
  // The record's convention: a timeout (unknown outcome) has no completion time.
  op.completed_us = reply.outcome == record::Outcome::timeout ? -1 : since(origin, reply.completed);
  op.error = std::move(reply.error);
  if (op.kind == record::OpKind::read && reply.outcome == record::Outcome::ok && keep_values) {
    op.value = std::move(reply.value);
  }
  if (op.outcome == record::Outcome::timeout && op.error.empty()) op.error = "timeout";
}

record::Micros last_completion(const std::vector<record::Operation>& ops,
                               std::chrono::microseconds timeout) {
  record::Micros last = 0;
  for (const auto& op : ops) {
    // A timed-out request was finished, at the latest, when its deadline passed.
    record::Micros end = op.completed_us >= 0 ? op.completed_us
                         : op.sent_us >= 0    ? op.sent_us + timeout.count()
                                              : op.intended_us;
    last = std::max(last, end);
  }
  return last;
}

void issue(AsyncKvClient& kv, std::size_t connection, const PlannedOp& plan,
           ReadConsistency consistency, Clock::time_point deadline, KvCallback done) {
  if (plan.kind == record::OpKind::write) {
    kv.put(connection, plan.key, plan.value, deadline, std::move(done));
  } else {
    kv.get(connection, plan.key, consistency, deadline, std::move(done));
  }
}

}  // namespace

DriveResult run_open_loop(AsyncKvClient& kv, const OpGenerator& workload,
                          const OpenLoopOptions& options, Clock::time_point origin,
                          std::stop_token stop) {
  check_common(kv, options.limits, options.timeout, options.node_ids);
  if (!(options.rate_per_s > 0) || !std::isfinite(options.rate_per_s)) {
    throw std::invalid_argument("rate must be a positive number of requests per second");
  }
  double planned = options.limits.total_ops > 0 ? static_cast<double>(options.limits.total_ops)
                                                : static_cast<double>(kMaxRecordedOps) + 1;
  if (options.limits.duration.count() > 0) {
    planned = std::min(
        planned,
        std::ceil(options.rate_per_s * static_cast<double>(options.limits.duration.count()) / 1e6));
  }
  if (planned > static_cast<double>(kMaxRecordedOps)) {
    throw std::invalid_argument("rate x duration plans more than " +
                                std::to_string(kMaxRecordedOps) + " operations");
  }
  const auto count = static_cast<std::uint64_t>(planned);
  const bool keep_values = workload.spec().keep_values;
  const double interval_us = 1e6 / options.rate_per_s;

  DriveResult result;
  result.ops.resize(count);
  InFlight in_flight;
  const Clock::time_point start = Clock::now();
  result.started_us = since(origin, start);
  std::uint64_t issued = 0;
  for (; issued < count; ++issued) {
    const auto intended = start + microseconds(static_cast<std::int64_t>(
                                      std::llround(static_cast<double>(issued) * interval_us)));
    // Sleep in short steps so a stop request is seen promptly even at low rates.
    while (!stop.stop_requested()) {
      auto now = Clock::now();
      if (now >= intended) break;
      std::this_thread::sleep_for(std::min<Clock::duration>(intended - now, microseconds(50'000)));
    }
    if (stop.stop_requested()) {
      result.stopped = true;
      break;
    }
    PlannedOp plan = workload.plan(issued);
    const std::size_t endpoint = issued % kv.endpoint_count();
    record::Operation& op = result.ops[issued];
    op.id = issued;
    // Each open-loop request is its own logical client: requests overlap freely, so no
    // two of them form a sequential process.
    op.client = static_cast<std::uint32_t>(issued);
    op.node = node_of(options.node_ids, endpoint);
    op.kind = plan.kind;
    op.key = plan.key;
    if (keep_values && plan.kind == record::OpKind::write) op.value = plan.value;
    op.intended_us = since(origin, intended);
    if (in_flight.count() >= options.max_in_flight) {
      op.sent_us = -1;
      op.outcome = record::Outcome::fail;
      op.error = "client overloaded: too many requests in flight";
      op.completed_us = since(origin, Clock::now());
      continue;
    }
    const Clock::time_point sent = Clock::now();
    op.sent_us = since(origin, sent);
    in_flight.add();
    issue(kv, kv.connection_for(endpoint, issued / kv.endpoint_count()), plan,
          workload.spec().consistency, sent + options.timeout,
          [&op, &in_flight, origin, keep_values, progress = options.progress](KvReply&& reply) {
            complete(op, std::move(reply), origin, keep_values);
            if (progress != nullptr) progress->fetch_add(1, std::memory_order_relaxed);
            in_flight.done();
          });
  }
  in_flight.wait_zero();
  result.ops.resize(issued);
  result.finished_us = std::max(result.started_us, last_completion(result.ops, options.timeout));
  return result;
}

namespace {

// Shared by the closed-loop clients; lives on run_closed_loop's stack until every request
// has completed.
struct ClosedLoop {
  ClosedLoop(AsyncKvClient& k, const OpGenerator& w, const ClosedLoopOptions& o,
             Clock::time_point orig, Clock::time_point e, std::uint64_t t, std::stop_token s)
      : kv(k),
        workload(w),
        options(o),
        origin(orig),
        end(e),
        total(t),
        stop(std::move(s)),
        per_client(o.clients) {}

  AsyncKvClient& kv;
  const OpGenerator& workload;
  const ClosedLoopOptions& options;
  Clock::time_point origin;
  Clock::time_point end;  // no new request at or after this
  std::uint64_t total;    // no request id at or past this
  std::stop_token stop;
  std::atomic<std::uint64_t> next_id{0};
  std::atomic<bool> capped{false};
  std::vector<std::vector<record::Operation>> per_client;  // each touched by one chain
  InFlight in_flight;

  // Sends client `c`'s next request, unless the run is over. Called from the starting
  // thread once per client, then from the completion of that client's previous request,
  // so one client never has two requests in flight.
  void send_next(std::uint32_t c) {
    const Clock::time_point now = Clock::now();
    if (stop.stop_requested() || now >= end) return;
    const std::uint64_t id = next_id.fetch_add(1, std::memory_order_relaxed);
    if (id >= total) {
      if (id >= kMaxRecordedOps) capped.store(true, std::memory_order_relaxed);
      return;
    }
    PlannedOp plan = workload.plan(id);
    const std::size_t connection = c % kv.connection_count();
    auto& ops = per_client[c];
    record::Operation& op = ops.emplace_back();
    op.id = id;
    op.client = c;
    op.node = node_of(options.node_ids, kv.endpoint_of(connection));
    op.kind = plan.kind;
    op.key = plan.key;
    if (workload.spec().keep_values && plan.kind == record::OpKind::write) op.value = plan.value;
    op.intended_us = op.sent_us = since(origin, now);
    const std::size_t index = ops.size() - 1;
    in_flight.add();
    issue(kv, connection, plan, workload.spec().consistency, now + options.timeout,
          [this, c, index](KvReply&& reply) {
            complete(per_client[c][index], std::move(reply), origin, workload.spec().keep_values);
            if (options.progress != nullptr) {
              options.progress->fetch_add(1, std::memory_order_relaxed);
            }
            send_next(c);  // before done(), so the count cannot touch zero in between
            in_flight.done();
          });
  }
};

}  // namespace

DriveResult run_closed_loop(AsyncKvClient& kv, const OpGenerator& workload,
                            const ClosedLoopOptions& options, Clock::time_point origin,
                            std::stop_token stop) {
  check_common(kv, options.limits, options.timeout, options.node_ids);
  if (options.clients == 0) throw std::invalid_argument("clients must be at least 1");
  const Clock::time_point start = Clock::now();
  ClosedLoop loop(kv, workload, options, origin,
                  options.limits.duration.count() > 0 ? start + options.limits.duration
                                                      : Clock::time_point::max(),
                  options.limits.total_ops > 0 ? options.limits.total_ops : kMaxRecordedOps, stop);
  // Hold one count ourselves so the first client's quick answer cannot reach zero while
  // the others are still being started.
  loop.in_flight.add();
  for (std::uint32_t c = 0; c < options.clients; ++c) loop.send_next(c);
  loop.in_flight.done();
  loop.in_flight.wait_zero();

  DriveResult result;
  result.started_us = since(origin, start);
  result.stopped = stop.stop_requested();
  result.capped = loop.capped.load();
  std::size_t n = 0;
  for (const auto& ops : loop.per_client) n += ops.size();
  result.ops.reserve(n);
  for (auto& ops : loop.per_client) {
    std::move(ops.begin(), ops.end(), std::back_inserter(result.ops));
  }
  std::sort(result.ops.begin(), result.ops.end(), [](const auto& a, const auto& b) {
    return a.intended_us != b.intended_us ? a.intended_us < b.intended_us : a.id < b.id;
  });
  result.finished_us = std::max(result.started_us, last_completion(result.ops, options.timeout));
  return result;
}

}  // namespace faultline::client
