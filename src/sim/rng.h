// The simulator's one seeded generator (xoshiro256**, seeded through splitmix64). Written
// out here rather than taken from <random> so that a seed gives the same run with any
// standard library: std::uniform_*_distribution differ between implementations.
#pragma once

#include <cstdint>

namespace faultline::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : state_) word = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound) (bound > 0), by Lemire's multiply-shift; the tiny bias for huge
  // bounds does not matter for network jitter or key choice.
  std::uint64_t below(std::uint64_t bound) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }

  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // True with probability p; draws nothing when p is 0, so a loss-free network leaves the
  // generator's sequence (and so the rest of the run) unchanged.
  bool chance(double p) { return p > 0 && unit() < p; }

  // A seed for an independent stream (a node's core), derived without disturbing order.
  static std::uint64_t derive(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t x = seed ^ (stream * 0x9e3779b97f4a7c15ull);
    return splitmix64(x);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  std::uint64_t state_[4];
};

}  // namespace faultline::sim
