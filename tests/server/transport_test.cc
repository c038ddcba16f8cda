// The peer transport between two real endpoints on loopback: messages flow both ways;
// the fault hooks drop one direction while the other still flows, drop a share at random,
// and delay; heartbeats do not wait behind appends; malformed frames and strangers are
// refused without harming the link, and strangers that say nothing hold few places; a
// lost SYN does not hold a link back after a heal; the dialer binds its source address
// before connecting.
#include <gtest/gtest.h>
#include <poll.h>

#include <asio.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "faultline/peer.pb.h"
#include "net/frame.h"
#include "net/peer_transport.h"
#include "support/ports.h"

namespace faultline::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// What one endpoint received, with arrival times.
struct Inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<raft::Message, Clock::time_point>> got;

  void add(std::vector<raft::Message>&& ms) {
    std::lock_guard lock(mutex);
    for (auto& m : ms) got.emplace_back(std::move(m), Clock::now());
    changed.notify_all();
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return got.size() >= n; });
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return got.size();
  }
};

raft::Message heartbeat(raft::NodeId from, raft::NodeId to, raft::Index commit) {
  raft::Message m;
  m.type = raft::MessageType::heartbeat;
  m.from = from;
  m.to = to;
  m.term = 1;
  m.commit = commit;
  return m;
}

// Node `i` (0 or 1) of two on 127.0.0.1, listening on ports[i], its peer on the other.
TransportOptions node_options(int i, const std::uint16_t ports[2]) {
  TransportOptions o;
  o.self = static_cast<raft::NodeId>(i + 1);
  o.name = "n" + std::to_string(i + 1);
  o.cluster_token = "token";
  o.listen = {"127.0.0.1", ports[i]};
  const int other = 1 - i;
  o.peers = {{static_cast<raft::NodeId>(other + 1),
              "n" + std::to_string(other + 1),
              {"127.0.0.1", ports[other]}}};
  return o;
}

class TwoNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ports = faultline::testing::free_ports(2);
    ports_[0] = ports[0];
    ports_[1] = ports[1];
    for (int i = 0; i < 2; ++i) {
      TransportOptions o = node_options(i, ports_);
      o.source_address = "127.0.0.1";
      o.redial_interval = 20ms;
      o.fault_seed = 42;
      o.max_pending_hellos = max_pending_hellos_;
      transports_[i] = std::make_unique<PeerTransport>(
          o, [this, i](std::vector<raft::Message>&& ms) { inbox_[i].add(std::move(ms)); },
          [](raft::NodeId) {});
      transports_[i]->start();
    }
    // Node 1 dialled node 2 before node 2 listened, and messages to a stream that has been
    // down for a dial timeout are dropped by design: wait until both links are up.
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline && !(transports_[0]->peer_counters(2)->connected() &&
                                        transports_[1]->peer_counters(1)->connected())) {
      std::this_thread::sleep_for(5ms);
    }
  }

  // Sends `n` heartbeats from node `from` (0 or 1) to the other.
  void send(int from, int n, raft::Index first = 1) {
    std::vector<raft::Message> ms;
    for (int k = 0; k < n; ++k) {
      ms.push_back(heartbeat(from + 1, 2 - from, first + static_cast<raft::Index>(k)));
    }
    transports_[from]->send(std::move(ms));
  }

  std::size_t max_pending_hellos_ = TransportOptions{}.max_pending_hellos;
  std::uint16_t ports_[2] = {0, 0};
  Inbox inbox_[2];
  std::unique_ptr<PeerTransport> transports_[2];
};

TEST_F(TwoNodes, MessagesFlowBothWaysInOrder) {
  send(0, 100);
  send(1, 100);
  ASSERT_TRUE(inbox_[1].wait_for(100, 5s));
  ASSERT_TRUE(inbox_[0].wait_for(100, 5s));
  for (std::size_t k = 0; k < 100; ++k) {
    EXPECT_EQ(inbox_[1].got[k].first.from, 1u);
    EXPECT_EQ(inbox_[1].got[k].first.commit, k + 1) << "order must be kept";
  }
  const PeerCounters* c = transports_[0]->peer_counters(2);
  ASSERT_NE(c, nullptr);
  EXPECT_GT(c->bytes_sent.load(), 0u);
  EXPECT_TRUE(c->connected());
}

