#include "raft/testing/cluster.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace faultline::raft::testing {

std::string_view to_string(DropReason r) {
  switch (r) {
    case DropReason::link_cut:
      return "link cut";
    case DropReason::node_down:
      return "node down";
    case DropReason::by_caller:
      return "dropped";
    case DropReason::pool_full:
      return "network full";
  }
  return "?";
}

struct Cluster::Member {
  NodeSetup setup;
  MemoryStorage storage;
  std::unique_ptr<RawNode> raw;  // null while crashed
  AppliedState app;
};

Cluster::Cluster(std::size_t max_in_flight)
    : max_in_flight_(std::max<std::size_t>(1, max_in_flight)) {}

Cluster::~Cluster() = default;

Cluster::Member& Cluster::member(NodeId id) {
  auto it = members_.find(id);
  if (it == members_.end()) throw std::out_of_range("no node " + std::to_string(id));
  return *it->second;
}

const Cluster::Member& Cluster::member(NodeId id) const {
  auto it = members_.find(id);
  if (it == members_.end()) throw std::out_of_range("no node " + std::to_string(id));
  return *it->second;
}

void Cluster::add_node(NodeSetup setup) {
  const NodeId id = setup.config.id;
  if (members_.count(id) != 0) {
    throw std::invalid_argument("node " + std::to_string(id) + " already exists");
  }
  for (std::size_t i = 0; i < setup.log.size(); ++i) {
    if (setup.log[i].index != i + 1) {
      throw std::invalid_argument("the initial log of node " + std::to_string(id) +
                                  " must hold entries 1, 2, ... in order");
    }
  }
  if (setup.hard_state.commit > setup.log.size()) {
    throw std::invalid_argument("the initial commit index of node " + std::to_string(id) +
                                " is beyond its log");
  }
  auto m = std::make_unique<Member>();
  m->setup = std::move(setup);
  m->storage.set_voters(m->setup.config.peers);
  if (!m->setup.log.empty()) {
    ErrorCode e = m->storage.append(m->setup.log);
    if (e != ErrorCode::ok) {
      throw std::invalid_argument("the initial log of node " + std::to_string(id) +
                                  " was refused: " + std::string(raft::to_string(e)));
    }
  }
  if (!m->setup.hard_state.empty()) m->storage.set_hard_state(m->setup.hard_state);
  start(*m);  // throws ConfigError before the cluster changes
  members_.emplace(id, std::move(m));
  ids_.insert(std::upper_bound(ids_.begin(), ids_.end(), id), id);
}

void Cluster::start(Member& m) {
  Snapshot snap;
  Config config = m.setup.config;
  m.app = AppliedState{};
  if (m.storage.snapshot(snap) == ErrorCode::ok && !snap.empty()) {
    // The state machine restarts from the snapshot; the core re-delivers what follows.
    if (auto restored = AppliedState::decode(snap.data)) m.app = *restored;
    config.applied = snap.metadata.index;
    if (observer_ != nullptr) observer_->on_restore(config.id, m.app);
  } else {
    config.applied = 0;
  }
  m.raw = std::make_unique<RawNode>(config, m.storage);
}

bool Cluster::is_up(NodeId id) const {
  auto it = members_.find(id);
  return it != members_.end() && it->second->raw != nullptr;
}

RawNode& Cluster::node(NodeId id) {
  Member& m = member(id);
  if (!m.raw) throw std::out_of_range("node " + std::to_string(id) + " is down");
  return *m.raw;
}

const RawNode& Cluster::node(NodeId id) const {
  const Member& m = member(id);
  if (!m.raw) throw std::out_of_range("node " + std::to_string(id) + " is down");
  return *m.raw;
}

const MemoryStorage& Cluster::storage(NodeId id) const { return member(id).storage; }

MemoryStorage& Cluster::disk_for_fault_injection(NodeId id) { return member(id).storage; }

const AppliedState& Cluster::applied(NodeId id) const { return member(id).app; }

std::vector<NodeId> Cluster::voters(NodeId id) const {
  const Member& m = member(id);
  return m.setup.config.peers.empty() ? ids_ : m.setup.config.peers;
}

NodeId Cluster::leader() const {
  NodeId best = kNone;
  Term best_term = 0;
  for (const auto& [id, m] : members_) {
    if (!m->raw) continue;
    Status s = m->raw->status();
    if (s.soft_state.role == StateRole::leader &&
        (best == kNone || s.hard_state.term > best_term)) {
      best = id;
      best_term = s.hard_state.term;
    }
  }
  return best;
}

bool Cluster::handle_ready(NodeId id) {
  Member& m = member(id);
  if (!m.raw || !m.raw->has_ready()) return false;
  Ready rd = m.raw->ready();
  if (observer_ != nullptr) observer_->on_ready(id, rd);

  // 1. Persist: snapshot, then entries, then hard state (its commit may cover them).
  if (!rd.snapshot.empty()) m.storage.apply_snapshot(rd.snapshot);
  if (!rd.entries.empty()) m.storage.append(rd.entries);
  if (rd.has_hard_state) m.storage.set_hard_state(rd.hard_state);

  // 2. Only then send. (Taking the whole batch when the network is empty saves moving
  // every message: the benchmark's hot path.)
  if (in_flight_.empty() && rd.messages.size() <= max_in_flight_) {
    in_flight_ = std::move(rd.messages);
  } else {
    for (Message& msg : rd.messages) enqueue(std::move(msg));
  }

  // 3. Apply.
  if (!rd.snapshot.empty()) {
    if (auto restored = AppliedState::decode(rd.snapshot.data)) {
      m.app = *restored;
    } else {
      // A snapshot this cluster did not make: keep the position so later entries apply.
      m.app = AppliedState{rd.snapshot.metadata.index, rd.snapshot.metadata.term, 0, 0};
    }
    if (observer_ != nullptr) observer_->on_restore(id, m.app);
  }
  for (const Entry& e : rd.committed_entries) {
    // Applied as handed out, even out of order: the observer (the safety checker) is the
    // one to object, and hiding a repeated entry here would hide a bug in the core.
    if (observer_ != nullptr) observer_->on_apply(id, m.app, e);
    m.app.apply(e);
  }

  // 4. Done.
  m.raw->advance();
  return true;
}

