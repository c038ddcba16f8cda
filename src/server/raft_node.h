// RaftNode: the thread that owns one node's Raft core, its durable storage and its
// key-value state machine. Everything else (gRPC handlers, the peer transport, the
// metrics listener) reaches it only through its inbox: they post messages, proposals and
// reads, and get answers through callbacks the node calls on its own thread.
//
// The node's thread also runs the peer transport's io_context: it waits in epoll for peer
// traffic, its own timers and the wake-ups of the gRPC thread, reads peer frames into the
// inbox, and writes the core's messages to the sockets itself. So a message crosses no
// thread between the socket and the core, either way.
//
// One loop iteration: take the whole inbox, step peer messages, tick if due, propose the
// writes that arrived (all of them go into one Ready), then for each Ready:
//   - a leader that does not change its term or vote sends its messages first, in
//     parallel with its own disk write (the Raft thesis, 10.2.1; raft/types.h allows it);
//   - apply committed entries (durable on a quorum already), answer the local clients
//     whose entries they were, serve linearizable reads whose ReadIndex is applied;
//   - persist hard state and new entries with ONE fdatasync (group commit);
//   - otherwise send the messages now, after the sync (persist before you acknowledge).
// While the loop is in fdatasync new requests pile up in the inbox and go out together in
// the next Ready, so the batch grows with the load.
//
// Forwarding: a write sent to a follower is proposed to the follower's core, which forwards
// it to the leader; the node that received the request answers it when it applies the
// entry itself (the entry carries the request id, whose top byte is the node's index).
// A write proposed with no known leader waits (bounded) until one is known or its deadline
// passes; no answer by the deadline is "etcdserver: request timed out".
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kv/command.h"
#include "kv/store.h"
#include "raft/config.h"
#include "raft/types.h"
#include "server/metrics.h"

namespace asio {
class io_context;
}
namespace faultline::raft {
class RawNode;
}
namespace faultline::storage {
class DiskStorage;
}

namespace faultline::server {

using Clock = std::chrono::steady_clock;

// Why a request got no answer from the state machine.
enum class NodeError : std::uint8_t {
  none,
  timeout,            // no answer by the deadline (maybe applied later: the client cannot know)
  stopped,            // the node shut down first
  too_many_requests,  // the node's bounded queues are full: try again later
};

struct WriteResult {
  NodeError error = NodeError::none;
  kv::ApplyResult result;  // valid when error == none
  raft::Term term = 0;
};

struct ReadResult {
  NodeError error = NodeError::none;
  kv::KvError kv_error = kv::KvError::ok;
  kv::RangeResponse response;
  raft::Term term = 0;
};

// Called on the node's thread: must be quick and must not block.
using WriteDone = std::function<void(WriteResult&&)>;
using ReadDone = std::function<void(ReadResult&&)>;

// What Maintenance.Status, the metrics and the tests see.
struct NodeStatus {
  raft::NodeId id = raft::kNone;
  raft::Term term = 0;  // the current term (not the last applied entry's, as etcd reports)
  raft::NodeId leader = raft::kNone;
  raft::StateRole role = raft::StateRole::follower;
  raft::Index commit = 0;
  raft::Index applied = 0;
  raft::Index last_index = 0;
  raft::Index snapshot_index = 0;
  kv::Revision revision = 1;
  std::uint64_t data_bytes = 0;
  std::uint64_t keys = 0;
  std::uint64_t wal_bytes_written = 0;
};

struct RaftNodeOptions {
  raft::NodeId id = raft::kNone;
  std::vector<raft::NodeId> voters;  // every member, this node included
  std::uint8_t request_id_tag = 0;   // this node's index among the members
  std::filesystem::path dir;         // the node's storage directory
  std::chrono::milliseconds tick{100};
  int election_tick = 10;
  raft::Switches switches;
  std::uint64_t seed = 1;
  std::uint64_t snapshot_count = 100000;
  std::uint64_t snapshot_catch_up_entries = 5000;  // the storage's log kept behind a snapshot
  std::size_t max_pending_requests = 65536;        // writes and reads not yet answered
  std::size_t max_inbox_messages = 65536;          // peer messages waiting for the loop
  // The peer transport's io_context: the node's thread runs it (required).
  asio::io_context* io = nullptr;
  // Hands messages to the transport; called on the node's thread, must not block.
  std::function<void(std::vector<raft::Message>&&)> send;
  // Called once, on the node's thread, if the node must stop (a corrupt log entry, a
  // failed disk write): the process should exit.
  std::function<void(const std::string&)> on_fatal;
};

class TickPacer;

class RaftNode {
 public:
  // Opens the storage (throws storage::StorageError on corruption or I/O failure) and
  // restores the state machine from the latest snapshot.
  RaftNode(RaftNodeOptions options, ServerMetrics& metrics);
  ~RaftNode();
  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;

