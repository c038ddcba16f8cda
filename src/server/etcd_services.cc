// The gRPC handlers: validate, hand to the node, finish on the node's answer.
#include "server/etcd_services.h"

#include <grpcpp/grpcpp.h>

#include "server/etcd_errors.h"
#include "server/kv_convert.h"

namespace faultline::server {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

// Finishes a call and counts it by method and code.
void finish(ServiceContext& c, ServerUnaryReactor* reactor, RpcMethod method,
            const grpc::Status& status) {
  c.metrics->count_rpc(method, static_cast<int>(status.error_code()));
  reactor->Finish(status);
}

ServerUnaryReactor* answer(ServiceContext& c, CallbackServerContext* ctx, RpcMethod method,
                           const grpc::Status& status) {
  ServerUnaryReactor* reactor = ctx->DefaultReactor();
  finish(c, reactor, method, status);
  return reactor;
}

void fill_header(const ServiceContext& c, etcdserverpb::ResponseHeader& h, kv::Revision revision,
                 raft::Term term) {
  h.set_cluster_id(c.cluster_id);
  h.set_member_id(c.member_id);
  if (revision != 0) h.set_revision(revision);
  h.set_raft_term(term);
}

Clock::time_point deadline_of(const ServiceContext& c, CallbackServerContext* ctx) {
  const auto ours = Clock::now() + c.request_timeout;
  // The client's own deadline, when sooner, ends the wait too: nobody is listening after it.
  const auto theirs = ctx->deadline();
  const auto now_system = std::chrono::system_clock::now();
  if (theirs < now_system + c.request_timeout) {
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::max(
                              theirs - now_system, std::chrono::system_clock::duration(0)));
  }
  return ours;
}

template <typename Request>
bool too_large(const ServiceContext& c, const Request& r) {
  return r.ByteSizeLong() > c.max_request_bytes;
}

class KvService final : public etcdserverpb::KV::CallbackService {
 public:
  explicit KvService(ServiceContext& c) : c_(c) {}

  ServerUnaryReactor* Range(CallbackServerContext* ctx, const etcdserverpb::RangeRequest* req,
                            etcdserverpb::RangeResponse* resp) override {
    if (too_large(c_, *req)) return answer(c_, ctx, RpcMethod::range, request_too_large());
    kv::RangeRequest r = to_kv(*req);
    if (kv::KvError e = kv::validate(r); e != kv::KvError::ok) {
      return answer(c_, ctx, RpcMethod::range, to_status(e));
    }
    if (r.serializable) {
      ReadResult out = c_.node->read_serializable(r);
      return answer(c_, ctx, RpcMethod::range, fill_range(std::move(out), resp));
    }
    ServerUnaryReactor* reactor = ctx->DefaultReactor();
    c_.node->read(std::move(r), deadline_of(c_, ctx), [this, reactor, resp](ReadResult&& out) {
      finish(c_, reactor, RpcMethod::range, fill_range(std::move(out), resp));
    });
    return reactor;
  }

  ServerUnaryReactor* Put(CallbackServerContext* ctx, const etcdserverpb::PutRequest* req,
                          etcdserverpb::PutResponse* resp) override {
    if (too_large(c_, *req)) return answer(c_, ctx, RpcMethod::put, request_too_large());
    return propose(ctx, RpcMethod::put, to_kv(*req), [resp](kv::WriteResponse& w) {
      if (auto* p = std::get_if<kv::PutResponse>(&w)) to_proto(*p, *resp);
      return resp->mutable_header();
    });
  }

  ServerUnaryReactor* DeleteRange(CallbackServerContext* ctx,
                                  const etcdserverpb::DeleteRangeRequest* req,
                                  etcdserverpb::DeleteRangeResponse* resp) override {
    if (too_large(c_, *req)) return answer(c_, ctx, RpcMethod::delete_range, request_too_large());
    return propose(ctx, RpcMethod::delete_range, to_kv(*req), [resp](kv::WriteResponse& w) {
      if (auto* p = std::get_if<kv::DeleteRangeResponse>(&w)) to_proto(*p, *resp);
      return resp->mutable_header();
    });
  }