void Cluster::enqueue(Message m) {
  if (in_flight_.size() >= max_in_flight_) {
    Message oldest = std::move(in_flight_.front());
    in_flight_.erase(in_flight_.begin());
    if (observer_ != nullptr) observer_->on_drop(oldest, DropReason::pool_full);
    report_snapshot_fate(oldest, false);
  }
  in_flight_.push_back(std::move(m));
}

void Cluster::inject(Message m) { enqueue(std::move(m)); }

void Cluster::report_snapshot_fate(const Message& m, bool ok) {
  // Like etcd's transport: the sender learns whether its snapshot went out, so a lost one
  // is retried instead of pausing the follower forever.
  if (m.type != MessageType::snap || !is_up(m.from)) return;
  if (observer_ != nullptr) observer_->on_snapshot_reported(m.from, m.to, ok);
  member(m.from).raw->report_snapshot(m.to, ok);
}

void Cluster::step_at_recipient(const Message& m, ErrorCode& result) {
  result = ErrorCode::ok;
  if (!link_up(m.from, m.to)) {
    if (observer_ != nullptr) observer_->on_drop(m, DropReason::link_cut);
    report_snapshot_fate(m, false);
    return;
  }
  if (!is_up(m.to)) {
    if (observer_ != nullptr) observer_->on_drop(m, DropReason::node_down);
    report_snapshot_fate(m, false);
    return;
  }
  if (observer_ != nullptr) observer_->on_deliver(m);
  result = member(m.to).raw->step(m);
  if (result != ErrorCode::ok && observer_ != nullptr) observer_->on_refused(m, result);
  report_snapshot_fate(m, result == ErrorCode::ok);
}

ErrorCode Cluster::deliver(std::size_t i, bool keep_copy) {
  if (i >= in_flight_.size()) return ErrorCode::invalid_message;
  Message m;
  if (keep_copy) {
    m = in_flight_[i];
  } else {
    m = std::move(in_flight_[i]);
    in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  ErrorCode result;
  step_at_recipient(m, result);
  return result;
}

void Cluster::drop(std::size_t i, DropReason why) {
  if (i >= in_flight_.size()) return;
  Message m = std::move(in_flight_[i]);
  in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(i));
  if (observer_ != nullptr) observer_->on_drop(m, why);
  report_snapshot_fate(m, false);
}

std::size_t Cluster::deliver_matching(const std::function<bool(const Message&)>& filter,
                                      bool drop_them) {
  // Take the matching messages out first: deliveries only produce Readies, never new
  // messages in the network, but the observer may look at the network meanwhile.
  std::vector<Message> chosen;
  if (!filter) {
    chosen.swap(in_flight_);  // everything, without moving a single message
  } else {
    std::vector<Message> kept;
    for (Message& m : in_flight_) {
      if (filter(m)) {
        chosen.push_back(std::move(m));
      } else {
        kept.push_back(std::move(m));
      }
    }
    in_flight_ = std::move(kept);
  }
  for (const Message& m : chosen) {
    if (drop_them) {
      if (observer_ != nullptr) observer_->on_drop(m, DropReason::by_caller);
      report_snapshot_fate(m, false);
    } else {
      ErrorCode ignored;
      step_at_recipient(m, ignored);
    }
  }
  return chosen.size();
}

void Cluster::cut(NodeId from, NodeId to) { cut_links_.emplace(from, to); }

void Cluster::heal(NodeId from, NodeId to) { cut_links_.erase({from, to}); }

void Cluster::heal_all() { cut_links_.clear(); }

bool Cluster::link_up(NodeId from, NodeId to) const {
  return cut_links_.empty() || cut_links_.count({from, to}) == 0;
}

void Cluster::crash(NodeId id) {
  Member& m = member(id);
  m.raw.reset();
  m.app = AppliedState{};
}

void Cluster::restart(NodeId id) {
  Member& m = member(id);
  if (m.raw) return;
  start(m);
}

ErrorCode Cluster::compact(NodeId id, Index index) {
  Member& m = member(id);
  if (index > m.app.index) return ErrorCode::unavailable;
  if (index < m.storage.first_index()) return ErrorCode::compacted;
  // The state machine only knows its current state, so the snapshot is taken at the applied
  // index (>= index); the log is then dropped up to `index`, as etcd's servers do.
  Snapshot held;
  if (m.storage.snapshot(held) != ErrorCode::ok || held.metadata.index < m.app.index) {
    ErrorCode e = m.storage.create_snapshot(m.app.index, voters(id), m.app.encode());
    if (e != ErrorCode::ok) return e;
  }
  return m.storage.compact(index);
}

bool Cluster::stabilize(int max_rounds) {
  for (int round = 0; round < max_rounds; ++round) {
    bool busy = false;
    for (NodeId id : ids_) busy = handle_ready(id) || busy;
    if (!in_flight_.empty()) {
      busy = true;
      deliver_matching({});
    }
    if (!busy) return true;
  }
  return false;
}

void Cluster::tick_all() {
  for (auto& [id, m] : members_) {
    if (m->raw) m->raw->tick();
  }
}

}  // namespace faultline::raft::testing
