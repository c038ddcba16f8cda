// The gRPC side of the server: one completion-queue thread, the calls it serves, and the
// handlers that check a request, hand it to the node and fill in its answer.
//
// A call's life: a slot is asked for in advance (Request<Method>); when a client's call
// lands in it, the thread asks for the next slot, runs the method's handler, and the
// handler either answers at once (a bad request, a serializable read, Status) or hands
// the request to the node. The node answers on its own thread through `finish_later`,
// which queues the answer; the completion-queue thread writes every queued answer on one
// wake-up. gRPC hands the call back once more when the answer is written, and the call
// is deleted.
#include "server/etcd_services.h"

#include <grpcpp/alarm.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <pthread.h>

#include <mutex>
#include <string_view>
#include <thread>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/etcd_errors.h"
#include "server/kv_convert.h"

namespace faultline::server {
namespace {

// Slots asked for in advance per method. A call that finds no slot waits in gRPC until
// one is asked for (at once, by the thread), so these only save a little queueing.
constexpr int kBusySlots = 16;  // Range, Put, DeleteRange, Txn
constexpr int kQuietSlots = 2;  // Status, Alarm, MemberList, the refusals

// What the completion-queue thread is handed back: a call's next step, or a wake-up.
class Tag {
 public:
  virtual void proceed(bool ok) = 0;

 protected:
  ~Tag() = default;
};

// A call whose answer the node's thread has decided; written by the completion-queue thread.
class Answer {
 public:
  virtual void write_answer() = 0;
  // The queue is shut down: the call goes without an answer (gRPC cancelled it already).
  virtual void discard() = 0;

 protected:
  ~Answer() = default;
};

// Served methods are asynchronous; every other method of these services is "generic",
// i.e. removed, so it reaches the generic handler (gRPC clears a method's handler only when
// turning a synchronous method asynchronous or generic, hence the plain Service at the core).
namespace pb = etcdserverpb;
using KvService =
    pb::KV::WithAsyncMethod_Range<pb::KV::WithAsyncMethod_Put<pb::KV::WithAsyncMethod_DeleteRange<
        pb::KV::WithAsyncMethod_Txn<pb::KV::WithGenericMethod_Compact<pb::KV::Service>>>>>;
using MaintenanceService =
    pb::Maintenance::WithAsyncMethod_Alarm<pb::Maintenance::WithAsyncMethod_Status<
        pb::Maintenance::WithGenericMethod_Defragment<pb::Maintenance::WithGenericMethod_Hash<
            pb::Maintenance::WithGenericMethod_HashKV<pb::Maintenance::WithGenericMethod_Snapshot<
                pb::Maintenance::WithGenericMethod_MoveLeader<
                    pb::Maintenance::WithGenericMethod_Downgrade<pb::Maintenance::Service>>>>>>>>;
using ClusterService =
    pb::Cluster::WithAsyncMethod_MemberList<pb::Cluster::WithGenericMethod_MemberAdd<
        pb::Cluster::WithGenericMethod_MemberRemove<pb::Cluster::WithGenericMethod_MemberUpdate<
            pb::Cluster::WithGenericMethod_MemberPromote<pb::Cluster::Service>>>>>;

void fill_header(const ServiceContext& c, pb::ResponseHeader& h, kv::Revision revision,
                 raft::Term term) {
  h.set_cluster_id(c.cluster_id);
  h.set_member_id(c.member_id);
  if (revision != 0) h.set_revision(revision);
  h.set_raft_term(term);
}

Clock::time_point deadline_of(const ServiceContext& c, const grpc::ServerContext& ctx) {
  const auto ours = Clock::now() + c.request_timeout;
  // The client's own deadline, when sooner, ends the wait too: nobody is listening after it.
  const auto theirs = ctx.deadline();
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

// What is not served, by full method name ("/package.Service/Method") or by service
// ("/package.Service/"): UNIMPLEMENTED with a sentence, counted under `method`.
struct Refusal {
  std::string_view name;
  RpcMethod method;
  const char* what;
};
constexpr Refusal kRefusals[] = {
    {"/etcdserverpb.KV/Compact", RpcMethod::compact,
     "Compact: no history is kept, so there is nothing to compact"},
    {"/etcdserverpb.Maintenance/Defragment", RpcMethod::other,
     "Defragment: there is no backend database to defragment"},
    {"/etcdserverpb.Maintenance/Hash", RpcMethod::other, "Hash is not served"},
    {"/etcdserverpb.Maintenance/HashKV", RpcMethod::other, "HashKV is not served"},
    {"/etcdserverpb.Maintenance/Snapshot", RpcMethod::other, "Snapshot is not served"},
    {"/etcdserverpb.Maintenance/MoveLeader", RpcMethod::other, "MoveLeader is not served yet"},
    {"/etcdserverpb.Maintenance/Downgrade", RpcMethod::other, "Downgrade is not served"},
    {"/etcdserverpb.Cluster/", RpcMethod::other, "membership changes are not supported"},
    {"/etcdserverpb.Watch/", RpcMethod::other, "Watch is not served yet"},
    {"/etcdserverpb.Lease/", RpcMethod::other, "leases are not served yet"},
    {"/etcdserverpb.Auth/", RpcMethod::other, "authentication is not supported"},
};

std::pair<RpcMethod, grpc::Status> refusal_for(std::string_view method) {
  for (const Refusal& r : kRefusals) {
    const bool whole_service = r.name.ends_with('/');
    if (whole_service ? method.starts_with(r.name) : method == r.name) {
      return {r.method, unimplemented(r.what)};
    }
  }
  return {RpcMethod::other,
          unimplemented(std::string(method) + " is not a method of etcd's v3 API")};
}

}  // namespace

class EtcdServices::Impl {
 public:
  explicit Impl(ServiceContext c) : context(std::move(c)) {}

