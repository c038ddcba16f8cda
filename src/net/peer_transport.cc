// The peer transport's I/O side: one Asio io_context on one thread (the transport's own,
// or the node's that runs it) owns every socket, queue and timer below, so none of them
// needs a lock. Other threads reach it only through asio::post (send, stop) and the atomics
// of the counters.
#include "net/peer_transport.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <asio.hpp>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "faultline/peer.pb.h"
#include "net/accept_loop.h"
#include "net/message_codec.h"

namespace faultline::net {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint32_t kProtocolVersion = 1;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxDelayedMessages = 16384;

// An estimate of a message's encoded size, for queue and batch limits.
std::size_t estimated_size(const raft::Message& m) {
  std::size_t n = 64 + m.context.size() + m.snapshot.data.size();
  for (const raft::Entry& e : m.entries) n += e.data.size() + 24;
  return n;
}

}  // namespace

// Messages held back by a delay fault, released in order when due. One timer per line.
class DelayLine {
 public:
  using ReleaseFn = std::function<void(std::vector<raft::Message>&&)>;
  DelayLine(asio::io_context& io, ReleaseFn release) : timer_(io), release_(std::move(release)) {}

  // False when the line is full (the message is dropped by the caller's accounting).
  bool push(Clock::time_point due, raft::Message m) {
    if (queue_.size() >= kMaxDelayedMessages) return false;
    queue_.push_back({due, std::move(m)});
    if (!armed_) arm();
    return true;
  }

  void cancel() {
    timer_.cancel();
    queue_.clear();
  }

 private:
  struct Held {
    Clock::time_point due;
    raft::Message message;
  };

  void arm() {
    armed_ = true;
    timer_.expires_at(queue_.front().due);
    timer_.async_wait([this](const asio::error_code& ec) {
      armed_ = false;
      if (ec) return;
      std::vector<raft::Message> due;
      const auto now = Clock::now();
      while (!queue_.empty() && queue_.front().due <= now) {
        due.push_back(std::move(queue_.front().message));
        queue_.pop_front();
      }
      if (!queue_.empty()) arm();
      if (!due.empty()) release_(std::move(due));
    });
  }

  asio::steady_timer timer_;
  ReleaseFn release_;
  std::deque<Held> queue_;
  bool armed_ = false;
};

// One of the two connections this node dials to one peer (one per peerpb::Stream), used
// only for sending.
class OutboundLink {
 public:
  OutboundLink(PeerTransport::Impl& owner, const PeerAddress& peer, peerpb::Stream stream,
               PeerCounters& counters);
  // Judges `m` by the fault rules and queues it; write_more() sends what is queued.
  void enqueue(raft::Message&& m);
  void write_more();
  void start() { redial(); }
  void close();

 private:
  // connecting: dialling, messages queue; down: dialling, messages are dropped (the
  // first connect_timeout of dialling went by without an answer).
  enum class State : std::uint8_t { connecting, connected, down, closed };

  // A connect in flight.
  struct Dial {
    std::uint64_t id = 0;
    Clock::time_point deadline;
    std::unique_ptr<tcp::socket> socket;
  };

  void push(raft::Message&& m);
  void redial();
  void dial();
  void tick();
  void abandon_dials(Clock::time_point cutoff);
  void on_connected();
  void fail(const std::string& why);
  void drop_queue();
  void set_up(bool up);
  void watch_for_close();
  const char* stream_name() const { return stream_ == peerpb::APPENDS ? "append" : "message"; }

  PeerTransport::Impl& owner_;
  PeerAddress peer_;
  peerpb::Stream stream_;
  std::optional<tcp::endpoint> remote_;      // none: the peer's address is not an IP address
  std::optional<asio::ip::address> source_;  // bound before connecting (options' source)
  PeerCounters& counters_;
  tcp::socket socket_;
  asio::steady_timer redial_timer_;
  DelayLine delay_;
  State state_ = State::down;
  Clock::time_point dialling_since_;
  std::vector<Dial> dials_;
  std::uint64_t next_dial_ = 0;
  std::deque<raft::Message> queue_;
  std::size_t queued_bytes_ = 0;
  std::string write_buffer_;          // frames waiting for the write in flight
  std::string sending_;               // the write in flight (reused: no allocation per write)
  std::vector<raft::Message> batch_;  // reused by write_more
  bool writing_ = false;
  char probe_byte_ = 0;
  std::uint64_t generation_ = 0;  // bumps on every reconnect so stale handlers stand down
  bool broken_ = false;           // a connection broke and has not been replaced yet
};

