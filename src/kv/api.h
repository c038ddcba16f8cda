// The key-value API as plain C++ structs, mirroring etcd's v3 KV requests and responses
// (Range, Put, DeleteRange, Txn) field for field, so the server's gRPC layer only copies
// fields. No protobuf here. The semantics live in store.h; the wire form of a write for the
// Raft log lives in command.h.
//
// Range conventions (etcd's): `range_end` empty = the single key `key`; `range_end` == "\0"
// (one zero byte) = every key >= `key`; otherwise the half-open range [key, range_end) — so a
// prefix p is key = p, range_end = p with its last byte + 1 (key "\0" with range_end "\0" is
// every key).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace faultline::kv {

// etcd's revision: a cluster-wide counter raised by one by every write (a put, a delete that
// deletes something, a txn with writes — one revision per txn). It starts at 1 (etcd's
// empty store reports revision 1).
using Revision = std::int64_t;

// etcd refuses requests larger than this (--max-request-bytes default, 1.5 MiB).
inline constexpr std::size_t kMaxRequestBytes = 1536 * 1024;
// etcd's --max-txn-ops default: the most compares / success ops / failure ops in one Txn.
inline constexpr std::size_t kMaxTxnOps = 128;

struct KeyValue {
  std::string key{};
  Revision create_revision = 0;
  Revision mod_revision = 0;
  std::int64_t version = 0;  // 1 on creation, +1 per put; a deleted key starts again at 1
  std::string value{};
  std::int64_t lease = 0;  // always 0: leases are not supported

  bool operator==(const KeyValue&) const = default;
};

enum class SortOrder : std::uint8_t { none, ascend, descend };
enum class SortTarget : std::uint8_t { key, version, create, mod, value };

struct RangeRequest {
  std::string key{};
  std::string range_end{};
  std::int64_t limit = 0;  // <= 0: no limit
  Revision revision = 0;   // <= 0: the current revision; anything else but it is refused
  SortOrder sort_order = SortOrder::none;
  SortTarget sort_target = SortTarget::key;
  bool serializable = false;  // the server's concern (skip ReadIndex); kv ignores it
  bool keys_only = false;
  bool count_only = false;
  Revision min_mod_revision = 0;  // 0: no bound (each of these four)
  Revision max_mod_revision = 0;
  Revision min_create_revision = 0;
  Revision max_create_revision = 0;

  bool operator==(const RangeRequest&) const = default;
};

struct RangeResponse {
  Revision revision = 0;  // the header revision
  std::vector<KeyValue> kvs{};
  bool more = false;       // more keys matched than `limit` let through
  std::int64_t count = 0;  // keys in the range (ignores limit and the revision filters)

  bool operator==(const RangeResponse&) const = default;
};

struct PutRequest {
  std::string key{};
  std::string value{};
  std::int64_t lease = 0;  // non-zero: refused when applied (lease_not_found: no leases here)
  bool prev_kv = false;
  bool ignore_value = false;  // keep the key's value (the key must exist: key_not_found)
  bool ignore_lease = false;  // keep the key's lease, always none (the key must exist)

  bool operator==(const PutRequest&) const = default;
};

struct PutResponse {
  Revision revision = 0;
  std::optional<KeyValue> prev_kv{};  // when asked for and the key existed

  bool operator==(const PutResponse&) const = default;
};

struct DeleteRangeRequest {
  std::string key{};
  std::string range_end{};
  bool prev_kv = false;

  bool operator==(const DeleteRangeRequest&) const = default;
};

struct DeleteRangeResponse {
  Revision revision = 0;
  std::int64_t deleted = 0;
  std::vector<KeyValue> prev_kvs{};  // when asked for

  bool operator==(const DeleteRangeResponse&) const = default;
};

enum class CompareResult : std::uint8_t { equal, greater, less, not_equal };
enum class CompareTarget : std::uint8_t { version, create, mod, value, lease };

// Compares `target` of every key in [key, range_end) with the operand of that target. etcd's
// rules for missing keys: a value compare on a missing key is false; the other targets compare
// a missing key as 0.
struct Compare {
  CompareResult result = CompareResult::equal;
  CompareTarget target = CompareTarget::version;
  std::string key{};
  std::string range_end{};
  std::int64_t version = 0;      // operand when target == version
  Revision create_revision = 0;  // operand when target == create
  Revision mod_revision = 0;     // operand when target == mod
  std::string value{};           // operand when target == value
  std::int64_t lease = 0;        // operand when target == lease

  bool operator==(const Compare&) const = default;
};

// One operation of a Txn branch. Nested txns (etcd's request_txn) are not supported: the
// server answers them with UNIMPLEMENTED before they reach kv.
using RequestOp = std::variant<RangeRequest, PutRequest, DeleteRangeRequest>;
using ResponseOp = std::variant<RangeResponse, PutResponse, DeleteRangeResponse>;

struct TxnRequest {
  std::vector<Compare> compare{};
  std::vector<RequestOp> success{};
  std::vector<RequestOp> failure{};

  bool operator==(const TxnRequest&) const = default;
};

struct TxnResponse {
  Revision revision = 0;  // after the txn (one revision for all its writes)
  bool succeeded = false;
  std::vector<ResponseOp> responses{};  // one per op of the branch taken

  bool operator==(const TxnResponse&) const = default;
};

// Why a request was refused. A refused request changes no state. The comment gives etcd's
// gRPC status and message, which the server returns (server/etcd_errors.cc).
enum class KvError : std::uint8_t {
  ok,
  empty_key,          // INVALID_ARGUMENT "etcdserver: key is not provided"
  value_provided,     // INVALID_ARGUMENT "etcdserver: value is provided" (ignore_value + value)
  lease_provided,     // INVALID_ARGUMENT "etcdserver: lease is provided" (ignore_lease + lease)
  key_not_found,      // INVALID_ARGUMENT "etcdserver: key not found" (ignore_* on a missing key)
  invalid_sort,       // INVALID_ARGUMENT "etcdserver: invalid sort option" (not in the enum)
  invalid_compare,    // INVALID_ARGUMENT (faultline's): a compare result or target not in the enum
  lease_not_found,    // NOT_FOUND "etcdserver: requested lease not found" (no leases here)
  too_many_ops,       // INVALID_ARGUMENT "etcdserver: too many operations in txn request"
  duplicate_key,      // INVALID_ARGUMENT "etcdserver: duplicate key given in txn request"
  future_revision,    // OUT_OF_RANGE "etcdserver: mvcc: required revision is a future revision"
  past_revision,      // UNIMPLEMENTED: a revision older than the current one (no history)
  request_too_large,  // INVALID_ARGUMENT "etcdserver: request is too large"
};

}  // namespace faultline::kv
