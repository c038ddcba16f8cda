// Raft: construction, roles, timers and the term rules every message passes first.
// See raft.h for how the rest is split.
#include "raft/raft.h"

#include <algorithm>
#include <string>

#include "raft/invariant.h"

namespace faultline::raft {
namespace {

std::string join_problems(const std::vector<std::string>& problems) {
  std::string out = "invalid raft config:";
  for (const std::string& p : problems) out += "\n  - " + p;
  return out;
}

std::vector<NodeId> initial_voters(const Config& config, const InitialState& st) {
  // A node that already holds a configuration (it persisted a snapshot) trusts it over
  // the command line: that is what the cluster agreed on.
  std::vector<NodeId> voters = st.voters.empty() ? config.peers : st.voters;
  if (voters.empty()) {
    throw ConfigError(
        "invalid raft config:\n  - no voters: give Config::peers for a new cluster (storage "
        "holds no configuration).");
  }
  if (std::find(voters.begin(), voters.end(), config.id) == voters.end()) {
    throw ConfigError("invalid raft config:\n  - node " + std::to_string(config.id) +
                      " is not among the voters its storage holds; it cannot take part.");
  }
  return voters;
}

const Config& validated(const Config& config) {
  auto problems = validate(config);
  if (!problems.empty()) throw ConfigError(join_problems(problems));
  return config;
}

std::string ids_to_string(const std::vector<NodeId>& ids) {
  std::string out;
  for (NodeId id : ids) {
    if (!out.empty()) out += ' ';
    out += std::to_string(id);
  }
  return out;
}

}  // namespace

Raft::Raft(const Raft& other, Storage& storage) : Raft(other) { log_.storage_ = &storage; }

Raft::Raft(const Config& config, Storage& storage)
    : config_(validated(config)),
      id_(config.id),
      log_(storage, config.max_committed_size_per_ready),
      tracker_(initial_voters(config, storage.initial_state()),
               static_cast<std::size_t>(config.max_inflight_msgs), config.max_inflight_bytes),
      // Mixing the id in gives every node its own stream even if a driver hands all of
      // them the same seed (identical timeouts would split every vote).
      rng_(config.seed ^ (config.id * 0x9e3779b97f4a7c15ull)) {
  const InitialState st = storage.initial_state();
  if (!st.hard_state.empty()) {
    log_.load_commit(st.hard_state.commit);
    term_ = st.hard_state.term;
    vote_ = st.hard_state.vote;
  }
  if (config.applied > 0) {
    if (config.applied > log_.committed() || config.applied < log_.applied()) {
      throw ConfigError("invalid raft config:\n  - applied (" + std::to_string(config.applied) +
                        ") must lie between the snapshot index (" + std::to_string(log_.applied()) +
                        ") and the stored commit index (" + std::to_string(log_.committed()) +
                        ").");
    }
    log_.applied_to(config.applied);
  }
  log_event("started [peers: [{}], term: {}, commit: {}, applied: {}, lastindex: {}, lastterm: {}]",
            ids_to_string(tracker_.voters().voters()), term_, log_.committed(), log_.applied(),
            log_.last_index(), log_.last_term());
  become_follower(term_, kNone);
}

// --- roles ---

void Raft::become_follower(Term term, NodeId lead) {
  reset(term);
  lead_ = lead;
  role_ = StateRole::follower;
  log_event("became follower at term {}", term_);
}

void Raft::become_pre_candidate() {
  if (role_ == StateRole::leader) fail_invariant("invalid transition [leader -> pre-candidate]");
  // A pre-candidate changes neither term nor vote, and does not reset its timer: if the
  // pre-vote fails it is a plain follower again, having disturbed nobody.
  tracker_.reset_votes();
  lead_ = kNone;
  role_ = StateRole::pre_candidate;
  log_event("became pre-candidate at term {}", term_);
}

void Raft::become_candidate() {
  if (role_ == StateRole::leader) fail_invariant("invalid transition [leader -> candidate]");
  reset(term_ + 1);
  vote_ = id_;
  role_ = StateRole::candidate;
  log_event("became candidate at term {}", term_);
}

void Raft::become_leader() {
  if (role_ == StateRole::follower) fail_invariant("invalid transition [follower -> leader]");
  reset(term_);
  lead_ = id_;
  role_ = StateRole::leader;
  Progress& self = tracker_.progress(id_);
  self.become_replicate();
  self.recent_active = true;
  log_event("became leader at term {}", term_);
  // The empty entry of the new term: committing it commits everything before it (only
  // entries of the current term are committed by counting), and it makes this log
  // strictly fresher than any that missed it. Its payload is empty, so the uncommitted
  // size limit never refuses it.
  std::vector<Entry> empty(1);
  if (!append_entries(empty)) fail_invariant("a new leader could not append its empty entry");
}

void Raft::reset(Term term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNone;
  }
  lead_ = kNone;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_election_timeout();
  abort_leader_transfer();
  tracker_.reset_votes();
  tracker_.reset_progress(id_, log_.last_index(), log_.persisted_last_index());
  appends_pending_ = false;  // reset_progress cleared every follower's pending append
  uncommitted_size_ = 0;
  read_only_.clear();
  pending_read_requests_.clear();
}

