// The leader's window of appends in flight to one follower, bounded by count
// (max_inflight_msgs) and by bytes (max_inflight_bytes). While the window is full the
// leader sends that follower nothing new: the bound on memory and on the network queue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "raft/types.h"

namespace faultline::raft {

class Inflights {
 public:
  // max_bytes == 0: no byte limit.
  Inflights(std::size_t max_count, std::uint64_t max_bytes);

  // Records an append whose last entry is `last_index` carrying `bytes` of payload. The
  // indexes must increase; adding to a full window is a bug in the caller.
  void add(Index last_index, std::uint64_t bytes);
  // Frees every append whose last index is <= `to` (the follower acknowledged them).
  void free_le(Index to);
  // Frees the oldest append: a heartbeat response shows the follower is alive, so let
  // one more message through even if acks were lost.
  void free_first_one();
  bool full() const;
  void reset();

  std::size_t count() const { return count_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  struct Inflight {
    Index index = 0;
    std::uint64_t bytes = 0;
  };
  // A ring buffer of capacity max_count_, grown on demand so idle followers cost little.
  std::vector<Inflight> buffer_;
  std::size_t start_ = 0;
  std::size_t count_ = 0;
  std::uint64_t bytes_ = 0;
  std::size_t max_count_;
  std::uint64_t max_bytes_;
};

}  // namespace faultline::raft
