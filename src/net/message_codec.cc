// raft::Message <-> peerpb::RaftMessage.
#include "net/message_codec.h"

namespace faultline::net {
namespace {

// The highest MessageType value the core defines (pre_vote_resp); anything above is not a
// message this build understands.
constexpr std::uint32_t kLastMessageType =
    static_cast<std::uint32_t>(raft::MessageType::pre_vote_resp);

}  // namespace

void to_proto(const raft::Message& m, peerpb::RaftMessage& out) {
  out.set_type(static_cast<std::uint32_t>(m.type));
  out.set_to(m.to);
  out.set_from(m.from);
  out.set_term(m.term);
  out.set_log_term(m.log_term);
  out.set_index(m.index);
  out.set_commit(m.commit);
  out.set_reject(m.reject);
  out.set_reject_hint(m.reject_hint);
  if (!m.context.empty()) out.set_context(m.context);
  out.mutable_entries()->Reserve(static_cast<int>(m.entries.size()));
  for (const raft::Entry& e : m.entries) {
    peerpb::Entry* pe = out.add_entries();
    pe->set_term(e.term);
    pe->set_index(e.index);
    pe->set_data(e.data);
  }
  if (!m.snapshot.empty()) {
    peerpb::Snapshot* ps = out.mutable_snapshot();
    ps->set_data(m.snapshot.data);
    ps->mutable_metadata()->set_index(m.snapshot.metadata.index);
    ps->mutable_metadata()->set_term(m.snapshot.metadata.term);
    for (raft::NodeId v : m.snapshot.metadata.voters) ps->mutable_metadata()->add_voters(v);
  }
}

std::optional<raft::Message> from_proto(const peerpb::RaftMessage& m, std::string* error) {
  if (m.type() > kLastMessageType) {
    if (error) *error = "unknown raft message type " + std::to_string(m.type());
    return std::nullopt;
  }
  raft::Message out;
  out.type = static_cast<raft::MessageType>(m.type());
  if (raft::is_local(out.type)) {
    if (error) *error = "local-only raft message type " + std::string(raft::to_string(out.type));
    return std::nullopt;
  }
  if (m.from() == raft::kNone || m.to() == raft::kNone) {
    if (error) *error = "raft message without sender or receiver";
    return std::nullopt;
  }
  out.to = m.to();
  out.from = m.from();
  out.term = m.term();
  out.log_term = m.log_term();
  out.index = m.index();
  out.commit = m.commit();
  out.reject = m.reject();
  out.reject_hint = m.reject_hint();
  out.context = m.context();
  out.entries.reserve(static_cast<std::size_t>(m.entries_size()));
  for (const peerpb::Entry& e : m.entries()) {
    out.entries.push_back(raft::Entry{e.term(), e.index(), e.data()});
  }
  if (m.has_snapshot()) {
    out.snapshot.data = m.snapshot().data();
    out.snapshot.metadata.index = m.snapshot().metadata().index();
    out.snapshot.metadata.term = m.snapshot().metadata().term();
    out.snapshot.metadata.voters.assign(m.snapshot().metadata().voters().begin(),
                                        m.snapshot().metadata().voters().end());
  }
  return out;
}

std::string encode_batch(const std::vector<raft::Message>& messages) {
  peerpb::RaftBatch batch;
  batch.mutable_messages()->Reserve(static_cast<int>(messages.size()));
  for (const raft::Message& m : messages) to_proto(m, *batch.add_messages());
  return batch.SerializeAsString();
}

bool decode_batch(std::string_view payload, std::vector<raft::Message>& out, std::string* error) {
  out.clear();
  peerpb::RaftBatch batch;
  if (!batch.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    if (error) *error = "raft batch is not a valid protobuf message";
    return false;
  }
  out.reserve(static_cast<std::size_t>(batch.messages_size()));
  for (const peerpb::RaftMessage& pm : batch.messages()) {
    std::optional<raft::Message> m = from_proto(pm, error);
    if (!m) {
      out.clear();
      return false;
    }
    out.push_back(std::move(*m));
  }
  return true;
}

}  // namespace faultline::net