void Raft::reset_randomized_election_timeout() {
  const auto e = static_cast<std::uint64_t>(config_.election_tick);
  randomized_election_timeout_ = config_.election_tick + static_cast<int>(rng_.below(e));
}

bool Raft::promotable() const {
  // A node with a snapshot not yet persisted must not lead: its log is not durable.
  return tracker_.is_member(id_) && !log_.has_pending_snapshot();
}

bool Raft::in_vote_lease() const {
  return config_.switches.vote_lease && lead_ != kNone && election_elapsed_ < config_.election_tick;
}

// --- timers ---

void Raft::tick() {
  if (role_ == StateRole::leader) {
    tick_heartbeat();
  } else {
    tick_election();
  }
}

bool Raft::past_election_timeout() const {
  return election_elapsed_ >= randomized_election_timeout_;
}

void Raft::tick_election() {
  ++election_elapsed_;
  if (promotable() && past_election_timeout()) {
    election_elapsed_ = 0;
    step(Message{.type = MessageType::hup, .from = id_});
  }
}

void Raft::tick_heartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  // The leader's election_elapsed counts to the (non-randomized) election timeout: at
  // each boundary it checks its quorum and gives up a transfer that took too long.
  if (election_elapsed_ >= config_.election_tick) {
    election_elapsed_ = 0;
    if (config_.switches.check_quorum) {
      step(Message{.type = MessageType::check_quorum, .from = id_});
    }
    if (role_ == StateRole::leader && lead_transferee_ != kNone) {
      log_event(
          "[term {}] aborted transferring leadership to {}: it did not finish within "
          "an election timeout",
          term_, lead_transferee_);
      abort_leader_transfer();
    }
  }
  if (role_ != StateRole::leader) return;
  if (heartbeat_elapsed_ >= config_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    step(Message{.type = MessageType::beat, .from = id_});
  }
}

// --- the door ---

ErrorCode Raft::step(const Message& m) {
  if (!step_term(m)) return ErrorCode::ok;
  switch (m.type) {
    case MessageType::hup:
      hup(config_.switches.pre_vote ? CampaignType::pre_election : CampaignType::election);
      return ErrorCode::ok;
    case MessageType::vote:
    case MessageType::pre_vote:
      handle_vote_request(m);
      return ErrorCode::ok;
    default:
      return step_by_role(m);
  }
}

