// CRC32C: slicing-by-8 tables built at compile time, and the SSE4.2 crc32 instruction when
// the CPU has it. The state is kept inverted between calls, as the standard specifies, so
// extend(extend(0, a), b) == extend(0, a + b).
#include "storage/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace faultline::storage {
namespace {

constexpr std::uint32_t kReflectedPolynomial = 0x82F63B78u;

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ kReflectedPolynomial : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i) {
    for (std::size_t k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  }
  return t;
}

constexpr Tables kTables = make_tables();

std::uint32_t portable_update(std::uint32_t state, const unsigned char* p, std::size_t n) {
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);  // little-endian machine assumed (x86-64, aarch64 Linux)
    word ^= state;
    state = kTables[7][word & 0xFF] ^ kTables[6][(word >> 8) & 0xFF] ^
            kTables[5][(word >> 16) & 0xFF] ^ kTables[4][(word >> 24) & 0xFF] ^
            kTables[3][(word >> 32) & 0xFF] ^ kTables[2][(word >> 40) & 0xFF] ^
            kTables[1][(word >> 48) & 0xFF] ^ kTables[0][word >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) state = (state >> 8) ^ kTables[0][(state ^ *p++) & 0xFF];
  return state;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t hardware_update(std::uint32_t state,
                                                                const unsigned char* p,
                                                                std::size_t n) {
  std::uint64_t wide = state;
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    wide = _mm_crc32_u64(wide, word);
    p += 8;
    n -= 8;
  }
  auto narrow = static_cast<std::uint32_t>(wide);
  while (n-- > 0) narrow = _mm_crc32_u8(narrow, *p++);
  return narrow;
}

bool detect_hardware() { return __builtin_cpu_supports("sse4.2"); }
#else
std::uint32_t hardware_update(std::uint32_t state, const unsigned char* p, std::size_t n) {
  return portable_update(state, p, n);
}
bool detect_hardware() { return false; }
#endif

// Decided once: the CPU does not change under a running process.
const bool kUseHardware = detect_hardware();

}  // namespace

std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t state = ~crc;
  state = kUseHardware ? hardware_update(state, p, size) : portable_update(state, p, size);
  return ~state;
}

std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data, std::size_t size) {
  return ~portable_update(~crc, static_cast<const unsigned char*>(data), size);
}

bool crc32c_hardware_accelerated() { return kUseHardware; }

}  // namespace faultline::storage
