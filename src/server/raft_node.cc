// The node's loop: inbox -> core -> Ready -> disk, network, state machine, clients.
#include "server/raft_node.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <cstring>
#include <stdexcept>

#include "raft/raw_node.h"
#include "server/tick_pacer.h"
#include "storage/disk_storage.h"
#include "storage/storage_error.h"

namespace faultline::server {
namespace {

// A ReadIndex round that got no answer (the leader changed, a message was lost) is asked
// again after this long, as etcd does.
constexpr auto kReadIndexRetry = std::chrono::milliseconds(500);

// Transport handlers (frames read, writes completed, timers) run per loop iteration at most.
constexpr int kMaxHandlersPerIteration = 256;

std::string encode_context(std::uint64_t id) {
  std::string out(sizeof id, '\0');
  std::memcpy(out.data(), &id, sizeof id);
  return out;
}

bool decode_context(const std::string& ctx, std::uint64_t& id) {
  if (ctx.size() != sizeof id) return false;
  std::memcpy(&id, ctx.data(), sizeof id);
  return true;
}

}  // namespace

RaftNode::RaftNode(RaftNodeOptions options, ServerMetrics& metrics)
    : options_(std::move(options)), metrics_(metrics) {
  // Request ids: the node's tag in the top byte, then a counter that starts at the boot
  // time in microseconds, so ids never repeat across restarts of the same node (an entry
  // proposed before a crash can be applied after it, and must not answer a new client).
  const auto boot_us = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  next_request_id_ = (static_cast<std::uint64_t>(options_.request_id_tag) << 56) |
                     (static_cast<std::uint64_t>(boot_us) & ((1ull << 56) - 1));

  storage_ = std::make_unique<storage::DiskStorage>(storage::DiskStorageOptions{
      .dir = options_.dir, .catch_up_entries = options_.snapshot_catch_up_entries});
  raft::Snapshot snap;
  if (storage_->snapshot(snap) == raft::ErrorCode::ok && !snap.empty()) {
    std::string error;
    if (!kv_.restore(snap.data, error)) {
      throw storage::StorageError(storage::StorageErrorKind::corruption,
                                  "snapshot at index " + std::to_string(snap.metadata.index) +
                                      " does not hold a key-value state: " + error);
    }
    applied_ = snapshot_index_ = snap.metadata.index;
  }
  const raft::HardState hs = storage_->hard_state();
  persisted_term_ = term_ = hs.term;
  persisted_vote_ = hs.vote;
  commit_ = hs.commit;

  raft::Config config;
  config.id = options_.id;
  config.peers = options_.voters;
  config.election_tick = options_.election_tick;
  config.heartbeat_tick = 1;
  config.applied = applied_;
  config.switches = options_.switches;
  config.seed = options_.seed;
  config.logger = [id = options_.id](std::string_view line) {
    // Role changes are what an operator looks for; the rest (votes cast, messages) is
    // detail for debugging.
    if (line.find("became") != std::string_view::npos) {
      spdlog::info("raft {:x}: {}", id, line);
    } else {
      spdlog::debug("raft {:x}: {}", id, line);
    }
  };
  node_ = std::make_unique<raft::RawNode>(config, *storage_);
  const auto& r = storage_->recovery();
  spdlog::info("node {:x}: storage {} (snapshot {}, log {}..{}, term {}, commit {}){}", options_.id,
               options_.dir.string(), r.snapshot_index, r.first_index, r.last_index, hs.term,
               hs.commit,
               r.torn_tail.empty() ? std::string() : "; truncated torn tail: " + r.torn_tail);
  publish_status();
}

RaftNode::~RaftNode() { stop(); }

void RaftNode::wake() {
  bool post = false;
  {
    std::lock_guard lock(inbox_mutex_);
    post = sleeping_;
    sleeping_ = false;
  }
  // One empty handler is enough to end the loop's wait; the inbox is read after it.
  if (post) asio::post(*options_.io, [] {});
}

void RaftNode::start() {
  if (options_.io == nullptr) throw std::invalid_argument("RaftNode needs an io_context");
  // As etcd does at start-up: advance the election clock so the first election comes
  // within about one election timeout rather than two.
  for (int i = 0; i + 1 < options_.election_tick; ++i) node_->tick();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "raft-node");
    loop();
  });
}

