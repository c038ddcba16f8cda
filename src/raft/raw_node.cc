// RawNode: the Ready/advance bookkeeping around the Raft state machine (see raw_node.h).
// It remembers what the last Ready handed out, so advance() can tell the core what is
// now durable (stable_to), applied (applied_to), and - on the leader - that its own
// entries may now count towards the commit quorum.
#include "raft/raw_node.h"

#include <stdexcept>

#include "raft/entry_size.h"
#include "raft/message_check.h"
#include "raft/raft.h"

namespace faultline::raft {
namespace {

// Debug builds check the node's invariants after every input (see Raft::check_invariants).
void check_in_debug([[maybe_unused]] const Raft& r) {
#ifndef NDEBUG
  r.check_invariants();
#endif
}

}  // namespace

RawNode::RawNode(const Config& config, Storage& storage)
    : raft_(std::make_unique<Raft>(config, storage)),
      prev_soft_(raft_->soft_state()),
      prev_hard_(raft_->hard_state()) {
  check_in_debug(*raft_);
}

RawNode::RawNode(const RawNode& other, Storage& storage)
    : raft_(std::make_unique<Raft>(*other.raft_, storage)),
      prev_soft_(other.prev_soft_),
      prev_hard_(other.prev_hard_),
      ready_outstanding_(other.ready_outstanding_),
      stable_to_index_(other.stable_to_index_),
      stable_to_term_(other.stable_to_term_),
      applied_to_(other.applied_to_),
      applied_payload_(other.applied_payload_),
      snapshot_index_(other.snapshot_index_) {}

RawNode::~RawNode() = default;

std::unique_ptr<RawNode> RawNode::clone(Storage& storage) const {
  return std::unique_ptr<RawNode>(new RawNode(*this, storage));
}

void RawNode::tick() {
  raft_->tick();
  check_in_debug(*raft_);
}

void RawNode::campaign() {
  raft_->step(Message{.type = MessageType::hup, .from = raft_->id()});
  check_in_debug(*raft_);
}

ErrorCode RawNode::propose(std::string data) {
  Message m{.type = MessageType::prop, .from = raft_->id()};
  m.entries.push_back(Entry{.data = std::move(data)});
  const ErrorCode result = raft_->step(m);
  check_in_debug(*raft_);
  return result;
}

ErrorCode RawNode::step(const Message& m) {
  const ErrorCode check = check_peer_message(m, raft_->id(), raft_->is_member(m.from));
  if (check != ErrorCode::ok) return check;
  const ErrorCode result = raft_->step(m);
  check_in_debug(*raft_);
  return result;
}

ErrorCode RawNode::read_index(std::string context) {
  // The context is how the answer finds its request (and how heartbeats confirm it):
  // an empty one could never be matched.
  if (context.empty()) return ErrorCode::invalid_message;
  const ErrorCode result =
      raft_->step(Message{.type = MessageType::read_index, .context = std::move(context)});
  check_in_debug(*raft_);
  return result;
}

ErrorCode RawNode::transfer_leader(NodeId target) {
  if (!raft_->is_member(target)) return ErrorCode::unknown_node;
  // As in etcd, the request names its target in `from`.
  const ErrorCode result =
      raft_->step(Message{.type = MessageType::transfer_leader, .from = target});
  check_in_debug(*raft_);
  return result;
}

void RawNode::report_unreachable(NodeId id) {
  if (!raft_->is_member(id) || id == raft_->id()) return;
  raft_->step(Message{.type = MessageType::unreachable, .from = id});
  check_in_debug(*raft_);
}

void RawNode::report_snapshot(NodeId id, bool ok) {
  if (!raft_->is_member(id) || id == raft_->id()) return;
  raft_->step(Message{.type = MessageType::snap_status, .from = id, .reject = !ok});
  check_in_debug(*raft_);
}

bool RawNode::has_ready() const {
  const Raft& r = *raft_;
  if (r.soft_state() != prev_soft_) return true;
  const HardState hs = r.hard_state();
  if (!hs.empty() && hs != prev_hard_) return true;
  return r.log().has_pending_snapshot() || r.has_messages() || r.has_pending_appends() ||
         r.log().has_unstable_entries() || r.log().has_next_committed_entries() ||
         r.has_read_states();
}

Ready RawNode::ready() {
  if (ready_outstanding_) {
    throw std::logic_error("RawNode::ready() called again before advance()");
  }
  Raft& r = *raft_;
  // The appends coalesced since the last Ready go out now, one per follower.
  r.flush_appends();
  Ready rd;
  rd.entries = r.log().unstable_entries();
  rd.committed_entries = r.log().next_committed_entries();
  rd.messages = r.take_messages();
  rd.read_states = r.take_read_states();
  if (const auto& snap = r.log().pending_snapshot()) rd.snapshot = *snap;

  const SoftState soft = r.soft_state();
  if (soft != prev_soft_) {
    rd.has_soft_state = true;
    rd.soft_state = soft;
    prev_soft_ = soft;
  }
  const HardState hard = r.hard_state();
  // Term and vote must be durable before anything is sent (a node must never vote twice
  // in a term, even across a crash); a commit index alone can be recovered, so as in
  // etcd it does not force a sync.
  rd.must_sync = !rd.entries.empty() || !rd.snapshot.empty() || hard.term != prev_hard_.term ||
                 hard.vote != prev_hard_.vote;
  if (!hard.empty() && hard != prev_hard_) {
    rd.has_hard_state = true;
    rd.hard_state = hard;
    prev_hard_ = hard;
  }

  stable_to_index_ = rd.entries.empty() ? 0 : rd.entries.back().index;
  stable_to_term_ = rd.entries.empty() ? 0 : rd.entries.back().term;
  snapshot_index_ = rd.snapshot.metadata.index;
  // The applied cursor: the last committed entry handed out, or the snapshot installed.
  applied_to_ = rd.committed_entries.empty() ? snapshot_index_ : rd.committed_entries.back().index;
  applied_payload_ = payload_bytes(rd.committed_entries);
  ready_outstanding_ = true;
  return rd;
}

void RawNode::advance() {
  if (!ready_outstanding_) throw std::logic_error("RawNode::advance() called without a ready()");
  ready_outstanding_ = false;
  if (snapshot_index_ > 0) raft_->log().stable_snap_to(snapshot_index_);
  if (applied_to_ > 0) raft_->on_applied(applied_to_, applied_payload_);
  if (stable_to_index_ > 0) raft_->on_persisted(stable_to_index_, stable_to_term_);
  stable_to_index_ = 0;
  stable_to_term_ = 0;
  applied_to_ = 0;
  applied_payload_ = 0;
  snapshot_index_ = 0;
  check_in_debug(*raft_);
}

Status RawNode::status() const { return raft_->status(); }

NodeId RawNode::id() const { return raft_->id(); }

const Config& RawNode::config() const { return raft_->config(); }

std::vector<Entry> RawNode::log_entries() const { return raft_->log().all_entries(); }

}  // namespace faultline::raft