// One accepted connection, used only for receiving.
class InboundSession : public std::enable_shared_from_this<InboundSession> {
 public:
  InboundSession(PeerTransport::Impl& owner, tcp::socket socket);
  void start();
  void close();
  raft::NodeId peer() const { return peer_; }
  peerpb::Stream stream() const { return stream_; }

 private:
  void read_more();
  bool handle(const FrameView& frame);
  bool reject(const std::string& why, bool hello);

  PeerTransport::Impl& owner_;
  tcp::socket socket_;
  asio::steady_timer hello_timer_;
  FrameDecoder decoder_;
  std::vector<char> read_buffer_;
  std::string remote_;
  raft::NodeId peer_ = raft::kNone;
  peerpb::Stream stream_ = peerpb::MESSAGES;
  bool closed_ = false;
};

class PeerTransport::Impl {
 public:
  Impl(PeerTransport& t)
      : transport(t),
        acceptor(io),
        accept_loop(acceptor, "peer transport", [this](tcp::socket s) { accept(std::move(s)); }) {}

  PeerTransport& transport;
  asio::io_context io;
  tcp::acceptor acceptor;
  AcceptLoop accept_loop;
  std::map<raft::NodeId, std::array<std::unique_ptr<OutboundLink>, 2>> links;  // by stream
  std::map<raft::NodeId, std::unique_ptr<DelayLine>> inbound_delay;
  std::set<std::shared_ptr<InboundSession>> sessions;
  bool turning_away = false;  // too many sessions wait for a hello (max_pending_hellos)
  std::thread thread;
  std::atomic<bool> started{false};  // between start() and stop()

  mutable std::mutex views_mutex;  // guards the learned client URLs (read by any thread)
  std::map<raft::NodeId, PeerView> views;

  const TransportOptions& options() const { return transport.options_; }
  PeerCounters* counters_of(raft::NodeId id) {
    auto it = transport.peer_counters_.find(id);
    return it == transport.peer_counters_.end() ? nullptr : it->second.get();
  }

  void accept(tcp::socket socket) {
    const auto pending = std::count_if(sessions.begin(), sessions.end(),
                                       [](const auto& s) { return s->peer() == raft::kNone; });
    if (static_cast<std::size_t>(pending) >= options().max_pending_hellos) {
      // Logged once per run of refusals: a flood must not flood the log too.
      if (!turning_away)
        spdlog::warn("peer transport: {} connections wait for a hello; refusing more", pending);
      turning_away = true;
      count_rejected(true);
      asio::error_code ignored;
      socket.close(ignored);
      return;
    }
    if (turning_away) spdlog::info("peer transport: accepting connections again");
    turning_away = false;
    auto session = std::make_shared<InboundSession>(*this, std::move(socket));
    sessions.insert(session);
    session->start();
  }

  // A verified Hello from `peer`: an older session from it for the same stream is stale
  // (it redialled).
  void adopt(const std::shared_ptr<InboundSession>& session, const peerpb::Hello& hello) {
    for (auto it = sessions.begin(); it != sessions.end();) {
      if (*it != session && (*it)->peer() == hello.from() && (*it)->stream() == hello.stream()) {
        (*it)->close();
        it = sessions.erase(it);
      } else {
        ++it;
      }
    }
    std::lock_guard lock(views_mutex);
    PeerView& v = views[hello.from()];
    v.client_urls.assign(hello.client_urls().begin(), hello.client_urls().end());
  }

  void forget(const std::shared_ptr<InboundSession>& session) { sessions.erase(session); }

  // Closes the listener, every connection and every delay line (on the I/O side).
  void close_all() {
    asio::error_code ignored;
    acceptor.close(ignored);
    for (auto& [id, pair] : links) {
      for (auto& link : pair) link->close();
    }
    for (auto& [id, line] : inbound_delay) line->cancel();
    for (const auto& session : sessions) session->close();
    sessions.clear();
  }

  void report_unreachable(raft::NodeId peer) {
    if (transport.unreachable_) transport.unreachable_(peer);
  }

  void count_rejected(bool hello) {
    (hello ? transport.counters_.hellos_rejected : transport.counters_.frames_rejected)
        .fetch_add(1, std::memory_order_relaxed);
  }

