// Majority-quorum arithmetic (see quorum.h).
#include "raft/quorum.h"

#include <algorithm>
#include <functional>

namespace faultline::raft {

std::string_view to_string(VoteResult r) {
  switch (r) {
    case VoteResult::pending:
      return "VotePending";
    case VoteResult::lost:
      return "VoteLost";
    case VoteResult::won:
      return "VoteWon";
  }
  return "VoteUnknown";
}

MajorityConfig::MajorityConfig(std::vector<NodeId> voters) : voters_(std::move(voters)) {
  std::sort(voters_.begin(), voters_.end());
  voters_.erase(std::unique(voters_.begin(), voters_.end()), voters_.end());
}

bool MajorityConfig::contains(NodeId id) const {
  return std::binary_search(voters_.begin(), voters_.end(), id);
}

Index MajorityConfig::committed_index(const std::map<NodeId, Index>& acked) const {
  std::vector<Index> matched;
  matched.reserve(voters_.size());
  for (NodeId id : voters_) {
    auto it = acked.find(id);
    matched.push_back(it == acked.end() ? 0 : it->second);
  }
  return committed_index(matched);
}

Index MajorityConfig::committed_index(std::vector<Index>& matched) const {
  if (voters_.empty() || matched.size() != voters_.size()) return 0;
  // Ordered high to low, the quorum()-th value is acknowledged by at least quorum() voters.
  auto nth = matched.begin() + static_cast<std::ptrdiff_t>(quorum() - 1);
  std::nth_element(matched.begin(), nth, matched.end(), std::greater<>());
  return *nth;
}

VoteResult MajorityConfig::vote_result(const std::map<NodeId, bool>& votes) const {
  if (voters_.empty()) return VoteResult::won;  // by convention, as in etcd
  std::size_t granted = 0;
  std::size_t missing = 0;
  for (NodeId id : voters_) {
    auto it = votes.find(id);
    if (it == votes.end()) {
      ++missing;
    } else if (it->second) {
      ++granted;
    }
  }
  if (granted >= quorum()) return VoteResult::won;
  if (granted + missing >= quorum()) return VoteResult::pending;
  return VoteResult::lost;
}

}  // namespace faultline::raft
