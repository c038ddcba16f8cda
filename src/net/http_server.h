// A deliberately small HTTP/1.1 server for the metrics listener: GET /metrics, GET
// /health and the fault-hook admin calls. One request per connection (the answer closes
// it), bounded headers and bodies, one I/O thread. Handlers answer asynchronously, so a
// health check that waits for a Raft round trip does not hold the thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/url.h"

namespace faultline::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string query;   // after '?', undecoded
  std::string body;
};

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

  static constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
  static constexpr std::size_t kMaxBodyBytes = 256 * 1024;

  HttpServer(std::vector<HostPort> listen, Handler handler);
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
