// Raft's four safety invariants, checked incrementally as the simulation runs, so a check
// costs O(1) per event rather than a scan of every log:
//   election safety       at most one leader per term;
//   log matching          two logs holding an entry with the same index and term hold the
//                         same entry there and agree on everything before it (checked as:
//                         each (index, term) always carries the same data and the same
//                         previous term, which by induction gives the whole prefix);
//   leader completeness   a new leader's log holds every entry committed so far;
//   state-machine safety  no two nodes apply different entries at the same index (also:
//                         no two nodes commit different entries at one index).
// The first violation is kept (with the nodes involved); later calls change nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "raft/types.h"

namespace faultline::sim {

class InvariantChecker {
 public:
  using NodeId = raft::NodeId;
  using Term = raft::Term;
  using Index = raft::Index;

  // Election safety: `node` is leader of `term`.
  void on_leader(NodeId node, Term term);
  // Log matching: `entries` (contiguous) were written to `node`'s log right after an entry
  // of term `prev_term` at entries.front().index - 1.
  void on_append(NodeId node, Term prev_term, std::span<const raft::Entry> entries);
  // `node`'s commit index reached `index`, where its log holds an entry of `term`.
  void on_commit(NodeId node, Index index, Term term);
  // Leader completeness: a new leader of `term`; `term_at_committed` is the term of its
  // entry at highest_committed() (nullopt if its log is shorter).
  void on_leader_log(NodeId node, Term term, std::optional<Term> term_at_committed);
  // State-machine safety: `node` applied the entry (index, term, data fingerprint).
  void on_apply(NodeId node, Index index, Term term, std::uint64_t fingerprint);
  // State-machine safety, whole states: `node`'s state machine, applied through `index`
  // (entry by entry or from a snapshot), has this fingerprint; every node's must agree.
  void on_state(NodeId node, Index index, std::uint64_t fingerprint);

  // The highest index any node has committed (0: none yet).
  Index highest_committed() const { return committed_terms_.size() - 1; }

  bool violated() const { return !violation_.empty(); }
  const std::string& violation() const { return violation_; }

 private:
  struct LogFact {
    Term prev_term = 0;
    std::uint64_t fingerprint = 0;
    NodeId first_node = 0;
  };
  struct Applied {
    Term term = 0;
    std::uint64_t fingerprint = 0;
    NodeId first_node = 0;
  };
  void fail(std::string what);
  // The fact recorded for (index, term), inserting `fresh` if there is none yet.
  LogFact* fact(Index index, Term term, const LogFact& fresh, bool& inserted);

  std::string violation_;
  std::unordered_map<Term, NodeId> leader_of_term_;
  // Most indices only ever see one term: keep that one flat, the rest in a map.
  std::vector<Term> first_term_at_{0};
  std::vector<LogFact> first_fact_at_{LogFact{}};
  std::unordered_map<std::uint64_t, LogFact> other_facts_;  // key: index * 2^24 + term
  std::vector<Term> committed_terms_{0};                    // [0] is a sentinel
  std::vector<NodeId> committed_by_{0};
  std::vector<Applied> applied_{Applied{}};
  std::unordered_map<Index, std::pair<std::uint64_t, NodeId>> states_;
};

}  // namespace faultline::sim
