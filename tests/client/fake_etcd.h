// An in-process stand-in for one etcd endpoint (KV.Put, KV.Range, Maintenance.Status on
// 127.0.0.1, a free port), whose behaviour a test controls: it can hold every request
// until released (a stalled node), or answer every put with a chosen gRPC error. Lets the
// client's tests tell their stories without a real cluster. A Range is a single key, or with
// range_end "\0" every key from `key` on (etcd's "from key"), with revisions and versions
// kept as etcd keeps them for puts; the last Range request is kept for a look.
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
    ++revision_;
    Revisions& r = revisions_[request->key()];
    if (r.version == 0) r.create = revision_;
    r.mod = revision_;
    ++r.version;
    response->mutable_header()->set_revision(revision_);
    return grpc::Status::OK;
  }

  grpc::Status Range(grpc::ServerContext*, const etcdserverpb::RangeRequest* request,
                     etcdserverpb::RangeResponse* response) override {
    std::unique_lock lock = arrive();
    last_range_ = *request;
    response->mutable_header()->set_revision(revision_);
    auto add = [&](const std::string& key, const std::string& value) {
      response->set_count(response->count() + 1);
      if (request->limit() > 0 && response->kvs_size() >= request->limit()) {
        response->set_more(true);
        return;
      }
      auto* kv = response->add_kvs();
      kv->set_key(key);
      kv->set_value(value);
      const Revisions& r = revisions_[key];
      kv->set_create_revision(r.create);
      kv->set_mod_revision(r.mod);
      kv->set_version(r.version);
    };
    if (request->range_end() == std::string(1, '\0')) {
      for (auto it = data_.lower_bound(request->key()); it != data_.end(); ++it)
        add(it->first, it->second);
    } else if (auto it = data_.find(request->key()); it != data_.end()) {
      add(it->first, it->second);
    }
    return grpc::Status::OK;
  }

  etcdserverpb::RangeRequest last_range() {
    std::lock_guard lock(mutex_);
    return last_range_;
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
  struct Revisions {
    std::int64_t create = 0, mod = 0, version = 0;
  };
  std::map<std::string, Revisions> revisions_;
  etcdserverpb::RangeRequest last_range_;
  std::int64_t revision_ = 0;
  std::atomic<int> requests_{0};
};

}  // namespace faultline::client::testing
