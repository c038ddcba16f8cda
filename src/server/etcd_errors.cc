// etcd's error codes and messages.
#include "server/etcd_errors.h"

namespace faultline::server {

grpc::Status to_status(kv::KvError error) {
  using grpc::StatusCode;
  switch (error) {
    case kv::KvError::ok:
      return grpc::Status::OK;
    case kv::KvError::empty_key:
      return {StatusCode::INVALID_ARGUMENT, "etcdserver: key is not provided"};
    case kv::KvError::value_provided:
      return {StatusCode::INVALID_ARGUMENT, "etcdserver: value is provided"};
    case kv::KvError::lease_provided:
      return {StatusCode::INVALID_ARGUMENT, "etcdserver: lease is provided"};
    case kv::KvError::key_not_found:
      return {StatusCode::INVALID_ARGUMENT, "etcdserver: key not found"};
    case kv::KvError::invalid_sort:
      return {StatusCode::INVALID_ARGUMENT, "etcdserver: invalid sort option"};
    case kv::KvError::invalid_compare:
      return {StatusCode::INVALID_ARGUMENT, "faultline: invalid compare result or target"};
    case kv::KvError::lease_not_found:
      return {StatusCode::NOT_FOUND, "etcdserver: requested lease not found"};
    case kv::KvError::too_many_ops:
      return {StatusCode::INVALID_ARGUMENT, "etcdserver: too many operations in txn request"};
    case kv::KvError::duplicate_key:
      return {StatusCode::INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request"};
    case kv::KvError::future_revision:
      return {StatusCode::OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision"};
    case kv::KvError::past_revision:
      return unimplemented("no history is kept, so a Range at a past revision is not served");
    case kv::KvError::request_too_large:
      return request_too_large();
  }
  return {StatusCode::INTERNAL, "faultline: unknown key-value error"};
}

grpc::Status to_status(NodeError error) {
  using grpc::StatusCode;
  switch (error) {
    case NodeError::none:
      return grpc::Status::OK;
    case NodeError::timeout:
      return {StatusCode::UNAVAILABLE, "etcdserver: request timed out"};
    case NodeError::stopped:
      return {StatusCode::UNAVAILABLE, "etcdserver: server stopped"};
    case NodeError::too_many_requests:
      return {StatusCode::RESOURCE_EXHAUSTED, "etcdserver: too many requests"};
  }
  return {StatusCode::INTERNAL, "faultline: unknown node error"};
}

grpc::Status request_too_large() {
  return {grpc::StatusCode::INVALID_ARGUMENT, "etcdserver: request is too large"};
}

grpc::Status unimplemented(const std::string& what) {
  return {grpc::StatusCode::UNIMPLEMENTED, "faultline: " + what};
}

}  // namespace faultline::server