TEST_F(TwoNodes, DroppingOneDirectionLeavesTheOtherFlowing) {
  send(0, 1);
  ASSERT_TRUE(inbox_[1].wait_for(1, 5s));  // connected
  transports_[0]->faults().set(2, Direction::outbound, LinkFault{.drop = true});
  send(0, 50, 100);
  send(1, 50);
  ASSERT_TRUE(inbox_[0].wait_for(50, 5s)) << "2 -> 1 must still flow";
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(inbox_[1].size(), 1u) << "1 -> 2 is cut";
  EXPECT_EQ(transports_[0]->peer_counters(2)->dropped_by_fault_outbound.load(), 50u);

  // The receiver can cut the same direction from its side.
  transports_[0]->faults().clear();
  transports_[1]->faults().set(1, Direction::inbound, LinkFault{.drop = true});
  send(0, 10, 200);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(inbox_[1].size(), 1u);
  EXPECT_EQ(transports_[1]->peer_counters(1)->dropped_by_fault_inbound.load(), 10u);

  // Healed: messages flow again.
  transports_[1]->faults().clear();
  send(0, 5, 300);
  EXPECT_TRUE(inbox_[1].wait_for(6, 5s));
}

TEST_F(TwoNodes, ADropProbabilityDropsAboutThatShare) {
  send(0, 1);
  ASSERT_TRUE(inbox_[1].wait_for(1, 5s));
  transports_[0]->faults().set(2, Direction::outbound, LinkFault{.drop_probability = 0.5});
  send(0, 1000, 10);
  std::this_thread::sleep_for(300ms);
  const std::size_t arrived = inbox_[1].size() - 1;
  EXPECT_GT(arrived, 350u);
  EXPECT_LT(arrived, 650u);
  EXPECT_EQ(arrived + transports_[0]->peer_counters(2)->dropped_by_fault_outbound.load(), 1000u);
}

TEST_F(TwoNodes, ADelayHoldsMessagesBackButKeepsTheirOrder) {
  send(0, 1);
  ASSERT_TRUE(inbox_[1].wait_for(1, 5s));
  transports_[0]->faults().set(2, Direction::outbound, LinkFault{.delay = 200ms});
  const auto sent = Clock::now();
  send(0, 20, 10);
  ASSERT_TRUE(inbox_[1].wait_for(21, 5s));
  for (std::size_t k = 1; k <= 20; ++k) {
    EXPECT_GE(inbox_[1].got[k].second - sent, 195ms);
    EXPECT_EQ(inbox_[1].got[k].first.commit, 10 + k - 1);
  }
  // The other direction is not delayed.
  const auto back = Clock::now();
  send(1, 1);
  ASSERT_TRUE(inbox_[0].wait_for(1, 5s));
  EXPECT_LT(inbox_[0].got[0].second - back, 150ms);
}

// Each direction has two streams, as etcd's transport: a heartbeat sent after 48 MB of
// appends does not wait for them (on one stream it would arrive last).
TEST_F(TwoNodes, HeartbeatsDoNotWaitBehindAppends) {
  std::vector<raft::Message> ms;
  for (int k = 0; k < 12; ++k) {
    raft::Message m;
    m.type = raft::MessageType::app;
    m.from = 1;
    m.to = 2;
    m.term = 1;
    m.index = static_cast<raft::Index>(k);
    m.entries.push_back(
        raft::Entry{1, static_cast<raft::Index>(k + 1), std::string(4u << 20, 'x')});
    ms.push_back(std::move(m));
  }
  ms.push_back(heartbeat(1, 2, 7));
  transports_[0]->send(std::move(ms));
  ASSERT_TRUE(inbox_[1].wait_for(13, 30s));
  std::size_t heartbeat_at = 0;
  for (std::size_t k = 0; k < 13; ++k) {
    if (inbox_[1].got[k].first.type == raft::MessageType::heartbeat) heartbeat_at = k;
  }
  EXPECT_LT(heartbeat_at, 12u) << "the heartbeat arrived after every append";
  for (std::size_t k = 0, next = 0; k < 13; ++k) {  // the appends keep their order
    if (inbox_[1].got[k].first.type != raft::MessageType::app) continue;
    EXPECT_EQ(inbox_[1].got[k].first.index, next++);
  }
}