  ServerUnaryReactor* Txn(CallbackServerContext* ctx, const etcdserverpb::TxnRequest* req,
                          etcdserverpb::TxnResponse* resp) override {
    if (too_large(c_, *req)) return answer(c_, ctx, RpcMethod::txn, request_too_large());
    std::string why;
    std::optional<kv::TxnRequest> txn = to_kv(*req, &why);
    if (!txn) return answer(c_, ctx, RpcMethod::txn, unimplemented(why));
    return propose(ctx, RpcMethod::txn, std::move(*txn), [resp](kv::WriteResponse& w) {
      if (auto* p = std::get_if<kv::TxnResponse>(&w)) to_proto(*p, *resp);
      return resp->mutable_header();
    });
  }

  ServerUnaryReactor* Compact(CallbackServerContext* ctx, const etcdserverpb::CompactionRequest*,
                              etcdserverpb::CompactionResponse*) override {
    return answer(c_, ctx, RpcMethod::compact,
                  unimplemented("Compact: no history is kept, so there is nothing to compact"));
  }

 private:
  grpc::Status fill_range(ReadResult&& out, etcdserverpb::RangeResponse* resp) {
    if (out.error != NodeError::none) return to_status(out.error);
    if (out.kv_error != kv::KvError::ok) return to_status(out.kv_error);
    to_proto(out.response, *resp);
    fill_header(c_, *resp->mutable_header(), out.response.revision, out.term);
    return grpc::Status::OK;
  }

  // Validates a write, proposes it, and on the node's answer lets `fill` copy the response
  // and return its header.
  template <typename Fill>
  ServerUnaryReactor* propose(CallbackServerContext* ctx, RpcMethod method, kv::WriteRequest w,
                              Fill fill) {
    if (kv::KvError e = kv::validate(w); e != kv::KvError::ok) {
      return answer(c_, ctx, method, to_status(e));
    }
    ServerUnaryReactor* reactor = ctx->DefaultReactor();
    c_.node->write(std::move(w), deadline_of(c_, ctx),
                   [this, reactor, method, fill](WriteResult&& out) {
                     if (out.error != NodeError::none) {
                       finish(c_, reactor, method, to_status(out.error));
                       return;
                     }
                     if (out.result.error != kv::KvError::ok) {
                       finish(c_, reactor, method, to_status(out.result.error));
                       return;
                     }
                     etcdserverpb::ResponseHeader* header = fill(out.result.response);
                     fill_header(c_, *header, revision_of(out.result.response), out.term);
                     finish(c_, reactor, method, grpc::Status::OK);
                   });
    return reactor;
  }

  ServiceContext& c_;
};

class MaintenanceService final : public etcdserverpb::Maintenance::CallbackService {
 public:
  explicit MaintenanceService(ServiceContext& c) : c_(c) {}

  ServerUnaryReactor* Status(CallbackServerContext* ctx, const etcdserverpb::StatusRequest*,
                             etcdserverpb::StatusResponse* resp) override {
    const NodeStatus s = c_.node->status();
    fill_header(c_, *resp->mutable_header(), s.revision, s.term);
    resp->set_version(kReportedVersion);
    resp->set_dbsize(static_cast<std::int64_t>(s.data_bytes));
    resp->set_dbsizeinuse(static_cast<std::int64_t>(s.data_bytes));
    resp->set_leader(s.leader);
    resp->set_raftindex(s.commit);
    resp->set_raftterm(s.term);  // the current term, not the last applied entry's
    resp->set_raftappliedindex(s.applied);
    return answer(c_, ctx, RpcMethod::status, grpc::Status::OK);
  }

