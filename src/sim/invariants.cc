// Raft's safety invariants, incrementally: see invariants.h.
#include "sim/invariants.h"

#include "sim/request_codec.h"

namespace faultline::sim {
namespace {

std::string node_name(raft::NodeId id) { return "node " + std::to_string(id); }

}  // namespace

void InvariantChecker::fail(std::string what) {
  if (violation_.empty()) violation_ = std::move(what);
}

void InvariantChecker::on_leader(NodeId node, Term term) {
  if (violated()) return;
  auto [it, inserted] = leader_of_term_.emplace(term, node);
  if (!inserted && it->second != node)
    fail("election safety: " + node_name(it->second) + " and " + node_name(node) +
         " are both leader of term " + std::to_string(term));
}

InvariantChecker::LogFact* InvariantChecker::fact(Index index, Term term, const LogFact& fresh,
                                                  bool& inserted) {
  inserted = false;
  if (index >= first_term_at_.size()) {
    first_term_at_.resize(index + 1, 0);
    first_fact_at_.resize(index + 1);
  }
  if (first_term_at_[index] == 0) {
    first_term_at_[index] = term;
    first_fact_at_[index] = fresh;
    inserted = true;
    return &first_fact_at_[index];
  }
  if (first_term_at_[index] == term) return &first_fact_at_[index];
  auto [it, ins] = other_facts_.emplace((index << 24) ^ term, fresh);
  inserted = ins;
  return &it->second;
}

void InvariantChecker::on_append(NodeId node, Term prev_term,
                                 std::span<const raft::Entry> entries) {
  if (violated()) return;
  Term prev = prev_term;
  for (const auto& e : entries) {
    if (e.term == 0) {
      fail("log matching: " + node_name(node) + " wrote an entry of term 0 at index " +
           std::to_string(e.index));
      return;
    }
    LogFact fresh{prev, fingerprint(e.data), node};
    bool inserted = false;
    LogFact* f = fact(e.index, e.term, fresh, inserted);
    if (!inserted && (f->prev_term != fresh.prev_term || f->fingerprint != fresh.fingerprint)) {
      fail("log matching: " + node_name(node) + " and " + node_name(f->first_node) +
           " hold different entries at index " + std::to_string(e.index) + " of term " +
           std::to_string(e.term) +
           (f->prev_term != fresh.prev_term ? " (they disagree on the entry before it)" : ""));
      return;
    }
    prev = e.term;
  }
}

void InvariantChecker::on_commit(NodeId node, Index index, Term term) {
  if (violated()) return;
  if (index < committed_terms_.size()) {
    if (committed_terms_[index] == 0) {
      committed_terms_[index] = term;
      committed_by_[index] = node;
    } else if (committed_terms_[index] != term)
      fail("state-machine safety: " + node_name(node) + " committed an entry of term " +
           std::to_string(term) + " at index " + std::to_string(index) + " where " +
           node_name(committed_by_[index]) + " committed one of term " +
           std::to_string(committed_terms_[index]));
    return;
  }
  // Commits arrive in index order per node, but one node may jump ahead of the others.
  while (committed_terms_.size() < index) {
    committed_terms_.push_back(0);  // filled by a later on_commit for that index
    committed_by_.push_back(0);
  }
  committed_terms_.push_back(term);
  committed_by_.push_back(node);
}

void InvariantChecker::on_leader_log(NodeId node, Term term,
                                     std::optional<Term> term_at_committed) {
  if (violated()) return;
  Index c = highest_committed();
  if (c == 0) return;
  Term committed_term = committed_terms_[c];
  if (committed_term == 0 || term <= committed_term) return;
  if (!term_at_committed || *term_at_committed != committed_term)
    fail("leader completeness: " + node_name(node) + " became leader of term " +
         std::to_string(term) + " without the committed entry at index " + std::to_string(c) +
         " (term " + std::to_string(committed_term) + ")");
}

void InvariantChecker::on_apply(NodeId node, Index index, Term term, std::uint64_t fp) {
  if (violated()) return;
  if (index >= applied_.size()) applied_.resize(index + 1);
  Applied& a = applied_[index];
  if (a.term == 0) {
    a = Applied{term, fp, node};
    return;
  }
  if (a.term != term || a.fingerprint != fp)
    fail("state-machine safety: " + node_name(node) + " applied a different entry at index " +
         std::to_string(index) + " than " + node_name(a.first_node) + " (terms " +
         std::to_string(term) + " and " + std::to_string(a.term) + ")");
}

void InvariantChecker::on_state(NodeId node, Index index, std::uint64_t fp) {
  if (violated()) return;
  auto [it, inserted] = states_.emplace(index, std::pair{fp, node});
  if (!inserted && it->second.first != fp)
    fail("state-machine safety: " + node_name(node) + "'s state machine at index " +
         std::to_string(index) + " differs from " + node_name(it->second.second) + "'s");
}

}  // namespace faultline::sim
