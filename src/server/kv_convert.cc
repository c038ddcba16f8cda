// Field-by-field copies between etcdserverpb and kv.
#include "server/kv_convert.h"

namespace faultline::server {
namespace {

// An enum the client sent as a number: the same value when `Enum` has it, else one past
// `last`, which kv::validate refuses (never a value wrapped around into the enum).
template <typename Enum>
Enum enum_from_wire(int value, Enum last) {
  const int end = static_cast<int>(last) + 1;
  return static_cast<Enum>(value >= 0 && value < end ? value : end);
}

bool to_kv_ops(const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops,
               std::vector<kv::RequestOp>& out, std::string* error) {
  for (const etcdserverpb::RequestOp& op : ops) {
    switch (op.request_case()) {
      case etcdserverpb::RequestOp::kRequestRange:
        out.emplace_back(to_kv(op.request_range()));
        break;
      case etcdserverpb::RequestOp::kRequestPut:
        out.emplace_back(to_kv(op.request_put()));
        break;
      case etcdserverpb::RequestOp::kRequestDeleteRange:
        out.emplace_back(to_kv(op.request_delete_range()));
        break;
      case etcdserverpb::RequestOp::kRequestTxn:
        if (error) *error = "a Txn nested in a Txn is not supported";
        return false;
      default:
        if (error) *error = "a Txn operation with no request";
        return false;
    }
  }
  return true;
}

}  // namespace

kv::RangeRequest to_kv(const etcdserverpb::RangeRequest& r) {
  kv::RangeRequest out;
  out.key = r.key();
  out.range_end = r.range_end();
  out.limit = r.limit();
  out.revision = r.revision();
  out.sort_order = enum_from_wire(r.sort_order(), kv::SortOrder::descend);
  out.sort_target = enum_from_wire(r.sort_target(), kv::SortTarget::value);
  out.serializable = r.serializable();
  out.keys_only = r.keys_only();
  out.count_only = r.count_only();
  out.min_mod_revision = r.min_mod_revision();
  out.max_mod_revision = r.max_mod_revision();
  out.min_create_revision = r.min_create_revision();
  out.max_create_revision = r.max_create_revision();
  return out;
}

kv::PutRequest to_kv(const etcdserverpb::PutRequest& r) {
  kv::PutRequest out;
  out.key = r.key();
  out.value = r.value();
  out.lease = r.lease();
  out.prev_kv = r.prev_kv();
  out.ignore_value = r.ignore_value();
  out.ignore_lease = r.ignore_lease();
  return out;
}

kv::DeleteRangeRequest to_kv(const etcdserverpb::DeleteRangeRequest& r) {
  kv::DeleteRangeRequest out;
  out.key = r.key();
  out.range_end = r.range_end();
  out.prev_kv = r.prev_kv();
  return out;
}

std::optional<kv::TxnRequest> to_kv(const etcdserverpb::TxnRequest& r, std::string* error) {
  kv::TxnRequest out;
  for (const etcdserverpb::Compare& c : r.compare()) {
    kv::Compare k;
    k.result = enum_from_wire(c.result(), kv::CompareResult::not_equal);
    k.target = enum_from_wire(c.target(), kv::CompareTarget::lease);
    k.key = c.key();
    k.range_end = c.range_end();
    k.version = c.version();
    k.create_revision = c.create_revision();
    k.mod_revision = c.mod_revision();
    k.value = c.value();
    k.lease = c.lease();
    out.compare.push_back(std::move(k));
  }
  if (!to_kv_ops(r.success(), out.success, error)) return std::nullopt;
  if (!to_kv_ops(r.failure(), out.failure, error)) return std::nullopt;
  return out;
}

void to_proto(const kv::KeyValue& kv, mvccpb::KeyValue& out) {
  out.set_key(kv.key);
  out.set_create_revision(kv.create_revision);
  out.set_mod_revision(kv.mod_revision);
  out.set_version(kv.version);
  out.set_value(kv.value);
  out.set_lease(kv.lease);
}

void to_proto(const kv::RangeResponse& r, etcdserverpb::RangeResponse& out) {
  out.mutable_kvs()->Reserve(static_cast<int>(r.kvs.size()));
  for (const kv::KeyValue& kv : r.kvs) to_proto(kv, *out.add_kvs());
  out.set_more(r.more);
  out.set_count(r.count);
  out.mutable_header()->set_revision(r.revision);
}

void to_proto(const kv::PutResponse& r, etcdserverpb::PutResponse& out) {
  if (r.prev_kv) to_proto(*r.prev_kv, *out.mutable_prev_kv());
  out.mutable_header()->set_revision(r.revision);
}

void to_proto(const kv::DeleteRangeResponse& r, etcdserverpb::DeleteRangeResponse& out) {
  out.set_deleted(r.deleted);
  for (const kv::KeyValue& kv : r.prev_kvs) to_proto(kv, *out.add_prev_kvs());
  out.mutable_header()->set_revision(r.revision);
}

void to_proto(const kv::TxnResponse& r, etcdserverpb::TxnResponse& out) {
  out.set_succeeded(r.succeeded);
  for (const kv::ResponseOp& op : r.responses) {
    etcdserverpb::ResponseOp* p = out.add_responses();
    if (const auto* range = std::get_if<kv::RangeResponse>(&op)) {
      to_proto(*range, *p->mutable_response_range());
    } else if (const auto* put = std::get_if<kv::PutResponse>(&op)) {
      to_proto(*put, *p->mutable_response_put());
    } else if (const auto* del = std::get_if<kv::DeleteRangeResponse>(&op)) {
      to_proto(*del, *p->mutable_response_delete_range());
    }
  }
  out.mutable_header()->set_revision(r.revision);
}

kv::Revision revision_of(const kv::WriteResponse& r) {
  if (const auto* put = std::get_if<kv::PutResponse>(&r)) return put->revision;
  if (const auto* del = std::get_if<kv::DeleteRangeResponse>(&r)) return del->revision;
  if (const auto* txn = std::get_if<kv::TxnResponse>(&r)) return txn->revision;
  return 0;
}

}  // namespace faultline::server