  // Queues an answer decided on another thread; the first of a batch wakes the thread.
  void post_answer(Answer* a) {
    std::lock_guard lock(answers_mutex_);
    answers_.push_back(a);
    if (!answers_armed_) {
      answers_armed_ = true;
      answers_alarm_.Set(cq.get(), gpr_time_0(GPR_CLOCK_MONOTONIC), &answers_tag_);
    }
  }

  void run();  // the completion-queue thread
  void ask_for_first_calls();

  ServiceContext context;
  KvService kv;
  MaintenanceService maintenance;
  ClusterService cluster;
  grpc::AsyncGenericService generic;
  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  std::thread thread;
  bool stopping = false;  // the queue is shut down: start no operation (completion thread)

 private:
  // Writes every queued answer: one wake-up for a batch.
  class AnswersDue final : public Tag {
   public:
    explicit AnswersDue(Impl& f) : f_(f) {}
    void proceed(bool) override {
      {
        std::lock_guard lock(f_.answers_mutex_);
        f_.answers_taken_.swap(f_.answers_);
        f_.answers_armed_ = false;
      }
      for (Answer* a : f_.answers_taken_) {
        if (f_.stopping) {
          a->discard();
        } else {
          a->write_answer();
        }
      }
      f_.answers_taken_.clear();
    }

   private:
    Impl& f_;
  };
  // stop(): shuts the queue down from its own thread, so no call asks for a slot after it.
  class StopDue final : public Tag {
   public:
    explicit StopDue(Impl& f) : f_(f) {}
    void proceed(bool) override {
      f_.stopping = true;
      f_.cq->Shutdown();
    }

   private:
    Impl& f_;
  };

  std::mutex answers_mutex_;
  std::vector<Answer*> answers_;        // guarded by answers_mutex_
  bool answers_armed_ = false;          // guarded by answers_mutex_
  std::vector<Answer*> answers_taken_;  // completion thread only
  AnswersDue answers_tag_{*this};
  grpc::Alarm answers_alarm_;

