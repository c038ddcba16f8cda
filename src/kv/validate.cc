// Request checks done before proposing (and again before applying), following etcd's gRPC
// layer (server/etcdserver/api/v3rpc/key.go): empty keys, ignore_* flags given with a value
// or lease, txn size, and puts that collide with another put or a delete in the same txn
// branch. What depends on the state (a lease, the key ignore_* needs) is checked when the
// request is applied (KvStore::check_put), as etcd's applier does.
#include <set>
#include <string>

#include "kv/store.h"

namespace faultline::kv {
namespace {

std::size_t request_bytes(const RequestOp& op);

std::size_t request_bytes(const Compare& c) {
  return c.key.size() + c.range_end.size() + c.value.size() + 32;
}

std::size_t request_bytes(const RequestOp& op) {
  if (const auto* r = std::get_if<RangeRequest>(&op))
    return r->key.size() + r->range_end.size() + 32;
  if (const auto* p = std::get_if<PutRequest>(&op)) return p->key.size() + p->value.size() + 16;
  const auto& d = std::get<DeleteRangeRequest>(op);
  return d.key.size() + d.range_end.size() + 8;
}

KvError validate_op(const RequestOp& op) {
  return std::visit([](const auto& r) { return validate(r); }, op);
}

// True when `key` lies in the delete's range as etcd's check sees it (v3rpc checkIntervals:
// the interval [key, range_end) compared byte for byte). That check does not know "\0" as
// "to the end": a delete of every key from "a" does not collide with a put of "b" in the
// same branch: etcd 3.4 applies both, in their order.
bool deletes(const DeleteRangeRequest& d, const std::string& key) {
  if (d.range_end.empty()) return key == d.key;
  return key >= d.key && key < d.range_end;
}

KvError check_branch(const std::vector<RequestOp>& ops) {
  std::set<std::string, std::less<>> puts;
  for (const RequestOp& op : ops) {
    const auto* put = std::get_if<PutRequest>(&op);
    if (put == nullptr) continue;
    if (!puts.insert(put->key).second) return KvError::duplicate_key;
    for (const RequestOp& other : ops) {
      const auto* del = std::get_if<DeleteRangeRequest>(&other);
      if (del != nullptr && deletes(*del, put->key)) return KvError::duplicate_key;
    }
  }
  return KvError::ok;
}

}  // namespace

// Sort options and compares outside their enums are refused, as etcd 3.5 refuses sort options
// (etcd 3.4 crashes on some). Nothing outside an enum may reach the log: its decoder would
// call the entry corrupt on every member.
KvError validate(const RangeRequest& r) {
  if (r.key.empty()) return KvError::empty_key;
  if (r.sort_order > SortOrder::descend || r.sort_target > SortTarget::value) {
    return KvError::invalid_sort;
  }
  return KvError::ok;
}

KvError validate(const PutRequest& r) {
  if (r.key.empty()) return KvError::empty_key;
  if (r.ignore_value && !r.value.empty()) return KvError::value_provided;
  if (r.ignore_lease && r.lease != 0) return KvError::lease_provided;
  if (r.key.size() + r.value.size() > kMaxRequestBytes) return KvError::request_too_large;
  return KvError::ok;
}

KvError validate(const DeleteRangeRequest& r) {
  return r.key.empty() ? KvError::empty_key : KvError::ok;
}

KvError validate(const TxnRequest& r) {
  if (r.compare.size() > kMaxTxnOps || r.success.size() > kMaxTxnOps ||
      r.failure.size() > kMaxTxnOps) {
    return KvError::too_many_ops;
  }
  // etcd's order (checkTxnRequest, then checkIntervals): compares, every op of both
  // branches, then each branch's keys.
  std::size_t bytes = 0;
  for (const Compare& c : r.compare) {
    if (c.key.empty()) return KvError::empty_key;
    if (c.result > CompareResult::not_equal || c.target > CompareTarget::lease) {
      return KvError::invalid_compare;
    }
    bytes += request_bytes(c);
  }
  for (const auto* branch : {&r.success, &r.failure}) {
    for (const RequestOp& op : *branch) {
      if (KvError e = validate_op(op); e != KvError::ok) return e;
      bytes += request_bytes(op);
    }
  }
  for (const auto* branch : {&r.success, &r.failure}) {
    if (KvError e = check_branch(*branch); e != KvError::ok) return e;
  }
  return bytes > kMaxRequestBytes ? KvError::request_too_large : KvError::ok;
}

KvError validate(const WriteRequest& r) {
  return std::visit([](const auto& request) { return validate(request); }, r);
}

}  // namespace faultline::kv
