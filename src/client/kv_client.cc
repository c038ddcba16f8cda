// The asynchronous etcd KV client: one gRPC channel (its own TCP connection) per
// connection slot, calls completed on a few completion queues, one thread per queue.
#include "client/kv_client.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <stdexcept>

#include "etcdserverpb/rpc.grpc.pb.h"

namespace faultline::client {

std::vector<std::string> parse_endpoints(std::string_view csv) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= csv.size()) {
    std::size_t comma = csv.find(',', start);
    if (comma == std::string_view::npos) comma = csv.size();
    std::string_view item = csv.substr(start, comma - start);
    std::string original(item);
    if (item.starts_with("https://")) {
      throw std::invalid_argument("endpoint '" + original + "': TLS is not supported");
    }
    if (item.starts_with("http://")) item.remove_prefix(7);
    while (item.ends_with('/')) item.remove_suffix(1);
    std::size_t colon = item.rfind(':');
    bool port_ok = colon != std::string_view::npos && colon > 0 && colon + 1 < item.size();
    for (std::size_t i = colon + 1; port_ok && i < item.size(); ++i) {
      port_ok = item[i] >= '0' && item[i] <= '9';
    }
    if (!port_ok) {
      throw std::invalid_argument("endpoint '" + original + "' is not host:port");
    }
    out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

record::Outcome outcome_of_error(record::OpKind kind, int grpc_code, std::string_view message) {
  auto code = static_cast<grpc::StatusCode>(grpc_code);
  if (code == grpc::StatusCode::OK) return record::Outcome::ok;
  if (code == grpc::StatusCode::DEADLINE_EXCEEDED || code == grpc::StatusCode::CANCELLED) {
    return record::Outcome::timeout;
  }
  // A read changes nothing, so any answer that is not a value is simply a failure.
  if (kind == record::OpKind::read) return record::Outcome::fail;
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:  // etcd: "too many requests", before proposing
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
      return record::Outcome::fail;
    default:
      break;
  }
  if (code == grpc::StatusCode::UNAVAILABLE) {
    // The request never left this process (no connection), or etcd's interceptor refused
    // it before proposing ("etcdserver: no leader"). Everything else that is UNAVAILABLE
    // ("request timed out", "leader changed", a connection reset mid-call) is unknown.
    for (std::string_view sure : {"failed to connect", "Connection refused", "no leader",
                                  "DNS resolution failed", "empty address list"}) {
      if (message.find(sure) != std::string_view::npos) return record::Outcome::fail;
    }
  }
  return record::Outcome::timeout;
}

struct AsyncKvClient::Connection {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
  grpc::CompletionQueue* queue = nullptr;
};

namespace {

// One unary call in flight; deleted by the poller after `finish`.
template <class Response>
class UnaryCall final : public AsyncKvClient::PendingCall {
 public:
  using Done = std::function<void(UnaryCall&)>;
  explicit UnaryCall(Done done) : done_(std::move(done)) {}
  void finish(bool /*ok: always true for a unary Finish*/) override { done_(*this); }

  grpc::ClientContext context;
  Response response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;

 private:
  Done done_;
};

std::string describe(const grpc::Status& status) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  int code = status.error_code();
  std::string name = code >= 0 && code <= 16 ? kNames[code] : "CODE_" + std::to_string(code);
  return name + ": " + status.error_message();
}

// gRPC takes deadlines on its own clocks only; converting through the monotonic clock keeps
// a wall-clock step from moving them.
gpr_timespec grpc_deadline(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_micros(std::max<std::int64_t>(0, left.count()), GPR_TIMESPAN));
}

KvReply reply_from_error(record::OpKind kind, const grpc::Status& status) {
  KvReply reply;
  reply.completed = Clock::now();
  reply.outcome = outcome_of_error(kind, status.error_code(), status.error_message());
  reply.error = describe(status);
  return reply;
}

}  // namespace

