// The invariants of one node's state, checked after every input in debug builds (the
// LogCabin habit): a broken one stops the node at the input that broke it, not later
// where the damage shows.
#include <string>

#include "raft/invariant.h"
#include "raft/raft.h"

namespace faultline::raft {
namespace {

// The message is only built when the check fails: this runs after every input.
void require(bool ok, NodeId self, const char* what) {
  if (!ok) fail_invariant("node " + std::to_string(self) + ": " + what);
}

void require_peer(bool ok, NodeId self, NodeId peer, const char* what) {
  if (!ok) {
    fail_invariant("node " + std::to_string(self) + ", progress of " + std::to_string(peer) + ": " +
                   what);
  }
}

}  // namespace

void Raft::check_invariants() const {
  const Index last = log_.last_index();
  require(log_.applied() <= log_.committed(), id_, "applied is beyond committed");
  require(log_.committed() <= last, id_, "committed is beyond the last index");
  require(log_.first_index() <= last + 1, id_, "first index is beyond last index + 1");
  require(tracker_.is_member(id_) || role_ == StateRole::follower, id_,
          "a non-member is not a follower");

  switch (role_) {
    case StateRole::leader:
      require(lead_ == id_, id_, "a leader does not know itself as leader");
      require(vote_ == id_, id_, "a leader did not vote for itself in its term");
      break;
    case StateRole::candidate:
      require(vote_ == id_, id_, "a candidate did not vote for itself");
      require(lead_ == kNone, id_, "a candidate knows a leader");
      break;
    case StateRole::pre_candidate:
      require(lead_ == kNone, id_, "a pre-candidate knows a leader");
      break;
    case StateRole::follower:
      require(lead_ != id_, id_, "a follower names itself leader");
      break;
  }
  if (role_ != StateRole::leader) {
    require(lead_transferee_ == kNone, id_, "a non-leader is transferring leadership");
    require(uncommitted_size_ == 0, id_, "a non-leader tracks an uncommitted tail");
    require(read_only_.size() == 0 && pending_read_requests_.empty(), id_,
            "a non-leader holds ReadIndex requests");
    require(!appends_pending_, id_, "a non-leader owes appends");
    return;
  }
  require(read_only_.size() + pending_read_requests_.size() <= config_.max_pending_read_index, id_,
          "the ReadIndex queue exceeds its bound");
  for (const auto& [id, pr] : tracker_.all()) {
    require_peer(pr.match <= last, id_, id, "match is beyond our last index");
    require_peer(pr.next >= 1 && pr.next <= last + 1, id_, id, "next is outside [1, last + 1]");
    require_peer(pr.match < pr.next || id == id_, id_, id, "next is not after match");
    require_peer(pr.inflights.count() <= static_cast<std::size_t>(config_.max_inflight_msgs), id_,
                 id, "the in-flight window exceeds max_inflight_msgs");
    require_peer(pr.state == ProgressState::replicate || pr.inflights.count() == 0, id_, id,
                 "appends in flight outside replicate");
    require_peer(pr.pending_append == PendingAppend::none || appends_pending_, id_, id,
                 "an append is owed but no flush is scheduled");
  }
}

}  // namespace faultline::raft
