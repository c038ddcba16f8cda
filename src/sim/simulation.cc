// The event loop of one run, the open-loop client, node samples and the run record.
#include "sim/simulation.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "sim/request_codec.h"

namespace faultline::sim {
namespace {

// The client creates its operations a batch at a time: the next 10 ms, or the next
// kClientBatchOps operations if that is longer (at low rates one event per operation
// would be a tenth of all events).
constexpr Micros kClientBatch = 10'000;
constexpr double kClientBatchOps = 10;

record::Role role_of(raft::StateRole r) {
  switch (r) {
    case raft::StateRole::follower:
      return record::Role::follower;
    case raft::StateRole::pre_candidate:
      return record::Role::pre_candidate;
    case raft::StateRole::candidate:
      return record::Role::candidate;
    case raft::StateRole::leader:
      return record::Role::leader;
  }
  return record::Role::follower;
}

std::uint32_t key_number(const std::string& key) {
  std::uint32_t k = 0;
  std::from_chars(key.data() + 1, key.data() + key.size(), k);
  return k;
}

}  // namespace

Simulation::Simulation(const Scenario& scenario, const raft::Profile& profile, std::uint64_t seed,
                       const SimHooks& hooks, Micros settle_us, std::uint32_t fault_seqs)
    : scenario_(&scenario),
      profile_(profile),
      seed_(seed),
      hooks_(hooks),
      rng_(seed),
      links_(scenario.nodes, scenario.network),
      nodes_(static_cast<std::size_t>(scenario.nodes)),
      settle_us_(settle_us) {
  faults_done_us_ = faults_done_at(scenario);
  shown_.assign(nodes_.size(), {record::Role::down, ~raft::Term{0}, raft::kNone});
  auto& meta = record_.meta;
  meta.scenario = scenario.name;
  meta.driver = "sim";
  meta.system = "faultline";
  meta.profile = std::string(profile.name);
  meta.seed = seed;
  meta.heartbeat_us = scenario.timing.heartbeat_us;
  meta.election_timeout_us = scenario.timing.election_timeout_us;
  meta.duration_us = scenario.duration_us;
  meta.scenario_json = scenario_to_json(scenario);

  reserve_for_run();

  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    nodes_[i].id = i + 1;
    nodes_[i].disk = std::make_unique<raft::MemoryStorage>();
    meta.nodes.push_back(i + 1);
  }
  for (int i = 0; i < scenario.nodes; ++i) start_node(i);
  queue_.push(0, EventType::sample);
  if (scenario.workload.rate > 0) queue_.push(0, EventType::client_send);
  // The fault timeline's events come next in insertion order (before anything pushed
  // while running); attach() relies on that.
  fault_seqs_ = std::max(fault_seqs, fault_event_count(scenario));
  fault_seq_base_ = queue_.set_aside(fault_seqs_);
  schedule_faults();
  if (hooks.fake_second_leader_at_us >= 0)
    queue_.push(hooks.fake_second_leader_at_us, EventType::fake_leader);
}

void Simulation::run_through(Micros last_us) {
  last_us = std::min(last_us, scenario_->duration_us);
  while (!queue_.empty() && !stopped_) {
    if (queue_.top().time > last_us) break;
    Event e = queue_.pop();
    now_ = e.time;
    if (++stats_.events > kMaxEvents) {
      stop_with_violation("the run exceeded " + std::to_string(kMaxEvents) + " events");
      break;
    }
    dispatch(e);
  }
  through_us_ = std::max(through_us_, last_us);
}

SimResult Simulation::run() {
  run_through(scenario_->duration_us);
  stats_.simulated_us = stopped_ ? now_ : scenario_->duration_us;
  finish_record();
  return SimResult{std::move(record_), stats_, settled_,
                   settled_ == Settled::no ? Micros{-1} : now_};
}

bool Simulation::attach(const Scenario& scenario, Micros settle_us) {
  const Scenario& base = *scenario_;
  const bool same_run = scenario.nodes == base.nodes && scenario.duration_us == base.duration_us &&
                        scenario.timing == base.timing && scenario.workload == base.workload &&
                        scenario.network == base.network && scenario.disk == base.disk &&
                        scenario.snapshot == base.snapshot;
  if (!same_run || !base.faults.empty() || settle_us_ != 0 ||
      hooks_.fake_second_leader_at_us >= 0 || fault_event_count(scenario) > fault_seqs_)
    return false;
  bool all_later = true;
  for_each_fault_event(
      scenario, [&](Micros at, EventType, std::size_t, int) { all_later &= at > through_us_; });
  if (!all_later) return false;
  // From the start, the run could have settled and stopped before now only once its last
  // fault had fired: with no faults at all.
  const Micros done = faults_done_at(scenario);
  if (settle_us > 0 && done >= 0 && done <= through_us_) return false;

  scenario_ = &scenario;
  settle_us_ = settle_us;
  faults_done_us_ = done;
  record_.meta.scenario = scenario.name;
  record_.meta.scenario_json = scenario_to_json(scenario);
  schedule_faults();
  reserve_for_run();  // a copy keeps only what it holds
  return true;
}

