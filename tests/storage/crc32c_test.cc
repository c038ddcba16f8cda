// CRC32C must be the standard Castagnoli CRC (files written on one machine are read on
// another), and the hardware and table paths must agree byte for byte.
#include "storage/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace faultline::storage {
namespace {

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c_extend_portable(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
}

TEST(Crc32c, MatchesTheIscsiTestVectors) {
  // RFC 3720, appendix B.4.
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32c, ExtendingInPiecesEqualsOneCall) {
  const std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    std::uint32_t partial = crc32c(std::string_view(text).substr(0, cut));
    EXPECT_EQ(crc32c_extend(partial, std::string_view(text).substr(cut)), crc32c(text)) << cut;
  }
}

TEST(Crc32c, HardwareAndPortablePathsAgreeOnEveryLengthAndAlignment) {
  std::mt19937_64 rng(7);
  std::string buffer(300, '\0');
  for (char& c : buffer) c = static_cast<char>(rng());
  for (std::size_t start = 0; start < 9; ++start) {
    for (std::size_t length = 0; length + start <= buffer.size(); length += 7) {
      const char* p = buffer.data() + start;
      ASSERT_EQ(crc32c_extend(0x1234u, p, length), crc32c_extend_portable(0x1234u, p, length))
          << "start " << start << " length " << length
          << (crc32c_hardware_accelerated() ? " (hardware path)" : " (portable path)");
    }
  }
}

TEST(Crc32c, DetectsASingleFlippedBit) {
  std::string data(1000, 'a');
  const std::uint32_t before = crc32c(data);
  data[500] ^= 0x10;
  EXPECT_NE(crc32c(data), before);
}

}  // namespace
}  // namespace faultline::storage
