// The peer transport: Raft messages between the nodes of one cluster over TCP, with
// standalone Asio on one I/O thread.
//
// By default the transport runs that thread itself. A node's loop can run the transport's
// io_context itself instead (own_thread = false): then the socket work, the node's core
// and its disk writes share one thread, and a message goes from the core to the socket, or
// from the socket to the core, with no thread hand-off on the way.
//
// Each node dials every peer twice and uses those connections only to send; it accepts the
// peers' connections only to receive. So each direction of each link is its own pair of TCP
// streams, which is what the per-direction fault hooks and one-way cuts need. The pair is
// etcd's: appends and snapshots travel on one stream, heartbeats, votes and every response
// on the other, so a heartbeat never waits behind a stalled append (raft::
// rides_append_stream; the simulator splits its links the same way). Every connection
// starts with a Hello frame (who dials whom, in which cluster, for which stream); a dialer
// that is not a member, or is from another cluster, is refused. Messages to a peer wait in
// a bounded queue per stream; what queues up while a write is in flight goes out as one
// frame (one write), so a busy leader sends few large writes. A broken connection is
// redialled at once and then every redial_interval, several dials in flight, so the link
// comes back within about one redial interval of a heal whatever the round trip; what it
// had queued is dropped (Raft retransmits) and the core is told the peer is unreachable.
// A malformed frame closes its connection, is logged and counted, and nothing else
// changes.
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
  // A stream that is down is redialled this often (etcd's peer streams: every 100 ms). A
  // dial is one SYN, so trying often costs nothing, and a new dial does not wait for the
  // previous one: a SYN lost to a cut would hold a lone dial until the kernel resent it
  // (1 s later, then 3 s), long after the link healed.
  std::chrono::milliseconds redial_interval{100};
  std::chrono::milliseconds hello_timeout{5000};
  // Connections that have not said hello yet, at most: one more is closed at once (a
  // refused hello), so strangers cannot take every file descriptor. A member that redials
  // says hello within a round trip, so it rarely counts for long.
  std::size_t max_pending_hellos = 64;
  // A dial unanswered this long is abandoned. It is also how long messages queue for a
  // stream being (re)dialled: after it, they are dropped until a dial gets through, and the
  // core is told the peer is unreachable.
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
  std::atomic<std::uint64_t> connects{0};  // both streams' connections
  std::atomic<bool> stream_up[2]{};        // by peerpb::Stream: messages, appends

  // Both streams to the peer are up.
  bool connected() const { return stream_up[0].load() && stream_up[1].load(); }
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