void Simulation::reserve_for_run() {
  const Scenario& s = *scenario_;
  const std::size_t expected_ops =
      static_cast<std::size_t>(s.workload.rate * static_cast<double>(s.duration_us) / 1e6);
  record_.ops.reserve(expected_ops + 1);
  pending_.reserve(expected_ops + 1);
  record_.samples.reserve(static_cast<std::size_t>(s.duration_us / kSampleInterval + 1) *
                          nodes_.size() * 2);
  queue_.reserve(1024);
}

void Simulation::dispatch(const Event& e) {
  const int node = static_cast<int>(e.node);
  switch (e.type) {
    case EventType::tick:
      on_tick(node, e.aux);
      return;
    case EventType::deliver:
    case EventType::persist_done:
    case EventType::request_arrive:
      // A paused process (SIGSTOP) does not read its sockets or see its disk complete;
      // the kernel holds what arrives until it resumes.
      if (nodes_[static_cast<std::size_t>(node)].up &&
          nodes_[static_cast<std::size_t>(node)].paused) {
        auto& inbox = nodes_[static_cast<std::size_t>(node)].inbox;
        if (inbox.size() < kMaxInboxWhilePaused) {
          inbox.push_back(e);
        } else if (e.type == EventType::deliver) {
          free_slots_.push_back(static_cast<std::uint32_t>(e.arg));  // buffer full: dropped
        }
        return;
      }
      if (e.type == EventType::deliver)
        on_deliver(node, e.arg);
      else if (e.type == EventType::persist_done)
        on_persist_done(node, e.aux);
      else
        on_request_arrive(node, e.arg);
      return;
    case EventType::client_send:
      on_client_send();
      return;
    case EventType::sample:
      sample_all();
      queue_.push(now_ + kSampleInterval, EventType::sample);
      if (settle_us_ > 0) check_settled();
      return;
    case EventType::fault:
      on_fault(e.node, e.aux);
      return;
    case EventType::fault_undo:
      on_fault_undo(e.node, e.aux);
      return;
    case EventType::link_resume: {
      const auto to = static_cast<std::uint32_t>(e.arg >> 1);
      const auto channel = static_cast<LinkMatrix::Channel>(e.arg & 1);
      for (const auto& [slot, arrival] :
           links_.release(node, static_cast<int>(to), channel, e.aux, now_, rng_))
        queue_.push(arrival, EventType::deliver, to, slot);
      return;
    }
    case EventType::fake_leader:
      on_fake_leader();
      return;
  }
}

Micros Simulation::client_delay() {
  // The client's own links are never cut (the lab keeps the client's namespace whole too).
  return LinkMatrix::draw_delay(scenario_->network, rng_);
}

void Simulation::on_client_send() {
  // The client's schedule is fixed in advance (open loop), so one event creates every
  // operation intended in the next batch window and puts each on its way: fewer events
  // than one per operation, same operations and times.
  const Workload& w = scenario_->workload;
  const Micros window_end =
      now_ + std::max(kClientBatch, static_cast<Micros>(kClientBatchOps * 1e6 / w.rate));
  auto intended = [&](std::uint64_t k) { return intended_time(k, w.rate); };
  while (intended(next_op_) < window_end && intended(next_op_) <= scenario_->duration_us) {
    const std::uint64_t op = next_op_++;
    const int node = static_cast<int>(op % nodes_.size());  // round-robin, as the paper's client
    record::Operation o;
    o.id = op;
    o.client = 0;
    o.node = nodes_[static_cast<std::size_t>(node)].id;
    o.kind = rng_.chance(w.read_share) ? record::OpKind::read : record::OpKind::write;
    // Appended, not `"k" + to_string(..)`: GCC 12 at -O3 warns falsely (-Wrestrict) on that.
    o.key = "k";
    o.key += std::to_string(rng_.below(static_cast<std::uint64_t>(w.keys)));
    if (o.kind == record::OpKind::write) o.value = value_of(op, w.value_size);
    o.intended_us = intended(op);
    o.sent_us = o.intended_us;  // open loop: nothing holds a request back
    queue_.push(o.intended_us + client_delay(), EventType::request_arrive,
                static_cast<std::uint32_t>(node), op);
    record_.ops.push_back(std::move(o));
    pending_.push_back(PendingAt{});
  }
  if (intended(next_op_) <= scenario_->duration_us)
    queue_.push(std::max(window_end, intended(next_op_)), EventType::client_send);
}

