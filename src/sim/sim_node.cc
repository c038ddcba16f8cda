// Driving one simulated node: its timer, its inbox, the Ready pipeline (persist to the
// simulated disk, only then send, then apply), its state machine, crash and restart.
#include <algorithm>

#include "sim/request_codec.h"
#include "sim/simulation.h"

namespace faultline::sim {

SimNode::SimNode(const SimNode& other)
    : id(other.id),
      disk(other.disk ? std::make_unique<raft::MemoryStorage>(*other.disk) : nullptr),
      core(other.core ? other.core->clone(*disk) : nullptr),
      up(other.up),
      paused(other.paused),
      incarnation(other.incarnation),
      persisting(other.persisting),
      inbox(other.inbox),
      kv(other.kv),
      applied_ops(other.applied_ops),
      applied(other.applied),
      commit_checked(other.commit_checked),
      waiting_reads(other.waiting_reads),
      role(other.role),
      term(other.term),
      leader(other.leader),
      commit(other.commit) {}

raft::Config Simulation::node_config(int node) const {
  const SimNode& n = nodes_[static_cast<std::size_t>(node)];
  raft::Config c;
  c.id = n.id;
  for (const auto& peer : nodes_) c.peers.push_back(peer.id);
  c.election_tick = scenario_->election_tick();
  c.heartbeat_tick = 1;
  c.switches = profile_.switches;
  // Each incarnation draws its own election timeouts, all from the run's seed.
  c.seed = Rng::derive(seed_, (n.id << 20) + n.incarnation);
  c.applied = 0;  // the state machine lives in memory: a restarted node re-applies its log
  return c;
}

void Simulation::start_node(int node) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  n.core = std::make_unique<raft::RawNode>(node_config(node), *n.disk);
  n.up = true;
  n.paused = false;
  n.kv.assign(static_cast<std::size_t>(scenario_->workload.keys), SimNode::kAbsent);
  n.applied_ops.clear();
  n.applied = 0;
  const raft::HardState hs = n.disk->initial_state().hard_state;
  n.commit_checked = hs.commit;  // reported to the checker in an earlier life
  n.commit = hs.commit;
  n.term = hs.term;
  n.role = raft::StateRole::follower;
  n.leader = raft::kNone;
  // Nodes tick at independent phases, as separate machines' timers would.
  const Micros phase =
      1 +
      static_cast<Micros>(rng_.below(static_cast<std::uint64_t>(scenario_->timing.heartbeat_us)));
  queue_.push(now_ + phase, EventType::tick, static_cast<std::uint32_t>(node), 0, n.incarnation);
}

void Simulation::on_tick(int node, std::uint32_t incarnation) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (!n.up || incarnation != n.incarnation) return;  // a timer of a crashed incarnation
  queue_.push(now_ + scenario_->timing.heartbeat_us, EventType::tick,
              static_cast<std::uint32_t>(node), 0, incarnation);
  if (n.paused) return;  // a stopped process misses its ticks
  n.core->tick();
  drive(node);
}

void Simulation::on_deliver(int node, std::uint64_t slot) {
  // Stepped straight from its slot (no move out): the slot is reused, and its buffers
  // released, by the next park_message.
  free_slots_.push_back(static_cast<std::uint32_t>(slot));
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (!n.up) return;  // nobody listens on a crashed node's port
  // A refused message changes nothing; the core says why, we need not.
  n.core->step(message_slots_[slot]);
  drive(node);
}

void Simulation::on_persist_done(int node, std::uint32_t incarnation) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (!n.up || incarnation != n.incarnation || !n.persisting) return;
  raft::Ready rd = std::move(*n.persisting);
  n.persisting.reset();
  complete(node, rd);
  drive(node);
}

