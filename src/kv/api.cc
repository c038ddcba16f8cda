// Names and etcd's messages for KvError.
#include "kv/api.h"

namespace faultline::kv {

std::string_view to_string(KvError e) {
  switch (e) {
    case KvError::ok:
      return "ok";
    case KvError::empty_key:
      return "empty_key";
    case KvError::value_provided:
      return "value_provided";
    case KvError::lease_provided:
      return "lease_provided";
    case KvError::key_not_found:
      return "key_not_found";
    case KvError::invalid_sort:
      return "invalid_sort";
    case KvError::invalid_compare:
      return "invalid_compare";
    case KvError::lease_not_found:
      return "lease_not_found";
    case KvError::too_many_ops:
      return "too_many_ops";
    case KvError::duplicate_key:
      return "duplicate_key";
    case KvError::future_revision:
      return "future_revision";
    case KvError::past_revision:
      return "past_revision";
    case KvError::request_too_large:
      return "request_too_large";
  }
  return "unknown";
}

std::string_view etcd_message(KvError e) {
  switch (e) {
    case KvError::ok:
      return "";
    case KvError::empty_key:
      return "etcdserver: key is not provided";
    case KvError::value_provided:
      return "etcdserver: value is provided";
    case KvError::lease_provided:
      return "etcdserver: lease is provided";
    case KvError::key_not_found:
      return "etcdserver: key not found";
    case KvError::invalid_sort:
      return "etcdserver: invalid sort option";
    case KvError::invalid_compare:
      return "faultline: invalid compare result or target";
    case KvError::lease_not_found:
      return "etcdserver: requested lease not found";
    case KvError::too_many_ops:
      return "etcdserver: too many operations in txn request";
    case KvError::duplicate_key:
      return "etcdserver: duplicate key given in txn request";
    case KvError::future_revision:
      return "mvcc: required revision is a future revision";
    case KvError::past_revision:
      return "faultline: reading at a past revision is not supported (no history is kept)";
    case KvError::request_too_large:
      return "etcdserver: request is too large";
  }
  return "unknown";
}

}  // namespace faultline::kv
