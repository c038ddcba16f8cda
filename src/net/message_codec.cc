// raft::Message <-> peerpb::RaftMessage.
#include "net/message_codec.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "net/frame.h"

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
  // A snapshot at index 0 is no snapshot (Snapshot::empty()): the encoder leaves it out, so
  // the decoder does too rather than hand the core data it would treat as absent.
  if (m.has_snapshot() && m.snapshot().metadata().index() != 0) {
    out.snapshot.data = m.snapshot().data();
    out.snapshot.metadata.index = m.snapshot().metadata().index();
    out.snapshot.metadata.term = m.snapshot().metadata().term();
    out.snapshot.metadata.voters.assign(m.snapshot().metadata().voters().begin(),
                                        m.snapshot().metadata().voters().end());
  }
  return out;
}

// ---------------------------------------------------------------- encoding
// The protobuf wire format of peer.proto, written by hand: a field is a varint tag
// (number << 3 | wire type) then a varint or a length-prefixed body; proto3 leaves out
// fields holding their default, and protobuf writes fields in number order, as here.
namespace {

constexpr std::uint8_t kVarint = 0;
constexpr std::uint8_t kBytes = 2;

constexpr std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Tags of fields 1..15 take one byte.
constexpr char tag(int field, std::uint8_t wire_type) {
  return static_cast<char>((field << 3) | wire_type);
}

std::size_t uint_field_size(std::uint64_t v) { return v == 0 ? 0 : 1 + varint_size(v); }
std::size_t bytes_field_size(std::size_t n) { return 1 + varint_size(n) + n; }

std::size_t entry_size(const raft::Entry& e) {
  return uint_field_size(e.term) + uint_field_size(e.index) +
         (e.data.empty() ? 0 : bytes_field_size(e.data.size()));
}

// The body of the packed `voters` field (proto3 packs repeated scalars).
std::size_t voters_size(const raft::SnapshotMetadata& m) {
  std::size_t n = 0;
  for (raft::NodeId v : m.voters) n += varint_size(v);
  return n;
}

std::size_t metadata_size(const raft::SnapshotMetadata& m) {
  const std::size_t voters = voters_size(m);
  return uint_field_size(m.index) + uint_field_size(m.term) +
         (voters == 0 ? 0 : bytes_field_size(voters));
}

std::size_t snapshot_size(const raft::Snapshot& s) {
  return (s.data.empty() ? 0 : bytes_field_size(s.data.size())) +
         bytes_field_size(metadata_size(s.metadata));
}

std::size_t message_size(const raft::Message& m) {
  std::size_t n = uint_field_size(static_cast<std::uint32_t>(m.type)) + uint_field_size(m.to) +
                  uint_field_size(m.from) + uint_field_size(m.term) + uint_field_size(m.log_term) +
                  uint_field_size(m.index);
  for (const raft::Entry& e : m.entries) n += bytes_field_size(entry_size(e));
  n += uint_field_size(m.commit);
  if (!m.snapshot.empty()) n += bytes_field_size(snapshot_size(m.snapshot));
  n += m.reject ? 2 : 0;
  n += uint_field_size(m.reject_hint);
  if (!m.context.empty()) n += bytes_field_size(m.context.size());
  return n;
}

// Writes into a buffer sized beforehand by the *_size functions.
class WireWriter {
 public:
  explicit WireWriter(char* p) : p_(p) {}
  char* position() const { return p_; }

  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void uint_field(int field, std::uint64_t v) {
    if (v == 0) return;
    *p_++ = tag(field, kVarint);
    varint(v);
  }
  void bytes_field(int field, std::string_view bytes) {
    *p_++ = tag(field, kBytes);
    varint(bytes.size());
    std::memcpy(p_, bytes.data(), bytes.size());
    p_ += bytes.size();
  }
  void nested(int field, std::size_t size) {
    *p_++ = tag(field, kBytes);
    varint(size);
  }

  void message(const raft::Message& m) {
    uint_field(1, static_cast<std::uint32_t>(m.type));
    uint_field(2, m.to);
    uint_field(3, m.from);
    uint_field(4, m.term);
    uint_field(5, m.log_term);
    uint_field(6, m.index);
    for (const raft::Entry& e : m.entries) {
      nested(7, entry_size(e));
      uint_field(1, e.term);
      uint_field(2, e.index);
      if (!e.data.empty()) bytes_field(3, e.data);
    }
    uint_field(8, m.commit);
    if (!m.snapshot.empty()) {
      const raft::Snapshot& s = m.snapshot;
      nested(9, snapshot_size(s));
      if (!s.data.empty()) bytes_field(1, s.data);
      nested(2, metadata_size(s.metadata));
      uint_field(1, s.metadata.index);
      uint_field(2, s.metadata.term);
      if (const std::size_t voters = voters_size(s.metadata); voters > 0) {
        nested(3, voters);
        for (raft::NodeId v : s.metadata.voters) varint(v);
      }
    }
    uint_field(10, m.reject ? 1 : 0);
    uint_field(11, m.reject_hint);
    if (!m.context.empty()) bytes_field(12, m.context);
  }

 private:
  char* p_;
};

// Appends the RaftBatch encoding of `messages` to `out`.
void append_batch(std::string& out, std::span<const raft::Message> messages) {
  std::size_t total = 0;
  for (const raft::Message& m : messages) total += bytes_field_size(message_size(m));
  const std::size_t start = out.size();
  out.resize(start + total);
  WireWriter w(out.data() + start);
  for (const raft::Message& m : messages) {
    w.nested(1, message_size(m));
    w.message(m);
  }
  if (w.position() != out.data() + out.size()) {
    throw std::logic_error("raft batch encoder: size and bytes disagree");
  }
}

}  // namespace

std::string encode_batch(const std::vector<raft::Message>& messages) {
  std::string out;
  append_batch(out, messages);
  return out;
}

void append_batch_frame(std::string& out, std::span<const raft::Message> messages) {
  const std::size_t header = out.size();
  out.append(kFrameHeaderBytes, '\0');
  append_batch(out, messages);
  finish_frame(out, header, FrameType::raft_batch);
}

// ---------------------------------------------------------------- decoding

bool decode_batch(std::string_view payload, std::vector<raft::Message>& out, std::string* error) {
  out.clear();
  // One arena for the parsed batch: its messages and entries are copied out right away, so
  // a few block allocations replace one per message, entry and string.
  google::protobuf::ArenaOptions options;
  // A multiple of 8: protobuf keeps its list of destructors to run at the block's end, and
  // an odd size left those entries misaligned (undefined behaviour; found by fuzz/peer_batch).
  options.start_block_size =
      (std::max<std::size_t>(1024, payload.size() * 2) + 7) & ~std::size_t{7};
  google::protobuf::Arena arena(options);
  peerpb::RaftBatch& batch = *google::protobuf::Arena::CreateMessage<peerpb::RaftBatch>(&arena);
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
