// What the fuzz targets share: a reader that takes typed values from the fuzzer's bytes
// (zero once they run out, so every input is a valid program), the check that turns a
// broken property into a crash the fuzzer reports with its input, and whole-file I/O in a
// scratch folder for the targets that go through files.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
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

// A path of this process's own under /dev/shm (memory: syncs cost nothing), or the
// temporary folder where there is none.
inline std::filesystem::path scratch_path(const std::string& what) {
  namespace fs = std::filesystem;
  const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  return base / ("faultline-fuzz-" + what + "-" + std::to_string(::getpid()));
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace faultline::fuzz

#define FUZZ_REQUIRE(cond)                         \
  do {                                             \
    if (!(cond)) ::faultline::fuzz::broken(#cond); \
  } while (0)
