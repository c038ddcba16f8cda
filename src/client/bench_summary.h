// What `faultline bench` prints about a run: throughput, latency percentiles, the errors
// seen, and optionally one CSV line per second. Latency is always measured from an
// operation's intended start (in a closed loop that is when it was sent).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "client/drivers.h"
#include "record/run_record.h"

namespace faultline::client {

struct LatencyPercentiles {
  std::uint64_t count = 0;
  record::Micros p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
  double mean = 0;
};

// Nearest-rank percentiles (the value below which the given share of samples lie, never
// interpolated); all zero for no samples. Sorts `latencies`.
LatencyPercentiles percentiles(std::vector<record::Micros>& latencies);

struct BenchSummary {
  std::uint64_t total = 0, ok = 0, failed = 0, timed_out = 0;
  std::uint64_t writes_ok = 0, reads_ok = 0;
  double seconds = 0;          // from the first intended start to the last completion
  double ok_per_s = 0;         // successful operations per second over `seconds`
  LatencyPercentiles latency;  // successful operations only
  std::vector<std::pair<std::string, std::uint64_t>> top_errors;  // most frequent first, <= 5
};

BenchSummary summarize(const DriveResult& run);
nlohmann::json to_json(const BenchSummary& summary);
// A few aligned lines for a terminal.
std::string to_text(const BenchSummary& summary);

// One line per second of the run (by completion time; a timeout counts in the second it
// was meant to start): second,ok,failed,timeout,p50_us,p99_us,max_us.
void write_per_second_csv(std::ostream& out, const DriveResult& run);

}  // namespace faultline::client
