// What the fuzz targets share: a reader that takes typed values from the fuzzer's bytes
// (zero once they run out, so every input is a valid program), and the check that turns a
// broken property into a crash the fuzzer reports with its input.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace faultline::fuzz {

class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return rest_.empty(); }
  std::uint8_t u8() {
    if (rest_.empty()) return 0;
    const auto v = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return v;
  }
  std::uint64_t u64(int bytes = 8) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= std::uint64_t{u8()} << (8 * i);
    return v;
  }
  // Up to `max` bytes, the length taken from the input first.
  std::string text(std::size_t max) {
    const std::size_t n = std::min<std::size_t>(u8() % (max + 1), rest_.size());
    std::string s(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return s;
  }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

[[noreturn]] inline void broken(const char* what) {
  std::fprintf(stderr, "property broken: %s\n", what);
  std::abort();
}

}  // namespace faultline::fuzz

#define FUZZ_REQUIRE(cond)                         \
  do {                                             \
    if (!(cond)) ::faultline::fuzz::broken(#cond); \
  } while (0)
