// The in-flight window of one follower (see inflights.h).
#include "raft/inflights.h"

#include <algorithm>
#include <string>

#include "raft/invariant.h"

namespace faultline::raft {

Inflights::Inflights(std::size_t max_count, std::uint64_t max_bytes)
    : max_count_(max_count), max_bytes_(max_bytes) {}

void Inflights::add(Index last_index, std::uint64_t bytes) {
  if (full()) fail_invariant("adding to a full in-flight window");
  if (count_ > 0) {
    const Inflight& newest = buffer_[(start_ + count_ - 1) % buffer_.size()];
    if (last_index <= newest.index) {
      fail_invariant("in-flight index " + std::to_string(last_index) + " does not increase past " +
                     std::to_string(newest.index));
    }
  }
  if (count_ == buffer_.size()) {
    // Grow (doubling, capped at max_count_) and unwrap the ring so start_ is 0.
    std::size_t grown = std::min(max_count_, std::max<std::size_t>(1, buffer_.size() * 2));
    std::vector<Inflight> bigger(grown);
    for (std::size_t k = 0; k < count_; ++k) bigger[k] = buffer_[(start_ + k) % buffer_.size()];
    buffer_ = std::move(bigger);
    start_ = 0;
  }
  buffer_[(start_ + count_) % buffer_.size()] = Inflight{last_index, bytes};
  ++count_;
  bytes_ += bytes;
}

void Inflights::free_le(Index to) {
  while (count_ > 0 && buffer_[start_].index <= to) {
    bytes_ -= buffer_[start_].bytes;
    start_ = (start_ + 1) % buffer_.size();
    --count_;
  }
  if (count_ == 0) start_ = 0;
}

void Inflights::free_first_one() {
  if (count_ > 0) free_le(buffer_[start_].index);
}

bool Inflights::full() const {
  return count_ >= max_count_ || (max_bytes_ != 0 && bytes_ >= max_bytes_);
}

void Inflights::reset() {
  start_ = 0;
  count_ = 0;
  bytes_ = 0;
}

}  // namespace faultline::raft
