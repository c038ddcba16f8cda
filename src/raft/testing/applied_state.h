// The state machine every in-process test node runs: a running digest of the entries it
// applied. Two nodes that applied the same entries in the same order hold the same digest,
// so state-machine safety can be checked by comparing two numbers, and a snapshot carries
// the whole state in a few bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "raft/types.h"

namespace faultline::raft::testing {

struct AppliedState {
  Index index = 0;  // the last applied index
  Term term = 0;    // the term of the entry at `index`
  // A hash over (index, term, size, data) of every applied entry, chained: the digest at
  // index i depends on every entry up to i, so equal digests mean equal histories.
  std::uint64_t digest = 0;
  // Applied entries that carried data (a new leader's empty entries are not counted): the
  // number of client proposals this node has executed.
  std::uint64_t proposals = 0;

  // Applies `e`, which must be the entry at index + 1 (the caller checks; see safety_checker).
  void apply(const Entry& e);

  // The snapshot form ("index term digest proposals" in decimal/hex) and back. decode()
  // returns nullopt for anything it did not produce, so a corrupt snapshot is noticed.
  std::string encode() const;
  static std::optional<AppliedState> decode(std::string_view text);

  bool operator==(const AppliedState&) const = default;
};

}  // namespace faultline::raft::testing
