// The metrics listener's HTTP server: read one request (net/http_request.h parses it),
// hand it to the handler, write its answer, close.
#include "net/http_server.h"

#include <pthread.h>

#include <asio.hpp>
#include <atomic>
#include <stdexcept>
#include <thread>

#include "net/accept_loop.h"

namespace faultline::net {

using asio::ip::tcp;

std::string_view http_reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Status";
  }
}

namespace {

std::string serialize(const HttpResponse& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " +
                    std::string(http_reason(r.status)) + "\r\nContent-Type: " + r.content_type +
                    "\r\nContent-Length: " + std::to_string(r.body.size()) +
                    "\r\nConnection: close\r\n\r\n";
  out += r.body;
  return out;
}

}  // namespace

// How many connections are open; each connection holds it, so the count outlives the
// server if an answer is still on its way from another thread.
using OpenCount = std::shared_ptr<std::atomic<std::size_t>>;

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(asio::io_context& io, tcp::socket socket, const HttpServer::Handler& handler,
                 std::chrono::milliseconds deadline, OpenCount open)
      : io_(io),
        socket_(std::move(socket)),
        handler_(handler),
        deadline_(deadline),
        timer_(io),
        open_(std::move(open)) {
    ++*open_;
  }
  ~HttpConnection() { --*open_; }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  void start() {
    arm_deadline();
    read_more();
  }

 private:
  enum class Phase { reading, answering, writing, closed };

  // Reading: a client that has not sent its whole request in time gets 408. Writing: one
  // that does not take the answer in time is dropped. Answering has no deadline of ours:
  // the handlers bound their own waits.
  void arm_deadline() {
    timer_.expires_after(deadline_);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (ec) return;  // re-armed or cancelled
      if (self->phase_ == Phase::reading) {
        self->write({408, "text/plain; charset=utf-8", "request not received in time\n"});
      } else if (self->phase_ == Phase::writing) {
        self->close();
      }
    });
  }

  void read_more() {
    socket_.async_read_some(asio::buffer(chunk_),
                            [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                              if (self->phase_ != Phase::reading) return;  // answered
                              if (ec) return self->close();                // the client is gone
                              self->parsed(self->parser_.feed(std::string_view(self->chunk_, n)));
                            });
  }

  void parsed(HttpRequestParser::Status status) {
    switch (status) {
      case HttpRequestParser::Status::need_more:
        return read_more();
      case HttpRequestParser::Status::refused:
        return write(
            {parser_.refusal_status(), "text/plain; charset=utf-8", parser_.refusal() + "\n"});
      case HttpRequestParser::Status::complete:
        break;
    }
    phase_ = Phase::answering;
    timer_.cancel();
    handler_(parser_.request(), [self = shared_from_this()](HttpResponse response) {
      asio::post(self->io_, [self, response = std::move(response)] { self->write(response); });
    });
  }

  void write(const HttpResponse& response) {
    if (phase_ == Phase::writing || phase_ == Phase::closed) return;
    phase_ = Phase::writing;
    arm_deadline();
    auto out = std::make_shared<std::string>(serialize(response));
    asio::async_write(
        socket_, asio::buffer(*out),
        [self = shared_from_this(), out](const asio::error_code&, std::size_t) { self->close(); });
  }

  void close() {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    timer_.cancel();
    asio::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  asio::io_context& io_;
  tcp::socket socket_;
  const HttpServer::Handler& handler_;
  const std::chrono::milliseconds deadline_;
  asio::steady_timer timer_;
  Phase phase_ = Phase::reading;
  char chunk_[4096];
  HttpRequestParser parser_;
  OpenCount open_;
};

namespace {

// One connection too many: a short answer (the socket's send buffer takes it at once, or
// it is lost) and close, so the client learns why instead of waiting.
void turn_away(tcp::socket socket) {
  static const std::string answer =
      serialize({503, "text/plain; charset=utf-8", "too many connections\n"});
  asio::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(answer), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(std::vector<HostPort> listen, Handler handler, std::chrono::milliseconds deadline,
       std::size_t max_connections)
      : listen(std::move(listen)),
        handler(std::move(handler)),
        deadline(deadline),
        max_connections(max_connections) {}

  std::vector<HostPort> listen;
  Handler handler;
  std::chrono::milliseconds deadline;
  std::size_t max_connections;
  OpenCount open = std::make_shared<std::atomic<std::size_t>>(0);
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::unique_ptr<AcceptLoop>> accept_loops;  // one per acceptor
  std::thread thread;
};

HttpServer::HttpServer(std::vector<HostPort> listen, Handler handler,
                       std::chrono::milliseconds deadline, std::size_t max_connections)
    : impl_(std::make_unique<Impl>(std::move(listen), std::move(handler), deadline,
                                   max_connections)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  for (const HostPort& hp : impl_->listen) {
    asio::error_code ec;
    const auto address = asio::ip::make_address(hp.host, ec);
    auto acceptor = std::make_unique<tcp::acceptor>(impl_->io);
    tcp::endpoint endpoint(address, hp.port);
    if (!ec) acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + hp.to_string() + ": " + ec.message());
    ports_.push_back(acceptor->local_endpoint().port());
    impl_->acceptors.push_back(std::move(acceptor));
  }
  for (auto& acceptor : impl_->acceptors) {
    impl_->accept_loops.push_back(std::make_unique<AcceptLoop>(
        *acceptor, "metrics listener", [impl = impl_.get()](tcp::socket socket) {
          if (*impl->open >= impl->max_connections) return turn_away(std::move(socket));
          std::make_shared<HttpConnection>(impl->io, std::move(socket), impl->handler,
                                           impl->deadline, impl->open)
              ->start();
        }));
    impl_->accept_loops.back()->start();
  }
  impl_->thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "metrics-http");
    auto guard = asio::make_work_guard(impl_->io);
    impl_->io.run();
  });
}

void HttpServer::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  asio::post(impl_->io, [this] {
    for (auto& acceptor : impl_->acceptors) {
      asio::error_code ignored;
      acceptor->close(ignored);
    }
    impl_->io.stop();
  });
  impl_->thread.join();
}

}  // namespace faultline::net
