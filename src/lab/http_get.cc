// A minimal, bounded HTTP GET (see http_get.h).
#include "lab/http_get.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace faultline::lab {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point end) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits until fd is ready for `events` or the deadline passes.
bool wait_for(int fd, short events, Clock::time_point end) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, remaining_ms(end));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::optional<HttpResponse> http_get(const std::string& host, int port, const std::string& path,
                                     std::chrono::milliseconds deadline, std::size_t max_bytes) {
  return http_request("GET", host, port, path, "", deadline, max_bytes);
}

std::optional<HttpResponse> http_request(const std::string& method, const std::string& host,
                                         int port, const std::string& path, const std::string& body,
                                         std::chrono::milliseconds deadline,
                                         std::size_t max_bytes) {
  const auto end = Clock::now() + deadline;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return std::nullopt;
  Fd s{::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return std::nullopt;
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS || !wait_for(s.fd, POLLOUT, end)) return std::nullopt;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) return std::nullopt;
  }
  std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n";
  if (!body.empty() || method != "GET")
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(s.fd, POLLOUT, end)) return std::nullopt;
    ssize_t n = ::send(s.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return std::nullopt;
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[16384];
  for (;;) {
    if (!wait_for(s.fd, POLLIN, end)) return std::nullopt;
    ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return std::nullopt;
    }
    raw.append(buf, static_cast<std::size_t>(n));
    if (raw.size() > max_bytes) return std::nullopt;
  }
  // "HTTP/1.1 200 OK\r\n...headers...\r\n\r\nbody"
  auto header_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || header_end == std::string::npos) return std::nullopt;
  HttpResponse r;
  r.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  std::string headers = raw.substr(0, header_end);
  r.body = raw.substr(header_end + 4);
  // etcd answers with Content-Length; Go may use chunked encoding for large bodies.
  for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (headers.find("transfer-encoding: chunked") != std::string::npos) {
    std::string decoded;
    std::size_t pos = 0;
    while (pos < r.body.size()) {
      auto eol = r.body.find("\r\n", pos);
      if (eol == std::string::npos) return std::nullopt;
      std::size_t size = std::strtoul(r.body.c_str() + pos, nullptr, 16);
      if (size == 0) break;
      if (eol + 2 + size > r.body.size()) return std::nullopt;
      decoded.append(r.body, eol + 2, size);
      pos = eol + 2 + size + 2;
    }
    r.body = std::move(decoded);
  }
  return r;
}

}  // namespace faultline::lab