void Simulation::drive(int node) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  for (int round = 0; round < kMaxReadyRoundsPerEvent; ++round) {
    if (stopped_ || !n.up || n.paused || n.persisting || !n.core->has_ready()) return;
    raft::Ready rd = n.core->ready();
    ++stats_.readies;
    observe(node, rd);
    if (stopped_) return;
    if (rd.must_sync && scenario_->disk.sync_latency_us > 0) {
      // Persist before acknowledging: the messages wait until the disk is done, and inputs
      // that arrive meanwhile gather in the core for the next batch (group commit).
      n.persisting = std::move(rd);
      queue_.push(now_ + scenario_->disk.sync_latency_us, EventType::persist_done,
                  static_cast<std::uint32_t>(node), 0, n.incarnation);
      return;
    }
    complete(node, rd);
  }
}

std::optional<raft::Term> Simulation::term_in_log(int node, const raft::Ready* rd,
                                                  raft::Index i) const {
  const SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (rd && !rd->entries.empty() && i >= rd->entries.front().index) {
    if (i > rd->entries.back().index) return std::nullopt;
    return rd->entries[i - rd->entries.front().index].term;
  }
  raft::Term t = 0;
  if (n.disk->term(i, t) != raft::ErrorCode::ok) return std::nullopt;
  return t;
}

void Simulation::observe(int node, const raft::Ready& rd) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  bool changed = false;
  if (rd.has_soft_state) {
    changed |= rd.soft_state.role != n.role || rd.soft_state.leader != n.leader;
    n.role = rd.soft_state.role;
    n.leader = rd.soft_state.leader;
  }
  if (rd.has_hard_state) {
    changed |= rd.hard_state.term != n.term;
    n.term = rd.hard_state.term;
    n.commit = rd.hard_state.commit;
  }
  if (!changed) return;
  sample(node);
  if (n.role == raft::StateRole::leader) {
    last_leader_ = node;
    checker_.on_leader(n.id, n.term);
    checker_.on_leader_log(n.id, n.term, term_in_log(node, &rd, checker_.highest_committed()));
    if (checker_.violated()) stop_with_violation(checker_.violation());
  }
}

void Simulation::complete(int node, raft::Ready& rd) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  persist(node, rd);
  if (stopped_) return;
  send(node, rd.messages);
  apply(node, rd.committed_entries);
  if (stopped_) return;
  for (const auto& rs : rd.read_states) {
    auto op = decode_read_context(rs.context);
    if (!op || *op >= pending_.size()) continue;
    const PendingAt& p = pending_[*op];
    if (p.node != node || p.incarnation != n.incarnation) continue;
    if (n.waiting_reads.size() < kMaxWaitingReads) n.waiting_reads.emplace(rs.index, *op);
  }
  serve_reads(node);
  n.core->advance();
}

void Simulation::persist(int node, raft::Ready& rd) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (!rd.snapshot.empty()) n.disk->apply_snapshot(rd.snapshot);
  if (!rd.entries.empty()) {
    raft::Term prev = 0;
    n.disk->term(rd.entries.front().index - 1, prev);
    checker_.on_append(n.id, prev, rd.entries);
    n.disk->append(std::move(rd.entries));  // nothing reads the Ready's entries after this
    rd.entries.clear();
  }
  if (rd.has_hard_state) {
    n.disk->set_hard_state(rd.hard_state);
    for (raft::Index i = n.commit_checked + 1; i <= rd.hard_state.commit; ++i) {
      raft::Term t = 0;
      if (n.disk->term(i, t) != raft::ErrorCode::ok) break;
      checker_.on_commit(n.id, i, t);
      n.commit_checked = i;
    }
  }
  if (checker_.violated()) stop_with_violation(checker_.violation());
}

std::uint32_t Simulation::park_message(raft::Message&& m) {
  if (!free_slots_.empty()) {
    std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    message_slots_[slot] = std::move(m);
    return slot;
  }
  message_slots_.push_back(std::move(m));
  return static_cast<std::uint32_t>(message_slots_.size() - 1);
}

