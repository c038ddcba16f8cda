#include "raft/testing/applied_state.h"

#include <charconv>
#include <cstdio>
#include <cstring>

namespace faultline::raft::testing {
namespace {

constexpr std::uint64_t kMultiplier = 0x9e3779b97f4a7c15ull;

// One 64-bit word into the digest: xor, multiply, fold high bits down. A word at a time
// (not FNV's byte at a time) because every node of every test applies every entry; the
// digest only has to tell different histories apart, not resist an adversary.
std::uint64_t mix_u64(std::uint64_t h, std::uint64_t v) {
  h = (h ^ v) * kMultiplier;
  return h ^ (h >> 29);
}

std::uint64_t mix_bytes(std::uint64_t h, const char* data, std::size_t size) {
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, data + i, 8);
    h = mix_u64(h, word);
  }
  if (i < size) {
    std::uint64_t word = 0;
    std::memcpy(&word, data + i, size - i);
    h = mix_u64(h, word);
  }
  return h;
}

// Parses one unsigned number of `text` starting at `pos` (base 10 or 16) and moves past it
// and one following space; false when there is no number there.
bool take_number(std::string_view text, std::size_t& pos, int base, std::uint64_t& out) {
  const char* first = text.data() + pos;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, out, base);
  if (ec != std::errc() || end == first) return false;
  pos = static_cast<std::size_t>(end - text.data());
  if (pos < text.size()) {
    if (text[pos] != ' ') return false;
    ++pos;
  }
  return true;
}

}  // namespace

void AppliedState::apply(const Entry& e) {
  std::uint64_t h = digest == 0 ? 14695981039346656037ull : digest;  // FNV's offset basis
  h = mix_u64(h, e.index);
  h = mix_u64(h, e.term);
  h = mix_u64(h, e.data.size());
  digest = mix_bytes(h, e.data.data(), e.data.size());
  index = e.index;
  term = e.term;
  if (!e.data.empty()) ++proposals;
}

std::string AppliedState::encode() const {
  char buf[96];
  int n =
      std::snprintf(buf, sizeof buf, "%llu %llu %llx %llu", static_cast<unsigned long long>(index),
                    static_cast<unsigned long long>(term), static_cast<unsigned long long>(digest),
                    static_cast<unsigned long long>(proposals));
  return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<AppliedState> AppliedState::decode(std::string_view text) {
  AppliedState s;
  std::size_t pos = 0;
  if (!take_number(text, pos, 10, s.index) || !take_number(text, pos, 10, s.term) ||
      !take_number(text, pos, 16, s.digest) || !take_number(text, pos, 10, s.proposals) ||
      pos != text.size()) {
    return std::nullopt;
  }
  return s;
}

}  // namespace faultline::raft::testing
