// CPU time of the whole process, for the commands that report what a run cost.
#pragma once

#include <ctime>

namespace faultline::cli {

// User + system CPU time of every thread of this process so far, in seconds.
inline double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

}  // namespace faultline::cli
