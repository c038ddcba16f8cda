// Copies etcd's protobuf requests into kv's plain structs and kv's responses back into
// protobuf. Pure field copying; the one judgement here is refusing what kv cannot
// express (a nested Txn), which becomes UNIMPLEMENTED rather than a wrong answer.
#pragma once

#include <optional>
#include <string>

#include "etcdserverpb/rpc.pb.h"
#include "kv/api.h"
#include "kv/store.h"

namespace faultline::server {

kv::RangeRequest to_kv(const etcdserverpb::RangeRequest& r);
kv::PutRequest to_kv(const etcdserverpb::PutRequest& r);
kv::DeleteRangeRequest to_kv(const etcdserverpb::DeleteRangeRequest& r);
// nullopt (with `error` saying why) for what kv cannot express.
std::optional<kv::TxnRequest> to_kv(const etcdserverpb::TxnRequest& r, std::string* error);

void to_proto(const kv::KeyValue& kv, mvccpb::KeyValue& out);
void to_proto(const kv::RangeResponse& r, etcdserverpb::RangeResponse& out);
void to_proto(const kv::PutResponse& r, etcdserverpb::PutResponse& out);
void to_proto(const kv::DeleteRangeResponse& r, etcdserverpb::DeleteRangeResponse& out);
void to_proto(const kv::TxnResponse& r, etcdserverpb::TxnResponse& out);

// The revision a write response carries (for the header).
kv::Revision revision_of(const kv::WriteResponse& r);

}  // namespace faultline::server
