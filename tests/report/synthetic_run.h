// Hand-built run records for the report's tests, shaped like the cloudflare-2020 scenario
// as the seed paper observed it: 3 nodes, node 3 leads, the link n1 <-> n3 is cut for a
// while, open-loop writes (and some reads) round-robin across the nodes.
//   etcd-3.4: n1 campaigns throughout the cut and its term climbs; requests sent to n1 fail
//             or time out; exactly one election after the heal (n2 wins), with a short outage.
//   etcd-3.5: nothing changes but n1's requests failing during the cut.
// Deterministic: the same parameters always give the same record.
#pragma once

#include <string>

#include "record/run_record.h"

namespace faultline::report::testing {

struct SyntheticRun {
  std::string profile = "etcd-3.4";  // "etcd-3.4" or "etcd-3.5"
  std::string scenario = "cloudflare-2020";
  record::Micros duration_us = 60'000'000;
  record::Micros cut_us = 20'000'000;
  record::Micros heal_us = 40'000'000;
  int ops_per_second = 1000;
  std::uint64_t seed = 7;
};

record::RunRecord make_run(const SyntheticRun& params);

}  // namespace faultline::report::testing