  // Applies the inbound fault rules, then delivers what passes.
  void receive(raft::NodeId from, std::vector<raft::Message>&& messages) {
    PeerCounters* c = counters_of(from);
    std::vector<raft::Message> now;
    now.reserve(messages.size());
    for (raft::Message& m : messages) {
      const Verdict v = transport.faults_.judge(from, Direction::inbound);
      if (v.drop) {
        c->dropped_by_fault_inbound.fetch_add(1, std::memory_order_relaxed);
      } else if (v.delay.count() > 0) {
        if (!inbound_delay.at(from)->push(Clock::now() + v.delay, std::move(m))) {
          c->dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
        }
      } else {
        now.push_back(std::move(m));
      }
    }
    if (!now.empty()) transport.deliver_(std::move(now));
  }
};

// ---------------------------------------------------------------- OutboundLink

OutboundLink::OutboundLink(PeerTransport::Impl& owner, const PeerAddress& peer,
                           peerpb::Stream stream, PeerCounters& counters)
    : owner_(owner),
      peer_(peer),
      stream_(stream),
      counters_(counters),
      socket_(owner.io),
      redial_timer_(owner.io),
      delay_(owner.io, [this](std::vector<raft::Message>&& due) {
        for (raft::Message& m : due) push(std::move(m));
        write_more();
      }) {
  // Parsed once: a stream that is down dials every redial_interval.
  asio::error_code ec;
  const auto address = asio::ip::make_address(peer_.address.host, ec);
  if (ec) {
    spdlog::debug("peer {}: bad peer address {}", peer_.name, peer_.address.host);
  } else {
    remote_ = tcp::endpoint(address, peer_.address.port);
  }
  const std::string& source = owner.options().source_address;
  if (!source.empty()) {
    const auto parsed = asio::ip::make_address(source, ec);
    if (!ec) source_ = parsed;
  }
}

void OutboundLink::enqueue(raft::Message&& m) {
  const Verdict v = owner_.transport.faults().judge(peer_.id, Direction::outbound);
  if (v.drop) {
    counters_.dropped_by_fault_outbound.fetch_add(1, std::memory_order_relaxed);
  } else if (v.delay.count() > 0) {
    if (!delay_.push(Clock::now() + v.delay, std::move(m))) {
      counters_.dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
    }
  } else {
    push(std::move(m));
  }
}

void OutboundLink::push(raft::Message&& m) {
  if (state_ == State::down || state_ == State::closed) {
    // Queueing for a peer we cannot reach would only deliver stale messages later.
    counters_.dropped_not_connected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const TransportOptions& o = owner_.options();
  const std::size_t size = estimated_size(m);
  if (queue_.size() >= o.max_queued_messages || queued_bytes_ + size > o.max_queued_bytes) {
    counters_.dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queued_bytes_ += size;
  queue_.push_back(std::move(m));
}

// Starts dialling: one dial now, another every redial_interval until one gets through.
void OutboundLink::redial() {
  if (state_ == State::closed) return;
  state_ = State::connecting;
  dialling_since_ = Clock::now();
  dial();
  tick();
}

void OutboundLink::tick() {
  redial_timer_.expires_after(owner_.options().redial_interval);
  redial_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || (state_ != State::connecting && state_ != State::down)) return;
    const auto now = Clock::now();
    abandon_dials(now);
    if (state_ == State::connecting && now - dialling_since_ >= owner_.options().connect_timeout) {
      // Nothing answered: stop queueing stale messages and let the core know.
      state_ = State::down;
      drop_queue();
      owner_.report_unreachable(peer_.id);
    }
    dial();
    tick();
  });
}

void OutboundLink::abandon_dials(Clock::time_point cutoff) {
  std::erase_if(dials_, [cutoff](Dial& d) {
    if (d.deadline > cutoff) return false;
    asio::error_code ignored;
    d.socket->close(ignored);  // its handler finds its dial gone and stands down
    return true;
  });
}

