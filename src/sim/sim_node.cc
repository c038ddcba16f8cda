// Driving one simulated node: its timer, its inbox, the Ready pipeline (persist to the
// simulated disk, only then send, then apply), its state machine and its snapshots, crash
// and restart.
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "sim/request_codec.h"
#include "sim/simulation.h"

namespace faultline::sim {
namespace {

// A state machine as a snapshot's data, little-endian: the key count (4 bytes), each key's
// last write (8 each), the applied-op bitmap's length in bits (8), then its bytes. The
// bitmap stops at its last set bit, so equal states give equal bytes on every node.
std::string save_state(const SimNode& n) {
  std::size_t bits = n.applied_ops.size();
  while (bits > 0 && !n.applied_ops[bits - 1]) --bits;
  std::string out(4 + 8 * n.kv.size() + 8 + (bits + 7) / 8, '\0');
  char* p = out.data();
  const auto keys = static_cast<std::uint32_t>(n.kv.size());
  std::memcpy(p, &keys, 4);
  p += 4;
  for (std::uint64_t v : n.kv) {
    std::memcpy(p, &v, 8);
    p += 8;
  }
  const std::uint64_t nbits = bits;
  std::memcpy(p, &nbits, 8);
  p += 8;
  for (std::size_t i = 0; i < bits; ++i)
    if (n.applied_ops[i]) p[i / 8] = static_cast<char>(p[i / 8] | (1 << (i % 8)));
  return out;
}

bool load_state(std::string_view data, std::size_t keys, SimNode& n) {
  std::uint32_t k = 0;
  if (data.size() < 4) return false;
  std::memcpy(&k, data.data(), 4);
  if (k != keys || data.size() < 4 + 8 * std::size_t{k} + 8) return false;
  const char* p = data.data() + 4;
  n.kv.assign(k, SimNode::kAbsent);
  for (auto& v : n.kv) {
    std::memcpy(&v, p, 8);
    p += 8;
  }
  std::uint64_t bits = 0;
  std::memcpy(&bits, p, 8);
  p += 8;
  if (data.size() != 4 + 8 * std::size_t{k} + 8 + (bits + 7) / 8) return false;
  n.applied_ops.assign(bits, false);
  for (std::size_t i = 0; i < bits; ++i) n.applied_ops[i] = (p[i / 8] >> (i % 8)) & 1;
  return true;
}

}  // namespace

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
  // The state machine lives in memory: a restarted node restores its last snapshot, if it
  // took one, and re-applies its log from there.
  c.applied = n.applied;
  return c;
}

void Simulation::start_node(int node) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  n.kv.assign(static_cast<std::size_t>(scenario_->workload.keys), SimNode::kAbsent);
  n.applied_ops.clear();
  n.applied = 0;
  raft::Snapshot own;
  if (n.disk->snapshot(own) == raft::ErrorCode::ok && !own.empty() && !restore_state(node, own))
    return;
  n.core = std::make_unique<raft::RawNode>(node_config(node), *n.disk);
  n.up = true;
  n.paused = false;
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
  if (!rd.snapshot.empty()) {
    if (!restore_state(node, rd.snapshot)) return;
    ++stats_.snapshots_installed;
  }
  snapshot_reports_.clear();
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
  // As etcd's transport does once a snapshot is sent (or could not be): the leader then
  // probes the follower again instead of waiting for the snapshot forever.
  for (const auto& [to, sent] : snapshot_reports_) n.core->report_snapshot(to, sent);
}

void Simulation::persist(int node, raft::Ready& rd) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (!rd.snapshot.empty()) {
    const raft::SnapshotMetadata& meta = rd.snapshot.metadata;
    if (n.disk->apply_snapshot(rd.snapshot) != raft::ErrorCode::ok) {
      stop_with_violation("snapshot: node " + std::to_string(n.id) +
                          " was handed a snapshot at index " + std::to_string(meta.index) +
                          ", not newer than the one it holds");
      return;
    }
    // A snapshot holds only committed entries: its last one is committed, and the node's
    // commits below it will never be reported entry by entry.
    checker_.on_commit(n.id, meta.index, meta.term);
    n.commit_checked = std::max(n.commit_checked, meta.index);
  }
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
    const auto channel = raft::rides_append_stream(m.type) ? LinkMatrix::Channel::append
                                                           : LinkMatrix::Channel::message;
    const int copies = links_.transmit(node, to, channel, now_, rng_, arrivals);
    ++stats_.messages_sent;
    if (m.type == raft::MessageType::snap) {
      ++stats_.snapshots_sent;
      snapshot_reports_.emplace_back(m.to, copies != 0);  // held: in the socket's buffer
    }
    if (copies == LinkMatrix::kHeld) {
      links_.hold(node, to, channel, park_message(std::move(m)));
      continue;
    }
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
    // A leader's empty entry carries no request; a proposal committed twice (duplication)
    // is applied once.
    auto req = decode_write(e.data);
    if (req && req->op < record_.ops.size()) {
      if (n.applied_ops.size() <= req->op) n.applied_ops.resize(record_.ops.size(), false);
      if (!n.applied_ops[req->op]) {
        n.applied_ops[req->op] = true;
        if (req->key < n.kv.size()) n.kv[req->key] = req->op;
        const PendingAt& p = pending_[req->op];
        if (p.node == node && p.incarnation == n.incarnation)
          reply(node, req->op, record::Outcome::ok);
      }
    }
    // At the same indices on every node, so their states can be compared there.
    if (n.applied % static_cast<raft::Index>(scenario_->snapshot.count) == 0) {
      take_snapshot(node);
      if (stopped_) return;
    }
  }
}

void Simulation::take_snapshot(int node) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  std::string data = save_state(n);
  checker_.on_state(n.id, n.applied, fingerprint(data));
  if (checker_.violated()) {
    stop_with_violation(checker_.violation());
    return;
  }
  std::vector<raft::NodeId> voters;
  for (const auto& peer : nodes_) voters.push_back(peer.id);
  // Applied entries are on the disk already (persist comes before apply), and newer than
  // any snapshot it holds (restored or installed ones are at or below `applied`).
  if (auto code = n.disk->create_snapshot(n.applied, voters, std::move(data));
      code != raft::ErrorCode::ok)
    throw std::logic_error("simulator: node " + std::to_string(n.id) +
                           " cannot snapshot at its applied index " + std::to_string(n.applied) +
                           ": " + std::string(raft::to_string(code)));
  ++stats_.snapshots_taken;
  const auto keep = static_cast<raft::Index>(scenario_->snapshot.catch_up_entries);
  if (n.applied > keep) n.disk->compact(n.applied - keep);  // `compacted` if nothing to drop
}

bool Simulation::restore_state(int node, const raft::Snapshot& snapshot) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (!load_state(snapshot.data, static_cast<std::size_t>(scenario_->workload.keys), n)) {
    stop_with_violation("snapshot: node " + std::to_string(n.id) + " got a snapshot at index " +
                        std::to_string(snapshot.metadata.index) +
                        " whose data is no state machine of this run");
    return false;
  }
  n.applied = snapshot.metadata.index;
  // The state as restored, saved again: the snapshot's own bytes unless restoring lost
  // something.
  checker_.on_state(n.id, n.applied, fingerprint(save_state(n)));
  if (checker_.violated()) {
    stop_with_violation(checker_.violation());
    return false;
  }
  return true;
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
  for (std::uint32_t slot : links_.reset_node(node)) free_slots_.push_back(slot);
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