 public:
  StopDue stop_tag{*this};
  grpc::Alarm stop_alarm;
};

namespace {

using Impl = EtcdServices::Impl;

// One call of a unary method, from its slot to its answer. On the heap; deleted when gRPC
// hands it back after the answer is written (or when the server shuts down).
template <class Service, class Request, class Response>
class UnaryCall final : public Tag, public Answer {
 public:
  using RequestFn = void (Service::*)(grpc::ServerContext*, Request*,
                                      grpc::ServerAsyncResponseWriter<Response>*,
                                      grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*);
  using HandleFn = void (*)(UnaryCall&);

  // Asks gRPC for the next call of this method.
  static void ask(Impl& f, Service& service, RequestFn request, HandleFn handle, RpcMethod method) {
    auto* call = new UnaryCall(f, service, request, handle, method);
    (service.*request)(&call->ctx, &call->request, &call->responder_, f.cq.get(), f.cq.get(), call);
  }

  void proceed(bool ok) override {
    if (stage_ != Stage::waiting || !ok || f_.stopping) {
      delete this;  // answered, or the server is shutting down
      return;
    }
    stage_ = Stage::handling;
    ask(f_, service_, request_fn_, handle_, method_);
    handle_(*this);
  }

  // Answers now (the completion-queue thread only).
  void finish(const grpc::Status& status) {
    stage_ = Stage::answered;
    f_.context.metrics->count_rpc(method_, static_cast<int>(status.error_code()));
    if (status.ok()) {
      responder_.Finish(response, status, this);
    } else {
      responder_.FinishWithError(status, this);
    }
  }
  // Answers from the node's thread: `response` is filled in; the status is written with
  // the rest of its batch.
  void finish_later(grpc::Status status) {
    status_ = std::move(status);
    f_.post_answer(this);
  }
  void write_answer() override { finish(status_); }
  void discard() override { delete this; }

  ServiceContext& context() { return f_.context; }

  grpc::ServerContext ctx;
  Request request;
  Response response;

 private:
  enum class Stage : std::uint8_t { waiting, handling, answered };

  UnaryCall(Impl& f, Service& service, RequestFn request, HandleFn handle, RpcMethod method)
      : f_(f),
        service_(service),
        request_fn_(request),
        handle_(handle),
        method_(method),
        responder_(&ctx) {}
  ~UnaryCall() = default;

  Impl& f_;
  Service& service_;
  RequestFn request_fn_;
  HandleFn handle_;
  RpcMethod method_;
  grpc::ServerAsyncResponseWriter<Response> responder_;
  grpc::Status status_;
  Stage stage_ = Stage::waiting;
};

// Any method not served above: answered UNIMPLEMENTED at once, streams included.
class RefusedCall final : public Tag {
 public:
  static void ask(Impl& f) {
    auto* call = new RefusedCall(f);
    f.generic.RequestCall(&call->ctx_, &call->stream_, f.cq.get(), f.cq.get(), call);
  }
  void proceed(bool ok) override {
    if (answered_ || !ok || f_.stopping) {
      delete this;
      return;
    }
    ask(f_);
    answered_ = true;
    const auto [method, status] = refusal_for(ctx_.method());
    f_.context.metrics->count_rpc(method, static_cast<int>(status.error_code()));
    stream_.Finish(status, this);
  }

 private:
  explicit RefusedCall(Impl& f) : f_(f), stream_(&ctx_) {}
  ~RefusedCall() = default;

