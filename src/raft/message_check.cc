// Checks on messages from peers (see message_check.h).
#include "raft/message_check.h"

namespace faultline::raft {
namespace {

// Only these may come from a peer without a term: forwarded requests (term-less, as in
// etcd), and a pre-vote rejection from a node still at term 0 (it answers with its own
// term; etcd then skips the term checks, and so do we).
bool may_have_zero_term(const Message& m) {
  return m.type == MessageType::prop || m.type == MessageType::read_index ||
         (m.type == MessageType::pre_vote_resp && m.reject);
}

bool entries_well_formed(const Message& m) {
  switch (m.type) {
    case MessageType::prop:
      // The leader assigns index and term; a proposal needs something to propose.
      return !m.entries.empty();
    case MessageType::app: {
      // Entries follow (index, log_term) contiguously, with terms that never decrease
      // and never exceed the sender's term.
      if (m.log_term > m.term) return false;
      Index expect = m.index + 1;
      Term prev = m.log_term;
      for (const Entry& e : m.entries) {
        if (e.index != expect || e.term < prev || e.term > m.term) return false;
        ++expect;
        prev = e.term;
      }
      return true;
    }
    default:
      return m.entries.empty();
  }
}

}  // namespace

ErrorCode check_peer_message(const Message& m, NodeId self, bool sender_is_member) {
  if (is_local(m.type)) return ErrorCode::local_message;
  if (!sender_is_member) return ErrorCode::unknown_node;
  if (m.to != kNone && m.to != self) return ErrorCode::invalid_message;
  // A node never messages itself, except that a transfer request names its target in
  // `from`, and a follower may forward one naming the leader itself.
  if (m.from == self && m.type != MessageType::transfer_leader) return ErrorCode::invalid_message;
  if (m.term == 0 && !may_have_zero_term(m)) return ErrorCode::invalid_message;
  if (!entries_well_formed(m)) return ErrorCode::invalid_message;
  if (m.type == MessageType::snap && m.snapshot.empty()) return ErrorCode::invalid_message;
  return ErrorCode::ok;
}

}  // namespace faultline::raft