  ServerUnaryReactor* Alarm(CallbackServerContext* ctx, const etcdserverpb::AlarmRequest* req,
                            etcdserverpb::AlarmResponse* resp) override {
    // faultline raises no alarms (no space quota, no corruption check): GET lists none.
    if (req->action() != etcdserverpb::AlarmRequest::GET) {
      return answer(c_, ctx, RpcMethod::alarm, unimplemented("Alarm: only GET is served"));
    }
    const NodeStatus s = c_.node->status();
    fill_header(c_, *resp->mutable_header(), s.revision, s.term);
    return answer(c_, ctx, RpcMethod::alarm, grpc::Status::OK);
  }

#define FAULTLINE_UNIMPLEMENTED(Method, Req, Resp, What)                           \
  ServerUnaryReactor* Method(CallbackServerContext* ctx, const etcdserverpb::Req*, \
                             etcdserverpb::Resp*) override {                       \
    return answer(c_, ctx, RpcMethod::other, unimplemented(What));                 \
  }
  FAULTLINE_UNIMPLEMENTED(Defragment, DefragmentRequest, DefragmentResponse,
                          "Defragment: there is no backend database to defragment")
  FAULTLINE_UNIMPLEMENTED(Hash, HashRequest, HashResponse, "Hash is not served")
  FAULTLINE_UNIMPLEMENTED(HashKV, HashKVRequest, HashKVResponse, "HashKV is not served")
  FAULTLINE_UNIMPLEMENTED(MoveLeader, MoveLeaderRequest, MoveLeaderResponse,
                          "MoveLeader is not served yet")
  FAULTLINE_UNIMPLEMENTED(Downgrade, DowngradeRequest, DowngradeResponse, "Downgrade is not served")

  grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>* Snapshot(
      CallbackServerContext*, const etcdserverpb::SnapshotRequest*) override;

 private:
  ServiceContext& c_;
};

// A streaming call refused at once.
template <typename Base>
class Refused final : public Base {
 public:
  Refused(ServiceContext& c, const std::string& what) {
    c.metrics->count_rpc(RpcMethod::other, grpc::StatusCode::UNIMPLEMENTED);
    this->Finish(unimplemented(what));
  }
  void OnDone() override { delete this; }
};

grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>* MaintenanceService::Snapshot(
    CallbackServerContext*, const etcdserverpb::SnapshotRequest*) {
  return new Refused<grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>>(
      c_, "Snapshot is not served");
}

class ClusterService final : public etcdserverpb::Cluster::CallbackService {
 public:
  explicit ClusterService(ServiceContext& c) : c_(c) {}

  ServerUnaryReactor* MemberList(CallbackServerContext* ctx, const etcdserverpb::MemberListRequest*,
                                 etcdserverpb::MemberListResponse* resp) override {
    const NodeStatus s = c_.node->status();
    fill_header(c_, *resp->mutable_header(), 0, s.term);
    for (const MemberInfo& m : c_.members()) {
      etcdserverpb::Member* out = resp->add_members();
      out->set_id(m.id);
      out->set_name(m.name);
      for (const std::string& u : m.peer_urls) out->add_peerurls(u);
      for (const std::string& u : m.client_urls) out->add_clienturls(u);
    }
    return answer(c_, ctx, RpcMethod::member_list, grpc::Status::OK);
  }

  FAULTLINE_UNIMPLEMENTED(MemberAdd, MemberAddRequest, MemberAddResponse,
                          "membership changes are not supported")
  FAULTLINE_UNIMPLEMENTED(MemberRemove, MemberRemoveRequest, MemberRemoveResponse,
                          "membership changes are not supported")
  FAULTLINE_UNIMPLEMENTED(MemberUpdate, MemberUpdateRequest, MemberUpdateResponse,
                          "membership changes are not supported")
  FAULTLINE_UNIMPLEMENTED(MemberPromote, MemberPromoteRequest, MemberPromoteResponse,
                          "membership changes are not supported")

 private:
  ServiceContext& c_;
};

class WatchService final : public etcdserverpb::Watch::CallbackService {
 public:
  explicit WatchService(ServiceContext& c) : c_(c) {}
  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      CallbackServerContext*) override {
    return new Refused<
        grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>(
        c_, "Watch is not served yet");
  }

 private:
  ServiceContext& c_;
};

