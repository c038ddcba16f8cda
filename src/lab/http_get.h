// A minimal HTTP/1.1 client (GET, and POST/DELETE for fault hooks) over TCP with a hard deadline,
// for the lab's observers (etcd's /debug/vars and /health, faultline's /metrics). Bounded: the
// response is capped, the whole exchange has one deadline, and it never follows redirects.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace faultline::lab {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// GET http://host:port/path. Returns nullopt on any failure (refused, timeout, malformed);
// an observer treats that as "the node did not answer this sample".
std::optional<HttpResponse> http_get(const std::string& host, int port, const std::string& path,
                                     std::chrono::milliseconds deadline,
                                     std::size_t max_bytes = 4u << 20);

// Any method with an optional JSON body (the fault-hook admin API of `faultline serve`).
std::optional<HttpResponse> http_request(const std::string& method, const std::string& host,
                                         int port, const std::string& path, const std::string& body,
                                         std::chrono::milliseconds deadline,
                                         std::size_t max_bytes = 4u << 20);

}  // namespace faultline::lab
