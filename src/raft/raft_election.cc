// Elections: starting a campaign (with or without PreVote), granting votes, and the
// candidate's (and pre-candidate's) handling of messages.
#include <string>

#include "raft/invariant.h"
#include "raft/raft.h"

namespace faultline::raft {
namespace {

MessageType response_type(MessageType request) {
  return request == MessageType::pre_vote ? MessageType::pre_vote_resp : MessageType::vote_resp;
}

}  // namespace

void Raft::hup(CampaignType t) {
  if (role_ == StateRole::leader) return;  // already leader: nothing to campaign for
  if (!promotable()) {
    log_event("is unpromotable and can not campaign");
    return;
  }
  log_event("is starting a new election at term {}", term_);
  campaign(t);
}

void Raft::campaign(CampaignType t) {
  Term term = 0;
  MessageType vote_type = MessageType::vote;
  if (t == CampaignType::pre_election) {
    become_pre_candidate();
    vote_type = MessageType::pre_vote;
    // Pre-votes ask for the term we would campaign at, without raising ours yet.
    term = term_ + 1;
  } else {
    become_candidate();
    term = term_;
  }
  if (poll(id_, response_type(vote_type), true).result == VoteResult::won) {
    // Our own vote was a quorum: a single-node cluster.
    if (t == CampaignType::pre_election) {
      campaign(CampaignType::election);
    } else {
      become_leader();
    }
    return;
  }
  for (NodeId id : tracker_.voters().voters()) {
    if (id == id_) continue;
    log_event("[logterm: {}, index: {}] sent {} request to {} at term {}", log_.last_term(),
              log_.last_index(), to_string(vote_type), id, term_);
    Message m{.type = vote_type,
              .to = id,
              .term = term,
              .log_term = log_.last_term(),
              .index = log_.last_index()};
    // A transfer campaign says so, letting voters bypass their lease: the old leader
    // asked for it, so no one is being disrupted.
    if (t == CampaignType::transfer) m.context = std::string(kCampaignTransfer);
    send(std::move(m));
  }
}

ProgressTracker::Tally Raft::poll(NodeId from, MessageType t, bool granted) {
  if (granted) {
    log_event("received {} from {} at term {}", to_string(t), from, term_);
  } else {
    log_event("received {} rejection from {} at term {}", to_string(t), from, term_);
  }
  tracker_.record_vote(from, granted);
  return tracker_.tally_votes();
}

void Raft::handle_vote_request(const Message& m) {
  const bool pre = m.type == MessageType::pre_vote;
  // We can vote if this repeats a vote we already cast, or we have not voted and know
  // no leader in this term, or it is a pre-vote for a future term (which binds nothing).
  const bool can_vote =
      vote_ == m.from || (vote_ == kNone && lead_ == kNone) || (pre && m.term > term_);
  // The thesis' PreVote: while we hear from a leader (within the election timeout) we
  // refuse to help anyone replace it. Unlike the lease this needs no CheckQuorum.
  const bool hearing_leader = config_.switches.prevote_requires_no_leader && pre &&
                              lead_ != kNone && election_elapsed_ < config_.election_tick;
  if (can_vote && !hearing_leader && log_.is_up_to_date(m.index, m.log_term)) {
    log_event(
        "[logterm: {}, index: {}, vote: {}] cast {} for {} [logterm: {}, index: {}] at "
        "term {}",
        log_.last_term(), log_.last_index(), vote_, to_string(m.type), m.from, m.log_term, m.index,
        term_);
    // The grant carries the request's term, not ours: for a pre-vote ours is lower, and
    // the pre-candidate must not read the answer as stale.
    send(Message{.type = response_type(m.type), .to = m.from, .term = m.term});
    if (!pre) {
      // Only a real vote is recorded (and persisted): a pre-vote changes no state.
      election_elapsed_ = 0;
      vote_ = m.from;
    }
    return;
  }
  if (hearing_leader) {
    log_event(
        "[logterm: {}, index: {}, vote: {}] rejected {} from {} [logterm: {}, index: {}] "
        "at term {}: hearing from leader {} (remaining ticks: {})",
        log_.last_term(), log_.last_index(), vote_, to_string(m.type), m.from, m.log_term, m.index,
        term_, lead_, config_.election_tick - election_elapsed_);
  } else {
    log_event(
        "[logterm: {}, index: {}, vote: {}] rejected {} from {} [logterm: {}, index: {}] "
        "at term {}",
        log_.last_term(), log_.last_index(), vote_, to_string(m.type), m.from, m.log_term, m.index,
        term_);
  }
  send(Message{.type = response_type(m.type), .to = m.from, .term = term_, .reject = true});
}

ErrorCode Raft::step_candidate(const Message& m) {
  // A pre-candidate only counts pre-vote answers, a candidate only real ones: the other
  // kind is left over from an earlier campaign.
  const MessageType my_response =
      role_ == StateRole::pre_candidate ? MessageType::pre_vote_resp : MessageType::vote_resp;
  switch (m.type) {
    case MessageType::prop:
      log_event("no leader at term {}; dropping proposal", term_);
      return ErrorCode::no_leader;
    case MessageType::read_index:
      log_event("no leader at term {}; dropping index reading msg", term_);
      return ErrorCode::no_leader;
    case MessageType::transfer_leader:
      log_event("no leader at term {}; dropping leader transfer msg", term_);
      return ErrorCode::no_leader;
    case MessageType::app:
      // A leader of our term exists (a term has one leader): follow it.
      become_follower(m.term, m.from);
      handle_append_entries(m);
      return ErrorCode::ok;
    case MessageType::heartbeat:
      become_follower(m.term, m.from);
      handle_heartbeat(m);
      return ErrorCode::ok;
    case MessageType::snap:
      become_follower(m.term, m.from);
      handle_snapshot(m);
      return ErrorCode::ok;
    case MessageType::timeout_now:
      log_event("[term {}] ignored MsgTimeoutNow from {}: not a follower", term_, m.from);
      return ErrorCode::ok;
    default:
      break;
  }
  if (m.type != my_response) return ErrorCode::ok;

  const auto tally = poll(m.from, m.type, !m.reject);
  log_event("has received {} {} votes and {} vote rejections", tally.granted, to_string(m.type),
            tally.rejected);
  if (tally.result == VoteResult::won) {
    if (role_ == StateRole::pre_candidate) {
      campaign(CampaignType::election);
    } else {
      become_leader();
      // The empty entry of the new term goes out with the next Ready.
      schedule_bcast_append(PendingAppend::new_entries);
    }
  } else if (tally.result == VoteResult::lost) {
    // A pre-vote answer carries a future term; stay at ours.
    become_follower(term_, kNone);
  }
  return ErrorCode::ok;
}

}  // namespace faultline::raft
