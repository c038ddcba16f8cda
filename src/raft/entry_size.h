// How the core measures entries for its byte limits, in one place so that storage, the
// log and the leader's flow control agree.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "raft/types.h"

namespace faultline::raft {

inline constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();

// An entry's size on the wire: its data plus a fixed allowance for term and index, so
// that even empty entries count against max_size_per_msg and a message stays bounded.
inline constexpr std::uint64_t kEntryOverheadBytes = 16;
inline std::uint64_t entry_bytes(const Entry& e) { return e.data.size() + kEntryOverheadBytes; }

// An entry's payload, as etcd counts it for the uncommitted tail and in-flight bytes: an
// empty entry (a new leader's) costs nothing, so it can always be appended.
inline std::uint64_t payload_bytes(const Entry& e) { return e.data.size(); }

inline std::uint64_t payload_bytes(const std::vector<Entry>& ents) {
  std::uint64_t total = 0;
  for (const Entry& e : ents) total += payload_bytes(e);
  return total;
}

// How many of `ents` (a prefix) fit after `taken` entries of `used` bytes in one batch:
// the batch's first entry always fits, so that progress is possible whatever the limit;
// then entries while the entry_bytes total stays at most `max_bytes`. Counting before
// copying lets a caller copy only what will be kept.
inline std::size_t entries_within(std::span<const Entry> ents, std::size_t taken,
                                  std::uint64_t used, std::uint64_t max_bytes) {
  std::size_t n = 0;
  for (const Entry& e : ents) {
    const std::uint64_t next = entry_bytes(e);
    // Written to never overflow.
    if (taken + n > 0 && (used > max_bytes || next > max_bytes - used)) break;
    used += next;
    ++n;
  }
  return n;
}

// Keeps the longest prefix of `ents` whose entry_bytes total at most `max_bytes`, but
// always at least one entry.
inline void limit_size(std::vector<Entry>& ents, std::uint64_t max_bytes) {
  ents.resize(entries_within(ents, 0, 0, max_bytes));
}

}  // namespace faultline::raft