  Impl& f_;
  grpc::GenericServerContext ctx_;
  grpc::GenericServerAsyncReaderWriter stream_;
  bool answered_ = false;
};

// ---------------------------------------------------------------- the handlers

using RangeCall = UnaryCall<KvService, pb::RangeRequest, pb::RangeResponse>;
using PutCall = UnaryCall<KvService, pb::PutRequest, pb::PutResponse>;
using DeleteRangeCall = UnaryCall<KvService, pb::DeleteRangeRequest, pb::DeleteRangeResponse>;
using TxnCall = UnaryCall<KvService, pb::TxnRequest, pb::TxnResponse>;
using StatusCall = UnaryCall<MaintenanceService, pb::StatusRequest, pb::StatusResponse>;
using AlarmCall = UnaryCall<MaintenanceService, pb::AlarmRequest, pb::AlarmResponse>;
using MemberListCall = UnaryCall<ClusterService, pb::MemberListRequest, pb::MemberListResponse>;

grpc::Status fill_range(const ServiceContext& c, ReadResult&& out, pb::RangeResponse& resp) {
  if (out.error != NodeError::none) return to_status(out.error);
  if (out.kv_error != kv::KvError::ok) return to_status(out.kv_error);
  to_proto(out.response, resp);
  fill_header(c, *resp.mutable_header(), out.response.revision, out.term);
  return grpc::Status::OK;
}

void handle_range(RangeCall& call) {
  ServiceContext& c = call.context();
  if (too_large(c, call.request)) return call.finish(request_too_large());
  kv::RangeRequest r = to_kv(call.request);
  if (kv::KvError e = kv::validate(r); e != kv::KvError::ok) return call.finish(to_status(e));
  if (r.serializable) {
    return call.finish(fill_range(c, c.node->read_serializable(r), call.response));
  }
  c.node->read(std::move(r), deadline_of(c, call.ctx), [&call](ReadResult&& out) {
    call.finish_later(fill_range(call.context(), std::move(out), call.response));
  });
}

// Proposes a write; on the node's answer, `copy` moves kv's response into the protobuf one
// (the node's thread) and the call is answered.
template <class Call, class Copy>
void propose(Call& call, kv::WriteRequest w, Copy) {
  ServiceContext& c = call.context();
  if (kv::KvError e = kv::validate(w); e != kv::KvError::ok) return call.finish(to_status(e));
  c.node->write(std::move(w), deadline_of(c, call.ctx), [&call](WriteResult&& out) {
    if (out.error != NodeError::none) return call.finish_later(to_status(out.error));
    if (out.result.error != kv::KvError::ok) return call.finish_later(to_status(out.result.error));
    Copy{}(out.result.response, call.response);
    fill_header(call.context(), *call.response.mutable_header(), revision_of(out.result.response),
                out.term);
    call.finish_later(grpc::Status::OK);
  });
}

void handle_put(PutCall& call) {
  if (too_large(call.context(), call.request)) return call.finish(request_too_large());
  propose(call, to_kv(call.request), [](kv::WriteResponse& w, pb::PutResponse& resp) {
    if (auto* p = std::get_if<kv::PutResponse>(&w)) to_proto(*p, resp);
  });
}

void handle_delete_range(DeleteRangeCall& call) {
  if (too_large(call.context(), call.request)) return call.finish(request_too_large());
  propose(call, to_kv(call.request), [](kv::WriteResponse& w, pb::DeleteRangeResponse& resp) {
    if (auto* p = std::get_if<kv::DeleteRangeResponse>(&w)) to_proto(*p, resp);
  });
}

void handle_txn(TxnCall& call) {
  if (too_large(call.context(), call.request)) return call.finish(request_too_large());
  std::string why;
  std::optional<kv::TxnRequest> txn = to_kv(call.request, &why);
  if (!txn) return call.finish(unimplemented(why));
  propose(call, std::move(*txn), [](kv::WriteResponse& w, pb::TxnResponse& resp) {
    if (auto* p = std::get_if<kv::TxnResponse>(&w)) to_proto(*p, resp);
  });
}

void handle_status(StatusCall& call) {
  const ServiceContext& c = call.context();
  const NodeStatus s = c.node->status();
  pb::StatusResponse& resp = call.response;
  fill_header(c, *resp.mutable_header(), s.revision, s.term);
  resp.set_version(kReportedVersion);
  resp.set_dbsize(static_cast<std::int64_t>(s.data_bytes));
  resp.set_dbsizeinuse(static_cast<std::int64_t>(s.data_bytes));
  resp.set_leader(s.leader);
  resp.set_raftindex(s.commit);
  resp.set_raftterm(s.term);  // the current term, not the last applied entry's
  resp.set_raftappliedindex(s.applied);
  call.finish(grpc::Status::OK);
}

void handle_alarm(AlarmCall& call) {
  // faultline raises no alarms (no space quota, no corruption check): GET lists none.
  if (call.request.action() != pb::AlarmRequest::GET) {
    return call.finish(unimplemented("Alarm: only GET is served"));
  }
  const NodeStatus s = call.context().node->status();
  fill_header(call.context(), *call.response.mutable_header(), s.revision, s.term);
  call.finish(grpc::Status::OK);
}

void handle_member_list(MemberListCall& call) {
  const ServiceContext& c = call.context();
  const NodeStatus s = c.node->status();
  fill_header(c, *call.response.mutable_header(), 0, s.term);
  for (const MemberInfo& m : c.members()) {
    pb::Member* out = call.response.add_members();
    out->set_id(m.id);
    out->set_name(m.name);
    for (const std::string& u : m.peer_urls) out->add_peerurls(u);
    for (const std::string& u : m.client_urls) out->add_clienturls(u);
  }
  call.finish(grpc::Status::OK);
}

}  // namespace

void EtcdServices::Impl::ask_for_first_calls() {
  for (int i = 0; i < kBusySlots; ++i) {
    RangeCall::ask(*this, kv, &KvService::RequestRange, handle_range, RpcMethod::range);
    PutCall::ask(*this, kv, &KvService::RequestPut, handle_put, RpcMethod::put);
    DeleteRangeCall::ask(*this, kv, &KvService::RequestDeleteRange, handle_delete_range,
                         RpcMethod::delete_range);
    TxnCall::ask(*this, kv, &KvService::RequestTxn, handle_txn, RpcMethod::txn);
  }
  for (int i = 0; i < kQuietSlots; ++i) {
    StatusCall::ask(*this, maintenance, &MaintenanceService::RequestStatus, handle_status,
                    RpcMethod::status);
    AlarmCall::ask(*this, maintenance, &MaintenanceService::RequestAlarm, handle_alarm,
                   RpcMethod::alarm);
    MemberListCall::ask(*this, cluster, &ClusterService::RequestMemberList, handle_member_list,
                        RpcMethod::member_list);
    RefusedCall::ask(*this);
  }
}

void EtcdServices::Impl::run() {
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) static_cast<Tag*>(tag)->proceed(ok);
}

EtcdServices::EtcdServices(ServiceContext context)
    : impl_(std::make_unique<Impl>(std::move(context))) {}

EtcdServices::~EtcdServices() { stop(); }

void EtcdServices::register_with(grpc::ServerBuilder& builder) {
  builder.RegisterService(&impl_->kv);
  builder.RegisterService(&impl_->maintenance);
  builder.RegisterService(&impl_->cluster);
  builder.RegisterAsyncGenericService(&impl_->generic);
  impl_->cq = builder.AddCompletionQueue();
}

void EtcdServices::start() {
  Impl& f = *impl_;
  f.ask_for_first_calls();
  f.thread = std::thread([&f] {
    pthread_setname_np(pthread_self(), "grpc-front");
    f.run();
  });
}

void EtcdServices::stop() {
  Impl& f = *impl_;
  if (!f.cq) return;
  if (f.thread.joinable()) {
    f.stop_alarm.Set(f.cq.get(), gpr_time_0(GPR_CLOCK_MONOTONIC), &f.stop_tag);
    f.thread.join();
  } else {
    // Registered but never started (the server did not build): nothing was asked for.
    f.cq->Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (f.cq->Next(&tag, &ok)) {
    }
  }
  f.cq.reset();
}

}  // namespace faultline::server
