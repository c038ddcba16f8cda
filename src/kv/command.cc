// Binary encoding of write commands for the Raft log; see command.h for the layout.
#include "kv/command.h"

#include "kv/byte_codec.h"

namespace faultline::kv {
namespace {

constexpr std::uint8_t kCommandVersion = 1;
enum Kind : std::uint8_t { kPut = 1, kDelete = 2, kTxn = 3, kRange = 4 };

void write(ByteWriter& w, const RangeRequest& r) {
  w.bytes(r.key);
  w.bytes(r.range_end);
  w.zigzag(r.limit);
  w.zigzag(r.revision);
  w.u8(static_cast<std::uint8_t>(r.sort_order));
  w.u8(static_cast<std::uint8_t>(r.sort_target));
  w.boolean(r.serializable);
  w.boolean(r.keys_only);
  w.boolean(r.count_only);
  w.zigzag(r.min_mod_revision);
  w.zigzag(r.max_mod_revision);
  w.zigzag(r.min_create_revision);
  w.zigzag(r.max_create_revision);
}

void write(ByteWriter& w, const PutRequest& r) {
  w.bytes(r.key);
  w.bytes(r.value);
  w.zigzag(r.lease);
  w.boolean(r.prev_kv);
  w.boolean(r.ignore_value);
  w.boolean(r.ignore_lease);
}

void write(ByteWriter& w, const DeleteRangeRequest& r) {
  w.bytes(r.key);
  w.bytes(r.range_end);
  w.boolean(r.prev_kv);
}

void write(ByteWriter& w, const Compare& c) {
  w.u8(static_cast<std::uint8_t>(c.result));
  w.u8(static_cast<std::uint8_t>(c.target));
  w.bytes(c.key);
  w.bytes(c.range_end);
  w.zigzag(c.version);
  w.zigzag(c.create_revision);
  w.zigzag(c.mod_revision);
  w.bytes(c.value);
  w.zigzag(c.lease);
}

void write_ops(ByteWriter& w, const std::vector<RequestOp>& ops) {
  w.varint(ops.size());
  for (const RequestOp& op : ops) {
    if (const auto* r = std::get_if<RangeRequest>(&op)) {
      w.u8(kRange);
      write(w, *r);
    } else if (const auto* p = std::get_if<PutRequest>(&op)) {
      w.u8(kPut);
      write(w, *p);
    } else {
      w.u8(kDelete);
      write(w, std::get<DeleteRangeRequest>(op));
    }
  }
}

void write(ByteWriter& w, const TxnRequest& t) {
  w.varint(t.compare.size());
  for (const Compare& c : t.compare) write(w, c);
  write_ops(w, t.success);
  write_ops(w, t.failure);
}

template <typename Enum>
Enum read_enum(ByteReader& r, std::string_view field, Enum last) {
  std::uint8_t v = r.u8(field);
  if (v > static_cast<std::uint8_t>(last)) r.fail(std::string(field) + ": value out of range");
  return static_cast<Enum>(v);
}

void read(ByteReader& in, RangeRequest& r) {
  r.key = in.bytes("range.key");
  r.range_end = in.bytes("range.range_end");
  r.limit = in.zigzag("range.limit");
  r.revision = in.zigzag("range.revision");
  r.sort_order = read_enum(in, "range.sort_order", SortOrder::descend);
  r.sort_target = read_enum(in, "range.sort_target", SortTarget::value);
  r.serializable = in.boolean("range.serializable");
  r.keys_only = in.boolean("range.keys_only");
  r.count_only = in.boolean("range.count_only");
  r.min_mod_revision = in.zigzag("range.min_mod_revision");
  r.max_mod_revision = in.zigzag("range.max_mod_revision");
  r.min_create_revision = in.zigzag("range.min_create_revision");
  r.max_create_revision = in.zigzag("range.max_create_revision");
}

void read(ByteReader& in, PutRequest& r) {
  r.key = in.bytes("put.key");
  r.value = in.bytes("put.value");
  r.lease = in.zigzag("put.lease");
  r.prev_kv = in.boolean("put.prev_kv");
  r.ignore_value = in.boolean("put.ignore_value");
  r.ignore_lease = in.boolean("put.ignore_lease");
}

void read(ByteReader& in, DeleteRangeRequest& r) {
  r.key = in.bytes("delete.key");
  r.range_end = in.bytes("delete.range_end");
  r.prev_kv = in.boolean("delete.prev_kv");
}

void read(ByteReader& in, Compare& c) {
  c.result = read_enum(in, "compare.result", CompareResult::not_equal);
  c.target = read_enum(in, "compare.target", CompareTarget::lease);
  c.key = in.bytes("compare.key");
  c.range_end = in.bytes("compare.range_end");
  c.version = in.zigzag("compare.version");
  c.create_revision = in.zigzag("compare.create_revision");
  c.mod_revision = in.zigzag("compare.mod_revision");
  c.value = in.bytes("compare.value");
  c.lease = in.zigzag("compare.lease");
}

void read_ops(ByteReader& in, std::vector<RequestOp>& ops) {
  const std::uint64_t n = in.count("txn.ops");
  for (std::uint64_t i = 0; i < n && in.ok(); ++i) {
    switch (in.u8("txn.op.kind")) {
      case kRange:
        read(in, std::get<RangeRequest>(ops.emplace_back(std::in_place_type<RangeRequest>)));
        break;
      case kPut:
        read(in, std::get<PutRequest>(ops.emplace_back(std::in_place_type<PutRequest>)));
        break;
      case kDelete:
        read(in, std::get<DeleteRangeRequest>(
                     ops.emplace_back(std::in_place_type<DeleteRangeRequest>)));
        break;
      default:
        in.fail("txn.op.kind: unknown operation");
    }
  }
}

void read(ByteReader& in, TxnRequest& t) {
  const std::uint64_t n = in.count("txn.compare");
  for (std::uint64_t i = 0; i < n && in.ok(); ++i) read(in, t.compare.emplace_back());
  read_ops(in, t.success);
  read_ops(in, t.failure);
}

}  // namespace

std::string encode(const Command& command) {
  std::string out;
  ByteWriter w(out);
  w.u8(kCommandVersion);
  w.varint(command.request_id);
  if (const auto* p = std::get_if<PutRequest>(&command.request)) {
    out.reserve(16 + p->key.size() + p->value.size());
    w.u8(kPut);
    write(w, *p);
  } else if (const auto* d = std::get_if<DeleteRangeRequest>(&command.request)) {
    w.u8(kDelete);
    write(w, *d);
  } else {
    w.u8(kTxn);
    write(w, std::get<TxnRequest>(command.request));
  }
  return out;
}

bool decode(std::string_view bytes, Command& out, std::string& error) {
  ByteReader in(bytes);
  const std::uint8_t version = in.u8("version");
  if (in.ok() && version != kCommandVersion) {
    in.fail("unsupported command version " + std::to_string(version));
  }
  out.request_id = in.varint("request_id");
  switch (in.u8("kind")) {
    case kPut:
      read(in, out.request.emplace<PutRequest>());
      break;
    case kDelete:
      read(in, out.request.emplace<DeleteRangeRequest>());
      break;
    case kTxn:
      read(in, out.request.emplace<TxnRequest>());
      break;
    default:
      in.fail("kind: not a write command");
  }
  if (in.ok() && !in.at_end()) in.fail("trailing bytes after the command");
  if (!in.ok()) {
    error = "malformed kv command: " + in.error();
    return false;
  }
  return true;
}

}  // namespace faultline::kv
