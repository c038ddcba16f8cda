#include "testlib/describe.h"

#include <array>
#include <cstdio>
#include <utility>

namespace faultline::raft::testlib {
namespace {

constexpr std::array<std::pair<MessageType, std::string_view>, 19> kMessageNames{{
    {MessageType::hup, "MsgHup"},
    {MessageType::beat, "MsgBeat"},
    {MessageType::prop, "MsgProp"},
    {MessageType::app, "MsgApp"},
    {MessageType::app_resp, "MsgAppResp"},
    {MessageType::vote, "MsgVote"},
    {MessageType::vote_resp, "MsgVoteResp"},
    {MessageType::snap, "MsgSnap"},
    {MessageType::heartbeat, "MsgHeartbeat"},
    {MessageType::heartbeat_resp, "MsgHeartbeatResp"},
    {MessageType::unreachable, "MsgUnreachable"},
    {MessageType::snap_status, "MsgSnapStatus"},
    {MessageType::check_quorum, "MsgCheckQuorum"},
    {MessageType::transfer_leader, "MsgTransferLeader"},
    {MessageType::timeout_now, "MsgTimeoutNow"},
    {MessageType::read_index, "MsgReadIndex"},
    {MessageType::read_index_resp, "MsgReadIndexResp"},
    {MessageType::pre_vote, "MsgPreVote"},
    {MessageType::pre_vote_resp, "MsgPreVoteResp"},
}};

// Go's %q for the bytes the tests use: printable ASCII as is, the rest escaped.
std::string quote(std::string_view data) {
  std::string out = "\"";
  for (unsigned char c : data) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  out += '"';
  return out;
}

std::string ids(const std::vector<NodeId>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ' ';
    out += std::to_string(v[i]);
  }
  return out + "]";
}

}  // namespace

std::string_view message_type_name(MessageType t) {
  for (const auto& [type, name] : kMessageNames) {
    if (type == t) return name;
  }
  return "MsgUnknown";
}

std::optional<MessageType> parse_message_type(std::string_view name) {
  for (const auto& [type, known] : kMessageNames) {
    if (known == name) return type;
  }
  return std::nullopt;
}

std::string_view role_name(StateRole r) {
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

std::string_view progress_state_name(ProgressState s) {
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

std::string describe_entry(const Entry& e) {
  return std::to_string(e.term) + "/" + std::to_string(e.index) + " EntryNormal " + quote(e.data);
}

std::string describe_entries(const std::vector<Entry>& entries) {
  std::string out = "[";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out += ", ";
    out += describe_entry(entries[i]);
  }
  return out + "]";
}

std::string describe_snapshot(const Snapshot& s) {
  return "Index:" + std::to_string(s.metadata.index) + " Term:" + std::to_string(s.metadata.term) +
         " Voters:" + ids(s.metadata.voters);
}

std::string describe_message(const Message& m) {
  std::string out = std::to_string(m.from) + "->" + std::to_string(m.to) + " " +
                    std::string(message_type_name(m.type)) + " Term:" + std::to_string(m.term) +
                    " Log:" + std::to_string(m.log_term) + "/" + std::to_string(m.index);
  if (m.reject) out += " Rejected (Hint: " + std::to_string(m.reject_hint) + ")";
  if (m.commit != 0) out += " Commit:" + std::to_string(m.commit);
  if (!m.entries.empty()) out += " Entries:" + describe_entries(m.entries);
  if (!m.snapshot.empty()) out += " Snapshot: " + describe_snapshot(m.snapshot);
  if (!m.context.empty()) out += " Context:" + quote(m.context);
  return out;
}

std::vector<std::string> describe_ready(const Ready& rd) {
  std::vector<std::string> lines;
  lines.push_back(std::string("Ready MustSync=") + (rd.must_sync ? "true" : "false") + ":");
  if (rd.has_soft_state) {
    lines.push_back("Lead:" + std::to_string(rd.soft_state.leader) +
                    " State:" + std::string(role_name(rd.soft_state.role)));
  }
  if (rd.has_hard_state) {
    lines.push_back("HardState Term:" + std::to_string(rd.hard_state.term) +
                    " Vote:" + std::to_string(rd.hard_state.vote) +
                    " Commit:" + std::to_string(rd.hard_state.commit));
  }
  if (!rd.read_states.empty()) {
    std::string line = "ReadStates:";
    for (const ReadState& r : rd.read_states) {
      line += " {Index:" + std::to_string(r.index) + " Context:" + quote(r.context) + "}";
    }
    lines.push_back(line);
  }
  if (!rd.entries.empty()) {
    lines.push_back("Entries:");
    for (const Entry& e : rd.entries) lines.push_back(describe_entry(e));
  }
  if (!rd.snapshot.empty()) lines.push_back("Snapshot " + describe_snapshot(rd.snapshot));
  if (!rd.committed_entries.empty()) {
    lines.push_back("CommittedEntries:");
    for (const Entry& e : rd.committed_entries) lines.push_back(describe_entry(e));
  }
  if (!rd.messages.empty()) {
    lines.push_back("Messages:");
    for (const Message& m : rd.messages) lines.push_back(describe_message(m));
  }
  return lines;
}

std::vector<std::string> describe_status(const Status& s) {
  std::vector<std::string> lines;
  std::string head =
      std::to_string(s.id) + ": " + std::string(role_name(s.soft_state.role)) +
      " Term:" + std::to_string(s.hard_state.term) + " Vote:" + std::to_string(s.hard_state.vote) +
      " Lead:" + std::to_string(s.soft_state.leader) +
      " Commit:" + std::to_string(s.hard_state.commit) + " Applied:" + std::to_string(s.applied) +
      " Log:" + std::to_string(s.first_index) + ".." + std::to_string(s.last_index);
  if (s.lead_transferee != kNone) head += " Transferee:" + std::to_string(s.lead_transferee);
  lines.push_back(head);
  for (const auto& [id, p] : s.progress) {
    std::string line = "  " + std::to_string(id) + ": " +
                       std::string(progress_state_name(p.state)) +
                       " match=" + std::to_string(p.match) + " next=" + std::to_string(p.next);
    if (!p.recent_active) line += " inactive";
    if (p.probe_sent) line += " paused";
    if (p.pending_snapshot != 0) line += " pendingSnap=" + std::to_string(p.pending_snapshot);
    if (p.inflight_count != 0) line += " inflight=" + std::to_string(p.inflight_count);
    lines.push_back(line);
  }
  return lines;
}

}  // namespace faultline::raft::testlib
