// The gRPC statuses faultline answers with, each exactly as etcd gives it (code and
// message from etcd's api/v3rpc/rpctypes/error.go), so clients that match on etcd's
// errors (etcdctl, clientv3's retry logic, the bench's outcome rules) read faultline's
// the same way. What faultline does not serve gets UNIMPLEMENTED with a sentence saying
// so, never an answer that could be mistaken for a real one.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "kv/api.h"
#include "server/raft_node.h"

namespace faultline::server {

grpc::Status to_status(kv::KvError error);
grpc::Status to_status(NodeError error);

grpc::Status request_too_large();                     // INVALID_ARGUMENT, etcd's text
grpc::Status unimplemented(const std::string& what);  // UNIMPLEMENTED "faultline: ..."

}  // namespace faultline::server