void Simulation::send(int node, std::vector<raft::Message>& messages) {
  const int n_nodes = static_cast<int>(nodes_.size());
  for (auto& m : messages) {
    const int to = static_cast<int>(m.to) - 1;
    if (to < 0 || to >= n_nodes || to == node) continue;
    Micros arrivals[2];
    const int copies = links_.transmit(node, to, now_, rng_, arrivals);
    ++stats_.messages_sent;
    if (copies == 2) {
      raft::Message copy = m;
      queue_.push(arrivals[1], EventType::deliver, static_cast<std::uint32_t>(to),
                  park_message(std::move(copy)));
    }
    if (copies >= 1)
      queue_.push(arrivals[0], EventType::deliver, static_cast<std::uint32_t>(to),
                  park_message(std::move(m)));
  }
}

void Simulation::apply(int node, std::vector<raft::Entry>& entries) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  for (const auto& e : entries) {
    if (e.index != n.applied + 1) {
      stop_with_violation("state-machine safety: node " + std::to_string(n.id) + " applied index " +
                          std::to_string(e.index) + " right after " + std::to_string(n.applied));
      return;
    }
    checker_.on_apply(n.id, e.index, e.term, fingerprint(e.data));
    if (checker_.violated()) {
      stop_with_violation(checker_.violation());
      return;
    }
    n.applied = e.index;
    auto req = decode_write(e.data);
    if (!req || req->op >= record_.ops.size()) continue;  // a leader's empty entry
    if (n.applied_ops.size() <= req->op) n.applied_ops.resize(record_.ops.size(), false);
    if (n.applied_ops[req->op]) continue;  // the same proposal committed twice (duplication)
    n.applied_ops[req->op] = true;
    if (req->key < n.kv.size()) n.kv[req->key] = req->op;
    const PendingAt& p = pending_[req->op];
    if (p.node == node && p.incarnation == n.incarnation) reply(node, req->op, record::Outcome::ok);
  }
}

void Simulation::serve_reads(int node) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  while (!n.waiting_reads.empty() && n.waiting_reads.top().first <= n.applied) {
    const std::uint64_t op = n.waiting_reads.top().second;
    n.waiting_reads.pop();
    const PendingAt& p = pending_[op];
    if (p.node != node || p.incarnation != n.incarnation) continue;
    const std::string& key = record_.ops[op].key;
    const std::uint32_t k = static_cast<std::uint32_t>(std::stoul(key.substr(1)));
    const std::uint64_t last_write = k < n.kv.size() ? n.kv[k] : SimNode::kAbsent;
    reply(node, op, record::Outcome::ok,
          last_write == SimNode::kAbsent ? std::string()
                                         : value_of(last_write, scenario_->workload.value_size));
  }
}

void Simulation::crash(int node) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (!n.up) return;
  n.up = false;
  n.core.reset();
  n.persisting.reset();  // the write in flight never reached the disk
  for (const Event& e : n.inbox)
    if (e.type == EventType::deliver) free_slots_.push_back(static_cast<std::uint32_t>(e.arg));
  n.inbox.clear();
  n.paused = false;
  ++n.incarnation;
  n.waiting_reads = {};
  n.kv.clear();
  n.applied_ops.clear();
  n.applied = 0;
  n.role = raft::StateRole::follower;
  n.leader = raft::kNone;
  sample(node);
}

void Simulation::restart(int node) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (n.up) return;
  start_node(node);
  sample(node);
}

void Simulation::pause(int node) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (!n.up || n.paused) return;
  n.paused = true;
}

void Simulation::resume(int node) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (!n.up || !n.paused) return;
  n.paused = false;
  std::vector<Event> held = std::move(n.inbox);
  n.inbox.clear();
  for (const Event& e : held) {
    if (stopped_) break;
    dispatch(e);  // handled now, in the order they arrived
  }
  drive(node);
}

}  // namespace faultline::sim
