// The peer transport: Raft messages between the nodes of one cluster over TCP, with
// standalone Asio on one I/O thread.
//
// By default the transport runs that thread itself. A node's loop can run the transport's
// io_context itself instead (own_thread = false): then the socket work, the node's core
// and its disk writes share one thread, and a message goes from the core to the socket, or
// from the socket to the core, with no thread hand-off on the way.
//
// Each node dials every peer once and uses that connection only to send; it accepts the
// peers' connections only to receive. So each direction of each link is its own TCP
// stream, which is what the per-direction fault hooks and one-way cuts need. Every
// connection starts with a Hello frame (who dials whom, in which cluster); a dialer that
// is not a member, or is from another cluster, is refused. Messages to a peer wait in a
// bounded queue; what queues up while a write is in flight goes out as one frame (one
// write), so a busy leader sends few large writes. A failed connection is retried with
// exponential backoff; its queue is dropped (Raft retransmits) and the core is told the
// peer is unreachable. A malformed frame closes its connection, is logged and counted,
// and nothing else changes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/fault_hooks.h"
#include "net/frame.h"
#include "net/url.h"
#include "raft/types.h"

namespace asio {
class io_context;
}

namespace faultline::net {

struct PeerAddress {
  raft::NodeId id = raft::kNone;
  std::string name;
  HostPort address;
};

struct TransportOptions {
  raft::NodeId self = raft::kNone;
  std::string name;
  std::string cluster_token;
  std::vector<std::string> client_urls;  // advertised to peers in the Hello
  HostPort listen;                       // port 0: the kernel picks a free one
  // Bound before connecting, so the lab's loopback mode (a 127.x address per node,
  // filtered by address) sees this node's traffic come from its own address. Empty: the
  // kernel chooses.
  std::string source_address;
  std::vector<PeerAddress> peers;  // every other member

  std::size_t max_queued_messages = 16384;   // per peer
  std::size_t max_queued_bytes = 64u << 20;  // per peer
  std::size_t max_batch_bytes = 4u << 20;    // one frame's worth of messages
  std::uint32_t max_frame_payload = kDefaultMaxFramePayload;
  // Redial a lost peer quickly: after a partition heals, a node rejoins within about one
  // connect timeout plus one backoff (etcd's peer streams redial every 100 ms). A dial is
  // one SYN, so trying often costs nothing.
  std::chrono::milliseconds min_backoff{25};
  std::chrono::milliseconds max_backoff{200};
  std::chrono::milliseconds hello_timeout{5000};
  // Connections that have not said hello yet, at most: one more is closed at once (a
  // refused hello), so strangers cannot take every file descriptor. A member that redials
  // says hello within a round trip, so it rarely counts for long.
  std::size_t max_pending_hellos = 64;
  // A connect whose SYN was lost (a cut or lossy link) would otherwise wait for the
  // kernel's SYN retries, up to two minutes, long after the link healed.
  std::chrono::milliseconds connect_timeout{500};
  // Data unacknowledged this long closes the connection (TCP_USER_TIMEOUT), so a link that
  // stalled in retransmission backoff is redialled instead of resuming seconds after a heal.
  // Raft messages older than an election timeout are worth nothing anyway.
  std::chrono::milliseconds unacked_timeout{2000};
  std::uint64_t fault_seed = 1;
  // false: start() starts no thread; the owner runs io_context() on one thread of its own,
  // calls send_now() on that thread, and calls stop() once nothing runs it any more.
  bool own_thread = true;
};

// What happened on one link; read by the metrics endpoint from any thread.
struct PeerCounters {
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> messages_sent{0};
  std::atomic<std::uint64_t> messages_received{0};
  std::atomic<std::uint64_t> dropped_by_fault_outbound{0};
  std::atomic<std::uint64_t> dropped_by_fault_inbound{0};
  std::atomic<std::uint64_t> dropped_queue_full{0};
  std::atomic<std::uint64_t> dropped_not_connected{0};
  std::atomic<std::uint64_t> connects{0};
  std::atomic<bool> connected{false};
};

struct TransportCounters {
  std::atomic<std::uint64_t> frames_rejected{0};  // bad length, checksum, type or payload
  std::atomic<std::uint64_t> hellos_rejected{0};  // not a member, wrong cluster, bad hello,
                                                  // too many connections waiting for one
};

struct PeerView {
  raft::NodeId id = raft::kNone;
  std::string name;
  std::vector<std::string> client_urls;  // as the peer advertised them (empty until heard)
};

class PeerTransport {
 public:
  // Called on the I/O thread with messages that passed every check; must not block.
  using DeliverFn = std::function<void(std::vector<raft::Message>&&)>;
  // Called on the I/O thread when a connection to `peer` failed or broke.
  using UnreachableFn = std::function<void(raft::NodeId peer)>;

  PeerTransport(TransportOptions options, DeliverFn deliver, UnreachableFn unreachable);
  ~PeerTransport();
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Binds the listener and starts the I/O thread (if own_thread). Throws std::runtime_error
  // naming the address if it cannot listen.
  void start();
  // Closes every connection and joins the I/O thread (if own_thread; otherwise no thread may
  // be running io_context() any more). Idempotent.
  void stop();

  // Hands messages to their peers' queues; callable from any thread, never blocks.
  // Messages to unknown peers are dropped.
  void send(std::vector<raft::Message> messages);
  // The same, done at once: only on the thread that runs io_context() (own_thread = false).
  // A link with no write in flight writes its frame before this returns.
  void send_now(std::vector<raft::Message>&& messages);
  asio::io_context& io_context();

  FaultHooks& faults() { return faults_; }
  std::uint16_t listen_port() const { return listen_port_; }
  const TransportOptions& options() const { return options_; }
  const TransportCounters& counters() const { return counters_; }
  // nullptr for an unknown peer.
  const PeerCounters* peer_counters(raft::NodeId peer) const;
  std::vector<PeerView> peers() const;

  class Impl;

 private:
  TransportOptions options_;
  FaultHooks faults_;
  TransportCounters counters_;
  std::map<raft::NodeId, std::unique_ptr<PeerCounters>> peer_counters_;
  std::uint16_t listen_port_ = 0;
  std::unique_ptr<Impl> impl_;
  DeliverFn deliver_;
  UnreachableFn unreachable_;
};

}  // namespace faultline::net
