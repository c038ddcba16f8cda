// The metrics listener's HTTP server: parse one request, hand it to the handler, write
// its answer, close.
#include "net/http_server.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <charconv>
#include <set>
#include <stdexcept>
#include <thread>

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
    case 413:
      return "Payload Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
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

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(asio::io_context& io, tcp::socket socket, const HttpServer::Handler& handler)
      : io_(io), socket_(std::move(socket)), handler_(handler) {}

  void start() { read_more(); }

 private:
  void read_more() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(chunk_),
                            [self](const asio::error_code& ec, std::size_t n) {
                              if (ec) return;  // the client went away; nothing to answer
                              self->buffer_.append(self->chunk_, n);
                              self->parse();
                            });
  }

  void parse() {
    if (header_end_ == std::string::npos) {
      header_end_ = buffer_.find("\r\n\r\n");
      if (header_end_ == std::string::npos) {
        if (buffer_.size() > HttpServer::kMaxHeaderBytes) return fail(413, "headers too large\n");
        return read_more();
      }
      if (!parse_header()) return;
    }
    const std::size_t have = buffer_.size() - (header_end_ + 4);
    if (have < content_length_) return read_more();
    request_.body = buffer_.substr(header_end_ + 4, content_length_);
    auto self = shared_from_this();
    handler_(request_, [self](HttpResponse response) {
      asio::post(self->io_, [self, response = std::move(response)] { self->write(response); });
    });
  }

  bool parse_header() {
    const std::string_view head(buffer_.data(), header_end_);
    const auto line_end = head.find("\r\n");
    const std::string_view line = head.substr(0, line_end);
    const auto sp1 = line.find(' ');
    const auto sp2 = line.find(' ', sp1 == std::string_view::npos ? sp1 : sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
      fail(400, "malformed request line\n");
      return false;
    }
    request_.method = std::string(line.substr(0, sp1));
    std::string target(line.substr(sp1 + 1, sp2 - sp1 - 1));
    if (const auto q = target.find('?'); q != std::string::npos) {
      request_.query = target.substr(q + 1);
      target.resize(q);
    }
    request_.path = std::move(target);
    // Only Content-Length matters here (no chunked bodies: no client of ours sends them).
    std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      auto end = head.find("\r\n", pos);
      if (end == std::string_view::npos) end = head.size();
      const std::string_view field = head.substr(pos, end - pos);
      const auto colon = field.find(':');
      if (colon != std::string_view::npos) {
        std::string name(field.substr(0, colon));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string_view value = field.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (name == "content-length") {
          const auto [p, ec] =
              std::from_chars(value.data(), value.data() + value.size(), content_length_);
          if (ec != std::errc()) {
            fail(400, "bad Content-Length\n");
            return false;
          }
          if (content_length_ > HttpServer::kMaxBodyBytes) {
            fail(413, "body too large\n");
            return false;
          }
        } else if (name == "transfer-encoding") {
          fail(400, "chunked bodies are not supported; send Content-Length\n");
          return false;
        }
      }
      pos = end + 2;
    }
    return true;
  }

  void fail(int status, std::string body) {
    write(HttpResponse{status, "text/plain; charset=utf-8", std::move(body)});
  }

  void write(const HttpResponse& response) {
    auto self = shared_from_this();
    auto out = std::make_shared<std::string>(serialize(response));
    asio::async_write(socket_, asio::buffer(*out),
                      [self, out](const asio::error_code&, std::size_t) {
                        asio::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                        self->socket_.close(ignored);
                      });
  }

  asio::io_context& io_;
  tcp::socket socket_;
  const HttpServer::Handler& handler_;
  char chunk_[4096];
  std::string buffer_;
  std::size_t header_end_ = std::string::npos;
  std::size_t content_length_ = 0;
  HttpRequest request_;
};

class HttpServer::Impl {
 public:
  Impl(std::vector<HostPort> listen, Handler handler)
      : listen(std::move(listen)), handler(std::move(handler)) {}

  void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](const asio::error_code& ec, tcp::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted) accept(acceptor);
        return;
      }
      std::make_shared<HttpConnection>(io, std::move(socket), handler)->start();
      accept(acceptor);
    });
  }

  std::vector<HostPort> listen;
  Handler handler;
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::thread thread;
};

HttpServer::HttpServer(std::vector<HostPort> listen, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(listen), std::move(handler))) {}

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
  for (auto& acceptor : impl_->acceptors) impl_->accept(*acceptor);
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