void Simulation::on_request_arrive(int node, std::uint64_t op) {
  SimNode& n = nodes_[static_cast<std::size_t>(node)];
  if (!n.up) {
    // A crashed process refuses the connection at once: the request certainly failed.
    reply(node, op, record::Outcome::fail, {}, "connection refused");
    return;
  }
  const record::Operation& o = record_.ops[op];
  raft::ErrorCode err;
  if (o.kind == record::OpKind::write) {
    err = n.core->propose(encode_write(op, key_number(o.key)));
  } else {
    err = n.core->read_index(encode_read_context(op));
  }
  if (err == raft::ErrorCode::ok) {
    pending_[op] = PendingAt{node, n.incarnation};
  } else if (err != raft::ErrorCode::no_leader) {
    // Refused before it was proposed: it certainly had no effect.
    reply(node, op, record::Outcome::fail, {}, std::string(raft::to_string(err)));
  }
  // no_leader: etcd's server holds the request until a leader appears or the request times
  // out; the proposal is dropped, so the client sees a timeout.
  drive(node);
}

void Simulation::reply(int /*node*/, std::uint64_t op, record::Outcome outcome, std::string value,
                       std::string error) {
  record::Operation& o = record_.ops[op];
  pending_[op] = PendingAt{};
  if (o.completed_us >= 0) return;  // already answered
  // The client does nothing but note the answer, so its arrival is computed now rather than
  // scheduled as an event.
  const Micros arrival = now_ + client_delay();
  if (arrival - o.sent_us > scenario_->workload.request_timeout_us) {
    o.error = "timeout";  // the client gave up first: to it, the outcome is unknown
    return;
  }
  if (o.kind == record::OpKind::read && outcome == record::Outcome::ok) o.value = std::move(value);
  if (!error.empty()) o.error = std::move(error);
  o.completed_us = arrival;
  o.outcome = outcome;
  if (outcome == record::Outcome::ok && o.kind == record::OpKind::write) {
    const Micros since = std::max(last_write_ok_us_, last_change_us_);
    longest_write_gap_us_ = std::max(longest_write_gap_us_, arrival - since);
    last_write_ok_us_ = std::max(last_write_ok_us_, arrival);
  }
}

void Simulation::sample(int node) {
  const SimNode& n = nodes_[static_cast<std::size_t>(node)];
  record::NodeSample s;
  s.time_us = now_;
  s.node = n.id;
  s.role = n.up ? role_of(n.role) : record::Role::down;
  s.term = n.term;
  s.leader = n.up ? n.leader : 0;
  s.commit = n.commit;
  s.applied = n.applied;
  record_.samples.push_back(s);
  // Any term counts, a leaderless candidate's too: a climbing term can still depose a
  // leader seconds later (tried on the 5-node atlas: ignoring those terms changed 93 of
  // its 1650 cells, textbook Raft's livelocks most).
  auto shown = std::tuple(s.role, s.term, s.leader);
  auto& before = shown_[static_cast<std::size_t>(node)];
  if (shown != before) {
    before = shown;
    last_change_us_ = now_;
    longest_write_gap_us_ = 0;
  }
}

// Called on every sample tick when settling is asked for. The gap bound is the analysis's
// smallest write gap (one 100 ms goodput window): a settled serving run has none.
void Simulation::check_settled() {
  constexpr Micros kNoGap = 100'000;
  if (stopped_ || faults_done_us_ < 0 || now_ <= faults_done_us_) return;
  const Micros since = std::max(last_change_us_, faults_done_us_);
  if (now_ - since < settle_us_) return;
  if (last_write_ok_us_ >= now_ - kNoGap && longest_write_gap_us_ <= kNoGap) {
    settled_ = Settled::serving;
  } else if (last_write_ok_us_ < now_ - settle_us_) {
    settled_ = Settled::stuck;
  } else {
    return;  // writes come and go: not settled
  }
  stopped_ = true;
}

void Simulation::sample_all() {
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) sample(i);
}

void Simulation::stop_with_violation(const std::string& what) {
  if (stopped_) return;
  stopped_ = true;
  char where[128];
  std::snprintf(where, sizeof where,
                "seed %llu, step %llu, t=%.6fs: ", static_cast<unsigned long long>(seed_),
                static_cast<unsigned long long>(stats_.events), static_cast<double>(now_) / 1e6);
  record_.meta.invariant_violations = 1;
  record_.meta.violation = where + what;
}

void Simulation::finish_record() {
  for (auto& o : record_.ops) {
    if (o.completed_us < 0) {
      o.outcome = record::Outcome::timeout;
      o.error = "timeout";
      if (o.kind == record::OpKind::read) o.value.clear();
    }
  }
  int faulty = links_.faulty_links();
  for (auto& n : nodes_) faulty += (!n.up || n.paused) ? 1 : 0;
  if (faulty > 0) record_.meta.last_heal_us = -1;  // the run ended with a fault still on
}

}  // namespace faultline::sim