void RaftNode::stop() {
  {
    std::lock_guard lock(inbox_mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  if (options_.io != nullptr) wake();
  if (thread_.joinable()) thread_.join();
}

bool RaftNode::admit_request() {
  if (pending_requests_.fetch_add(1, std::memory_order_relaxed) >= options_.max_pending_requests) {
    pending_requests_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void RaftNode::deliver(std::vector<raft::Message>&& messages) {
  {
    std::lock_guard lock(inbox_mutex_);
    if (inbox_.messages.size() + messages.size() > options_.max_inbox_messages) {
      // Raft tolerates lost messages; an unbounded inbox would not be tolerated by memory.
      metrics_.inbox_overflows.fetch_add(messages.size(), std::memory_order_relaxed);
      return;
    }
    if (inbox_.messages.empty()) {
      inbox_.messages = std::move(messages);
    } else {
      for (raft::Message& m : messages) inbox_.messages.push_back(std::move(m));
    }
  }
  // No wake(): the transport delivers on the node's own thread, which reads the inbox next.
}

void RaftNode::report_unreachable(raft::NodeId peer) {
  {
    std::lock_guard lock(inbox_mutex_);
    if (inbox_.unreachable.size() < 1024) inbox_.unreachable.push_back(peer);
  }
}

void RaftNode::write(kv::WriteRequest request, Clock::time_point deadline, WriteDone done) {
  if (!admit_request()) {
    done(WriteResult{NodeError::too_many_requests, {}, 0});
    return;
  }
  PendingWrite w{next_request_id_.fetch_add(1, std::memory_order_relaxed), std::move(request),
                 deadline, std::move(done)};
  {
    std::lock_guard lock(inbox_mutex_);
    if (!stopping_) {
      inbox_.writes.push_back(std::move(w));
      w.done = nullptr;
    }
  }
  if (w.done) {
    finish_request();
    w.done(WriteResult{NodeError::stopped, {}, 0});
    return;
  }
  wake();
}

void RaftNode::read(kv::RangeRequest request, Clock::time_point deadline, ReadDone done) {
  if (!admit_request()) {
    done(ReadResult{NodeError::too_many_requests, kv::KvError::ok, {}, 0});
    return;
  }
  PendingRead r{std::move(request), deadline, std::move(done)};
  {
    std::lock_guard lock(inbox_mutex_);
    if (!stopping_) {
      inbox_.reads.push_back(std::move(r));
      r.done = nullptr;
    }
  }
  if (r.done) {
    finish_request();
    r.done(ReadResult{NodeError::stopped, kv::KvError::ok, {}, 0});
    return;
  }
  wake();
}

ReadResult RaftNode::read_serializable(const kv::RangeRequest& request) const {
  ReadResult out;
  {
    std::shared_lock lock(kv_mutex_);
    out.kv_error = kv_.range(request, out.response);
  }
  std::lock_guard lock(status_mutex_);
  out.term = status_.term;
  return out;
}

NodeStatus RaftNode::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

// ---------------------------------------------------------------- the loop

void RaftNode::loop() {
  TickPacer pacer(options_.tick, Clock::now());
  Inbox in;
  asio::io_context& io = *options_.io;
  auto keep_running = asio::make_work_guard(io);  // run_one_until must wait, not return
  try {
    for (;;) {
      bool idle = false;
      {
        std::lock_guard lock(inbox_mutex_);
        if (stopping_) break;
        idle = inbox_.empty();
        sleeping_ = idle;
      }
      // Wait for peer traffic, a transport timer, a wake() or the next tick; then run the
      // other handlers that are ready (peer frames land in the inbox), a bounded number so
      // a stream of frames cannot keep the core from running.
      if (idle) io.run_one_until(pacer.next());
      for (int i = 0; i < kMaxHandlersPerIteration && io.poll_one() > 0; ++i) {
      }
      {
        std::lock_guard lock(inbox_mutex_);
        sleeping_ = false;
        if (stopping_) break;
        std::swap(in, inbox_);
      }
      run_iteration(in, pacer);
      in.messages.clear();
      in.unreachable.clear();
      in.writes.clear();
      in.reads.clear();
      if (fatal_) break;
    }
  } catch (const std::exception& e) {
    // A failed disk write leaves the log's durable state unknown: stop, loudly.
    fatal_ = true;
    spdlog::critical("node {:x}: {}", options_.id, e.what());
    if (options_.on_fatal) options_.on_fatal(e.what());
  }
  // Requests taken from the inbox but not yet handed on, then everything still waiting.
  {
    std::lock_guard lock(inbox_mutex_);
    stopping_ = true;
    for (PendingWrite& w : inbox_.writes) awaiting_leader_.push_back(std::move(w));
    for (PendingRead& r : inbox_.reads) reads_awaiting_leader_.push_back(std::move(r));
    inbox_.writes.clear();
    inbox_.reads.clear();
  }
  fail_everything(NodeError::stopped);
}

void RaftNode::run_iteration(Inbox& in, TickPacer& pacer) {
  const auto now = Clock::now();
  // Peer messages first, then the tick: after a stall the leader's heartbeats waiting in
  // the inbox must reset the election timer before time advances, or a follower that was
  // merely slow would campaign against a healthy leader.
  for (const raft::Message& m : in.messages) {
    if (node_->step(m) != raft::ErrorCode::ok) {
      metrics_.peer_messages_refused.fetch_add(1, std::memory_order_relaxed);
    }
  }
  const long long dropped_before = pacer.dropped();
  if (pacer.due(now) > 0) {
    node_->tick();
    if (pacer.dropped() != dropped_before) {
      metrics_.slow_ticks.fetch_add(1, std::memory_order_relaxed);
    }
    sweep(now);
    wal_bytes_written_ = storage_->wal_stats().bytes_written;
  }
  for (raft::NodeId id : in.unreachable) node_->report_unreachable(id);
  for (PendingWrite& w : in.writes) propose(std::move(w));
  if (!in.reads.empty()) issue_read_index(ReadBatch{std::move(in.reads), 0, false, now});
  handle_ready();
  // Requests that arrived while no leader was known go out as soon as one is.
  if (soft_.leader != raft::kNone &&
      (!awaiting_leader_.empty() || !reads_awaiting_leader_.empty())) {
    std::deque<PendingWrite> writes = std::move(awaiting_leader_);
    awaiting_leader_.clear();
    for (PendingWrite& w : writes) propose(std::move(w));
    if (!reads_awaiting_leader_.empty()) {
      std::vector<PendingRead> reads = std::move(reads_awaiting_leader_);
      reads_awaiting_leader_.clear();
      issue_read_index(ReadBatch{std::move(reads), 0, false, now});
    }
    handle_ready();
  }
  metrics_.proposals_pending.store(
      static_cast<std::int64_t>(in_flight_.size() + awaiting_leader_.size()),
      std::memory_order_relaxed);
  publish_status();
}

void RaftNode::propose(PendingWrite&& w) {
  const std::uint64_t id = w.id;
  // The request moves into the command, and back if it must wait: once it is in the log,
  // the waiting write needs only its id, deadline and callback.
  kv::Command command{id, std::move(w.request)};
  const raft::ErrorCode rc = node_->propose(kv::encode(command));
  switch (rc) {
    case raft::ErrorCode::ok:
      in_flight_.emplace(id, std::move(w));
      return;
    case raft::ErrorCode::no_leader:
    case raft::ErrorCode::leader_transferring:
      w.request = std::move(command.request);
      awaiting_leader_.push_back(std::move(w));
      return;
    default:
      // proposal_too_large: the leader's uncommitted tail is full; back off.
      metrics_.proposals_failed.fetch_add(1, std::memory_order_relaxed);
      finish_request();
      w.done(WriteResult{NodeError::too_many_requests, {}, term_});
      return;
  }
}

void RaftNode::issue_read_index(ReadBatch&& batch) {
  const std::uint64_t ctx = next_read_context_++;
  const raft::ErrorCode rc = node_->read_index(encode_context(ctx));
  if (rc == raft::ErrorCode::ok) {
    batch.issued = Clock::now();
    batch.index_known = false;
    read_batches_.emplace(ctx, std::move(batch));
    return;
  }
  // No leader (or the core's read queue is full): wait for a leader and ask again.
  for (PendingRead& r : batch.reads) reads_awaiting_leader_.push_back(std::move(r));
}

void RaftNode::handle_ready() {
  // Bounded: each round consumes the core's output; the core produces more only from new
  // input, and there is none inside this loop apart from snapshot reports.
  for (int round = 0; round < 64 && node_->has_ready(); ++round) {
    raft::Ready rd = node_->ready();
    if (rd.has_soft_state) {
      if (rd.soft_state.leader != soft_.leader && rd.soft_state.leader != raft::kNone) {
        metrics_.leader_changes.fetch_add(1, std::memory_order_relaxed);
      }
      soft_ = rd.soft_state;
    }
    if (rd.has_hard_state) {
      term_ = rd.hard_state.term;
      commit_ = rd.hard_state.commit;
    }
    const bool changes_vote = rd.has_hard_state && (rd.hard_state.term != persisted_term_ ||
                                                    rd.hard_state.vote != persisted_vote_);
    const bool send_early = soft_.role == raft::StateRole::leader && !changes_vote;
    for (const raft::Message& m : rd.messages) {
      if (m.type == raft::MessageType::snap) snapshots_sent_.push_back(m.to);
    }
    if (send_early && !rd.messages.empty()) options_.send(std::move(rd.messages));

    if (!rd.snapshot.empty()) install_snapshot(rd.snapshot);
    // Committed entries are durable on a quorum already, so they are applied and their
    // clients answered before this node's own disk write of the new entries: the answer
    // does not wait for an fsync it does not depend on (etcd applies concurrently too).
    apply_and_answer(rd);
    persist(rd);
    if (!send_early && !rd.messages.empty()) options_.send(std::move(rd.messages));

    node_->advance();
    for (raft::NodeId to : snapshots_sent_) node_->report_snapshot(to, true);
    snapshots_sent_.clear();
    maybe_snapshot();
  }
}

void RaftNode::install_snapshot(const raft::Snapshot& snapshot) {
  storage_->apply_snapshot(snapshot);  // durable on return
  std::string error;
  std::unique_lock lock(kv_mutex_);
  if (!kv_.restore(snapshot.data, error)) {
    throw std::runtime_error("snapshot from the leader at index " +
                             std::to_string(snapshot.metadata.index) +
                             " is not a key-value state: " + error);
  }
  applied_ = snapshot_index_ = snapshot.metadata.index;
  lock.unlock();
  // A follower that fell further behind than the leader's catch-up entries: worth a line.
  metrics_.snapshots_installed.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("node {:x}: installed the leader's snapshot at index {} (term {})", options_.id,
               snapshot.metadata.index, snapshot.metadata.term);
}

void RaftNode::apply_and_answer(const raft::Ready& rd) {
  std::vector<std::pair<PendingWrite, kv::ApplyResult>> answered;
  if (!rd.committed_entries.empty()) {
    const auto start = Clock::now();
    apply(rd.committed_entries, answered);
    metrics_.apply_batch.observe(std::chrono::duration<double>(Clock::now() - start).count());
  }
  for (const raft::ReadState& rs : rd.read_states) {
    std::uint64_t ctx = 0;
    if (!decode_context(rs.context, ctx)) continue;
    auto it = read_batches_.find(ctx);
    if (it == read_batches_.end()) continue;  // answered already, or retried
    it->second.index = rs.index;
    it->second.index_known = true;
  }
  // Publish before answering, so a client that got its answer sees it in Status too.
  if (!rd.committed_entries.empty()) publish_status();
  for (auto& [w, result] : answered) {
    finish_request();
    w.done(WriteResult{NodeError::none, std::move(result), term_});
  }
  serve_reads();
}

void RaftNode::persist(raft::Ready& rd) {
  if (!rd.has_hard_state && rd.entries.empty()) return;
  // A commit-index-only change need not be synced: losing it loses nothing (it is
  // learned again from the leader); it goes to disk with the next sync.
  const bool sync = rd.must_sync || !rd.entries.empty();
  // The storage takes the entries over: nothing reads them after this.
  storage_->save(rd.has_hard_state ? &rd.hard_state : nullptr, std::move(rd.entries));
  if (!sync) return;
  const auto start = Clock::now();
  storage_->sync();
  metrics_.wal_fsync.observe(std::chrono::duration<double>(Clock::now() - start).count());
  if (rd.has_hard_state) {
    persisted_term_ = rd.hard_state.term;
    persisted_vote_ = rd.hard_state.vote;
  }
}

void RaftNode::apply(const std::vector<raft::Entry>& entries,
                     std::vector<std::pair<PendingWrite, kv::ApplyResult>>& answered) {
  std::unique_lock lock(kv_mutex_);
  for (const raft::Entry& e : entries) {
    if (e.index <= applied_) continue;  // covered by a snapshot already
    if (!e.data.empty()) {
      kv::Command command;
      std::string error;
      if (!kv::decode(e.data, command, error)) {
        fatal_ = true;
        throw std::runtime_error("committed entry " + std::to_string(e.index) +
                                 " is not a key-value command (" + error +
                                 "): refusing to apply a corrupt log");
      }
      kv::ApplyResult result = kv_.apply(command);
      if (auto it = in_flight_.find(command.request_id); it != in_flight_.end()) {
        answered.emplace_back(std::move(it->second), std::move(result));
        in_flight_.erase(it);
      }
    }
    applied_ = e.index;
  }
}

void RaftNode::serve_reads() {
  for (auto it = read_batches_.begin(); it != read_batches_.end();) {
    ReadBatch& batch = it->second;
    if (!batch.index_known || batch.index > applied_) {
      ++it;
      continue;
    }
    for (PendingRead& r : batch.reads) {
      ReadResult out;
      out.kv_error = kv_.range(r.request, out.response);  // this thread is the only writer
      out.term = term_;
      finish_request();
      r.done(std::move(out));
    }
    it = read_batches_.erase(it);
  }
}

void RaftNode::sweep(Clock::time_point now) {
  auto expire_write = [&](PendingWrite& w) {
    metrics_.proposals_failed.fetch_add(1, std::memory_order_relaxed);
    finish_request();
    w.done(WriteResult{NodeError::timeout, {}, term_});
  };
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.deadline <= now) {
      expire_write(it->second);
      it = in_flight_.erase(it);
    } else {
      ++it;
    }
  }
  while (!awaiting_leader_.empty() && awaiting_leader_.front().deadline <= now) {
    expire_write(awaiting_leader_.front());
    awaiting_leader_.pop_front();
  }
  // awaiting_leader_ is in arrival order but deadlines may differ: sweep the rest too.
  for (auto it = awaiting_leader_.begin(); it != awaiting_leader_.end();) {
    if (it->deadline <= now) {
      expire_write(*it);
      it = awaiting_leader_.erase(it);
    } else {
      ++it;
    }
  }
  auto expire_reads = [&](std::vector<PendingRead>& reads) {
    std::erase_if(reads, [&](PendingRead& r) {
      if (r.deadline > now) return false;
      finish_request();
      r.done(ReadResult{NodeError::timeout, kv::KvError::ok, {}, term_});
      return true;
    });
  };
  expire_reads(reads_awaiting_leader_);
  std::vector<ReadBatch> retry;
  for (auto it = read_batches_.begin(); it != read_batches_.end();) {
    expire_reads(it->second.reads);
    if (it->second.reads.empty()) {
      it = read_batches_.erase(it);
    } else if (!it->second.index_known && now - it->second.issued >= kReadIndexRetry) {
      retry.push_back(std::move(it->second));
      it = read_batches_.erase(it);
    } else {
      ++it;
    }
  }
  for (ReadBatch& b : retry) issue_read_index(std::move(b));
}

void RaftNode::maybe_snapshot() {
  if (applied_ < snapshot_index_ + options_.snapshot_count) return;
  std::string data;
  {
    std::shared_lock lock(kv_mutex_);
    data = kv_.save();
  }
  storage_->create_snapshot(applied_, options_.voters, std::move(data));
  snapshot_index_ = applied_;
  metrics_.snapshots.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("node {:x}: snapshot at index {}", options_.id, applied_);
}

void RaftNode::publish_status() {
  NodeStatus s;
  s.id = options_.id;
  s.term = term_;
  s.leader = soft_.leader;
  s.role = soft_.role;
  s.commit = commit_;
  s.applied = applied_;
  s.last_index = storage_->last_index();
  s.snapshot_index = snapshot_index_;
  s.revision = kv_.revision();
  s.data_bytes = kv_.data_bytes();
  s.keys = kv_.key_count();
  s.wal_bytes_written = wal_bytes_written_;
  std::lock_guard lock(status_mutex_);
  status_ = s;
}

void RaftNode::fail_everything(NodeError error) {
  for (auto& [id, w] : in_flight_) {
    finish_request();
    w.done(WriteResult{error, {}, term_});
  }
  in_flight_.clear();
  for (PendingWrite& w : awaiting_leader_) {
    finish_request();
    w.done(WriteResult{error, {}, term_});
  }
  awaiting_leader_.clear();
  auto fail_reads = [&](std::vector<PendingRead>& reads) {
    for (PendingRead& r : reads) {
      finish_request();
      r.done(ReadResult{error, kv::KvError::ok, {}, term_});
    }
    reads.clear();
  };
  fail_reads(reads_awaiting_leader_);
  for (auto& [ctx, batch] : read_batches_) fail_reads(batch.reads);
  read_batches_.clear();
  metrics_.proposals_pending.store(0, std::memory_order_relaxed);
}

}  // namespace faultline::server
