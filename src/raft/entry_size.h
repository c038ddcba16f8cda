// How the core measures entries for its byte limits, in one place so that storage, the
// log and the leader's flow control agree.
#pragma once

#include <cstdint>
#include <limits>
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

// Keeps the longest prefix of `ents` whose entry_bytes total at most `max_bytes`, but
// always at least one entry, so that progress is possible whatever the limit.
inline void limit_size(std::vector<Entry>& ents, std::uint64_t max_bytes) {
  if (ents.empty()) return;
  std::uint64_t total = entry_bytes(ents[0]);
  std::size_t keep = 1;
  while (keep < ents.size()) {
    std::uint64_t next = entry_bytes(ents[keep]);
    if (total > max_bytes || next > max_bytes - total) break;  // written to never overflow
    total += next;
    ++keep;
  }
  ents.resize(keep);
}

}  // namespace faultline::raft
