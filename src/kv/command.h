// The write command that travels through the Raft log: one Put, DeleteRange or Txn plus the
// request id the server uses to wake the client waiting for it once the entry is applied.
// Compact binary, versioned, checked on decode (a malformed entry is an error, never a crash).
//
//   std::string data = kv::encode({.request_id = id, .request = put});
//   node.propose(data);
//   ... when the entry is committed:
//   kv::Command cmd; std::string error;
//   if (!kv::decode(entry.data, cmd, error)) { /* refuse to apply: corrupt log */ }
//   kv::ApplyResult r = store.apply(cmd);   // r answers the client with id cmd.request_id
//
// Encoding (version 1): u8 version, varint request_id, u8 kind (1 put, 2 delete, 3 txn), then
// the request's fields in declaration order: strings as varint length + bytes, integers as
// zigzag varints, bools as one byte, enums as one byte, lists as varint count + items.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "kv/api.h"

namespace faultline::kv {

using WriteRequest = std::variant<PutRequest, DeleteRangeRequest, TxnRequest>;

struct Command {
  std::uint64_t request_id = 0;
  WriteRequest request{};

  bool operator==(const Command&) const = default;
};

std::string encode(const Command& command);
// Fills `out` and returns true, or returns false with `error` saying what is wrong (and leaves
// `out` unspecified).
bool decode(std::string_view bytes, Command& out, std::string& error);

}  // namespace faultline::kv