// Writes raw bytes to node 2's peer port and reports whether node 2 closed the connection
// within `wait`. (It polls: asio's blocking read polls again without a limit when a
// SO_RCVTIMEO fires, so a receive timeout would not bound the wait.)
bool closed_within(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds wait) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(s, asio::buffer(bytes));
  pollfd p{s.native_handle(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return false;
  char c;
  asio::error_code ec;
  s.read_some(asio::buffer(&c, 1), ec);
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

bool closed_after(std::uint16_t port, const std::string& bytes) {
  return closed_within(port, bytes, 5s);  // long enough for a loaded machine
}

std::string hello_frame(raft::NodeId from, raft::NodeId to, const std::string& token,
                        int stream = peerpb::MESSAGES) {
  peerpb::Hello h;
  h.set_protocol_version(1);
  h.set_from(from);
  h.set_to(to);
  h.set_cluster_token(token);
  h.set_stream(static_cast<peerpb::Stream>(stream));
  return encode_frame(FrameType::hello, h.SerializeAsString());
}

TEST_F(TwoNodes, MalformedFramesCloseTheirConnectionAndTheNodeKeepsServing) {
  // Bad checksum after a valid hello.
  std::string bad = encode_frame(FrameType::raft_batch, "junk");
  bad[kFrameHeaderBytes] ^= 0x40;
  EXPECT_TRUE(closed_after(ports_[1], hello_frame(1, 2, "token") + bad));
  // Absurd length.
  const char huge[kFrameHeaderBytes] = {'\xff', '\xff', '\xff', '\x7f', 2, 0, 0, 0, 0};
  EXPECT_TRUE(closed_after(ports_[1], hello_frame(1, 2, "token") + std::string(huge, sizeof huge)));
  // Unknown frame type.
  std::string unknown = encode_frame(FrameType::raft_batch, "x");
  unknown[4] = 99;
  EXPECT_TRUE(closed_after(ports_[1], hello_frame(1, 2, "token") + unknown));
  // A valid frame whose payload is not a batch.
  EXPECT_TRUE(closed_after(
      ports_[1], hello_frame(1, 2, "token") + encode_frame(FrameType::raft_batch, "\xff\xff\xff")));
  EXPECT_EQ(transports_[1]->counters().frames_rejected.load(), 4u);

  // Node 2 keeps serving node 1. (Each fake hello claimed to be node 1, which displaced the
  // real connection from node 1 as a stale one; node 1 reconnects by itself.)
  const auto deadline = Clock::now() + 5s;
  while (inbox_[1].size() == 0 && Clock::now() < deadline) {
    send(0, 1);
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GT(inbox_[1].size(), 0u);
}

TEST_F(TwoNodes, StrangersAreRefusedAtTheHello) {
  EXPECT_TRUE(closed_after(ports_[1], hello_frame(99, 2, "token")));       // not a member
  EXPECT_TRUE(closed_after(ports_[1], hello_frame(1, 2, "other-token")));  // another cluster
  EXPECT_TRUE(closed_after(ports_[1], hello_frame(1, 3, "token")));        // meant for someone else
  EXPECT_TRUE(closed_after(ports_[1], encode_frame(FrameType::raft_batch, "")));  // no hello
  EXPECT_TRUE(closed_after(ports_[1], hello_frame(1, 2, "token", 7)));            // no such stream
  EXPECT_EQ(transports_[1]->counters().hellos_rejected.load(), 5u);
  EXPECT_EQ(inbox_[1].size(), 0u);
}

class TwoNodesFewPendingHellos : public TwoNodes {
 protected:
  TwoNodesFewPendingHellos() { max_pending_hellos_ = 2; }
};

// Strangers that connect and say nothing hold at most max_pending_hellos places: one more
// is closed at once (long before the hello timeout) and counted, the member's link keeps
// working, and a stranger that hangs up gives its place back.
TEST_F(TwoNodesFewPendingHellos, ConnectionsWaitingForAHelloAreCapped) {
  asio::io_context io;
  const asio::ip::tcp::endpoint node2{asio::ip::make_address("127.0.0.1"), ports_[1]};
  asio::ip::tcp::socket silent(io), silent2(io);
  silent.connect(node2);
  silent2.connect(node2);

  const auto start = Clock::now();
  EXPECT_TRUE(closed_after(ports_[1], ""));  // accepted after the two: one too many
  EXPECT_LT(Clock::now() - start, 2s) << "closed at once, not at the 5 s hello timeout";
  EXPECT_EQ(transports_[1]->counters().hellos_rejected.load(), 1u);

  send(0, 1);  // node 1's link said its hello long ago: it does not count
  EXPECT_TRUE(inbox_[1].wait_for(1, 5s));

  silent.close();  // hangs up: its place is free again
  bool kept = false;
  for (int attempt = 0; attempt < 50 && !kept; ++attempt) {
    // Another silent one: kept until the hello timeout when it had a place, closed at once
    // when not.
    kept = !closed_within(ports_[1], "", 200ms);
  }
  EXPECT_TRUE(kept);
}

// A cut drops SYNs, and the kernel resends a lost SYN only a second later (then 3 s): a
// lone dial would hold the link back that long after the heal. Node 2's port first belongs
// to a listener whose accept queue is full, which drops every SYN as a cut does; once it
// is gone and node 2 listens, node 1 must be back within about a redial interval.
TEST(PeerTransport, ALostSynDoesNotHoldTheLinkBackAfterTheHeal) {
  const auto free = faultline::testing::free_ports(2);
  const std::uint16_t ports[2] = {free[0], free[1]};
  const auto loopback = asio::ip::make_address("127.0.0.1");
  asio::io_context io;
  asio::ip::tcp::acceptor hole(io);
  hole.open(asio::ip::tcp::v4());
  hole.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  hole.bind({loopback, ports[1]});
  hole.listen(0);
  asio::ip::tcp::socket filler(io);
  filler.connect(hole.local_endpoint());  // the one place in the queue: it is now full

  auto options = [&](int i) {
    TransportOptions o = node_options(i, ports);
    o.connect_timeout = 3000ms;  // no rescue by giving up on a dial either
    return o;
  };
  auto ignore = [](std::vector<raft::Message>&&) {};
  PeerTransport one(options(0), ignore, [](raft::NodeId) {});
  one.start();
  std::this_thread::sleep_for(300ms);
  const PeerCounters* link = one.peer_counters(2);
  ASSERT_FALSE(link->stream_up[0].load() || link->stream_up[1].load())
      << "the full queue should have dropped the SYNs";

  filler.close();
  hole.close();
  PeerTransport two(options(1), ignore, [](raft::NodeId) {});
  two.start();
  const auto healed = Clock::now();
  while (!link->connected() && Clock::now() - healed < 5s) std::this_thread::sleep_for(2ms);
  EXPECT_TRUE(link->connected());
  EXPECT_LT(Clock::now() - healed, 600ms);
  two.stop();
  one.stop();
}

TEST(PeerTransport, TheDialerBindsItsSourceAddressBeforeConnecting) {
  asio::io_context io;
  asio::ip::tcp::acceptor fake_peer(io, {asio::ip::make_address("127.0.0.1"), 0});
  TransportOptions o;
  o.self = 1;
  o.name = "n1";
  o.cluster_token = "token";
  o.listen = {"127.0.0.2", 0};
  o.source_address = "127.0.0.2";
  o.peers = {{2, "n2", {"127.0.0.1", fake_peer.local_endpoint().port()}}};
  PeerTransport t(
      o, [](std::vector<raft::Message>&&) {}, [](raft::NodeId) {});
  t.start();
  asio::ip::tcp::socket s(io);
  fake_peer.accept(s);
  EXPECT_EQ(s.remote_endpoint().address().to_string(), "127.0.0.2");
  t.stop();
}

}  // namespace
}  // namespace faultline::net
