// An in-process stand-in for one etcd endpoint (KV.Put, KV.Range, Maintenance.Status on
// 127.0.0.1, a free port), whose behaviour a test controls: it can hold every request
// until released (a stalled node), or answer every put with a chosen gRPC error. Lets the
// client's tests tell their stories without a real cluster.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "etcdserverpb/rpc.grpc.pb.h"

namespace faultline::client::testing {

class FakeEtcd final : public etcdserverpb::KV::Service, public etcdserverpb::Maintenance::Service {
 public:
  explicit FakeEtcd(std::uint64_t member_id = 1, std::uint64_t leader = 1)
      : member_id_(member_id), leader_(leader) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(static_cast<etcdserverpb::KV::Service*>(this));
    builder.RegisterService(static_cast<etcdserverpb::Maintenance::Service*>(this));
    server_ = builder.BuildAndStart();
  }
  ~FakeEtcd() override {
    release();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Every request that arrives from now on waits until release().
  void stall() {
    std::lock_guard lock(mutex_);
    stalled_ = true;
  }
  void release() {
    std::lock_guard lock(mutex_);
    stalled_ = false;
    gate_.notify_all();
  }
  // Every put is answered with this error instead (nullopt: store it).
  void fail_puts_with(std::optional<grpc::Status> error) {
    std::lock_guard lock(mutex_);
    put_error_ = std::move(error);
  }
  int requests() const { return requests_.load(); }
  std::optional<std::string> stored(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = data_.find(key);
    if (it == data_.end()) return std::nullopt;
    return it->second;
  }

  grpc::Status Put(grpc::ServerContext*, const etcdserverpb::PutRequest* request,
                   etcdserverpb::PutResponse* response) override {
    std::unique_lock lock = arrive();
    if (put_error_) return *put_error_;
    data_[request->key()] = request->value();
    response->mutable_header()->set_revision(++revision_);
    return grpc::Status::OK;
  }

  grpc::Status Range(grpc::ServerContext*, const etcdserverpb::RangeRequest* request,
                     etcdserverpb::RangeResponse* response) override {
    std::unique_lock lock = arrive();
    response->mutable_header()->set_revision(revision_);
    auto it = data_.find(request->key());
    if (it != data_.end()) {
      auto* kv = response->add_kvs();
      kv->set_key(it->first);
      kv->set_value(it->second);
      response->set_count(1);
    }
    return grpc::Status::OK;
  }

  grpc::Status Status(grpc::ServerContext*, const etcdserverpb::StatusRequest*,
                      etcdserverpb::StatusResponse* response) override {
    response->mutable_header()->set_member_id(member_id_);
    response->set_leader(leader_);
    return grpc::Status::OK;
  }

 private:
  std::unique_lock<std::mutex> arrive() {
    ++requests_;
    std::unique_lock lock(mutex_);
    // Bounded: a stalled request is released by release() or, at the latest, after 10 s.
    gate_.wait_for(lock, std::chrono::seconds(10), [this] { return !stalled_; });
    return lock;
  }

  std::uint64_t member_id_;
  std::uint64_t leader_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::mutex mutex_;
  std::condition_variable gate_;
  bool stalled_ = false;
  std::optional<grpc::Status> put_error_;
  std::map<std::string, std::string> data_;
  std::int64_t revision_ = 0;
  std::atomic<int> requests_{0};
};

}  // namespace faultline::client::testing
