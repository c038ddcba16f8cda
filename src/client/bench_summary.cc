#include "client/bench_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>

namespace faultline::client {
namespace {

record::Micros rank(const std::vector<record::Micros>& sorted, double share) {
  // Nearest rank: the smallest sample with at least `share` of all samples at or below it.
  auto n = static_cast<double>(sorted.size());
  auto index = static_cast<std::size_t>(std::max(1.0, std::ceil(share * n))) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

std::string format_us(record::Micros us) {
  if (us < 1000) return fmt::format("{} us", us);
  if (us < 1'000'000) return fmt::format("{:.2f} ms", static_cast<double>(us) / 1e3);
  return fmt::format("{:.3f} s", static_cast<double>(us) / 1e6);
}

}  // namespace

LatencyPercentiles percentiles(std::vector<record::Micros>& latencies) {
  LatencyPercentiles p;
  if (latencies.empty()) return p;
  std::sort(latencies.begin(), latencies.end());
  p.count = latencies.size();
  p.p50 = rank(latencies, 0.50);
  p.p90 = rank(latencies, 0.90);
  p.p99 = rank(latencies, 0.99);
  p.p999 = rank(latencies, 0.999);
  p.max = latencies.back();
  double sum = 0;
  for (auto l : latencies) sum += static_cast<double>(l);
  p.mean = sum / static_cast<double>(latencies.size());
  return p;
}

BenchSummary summarize(const DriveResult& run) {
  BenchSummary s;
  std::vector<record::Micros> latencies;
  latencies.reserve(run.ops.size());
  std::map<std::string, std::uint64_t> errors;
  for (const auto& op : run.ops) {
    ++s.total;
    switch (op.outcome) {
      case record::Outcome::ok:
        ++s.ok;
        ++(op.kind == record::OpKind::write ? s.writes_ok : s.reads_ok);
        latencies.push_back(op.completed_us - op.intended_us);
        continue;
      case record::Outcome::fail:
        ++s.failed;
        break;
      case record::Outcome::timeout:
        ++s.timed_out;
        break;
    }
    ++errors[op.error];
  }
  s.seconds = static_cast<double>(run.finished_us - run.started_us) / 1e6;
  s.ok_per_s = s.seconds > 0 ? static_cast<double>(s.ok) / s.seconds : 0;
  s.latency = percentiles(latencies);
  s.top_errors.assign(errors.begin(), errors.end());
  std::sort(s.top_errors.begin(), s.top_errors.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  if (s.top_errors.size() > 5) s.top_errors.resize(5);
  return s;
}

nlohmann::json to_json(const BenchSummary& s) {
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& [message, count] : s.top_errors) {
    errors.push_back({{"error", message}, {"count", count}});
  }
  return {
      {"operations", s.total},
      {"ok", s.ok},
      {"failed", s.failed},
      {"timeout", s.timed_out},
      {"writes_ok", s.writes_ok},
      {"reads_ok", s.reads_ok},
      {"seconds", s.seconds},
      {"ok_per_second", s.ok_per_s},
      {"latency_us",
       {{"count", s.latency.count},
        {"mean", s.latency.mean},
        {"p50", s.latency.p50},
        {"p90", s.latency.p90},
        {"p99", s.latency.p99},
        {"p99.9", s.latency.p999},
        {"max", s.latency.max}}},
      {"errors", errors},
  };
}

std::string to_text(const BenchSummary& s) {
  std::string out = fmt::format(
      "operations  {} ({} ok: {} writes, {} reads; {} failed; {} timed out) in {:.3f} s\n"
      "throughput  {:.1f} ok/s\n",
      s.total, s.ok, s.writes_ok, s.reads_ok, s.failed, s.timed_out, s.seconds, s.ok_per_s);
  if (s.latency.count > 0) {
    out += fmt::format("latency     p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (mean {})\n",
                       format_us(s.latency.p50), format_us(s.latency.p90), format_us(s.latency.p99),
                       format_us(s.latency.p999), format_us(s.latency.max),
                       format_us(static_cast<record::Micros>(s.latency.mean)));
  }
  for (const auto& [message, count] : s.top_errors) {
    out += fmt::format("error       {} x {}\n", count, message);
  }
  return out;
}

void write_per_second_csv(std::ostream& out, const DriveResult& run) {
  struct Second {
    std::uint64_t ok = 0, failed = 0, timed_out = 0;
    std::vector<record::Micros> latencies;
  };
  std::vector<Second> seconds;
  auto slot = [&](record::Micros t) -> Second& {
    auto index =
        static_cast<std::size_t>(std::max<record::Micros>(0, t - run.started_us) / 1'000'000);
    if (index >= seconds.size()) seconds.resize(index + 1);
    return seconds[index];
  };
  for (const auto& op : run.ops) {
    switch (op.outcome) {
      case record::Outcome::ok: {
        Second& s = slot(op.completed_us);
        ++s.ok;
        s.latencies.push_back(op.completed_us - op.intended_us);
        break;
      }
      case record::Outcome::fail:
        ++slot(op.completed_us >= 0 ? op.completed_us : op.intended_us).failed;
        break;
      case record::Outcome::timeout:
        ++slot(op.intended_us).timed_out;
        break;
    }
  }
  out << "second,ok,failed,timeout,p50_us,p99_us,max_us\n";
  for (std::size_t i = 0; i < seconds.size(); ++i) {
    LatencyPercentiles p = percentiles(seconds[i].latencies);
    out << i << ',' << seconds[i].ok << ',' << seconds[i].failed << ',' << seconds[i].timed_out
        << ',' << p.p50 << ',' << p.p99 << ',' << p.max << '\n';
  }
}

}  // namespace faultline::client
