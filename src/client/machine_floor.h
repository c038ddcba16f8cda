// The latency floor this machine allows a replicated write: how long a durable 4 KiB
// append takes on a given disk (write + fdatasync), and a loopback TCP round trip. A put
// on a 3-node cluster needs at least one client round trip, one leader-to-follower round
// trip and a durable append on the leader and a follower (in parallel), so
// floor ~ fsync + 2 round trips; `faultline bench --floor DIR` prints these next to the
// measured latency.
//
// When the three nodes keep their logs on one disk (as on a test machine), they sync at
// the same moment, and a disk that serves one flush at a time makes each sync wait for the
// others': `writers` > 1 times that case, each writer appending to its own file at once.
#pragma once

#include <cstdint>
#include <filesystem>

#include "record/run_record.h"

namespace faultline::client {

struct FloorSample {
  std::uint32_t count = 0;
  record::Micros p50 = 0, p99 = 0, min = 0;
};

// Appends `count` blocks of `block_size` bytes to a fresh file in `dir`, each followed by
// fdatasync, timing each; removes the file. With `writers` > 1, that many threads do so at
// once, each to its own file, and every thread's samples are summarized together. Throws
// std::runtime_error naming the file on any I/O error. `count` is capped at 10,000 and
// `writers` at 16.
FloorSample measure_fdatasync(const std::filesystem::path& dir, std::uint32_t count = 200,
                              std::size_t block_size = 4096, unsigned writers = 1);

// Bounces one byte `count` times over a TCP connection on 127.0.0.1 (Nagle off) between
// this thread and a helper thread. Throws std::runtime_error on a socket error. `count` is
// capped at 100,000.
FloorSample measure_loopback_rtt(std::uint32_t count = 2000);

}  // namespace faultline::client