void OutboundLink::dial() {
  if (!remote_) return;
  asio::error_code ec;
  auto socket = std::make_unique<tcp::socket>(owner_.io);
  socket->open(remote_->protocol(), ec);
  if (!ec && source_) socket->bind(tcp::endpoint(*source_, 0), ec);
  if (ec) {
    spdlog::debug("peer {}: cannot open a socket: {}", peer_.name, ec.message());
    return;
  }
  const std::uint64_t id = ++next_dial_;
  tcp::socket& s = *socket;
  dials_.push_back({id, Clock::now() + owner_.options().connect_timeout, std::move(socket)});
  s.async_connect(*remote_, [this, id](const asio::error_code& error) {
    const auto it =
        std::find_if(dials_.begin(), dials_.end(), [id](const Dial& d) { return d.id == id; });
    if (it == dials_.end()) return;  // abandoned, or another dial got through first
    if (error) {
      spdlog::debug("peer {} ({}): connect: {}", peer_.name, peer_.address.to_string(),
                    error.message());
      dials_.erase(it);
      return;
    }
    socket_ = std::move(*it->socket);
    dials_.erase(it);
    abandon_dials(Clock::time_point::max());
    redial_timer_.cancel();
    on_connected();
  });
}

void OutboundLink::on_connected() {
  asio::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  const unsigned int unacked_ms =
      static_cast<unsigned int>(owner_.options().unacked_timeout.count());
  if (unacked_ms > 0 && ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT,
                                     &unacked_ms, sizeof unacked_ms) != 0) {
    spdlog::debug("peer {}: TCP_USER_TIMEOUT not set: {}", peer_.name, std::strerror(errno));
  }
  if (broken_) {
    spdlog::info(
        "peer {} ({} stream): connected again after {} ms of redialling", peer_.name, stream_name(),
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - dialling_since_)
            .count());
  }
  broken_ = false;
  state_ = State::connected;
  ++generation_;
  set_up(true);
  counters_.connects.fetch_add(1, std::memory_order_relaxed);
  const TransportOptions& o = owner_.options();
  peerpb::Hello hello;
  hello.set_protocol_version(kProtocolVersion);
  hello.set_from(o.self);
  hello.set_to(peer_.id);
  hello.set_cluster_token(o.cluster_token);
  hello.set_name(o.name);
  for (const std::string& url : o.client_urls) hello.add_client_urls(url);
  hello.set_stream(stream_);
  write_buffer_.clear();
  append_frame(write_buffer_, FrameType::hello, hello.SerializeAsString());
  writing_ = false;
  watch_for_close();
  write_more();
}

// The peer never writes on this connection, so a completed read means it closed (or
// broke) it: find out now rather than at the next write.
void OutboundLink::watch_for_close() {
  const std::uint64_t generation = generation_;
  socket_.async_read_some(asio::buffer(&probe_byte_, 1),
                          [this, generation](const asio::error_code& ec, std::size_t) {
                            if (generation != generation_ || state_ != State::connected) return;
                            fail(ec ? "connection lost: " + ec.message()
                                    : std::string("peer sent data on a send-only connection"));
                          });
}

