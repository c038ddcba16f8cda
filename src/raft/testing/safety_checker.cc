#include "raft/testing/safety_checker.h"

#include <algorithm>
#include <string>

namespace faultline::raft::testing {
namespace {

std::string at(Index index, Term term) {
  return std::to_string(term) + "/" + std::to_string(index);
}

std::string node_name(NodeId id) { return "node " + std::to_string(id); }

}  // namespace

std::optional<Violation> SafetyChecker::observe(const NodeView& node) {
  for (std::size_t k = 1; k < node.log.size(); ++k) {
    if (node.log[k].index != node.log[k - 1].index + 1) {
      return Violation{"log matching", node_name(node.id) + "'s log is not contiguous at index " +
                                           std::to_string(node.log[k].index)};
    }
  }
  if (node.role == StateRole::leader) {
    auto [it, inserted] = leader_of_term_.emplace(node.term, node.id);
    if (!inserted && it->second != node.id) {
      return Violation{"election safety", "two leaders in term " + std::to_string(node.term) +
                                              ": " + node_name(it->second) + " and " +
                                              node_name(node.id)};
    }
  }
  if (auto v = check_log_matching(node)) return v;
  if (auto v = check_commit(node)) return v;
  if (node.role == StateRole::leader) {
    if (auto v = check_leader_completeness(node)) return v;
  }
  return std::nullopt;
}

std::optional<Violation> SafetyChecker::check_log_matching(const NodeView& node) {
  for (std::size_t k = 0; k < node.log.size(); ++k) {
    const Entry& e = node.log[k];
    const bool prev_known = k > 0;
    const Term prev_term = prev_known ? node.log[k - 1].term : 0;
    if (written_.size() <= e.index) written_.resize(e.index + 1);
    std::vector<Written>& slot = written_[e.index];
    auto same_term =
        std::find_if(slot.begin(), slot.end(), [&](const Written& w) { return w.term == e.term; });
    if (same_term == slot.end()) {
      slot.push_back(Written{e.term, prev_known, prev_term, e.data});
      continue;
    }
    if (same_term->data != e.data) {
      return Violation{"log matching", node_name(node.id) + " holds entry " + at(e.index, e.term) +
                                           " with data \"" + e.data +
                                           "\" but it was written with \"" + same_term->data +
                                           "\""};
    }
    if (prev_known) {
      if (!same_term->prev_known) {
        same_term->prev_known = true;
        same_term->prev_term = prev_term;
      } else if (same_term->prev_term != prev_term) {
        return Violation{"log matching",
                         node_name(node.id) + " holds entry " + at(e.index, e.term) +
                             " after an entry of term " + std::to_string(prev_term) +
                             " but elsewhere it follows term " +
                             std::to_string(same_term->prev_term) + ": the prefixes differ"};
      }
    }
  }
  return std::nullopt;
}

std::optional<Violation> SafetyChecker::check_commit(const NodeView& node) {
  if (node.log.empty()) return std::nullopt;
  const Index first = node.log.front().index;
  const Index last = node.log.back().index;
  const Index upto = std::min(node.commit, last);
  if (upto >= committed_.size()) {
    // Newly committed entries. Indexes this node no longer holds (compacted into a
    // snapshot it received) are recorded as unknown: someone else committed them first.
    const Index old_size = committed_.size();
    committed_.resize(upto + 1);
    for (Index i = old_size; i <= upto; ++i) {
      committed_[i].commit_term = node.term;
      if (i >= first) committed_[i].entry_term = node.log[i - first].term;
    }
  }
  for (Index i = std::max<Index>(first, 1); i <= upto; ++i) {
    Committed& c = committed_[i];
    const Term held = node.log[i - first].term;
    // A node of term t knows only of commits made in term t or before, so the smallest
    // such t bounds the term the entry was committed in: the tighter, the more leaders
    // leader completeness applies to.
    c.commit_term = std::min(c.commit_term, node.term);
    if (c.entry_term == 0) {
      c.entry_term = held;
    } else if (c.entry_term != held) {
      return Violation{"state-machine safety", node_name(node.id) + " has committed " +
                                                   at(i, held) + " but index " + std::to_string(i) +
                                                   " was committed with term " +
                                                   std::to_string(c.entry_term)};
    }
  }
  return std::nullopt;
}

std::optional<Violation> SafetyChecker::check_leader_completeness(const NodeView& node) {
  Index& checked = completeness_checked_[node.term];
  const Index first = node.log.empty() ? 1 : node.log.front().index;
  const Index last = node.log.empty() ? 0 : node.log.back().index;
  for (Index i = checked + 1; i < committed_.size(); ++i) {
    const Committed& c = committed_[i];
    if (c.commit_term >= node.term) break;  // committed in this term or later: no claim yet
    checked = i;
    if (i < first || c.entry_term == 0) continue;  // in the leader's snapshot
    if (i > last) {
      return Violation{"leader completeness",
                       node_name(node.id) + " leads term " + std::to_string(node.term) +
                           " but its log ends at " + std::to_string(last) + ", before entry " +
                           at(i, c.entry_term) + " committed in term " +
                           std::to_string(c.commit_term)};
    }
    const Term held = node.log[i - first].term;
    if (held != c.entry_term) {
      return Violation{"leader completeness",
                       node_name(node.id) + " leads term " + std::to_string(node.term) + " with " +
                           at(i, held) + " where " + at(i, c.entry_term) +
                           " was committed in term " + std::to_string(c.commit_term)};
    }
  }
  return std::nullopt;
}

std::optional<Violation> SafetyChecker::observe_apply(NodeId id, const AppliedState& before,
                                                      const Entry& e) {
  if (e.index != before.index + 1) {
    return Violation{"state-machine safety", node_name(id) + " applies " + at(e.index, e.term) +
                                                 " right after index " +
                                                 std::to_string(before.index)};
  }
  AppliedState after = before;
  after.apply(e);
  if (applied_.size() <= e.index) {
    if (applied_.size() < e.index) {
      // Earlier indexes were applied only from snapshots so far; leave them unknown.
      applied_.resize(e.index);
    }
    applied_.push_back(AppliedAt{e.term, e.data, after.digest});
    return std::nullopt;
  }
  AppliedAt& known = applied_[e.index];
  if (known.digest_after == 0) {
    known = AppliedAt{e.term, e.data, after.digest};
    return std::nullopt;
  }
  if (known.term != e.term || known.data != e.data) {
    return Violation{"state-machine safety", node_name(id) + " applies " + at(e.index, e.term) +
                                                 " \"" + e.data + "\" but another node applied " +
                                                 at(e.index, known.term) + " \"" + known.data +
                                                 "\" at that index"};
  }
  if (known.digest_after != after.digest) {
    return Violation{"state-machine safety", node_name(id) + " reaches index " +
                                                 std::to_string(e.index) +
                                                 " through a different history of applied entries"};
  }
  return std::nullopt;
}

std::optional<Violation> SafetyChecker::observe_restore(NodeId id, const AppliedState& state) {
  if (state.index == 0 || state.index >= applied_.size()) return std::nullopt;
  const AppliedAt& known = applied_[state.index];
  if (known.digest_after != 0 && known.digest_after != state.digest) {
    return Violation{"state-machine safety",
                     node_name(id) + " restored a snapshot at index " +
                         std::to_string(state.index) +
                         " whose state differs from what other nodes applied up to there"};
  }
  return std::nullopt;
}

}  // namespace faultline::raft::testing