  void start();
  // Stops the loop; every request still waiting is answered with NodeError::stopped.
  void stop();

  // Peer traffic: only on the node's own thread, i.e. from handlers of the io_context it
  // runs (the peer transport's); they do not wake the loop, which reads the inbox next.
  void deliver(std::vector<raft::Message>&& messages);
  void report_unreachable(raft::NodeId peer);
  // Requests: any thread. Never block.
  void write(kv::WriteRequest request, Clock::time_point deadline, WriteDone done);
  void read(kv::RangeRequest request, Clock::time_point deadline, ReadDone done);
  // Serves a read from local state at once (etcd's serializable read).
  ReadResult read_serializable(const kv::RangeRequest& request) const;
  NodeStatus status() const;

 private:
  struct PendingWrite {
    std::uint64_t id = 0;
    kv::WriteRequest request;
    Clock::time_point deadline;
    WriteDone done;
  };
  struct PendingRead {
    kv::RangeRequest request;
    Clock::time_point deadline;
    ReadDone done;
  };
  // Reads that share one ReadIndex round.
  struct ReadBatch {
    std::vector<PendingRead> reads;
    raft::Index index = 0;  // known once the ReadState arrived
    bool index_known = false;
    Clock::time_point issued;
  };
  struct Inbox {
    std::vector<raft::Message> messages;
    std::vector<raft::NodeId> unreachable;
    std::vector<PendingWrite> writes;
    std::vector<PendingRead> reads;
    bool empty() const {
      return messages.empty() && unreachable.empty() && writes.empty() && reads.empty();
    }
  };

  void loop();
  void run_iteration(Inbox& in, TickPacer& pacer);
  void propose(PendingWrite&& write);
  void issue_read_index(ReadBatch&& batch);
  void handle_ready();
  void install_snapshot(const raft::Snapshot& snapshot);
  void apply_and_answer(const raft::Ready& rd);
  void persist(raft::Ready& rd);
  void apply(const std::vector<raft::Entry>& entries,
             std::vector<std::pair<PendingWrite, kv::ApplyResult>>& answered);
  void serve_reads();
  void sweep(Clock::time_point now);
  void maybe_snapshot();
  void publish_status();
  void fail_everything(NodeError error);
  bool admit_request();
  // Wakes the loop out of the io_context if it sleeps there; called after adding to the inbox.
  void wake();
  void finish_request() { pending_requests_.fetch_sub(1, std::memory_order_relaxed); }

  RaftNodeOptions options_;
  ServerMetrics& metrics_;
  std::unique_ptr<storage::DiskStorage> storage_;
  std::unique_ptr<raft::RawNode> node_;

  // The state machine: written only by the node's thread (under the unique lock), read by
  // serializable reads on other threads (shared lock).
  mutable std::shared_mutex kv_mutex_;
  kv::KvStore kv_;

  // The inbox, the one door into the node. Peer frames reach it on the node's own thread
  // (the transport's handlers run there); requests from the gRPC thread wake the loop.
  std::mutex inbox_mutex_;
  Inbox inbox_;
  bool stopping_ = false;
  bool sleeping_ = false;  // the loop waits in the io_context: wake() must post to it
  std::atomic<std::size_t> pending_requests_{0};
  std::atomic<std::uint64_t> next_request_id_;

  // Owned by the node's thread.
  std::thread thread_;
  raft::SoftState soft_;
  raft::Term persisted_term_ = 0;
  raft::NodeId persisted_vote_ = raft::kNone;
  raft::Term term_ = 0;
  raft::Index commit_ = 0;
  raft::Index applied_ = 0;
  raft::Index snapshot_index_ = 0;
  std::unordered_map<std::uint64_t, PendingWrite> in_flight_;  // by request id
  std::deque<PendingWrite> awaiting_leader_;
  std::map<std::uint64_t, ReadBatch> read_batches_;  // by ReadIndex context
  std::vector<PendingRead> reads_awaiting_leader_;
  std::uint64_t next_read_context_ = 1;
  std::uint64_t wal_bytes_written_ = 0;
  std::vector<raft::NodeId> snapshots_sent_;
  bool fatal_ = false;

  mutable std::mutex status_mutex_;
  NodeStatus status_;
};

}  // namespace faultline::server
