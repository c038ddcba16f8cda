// The four safety properties of Raft (figure 3 of the paper), checked against observations
// of a running cluster. The checker remembers what it has seen (who led each term, every
// (index, term) ever written, every committed entry, every applied entry), so a violation
// is caught even when the two offending states never exist at the same moment.
//
//   election safety      at most one leader per term, ever
//   log matching         entries with the same index and term hold the same data and follow
//                        the same previous term, so the logs agree on the whole prefix
//   leader completeness  an entry committed in term t is in the log of every leader of a
//                        term after t
//   state-machine safety no two nodes apply different entries at one index (the digest
//                        chain of applied_state.h makes "different" include the history)
//
// The checker takes plain data (NodeView), not a live cluster, so a test can hand it a
// deliberately corrupted state and watch it object.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "raft/testing/applied_state.h"
#include "raft/types.h"

namespace faultline::raft::testing {

// One node at one moment, as the checker needs it.
struct NodeView {
  NodeId id = kNone;
  StateRole role = StateRole::follower;
  Term term = 0;
  Index commit = 0;
  std::vector<Entry> log;  // the node's whole log (stable and unstable), contiguous
};

struct Violation {
  std::string property;  // "election safety", "log matching", ...
  std::string detail;    // what was seen, with ids, terms and indexes
  std::string describe() const { return property + ": " + detail; }
};

class SafetyChecker {
 public:
  // Checks one node's current state against everything seen so far and records it.
  std::optional<Violation> observe(const NodeView& node);
  // `id` is about to apply `e` on top of `before`.
  std::optional<Violation> observe_apply(NodeId id, const AppliedState& before, const Entry& e);
  // `id`'s state machine was replaced by a snapshot's.
  std::optional<Violation> observe_restore(NodeId id, const AppliedState& state);

  std::size_t leaders_seen() const { return leader_of_term_.size(); }
  Index highest_committed() const { return committed_.size() - 1; }

 private:
  std::optional<Violation> check_log_matching(const NodeView& node);
  std::optional<Violation> check_commit(const NodeView& node);
  std::optional<Violation> check_leader_completeness(const NodeView& node);

  // What was written at one (index, term), the first time it was seen.
  struct Written {
    Term term = 0;
    bool prev_known = false;  // false when the entry was first seen at the head of a log
    Term prev_term = 0;
    std::string data;
  };
  struct Committed {
    Term entry_term = 0;
    // The term of the node that first reported the entry committed. The entry was
    // committed in this term or earlier, so every leader of a later term must hold it.
    Term commit_term = 0;
  };
  struct AppliedAt {
    Term term = 0;
    std::string data;
    std::uint64_t digest_after = 0;
  };

  std::map<Term, NodeId> leader_of_term_;
  // Indexed by log index (slot 0 unused): the checks run after every step of millions of
  // steps, so lookups are array accesses, not tree walks.
  std::vector<std::vector<Written>> written_;  // a few terms per index at most
  std::vector<Committed> committed_{1};        // entries 1..highest_committed()
  std::vector<AppliedAt> applied_{1};          // entries 1..highest applied anywhere
  // Per leader term, the committed indexes already found in that leader's log: a leader
  // never removes entries from its own log, so they need no second look.
  std::map<Term, Index> completeness_checked_;
};

}  // namespace faultline::raft::testing