void OutboundLink::write_more() {
  if (state_ != State::connected || writing_) return;
  const std::size_t limit = owner_.options().max_batch_bytes;
  if (!queue_.empty()) {
    std::size_t bytes = 0;
    while (!queue_.empty() && (batch_.empty() || bytes + estimated_size(queue_.front()) <= limit)) {
      const std::size_t size = estimated_size(queue_.front());
      bytes += size;
      queued_bytes_ -= size;
      batch_.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    append_batch_frame(write_buffer_, batch_);
    counters_.messages_sent.fetch_add(batch_.size(), std::memory_order_relaxed);
    batch_.clear();
  }
  if (write_buffer_.empty()) return;
  writing_ = true;
  const std::uint64_t generation = generation_;
  // A write of an older connection was cancelled when its socket closed, so sending_ is free.
  sending_.swap(write_buffer_);
  write_buffer_.clear();
  asio::async_write(socket_, asio::buffer(sending_),
                    [this, generation](const asio::error_code& ec, std::size_t n) {
                      if (generation != generation_) return;
                      writing_ = false;
                      sending_.clear();
                      if (ec) {
                        fail("write: " + ec.message());
                        return;
                      }
                      counters_.bytes_sent.fetch_add(n, std::memory_order_relaxed);
                      write_more();
                    });
}

void OutboundLink::fail(const std::string& why) {
  if (state_ != State::connected) return;
  spdlog::info("peer {} ({}, {} stream): {}; redialling", peer_.name, peer_.address.to_string(),
               stream_name(), why);
  broken_ = true;
  ++generation_;
  asio::error_code ignored;
  socket_.close(ignored);
  set_up(false);
  drop_queue();
  write_buffer_.clear();
  writing_ = false;
  owner_.report_unreachable(peer_.id);
  redial();
}

void OutboundLink::drop_queue() {
  counters_.dropped_not_connected.fetch_add(queue_.size(), std::memory_order_relaxed);
  queue_.clear();
  queued_bytes_ = 0;
}

void OutboundLink::set_up(bool up) {
  counters_.stream_up[stream_].store(up, std::memory_order_relaxed);
}

void OutboundLink::close() {
  state_ = State::closed;
  ++generation_;
  asio::error_code ignored;
  redial_timer_.cancel();
  abandon_dials(Clock::time_point::max());
  delay_.cancel();
  socket_.close(ignored);
  set_up(false);
}

// ---------------------------------------------------------------- InboundSession

InboundSession::InboundSession(PeerTransport::Impl& owner, tcp::socket socket)
    : owner_(owner),
      socket_(std::move(socket)),
      hello_timer_(owner.io),
      decoder_(owner.options().max_frame_payload),
      read_buffer_(kReadChunk) {
  asio::error_code ec;
  const auto remote = socket_.remote_endpoint(ec);
  remote_ =
      ec ? std::string("?") : remote.address().to_string() + ":" + std::to_string(remote.port());
}

void InboundSession::start() {
  auto self = shared_from_this();
  hello_timer_.expires_after(owner_.options().hello_timeout);
  hello_timer_.async_wait([self](const asio::error_code& ec) {
    if (!ec && self->peer_ == raft::kNone && !self->closed_) {
      self->reject("no hello within the timeout", true);
    }
  });
  read_more();
}

void InboundSession::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  hello_timer_.cancel();
  socket_.close(ignored);
}

bool InboundSession::reject(const std::string& why, bool hello) {
  spdlog::warn("peer connection from {} (node {:x}) closed: {}", remote_, peer_, why);
  owner_.count_rejected(hello);
  close();
  owner_.forget(shared_from_this());
  return false;
}

void InboundSession::read_more() {
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self](const asio::error_code& ec, std::size_t n) {
                            if (self->closed_) return;
                            if (ec) {
                              self->close();
                              self->owner_.forget(self);
                              return;
                            }
                            if (PeerCounters* c = self->owner_.counters_of(self->peer_)) {
                              c->bytes_received.fetch_add(n, std::memory_order_relaxed);
                            }
                            self->decoder_.feed(self->read_buffer_.data(), n);
                            FrameView frame;
                            for (;;) {
                              const auto result = self->decoder_.next(frame);
                              if (result == FrameDecoder::Result::need_more) break;
                              if (result == FrameDecoder::Result::error) {
                                self->reject(std::string(to_string(self->decoder_.error())), false);
                                return;
                              }
                              if (!self->handle(frame)) return;
                            }
                            self->read_more();
                          });
}

bool InboundSession::handle(const FrameView& frame) {
  const TransportOptions& o = owner_.options();
  if (peer_ == raft::kNone) {
    if (frame.type != FrameType::hello) return reject("the first frame is not a hello", true);
    peerpb::Hello hello;
    if (!hello.ParseFromArray(frame.payload.data(), static_cast<int>(frame.payload.size()))) {
      return reject("malformed hello", true);
    }
    if (hello.protocol_version() != kProtocolVersion) {
      return reject("protocol version " + std::to_string(hello.protocol_version()), true);
    }
    if (hello.cluster_token() != o.cluster_token) {
      return reject("cluster token \"" + hello.cluster_token() + "\" is not ours", true);
    }
    if (hello.to() != o.self)
      return reject(fmt::format("hello is for node {:x}", hello.to()), true);
    if (owner_.counters_of(hello.from()) == nullptr) {
      return reject(fmt::format("node {:x} is not a member", hello.from()), true);
    }
    if (!peerpb::Stream_IsValid(hello.stream())) {
      return reject(fmt::format("unknown stream {}", static_cast<int>(hello.stream())), true);
    }
    peer_ = hello.from();
    stream_ = hello.stream();
    hello_timer_.cancel();
    owner_.adopt(shared_from_this(), hello);
    return true;
  }
  if (frame.type != FrameType::raft_batch) return reject("a second hello", false);
  std::vector<raft::Message> messages;
  std::string error;
  if (!decode_batch(frame.payload, messages, &error)) return reject(error, false);
  for (const raft::Message& m : messages) {
    if (m.from != peer_ || m.to != o.self) {
      return reject(
          fmt::format("message {:x}->{:x} on the link {:x}->{:x}", m.from, m.to, peer_, o.self),
          false);
    }
  }
  owner_.counters_of(peer_)->messages_received.fetch_add(messages.size(),
                                                         std::memory_order_relaxed);
  owner_.receive(peer_, std::move(messages));
  return true;
}

