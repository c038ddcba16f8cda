// A deliberately small HTTP/1.1 server for the metrics listener: GET /metrics, GET
// /health and the fault-hook admin calls. One request per connection (the answer closes
// it), bounded headers and bodies (net/http_request.h), one I/O thread. A client has a
// deadline to send its whole request (else 408) and another to take the answer, so a
// stalled client cannot hold a socket, and at most so many connections are open at once
// (one more is answered 503 and closed), so many clients cannot take every descriptor.
// Handlers answer asynchronously, so a health check that waits for a Raft round trip does
// not hold the thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/http_request.h"
#include "net/url.h"

namespace faultline::net {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  // `respond` may be called from any thread, exactly once.
  using Respond = std::function<void(HttpResponse)>;
  using Handler = std::function<void(const HttpRequest&, Respond)>;

  // For the request to arrive whole, and again for the answer to be taken.
  static constexpr std::chrono::milliseconds kDefaultDeadline{10'000};
  // Connections open at once, over every listening address.
  static constexpr std::size_t kDefaultMaxConnections = 128;

  HttpServer(std::vector<HostPort> listen, Handler handler,
             std::chrono::milliseconds deadline = kDefaultDeadline,
             std::size_t max_connections = kDefaultMaxConnections);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Throws std::runtime_error naming the address it cannot listen on.
  void start();
  void stop();
  // The bound ports, in the order of `listen` (useful with port 0).
  std::vector<std::uint16_t> ports() const { return ports_; }

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::vector<std::uint16_t> ports_;
};

std::string_view http_reason(int status);

}  // namespace faultline::net