AsyncKvClient::AsyncKvClient(KvClientOptions options) : endpoints_(std::move(options.endpoints)) {
  if (endpoints_.empty()) throw std::invalid_argument("no endpoints given");
  if (options.completion_threads == 0) {
    throw std::invalid_argument("completion_threads must be at least 1");
  }
  // gRPC's mutexes are absl's, and Debian's absl checks every lock for deadlock cycles by
  // default: a debugging aid that cost this client about 5% of its CPU under load.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::size_t connections = std::max(options.connections, endpoints_.size());
  for (std::size_t i = 0; i < options.completion_threads; ++i) {
    queues_.push_back(std::make_unique<grpc::CompletionQueue>());
  }
  for (std::size_t i = 0; i < connections; ++i) {
    grpc::ChannelArguments args;
    // Without a local pool, channels with equal arguments share one TCP connection; the
    // point of K connections is K sockets.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    // A restarted node must be usable again within a second, not after gRPC's default
    // backoff of up to two minutes.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Loopback and lab addresses must never go through an http_proxy from the environment.
    args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
    // Neither etcd nor faultline compresses messages, so the two compression filters only
    // cost CPU on every call. (GRPC_ARG_MINIMAL_STACK would save more, about 15 us per put
    // on this machine, but it also drops gRPC's transparent retries, which change what
    // the lab records when a connection goes away: not done.)
    args.SetInt(GRPC_ARG_ENABLE_PER_MESSAGE_COMPRESSION, 0);
    args.SetInt(GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION, 0);
    if (options.max_receive_bytes > 0) args.SetMaxReceiveMessageSize(options.max_receive_bytes);
    auto conn = std::make_unique<Connection>();
    conn->channel = grpc::CreateCustomChannel(endpoints_[i % endpoints_.size()],
                                              grpc::InsecureChannelCredentials(), args);
    conn->kv = etcdserverpb::KV::NewStub(conn->channel);
    conn->maintenance = etcdserverpb::Maintenance::NewStub(conn->channel);
    conn->queue = queues_[i % queues_.size()].get();
    connections_.push_back(std::move(conn));
  }
  for (auto& queue : queues_) {
    pollers_.emplace_back([this, q = queue.get()] { poll(q); });
  }
}

AsyncKvClient::~AsyncKvClient() {
  wait_idle();
  for (auto& queue : queues_) queue->Shutdown();
  for (auto& poller : pollers_) poller.join();
}

std::size_t AsyncKvClient::connection_for(std::size_t endpoint, std::uint64_t nth) const {
  std::size_t e = endpoints_.size();
  if (endpoint >= e) throw std::out_of_range("no endpoint " + std::to_string(endpoint));
  // Connections of endpoint `endpoint` are endpoint, endpoint + e, endpoint + 2e, ...
  std::size_t owned = (connections_.size() - endpoint + e - 1) / e;
  return endpoint + e * static_cast<std::size_t>(nth % owned);
}

AsyncKvClient::Connection& AsyncKvClient::connection(std::size_t index) {
  if (index >= connections_.size()) {
    throw std::out_of_range("no connection " + std::to_string(index));
  }
  return *connections_[index];
}

void AsyncKvClient::poll(grpc::CompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) {
    std::unique_ptr<PendingCall> call(static_cast<PendingCall*>(tag));
    call->finish(ok);
    call.reset();
    finished();
  }
}

void AsyncKvClient::started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }

void AsyncKvClient::finished() {
  if (in_flight_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard lock(idle_mutex_);
    idle_.notify_all();
  }
}

void AsyncKvClient::wait_idle() {
  std::unique_lock lock(idle_mutex_);
  idle_.wait(lock, [this] { return in_flight_.load(std::memory_order_acquire) == 0; });
}

void AsyncKvClient::put(std::size_t index, std::string key, std::string value,
                        Clock::time_point deadline, KvCallback done) {
  Connection& conn = connection(index);
  using Call = UnaryCall<etcdserverpb::PutResponse>;
  auto* call = new Call([done = std::move(done)](Call& c) {
    if (!c.status.ok()) return done(reply_from_error(record::OpKind::write, c.status));
    KvReply reply;
    reply.completed = Clock::now();
    reply.outcome = record::Outcome::ok;
    reply.revision = c.response.header().revision();
    done(std::move(reply));
  });
  call->context.set_deadline(grpc_deadline(deadline));
  etcdserverpb::PutRequest request;
  request.set_key(std::move(key));
  request.set_value(std::move(value));
  started();
  call->reader = conn.kv->PrepareAsyncPut(&call->context, request, conn.queue);
  call->reader->StartCall();
  call->reader->Finish(&call->response, &call->status, static_cast<PendingCall*>(call));
}

void AsyncKvClient::get(std::size_t index, std::string key, ReadConsistency consistency,
                        Clock::time_point deadline, KvCallback done) {
  Connection& conn = connection(index);
  using Call = UnaryCall<etcdserverpb::RangeResponse>;
  auto* call = new Call([done = std::move(done)](Call& c) {
    if (!c.status.ok()) return done(reply_from_error(record::OpKind::read, c.status));
    KvReply reply;
    reply.completed = Clock::now();
    reply.outcome = record::Outcome::ok;
    reply.revision = c.response.header().revision();
    if (c.response.kvs_size() > 0) {
      reply.found = true;
      reply.value = std::move(*c.response.mutable_kvs(0)->mutable_value());
    }
    done(std::move(reply));
  });
  call->context.set_deadline(grpc_deadline(deadline));
  etcdserverpb::RangeRequest request;
  request.set_key(std::move(key));
  request.set_serializable(consistency == ReadConsistency::serializable);
  started();
  call->reader = conn.kv->PrepareAsyncRange(&call->context, request, conn.queue);
  call->reader->StartCall();
  call->reader->Finish(&call->response, &call->status, static_cast<PendingCall*>(call));
}

