// Majority-quorum arithmetic over one set of voters: which index a majority has
// acknowledged (the commit rule) and whether an election is won, lost or still open.
#pragma once

#include <cstddef>
#include <map>
#include <vector>

#include "raft/types.h"

namespace faultline::raft {

enum class VoteResult : std::uint8_t {
  pending,  // neither a quorum of grants nor of rejections yet
  lost,     // a quorum can no longer be reached
  won,      // a quorum granted
};
std::string_view to_string(VoteResult r);

class MajorityConfig {
 public:
  MajorityConfig() = default;
  // Duplicates are dropped; order does not matter.
  explicit MajorityConfig(std::vector<NodeId> voters);

  const std::vector<NodeId>& voters() const { return voters_; }  // sorted
  bool contains(NodeId id) const;
  std::size_t size() const { return voters_.size(); }
  std::size_t quorum() const { return voters_.size() / 2 + 1; }

  // The largest index acknowledged by a quorum (a voter missing from `acked` counts 0).
  Index committed_index(const std::map<NodeId, Index>& acked) const;
  // The same from one acknowledged index per voter, in any order (reordered in place).
  Index committed_index(std::vector<Index>& matched) const;
  // The election outcome given the votes received so far (missing voters: not yet voted).
  VoteResult vote_result(const std::map<NodeId, bool>& votes) const;

 private:
  std::vector<NodeId> voters_;
};

}  // namespace faultline::raft