// ---------------------------------------------------------------- PeerTransport

PeerTransport::PeerTransport(TransportOptions options, DeliverFn deliver, UnreachableFn unreachable)
    : options_(std::move(options)),
      faults_(options_.fault_seed),
      deliver_(std::move(deliver)),
      unreachable_(std::move(unreachable)) {
  for (const PeerAddress& p : options_.peers) {
    if (p.id == raft::kNone || p.id == options_.self) {
      throw std::invalid_argument("peer transport: bad peer id for " + p.name);
    }
    peer_counters_[p.id] = std::make_unique<PeerCounters>();
  }
  impl_ = std::make_unique<Impl>(*this);
  for (const PeerAddress& p : options_.peers) {
    impl_->views[p.id] = PeerView{p.id, p.name, {}};
  }
}

PeerTransport::~PeerTransport() { stop(); }

void PeerTransport::start() {
  asio::error_code ec;
  const auto address = asio::ip::make_address(options_.listen.host, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + options_.listen.to_string() + ": " +
                             ec.message());
  tcp::endpoint endpoint(address, options_.listen.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen for peers on " + options_.listen.to_string() + ": " +
                             ec.message());
  }
  listen_port_ = acceptor.local_endpoint().port();
  for (const PeerAddress& p : options_.peers) {
    for (const peerpb::Stream stream : {peerpb::MESSAGES, peerpb::APPENDS}) {
      impl_->links[p.id][stream] =
          std::make_unique<OutboundLink>(*impl_, p, stream, *peer_counters_.at(p.id));
    }
    impl_->inbound_delay[p.id] = std::make_unique<DelayLine>(
        impl_->io, [this](std::vector<raft::Message>&& due) { deliver_(std::move(due)); });
  }
  impl_->accept_loop.start();
  for (auto& [id, pair] : impl_->links) {
    for (auto& link : pair) link->start();
  }
  impl_->started = true;
  if (!options_.own_thread) return;
  impl_->thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "peer-io");
    auto guard = asio::make_work_guard(impl_->io);
    impl_->io.run();
  });
}

void PeerTransport::stop() {
  if (!impl_ || !impl_->started) return;
  impl_->started = false;
  if (!options_.own_thread) {
    // Nothing runs the io_context any more: close everything here. Handlers still queued
    // are destroyed with the io_context, never run.
    impl_->close_all();
    return;
  }
  asio::post(impl_->io, [this] {
    impl_->close_all();
    impl_->io.stop();
  });
  impl_->thread.join();
}

void PeerTransport::send(std::vector<raft::Message> messages) {
  if (messages.empty() || !impl_ || !impl_->started) return;
  asio::post(impl_->io,
             [this, messages = std::move(messages)]() mutable { send_now(std::move(messages)); });
}

void PeerTransport::send_now(std::vector<raft::Message>&& messages) {
  if (messages.empty() || !impl_ || !impl_->started) return;
  // Queue everything first, then write once per link: one frame carries each link's share.
  for (raft::Message& m : messages) {
    auto it = impl_->links.find(m.to);
    if (it == impl_->links.end()) continue;
    it->second[raft::rides_append_stream(m.type) ? peerpb::APPENDS : peerpb::MESSAGES]->enqueue(
        std::move(m));
  }
  for (auto& [id, pair] : impl_->links) {
    for (auto& link : pair) link->write_more();
  }
}

asio::io_context& PeerTransport::io_context() { return impl_->io; }

const PeerCounters* PeerTransport::peer_counters(raft::NodeId peer) const {
  auto it = peer_counters_.find(peer);
  return it == peer_counters_.end() ? nullptr : it->second.get();
}

std::vector<PeerView> PeerTransport::peers() const {
  std::lock_guard lock(impl_->views_mutex);
  std::vector<PeerView> out;
  for (const auto& [id, view] : impl_->views) out.push_back(view);
  return out;
}

}  // namespace faultline::net