void AsyncKvClient::range(std::size_t index, RangeSpec range, Clock::time_point deadline,
                          RangeCallback done) {
  Connection& conn = connection(index);
  using Call = UnaryCall<etcdserverpb::RangeResponse>;
  auto* call = new Call([done = std::move(done)](Call& c) {
    RangeReply reply;
    if (!c.status.ok()) {
      reply.error = describe(c.status);
      return done(std::move(reply));
    }
    reply.ok = true;
    reply.revision = c.response.header().revision();
    reply.more = c.response.more();
    reply.count = c.response.count();
    reply.kvs.reserve(static_cast<std::size_t>(c.response.kvs_size()));
    for (auto& kv : *c.response.mutable_kvs())
      reply.kvs.push_back({.key = std::move(*kv.mutable_key()),
                           .create_revision = kv.create_revision(),
                           .mod_revision = kv.mod_revision(),
                           .version = kv.version(),
                           .value = std::move(*kv.mutable_value())});
    done(std::move(reply));
  });
  call->context.set_deadline(grpc_deadline(deadline));
  etcdserverpb::RangeRequest request;
  request.set_key(std::move(range.key));
  request.set_range_end(std::move(range.range_end));
  request.set_limit(range.limit);
  request.set_serializable(range.consistency == ReadConsistency::serializable);
  started();
  call->reader = conn.kv->PrepareAsyncRange(&call->context, request, conn.queue);
  call->reader->StartCall();
  call->reader->Finish(&call->response, &call->status, static_cast<PendingCall*>(call));
}

KvReply AsyncKvClient::put_blocking(std::size_t index, std::string key, std::string value,
                                    std::chrono::milliseconds timeout) {
  // Shared, so the promise outlives the completion thread's set_value.
  auto promise = std::make_shared<std::promise<KvReply>>();
  auto answer = promise->get_future();
  put(index, std::move(key), std::move(value), Clock::now() + timeout,
      [promise](KvReply&& r) { promise->set_value(std::move(r)); });
  return answer.get();
}

KvReply AsyncKvClient::get_blocking(std::size_t index, std::string key, ReadConsistency consistency,
                                    std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<KvReply>>();
  auto answer = promise->get_future();
  get(index, std::move(key), consistency, Clock::now() + timeout,
      [promise](KvReply&& r) { promise->set_value(std::move(r)); });
  return answer.get();
}

RangeReply AsyncKvClient::range_blocking(std::size_t index, RangeSpec range,
                                         std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<RangeReply>>();
  auto answer = promise->get_future();
  this->range(index, std::move(range), Clock::now() + timeout,
              [promise](RangeReply&& r) { promise->set_value(std::move(r)); });
  return answer.get();
}

std::optional<EndpointStatus> AsyncKvClient::status_blocking(std::size_t index,
                                                             std::chrono::milliseconds timeout,
                                                             std::string* error) {
  Connection& conn = connection(index);
  using Call = UnaryCall<etcdserverpb::StatusResponse>;
  auto promise = std::make_shared<std::promise<std::optional<EndpointStatus>>>();
  auto answer = promise->get_future();
  auto* call = new Call([promise, error](Call& c) {
    if (!c.status.ok()) {
      if (error != nullptr) *error = describe(c.status);
      return promise->set_value(std::nullopt);
    }
    EndpointStatus s;
    s.member_id = c.response.header().member_id();
    s.leader = c.response.leader();
    s.raft_term = c.response.raftterm();
    s.raft_index = c.response.raftindex();
    s.applied_index = c.response.raftappliedindex();
    promise->set_value(s);
  });
  call->context.set_deadline(grpc_deadline(Clock::now() + timeout));
  started();
  call->reader = conn.maintenance->PrepareAsyncStatus(&call->context, etcdserverpb::StatusRequest{},
                                                      conn.queue);
  call->reader->StartCall();
  call->reader->Finish(&call->response, &call->status, static_cast<PendingCall*>(call));
  return answer.get();
}

std::optional<std::size_t> find_leader_endpoint(AsyncKvClient& kv,
                                                std::chrono::milliseconds timeout) {
  std::optional<std::uint64_t> leader;
  std::vector<std::uint64_t> members(kv.endpoint_count(), 0);
  for (std::size_t e = 0; e < kv.endpoint_count(); ++e) {
    auto status = kv.status_blocking(kv.connection_for(e, 0), timeout);
    if (!status) continue;
    members[e] = status->member_id;
    if (status->leader == 0 || (leader && *leader != status->leader)) return std::nullopt;
    leader = status->leader;
  }
  if (!leader) return std::nullopt;
  for (std::size_t e = 0; e < members.size(); ++e) {
    if (members[e] == *leader) return e;
  }
  return std::nullopt;
}

}  // namespace faultline::client