bool Raft::step_term(const Message& m) {
  // Term 0: a local event, or a term-less request forwarded by a follower (proposals and
  // read requests are not bound to a term; the leader decides whether it can serve them).
  if (m.term == 0) return true;

  if (m.term > term_) {
    if (m.type == MessageType::vote || m.type == MessageType::pre_vote) {
      const bool transfer = m.context == kCampaignTransfer;
      if (!transfer && in_vote_lease()) {
        // Rule 1: we heard from a leader within the election timeout. Neither answer nor
        // adopt the term: a node cut off from the leader cannot disturb the others.
        log_event(
            "ignored {} from {} [logterm: {}, index: {}] at term {}: lease is not "
            "expired (remaining ticks: {})",
            to_string(m.type), m.from, m.log_term, m.index, term_,
            config_.election_tick - election_elapsed_);
        return false;
      }
    }
    if (m.type == MessageType::pre_vote) {
      // A pre-vote never changes the receiver's term: the sender has not raised its own.
    } else if (m.type == MessageType::pre_vote_resp && !m.reject) {
      // A granted pre-vote echoes the future term we asked for; we raise our term only
      // once a quorum granted. A rejection carries the rejecter's term and is adopted.
    } else {
      log_event("[term {}] received {} with higher term from {} [term {}]", term_,
                to_string(m.type), m.from, m.term);
      const bool from_leader = m.type == MessageType::app || m.type == MessageType::heartbeat ||
                               m.type == MessageType::snap;
      become_follower(m.term, from_leader ? m.from : kNone);
    }
    return true;
  }

  if (m.term < term_) {
    const bool leader_traffic = m.type == MessageType::app || m.type == MessageType::heartbeat;
    if ((config_.switches.check_quorum || config_.switches.pre_vote) && leader_traffic) {
      // Rule 3: a stale leader is told our term (in an append response) so it steps down.
      // Without this, a node whose term climbed while cut off (its pre-votes or votes were
      // ignored) could never rejoin: it would ignore the leader, and the leader it.
      log_event("[term {}] received {} with lower term from {} [term {}]", term_, to_string(m.type),
                m.from, m.term);
      send(Message{.type = MessageType::app_resp, .to = m.from});
    } else if (m.type == MessageType::pre_vote) {
      // Answer, so that a pre-candidate of a lower term learns ours and stops waiting.
      log_event(
          "[logterm: {}, index: {}, vote: {}] rejected {} from {} [logterm: {}, index: "
          "{}] at term {}",
          log_.last_term(), log_.last_index(), vote_, to_string(m.type), m.from, m.log_term,
          m.index, term_);
      send(
          Message{.type = MessageType::pre_vote_resp, .to = m.from, .term = term_, .reject = true});
    } else {
      log_event("[term {}] ignored {} with lower term from {} [term {}]", term_, to_string(m.type),
                m.from, m.term);
    }
    return false;
  }
  return true;
}

ErrorCode Raft::step_by_role(const Message& m) {
  switch (role_) {
    case StateRole::leader:
      return step_leader(m);
    case StateRole::candidate:
    case StateRole::pre_candidate:
      return step_candidate(m);
    case StateRole::follower:
      return step_follower(m);
  }
  return ErrorCode::ok;
}

void Raft::send(Message&& m) {
  if (m.from == kNone) m.from = id_;
  switch (m.type) {
    case MessageType::vote:
    case MessageType::vote_resp:
    case MessageType::pre_vote:
    case MessageType::pre_vote_resp:
      // Their term is chosen by the caller: a pre-vote asks for term + 1, a grant echoes
      // the request's term.
      break;
    case MessageType::prop:
    case MessageType::read_index:
      // Forwarded requests carry no term (see step_term).
      m.term = 0;
      break;
    default:
      m.term = term_;
      break;
  }
  // Per link, messages leave in the order the leader decided them: an append it owes this
  // follower (coalesced, see flush_appends) goes before a heartbeat or a timeout-now.
  if (appends_pending_ && m.type != MessageType::app && m.type != MessageType::snap &&
      role_ == StateRole::leader && m.to != id_ && tracker_.is_member(m.to)) {
    Progress& pr = tracker_.progress(m.to);
    if (pr.pending_append != PendingAppend::none) flush_append_to(m.to, pr);
  }
  // Room for a message to every peer at once: a Ready's messages start from an empty
  // vector, and growing it one message at a time moved each message several times.
  if (msgs_.capacity() == 0) msgs_.reserve(tracker_.all().size());
  msgs_.push_back(std::move(m));
}

// --- Ready support ---

void Raft::on_persisted(Index index, Term term) {
  log_.stable_to(index, term);
  // Only if the entry is still ours: the tail may have been rewritten since the Ready.
  if (role_ == StateRole::leader && log_.match_term(index, term)) self_ack(index);
}

void Raft::on_applied(Index index, std::uint64_t payload) {
  log_.applied_to(index);
  uncommitted_size_ -= std::min(uncommitted_size_, payload);
}

Status Raft::status() const {
  Status s;
  s.id = id_;
  s.hard_state = hard_state();
  s.soft_state = soft_state();
  s.applied = log_.applied();
  s.first_index = log_.first_index();
  s.last_index = log_.last_index();
  s.election_elapsed = election_elapsed_;
  s.randomized_election_timeout = randomized_election_timeout_;
  s.lead_transferee = lead_transferee_;
  if (role_ == StateRole::leader) {
    for (const auto& [id, pr] : tracker_.all()) s.progress.emplace(id, pr.status());
  }
  return s;
}

}  // namespace faultline::raft
