// The core's only source of randomness: a small seeded generator (SplitMix64), so the same
// Config::seed gives the same election timeouts on every machine and standard library
// (std::uniform_int_distribution is implementation-defined, so it is not used).
#pragma once

#include <cstdint>

namespace faultline::raft {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // A value in [0, bound), bound > 0. The modulo bias is below 2^-32 for the small bounds
  // used here (election ticks) and, unlike a rejection loop, costs one draw every time.
  std::uint64_t below(std::uint64_t bound) { return next() % bound; }

 private:
  std::uint64_t state_;
};

}  // namespace faultline::raft