class LeaseService final : public etcdserverpb::Lease::CallbackService {
 public:
  explicit LeaseService(ServiceContext& c) : c_(c) {}
  FAULTLINE_UNIMPLEMENTED(LeaseGrant, LeaseGrantRequest, LeaseGrantResponse,
                          "leases are not served yet")
  FAULTLINE_UNIMPLEMENTED(LeaseRevoke, LeaseRevokeRequest, LeaseRevokeResponse,
                          "leases are not served yet")
  FAULTLINE_UNIMPLEMENTED(LeaseTimeToLive, LeaseTimeToLiveRequest, LeaseTimeToLiveResponse,
                          "leases are not served yet")
  FAULTLINE_UNIMPLEMENTED(LeaseLeases, LeaseLeasesRequest, LeaseLeasesResponse,
                          "leases are not served yet")
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                          etcdserverpb::LeaseKeepAliveResponse>*
  LeaseKeepAlive(CallbackServerContext*) override {
    return new Refused<grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                                               etcdserverpb::LeaseKeepAliveResponse>>(
        c_, "leases are not served yet");
  }

 private:
  ServiceContext& c_;
};

class AuthService final : public etcdserverpb::Auth::CallbackService {
 public:
  explicit AuthService(ServiceContext& c) : c_(c) {}
#define FAULTLINE_NO_AUTH(Method, Req, Resp) \
  FAULTLINE_UNIMPLEMENTED(Method, Req, Resp, "authentication is not supported")
  FAULTLINE_NO_AUTH(AuthEnable, AuthEnableRequest, AuthEnableResponse)
  FAULTLINE_NO_AUTH(AuthDisable, AuthDisableRequest, AuthDisableResponse)
  FAULTLINE_NO_AUTH(AuthStatus, AuthStatusRequest, AuthStatusResponse)
  FAULTLINE_NO_AUTH(Authenticate, AuthenticateRequest, AuthenticateResponse)
  FAULTLINE_NO_AUTH(UserAdd, AuthUserAddRequest, AuthUserAddResponse)
  FAULTLINE_NO_AUTH(UserGet, AuthUserGetRequest, AuthUserGetResponse)
  FAULTLINE_NO_AUTH(UserList, AuthUserListRequest, AuthUserListResponse)
  FAULTLINE_NO_AUTH(UserDelete, AuthUserDeleteRequest, AuthUserDeleteResponse)
  FAULTLINE_NO_AUTH(UserChangePassword, AuthUserChangePasswordRequest,
                    AuthUserChangePasswordResponse)
  FAULTLINE_NO_AUTH(UserGrantRole, AuthUserGrantRoleRequest, AuthUserGrantRoleResponse)
  FAULTLINE_NO_AUTH(UserRevokeRole, AuthUserRevokeRoleRequest, AuthUserRevokeRoleResponse)
  FAULTLINE_NO_AUTH(RoleAdd, AuthRoleAddRequest, AuthRoleAddResponse)
  FAULTLINE_NO_AUTH(RoleGet, AuthRoleGetRequest, AuthRoleGetResponse)
  FAULTLINE_NO_AUTH(RoleList, AuthRoleListRequest, AuthRoleListResponse)
  FAULTLINE_NO_AUTH(RoleDelete, AuthRoleDeleteRequest, AuthRoleDeleteResponse)
  FAULTLINE_NO_AUTH(RoleGrantPermission, AuthRoleGrantPermissionRequest,
                    AuthRoleGrantPermissionResponse)
  FAULTLINE_NO_AUTH(RoleRevokePermission, AuthRoleRevokePermissionRequest,
                    AuthRoleRevokePermissionResponse)
#undef FAULTLINE_NO_AUTH

 private:
  ServiceContext& c_;
};
#undef FAULTLINE_UNIMPLEMENTED

}  // namespace

struct EtcdServices::Impl {
  explicit Impl(ServiceContext c)
      : context(std::move(c)),
        kv(context),
        maintenance(context),
        cluster(context),
        watch(context),
        lease(context),
        auth(context) {}
  ServiceContext context;
  KvService kv;
  MaintenanceService maintenance;
  ClusterService cluster;
  WatchService watch;
  LeaseService lease;
  AuthService auth;
};

EtcdServices::EtcdServices(ServiceContext context)
    : impl_(std::make_unique<Impl>(std::move(context))) {}

EtcdServices::~EtcdServices() = default;

std::vector<grpc::Service*> EtcdServices::services() {
  return {&impl_->kv,    &impl_->maintenance, &impl_->cluster,
          &impl_->watch, &impl_->lease,       &impl_->auth};
}

}  // namespace faultline::server
