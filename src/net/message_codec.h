// Converts the core's raft::Message to and from the peer transport's protobuf form
// (proto/faultline/peer.proto). Decoding validates what protobuf cannot: a type the core
// does not know, or a local-only type (hup, beat, ...) that must never cross the wire,
// is an error, so a corrupt or hostile peer cannot inject an election.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/peer.pb.h"
#include "raft/types.h"

namespace faultline::net {

void to_proto(const raft::Message& m, peerpb::RaftMessage& out);
// nullopt (with `error` saying why) for a message that must not reach the core.
std::optional<raft::Message> from_proto(const peerpb::RaftMessage& m, std::string* error);

// A whole batch as the payload of one raft_batch frame. Written straight from the messages,
// with no protobuf objects in between, byte for byte what protobuf would write for
// to_proto() of each (a test checks it): the leader encodes every entry it replicates.
std::string encode_batch(const std::vector<raft::Message>& messages);
// Appends a whole raft_batch frame (frame.h) holding `messages` to `out`.
void append_batch_frame(std::string& out, std::span<const raft::Message> messages);
// Parses a raft_batch payload; false (with `error`) if any message is malformed, in which
// case `out` is left empty: a batch is accepted whole or not at all.
bool decode_batch(std::string_view payload, std::vector<raft::Message>& out, std::string* error);

}  // namespace faultline::net
