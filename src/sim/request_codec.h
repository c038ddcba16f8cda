// How a client request travels through the Raft log: the entry's data carries the
// operation id, so whichever node applies the entry knows which request it answers (the
// node that received the request answers the client once it has applied it, as etcd
// does). Layout, little-endian: kind (1 byte) | op id (8) | key number (4): 13 bytes, which
// fits std::string's inline buffer, so copying an entry allocates nothing. The written
// value is not carried: it is a function of the op id (value_of), so the state machine
// keeps the op id of each key's last write. (The simulator models no bandwidth, so value
// bytes on the wire would only cost time.) An empty entry (a new leader's no-op) carries
// no request.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::sim {

struct DecodedRequest {
  std::uint64_t op = 0;
  std::uint32_t key = 0;
};

inline constexpr char kWriteTag = 'W';
inline constexpr std::size_t kRequestHeader = 1 + 8 + 4;

inline std::string encode_write(std::uint64_t op, std::uint32_t key) {
  std::string data(kRequestHeader, '\0');
  data[0] = kWriteTag;
  std::memcpy(data.data() + 1, &op, 8);
  std::memcpy(data.data() + 9, &key, 4);
  return data;
}

inline std::optional<DecodedRequest> decode_write(std::string_view data) {
  if (data.size() != kRequestHeader || data[0] != kWriteTag) return std::nullopt;
  DecodedRequest r;
  std::memcpy(&r.op, data.data() + 1, 8);
  std::memcpy(&r.key, data.data() + 9, 4);
  return r;
}

// The value written by operation `op`: its id, zero-padded to the value size, so every
// write is unique (the linearizability check needs that) and as long as the scenario says
// (longer only if the id has more digits than the size allows).
inline std::string value_of(std::uint64_t op, int size) {
  std::string digits = std::to_string(op);
  if (static_cast<int>(digits.size()) >= size) return digits;
  return std::string(static_cast<std::size_t>(size) - digits.size(), '0') + digits;
}

// A read's ReadIndex context is its operation id, 8 bytes.
inline std::string encode_read_context(std::uint64_t op) {
  std::string ctx(8, '\0');
  std::memcpy(ctx.data(), &op, 8);
  return ctx;
}

inline std::optional<std::uint64_t> decode_read_context(std::string_view ctx) {
  if (ctx.size() != 8) return std::nullopt;
  std::uint64_t op = 0;
  std::memcpy(&op, ctx.data(), 8);
  return op;
}

// FNV-1a: a portable, deterministic fingerprint of entry data for the invariant checks.
inline std::uint64_t fingerprint(std::string_view data) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : data) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace faultline::sim
