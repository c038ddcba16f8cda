// Names of the core's enums, as they appear in logs and traces. Message types use etcd's
// raftpb names ("MsgApp") so a faultline trace reads like an etcd one.
#include "raft/types.h"

namespace faultline::raft {

std::string_view to_string(ErrorCode e) {
  switch (e) {
    case ErrorCode::ok:
      return "ok";
    case ErrorCode::no_leader:
      return "no leader";
    case ErrorCode::leader_transferring:
      return "leadership transfer in progress";
    case ErrorCode::proposal_too_large:
      return "proposal too large";
    case ErrorCode::unknown_node:
      return "unknown node";
    case ErrorCode::local_message:
      return "local message";
    case ErrorCode::invalid_message:
      return "invalid message";
    case ErrorCode::compacted:
      return "compacted";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::snapshot_out_of_date:
      return "snapshot out of date";
    case ErrorCode::snapshot_temporarily_unavailable:
      return "snapshot temporarily unavailable";
    case ErrorCode::not_leader:
      return "not leader";
    case ErrorCode::too_many_pending_reads:
      return "too many pending reads";
  }
  return "unknown error";
}

std::string_view to_string(MessageType t) {
  switch (t) {
    case MessageType::hup:
      return "MsgHup";
    case MessageType::beat:
      return "MsgBeat";
    case MessageType::prop:
      return "MsgProp";
    case MessageType::app:
      return "MsgApp";
    case MessageType::app_resp:
      return "MsgAppResp";
    case MessageType::vote:
      return "MsgVote";
    case MessageType::vote_resp:
      return "MsgVoteResp";
    case MessageType::snap:
      return "MsgSnap";
    case MessageType::heartbeat:
      return "MsgHeartbeat";
    case MessageType::heartbeat_resp:
      return "MsgHeartbeatResp";
    case MessageType::unreachable:
      return "MsgUnreachable";
    case MessageType::snap_status:
      return "MsgSnapStatus";
    case MessageType::check_quorum:
      return "MsgCheckQuorum";
    case MessageType::transfer_leader:
      return "MsgTransferLeader";
    case MessageType::timeout_now:
      return "MsgTimeoutNow";
    case MessageType::read_index:
      return "MsgReadIndex";
    case MessageType::read_index_resp:
      return "MsgReadIndexResp";
    case MessageType::pre_vote:
      return "MsgPreVote";
    case MessageType::pre_vote_resp:
      return "MsgPreVoteResp";
  }
  return "MsgUnknown";
}

// Local messages are events of the node itself (timers, transport reports); they never
// travel between nodes, so step() refuses them from outside.
bool is_local(MessageType t) {
  switch (t) {
    case MessageType::hup:
    case MessageType::beat:
    case MessageType::unreachable:
    case MessageType::snap_status:
    case MessageType::check_quorum:
      return true;
    default:
      return false;
  }
}

bool is_response(MessageType t) {
  switch (t) {
    case MessageType::app_resp:
    case MessageType::vote_resp:
    case MessageType::heartbeat_resp:
    case MessageType::unreachable:
    case MessageType::pre_vote_resp:
    case MessageType::read_index_resp:
      return true;
    default:
      return false;
  }
}

std::string_view to_string(StateRole r) {
  switch (r) {
    case StateRole::follower:
      return "StateFollower";
    case StateRole::pre_candidate:
      return "StatePreCandidate";
    case StateRole::candidate:
      return "StateCandidate";
    case StateRole::leader:
      return "StateLeader";
  }
  return "StateUnknown";
}

std::string_view to_string(ProgressState s) {
  switch (s) {
    case ProgressState::probe:
      return "StateProbe";
    case ProgressState::replicate:
      return "StateReplicate";
    case ProgressState::snapshot:
      return "StateSnapshot";
  }
  return "StateUnknown";
}

}  // namespace faultline::raft
