// CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected), the checksum of every WAL record
// and snapshot file. Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at
// run time) and a slicing-by-8 table otherwise; both give identical results.
//
//   std::uint32_t c = crc32c("123456789");          // 0xE3069283, the standard check value
//   std::uint32_t d = crc32c_extend(c, more_bytes);  // == crc32c(first + more_bytes)
#pragma once

#include <cstdint>
#include <string_view>

namespace faultline::storage {

// Continues a CRC computed over earlier bytes (start from 0 for a fresh one).
std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size);

inline std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view bytes) {
  return crc32c_extend(crc, bytes.data(), bytes.size());
}
inline std::uint32_t crc32c(std::string_view bytes) { return crc32c_extend(0, bytes); }

// The portable table-driven path, exposed so tests can check it against the hardware one.
std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data, std::size_t size);
// True when crc32c_extend uses the SSE4.2 instruction on this machine.
bool crc32c_hardware_accelerated();

}  // namespace faultline::storage
