// Free TCP ports on 127.0.0.1 for tests that start servers, and the loopback address.
//
// Ports come from below the kernel's ephemeral range (32768..60999 on Linux), so no
// outgoing connection and no bind to port 0 can take one between the moment it is chosen
// and the moment the server binds it. Every port of one call is held open until all are
// chosen, so a call never returns the same port twice. The start is random, so tests that
// run in parallel rarely look at the same ports; a port that is busy is skipped.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

namespace faultline::testing {

// 127.0.0.1:port, for tests that bind or connect with plain sockets.
inline sockaddr_in loopback_address(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

inline std::vector<std::uint16_t> free_ports(int count) {
  constexpr int lo = 20000, hi = 32000;  // below the ephemeral range
  std::random_device entropy;
  int next = lo + static_cast<int>(entropy() % static_cast<unsigned>(hi - lo));
  std::vector<int> held;
  std::vector<std::uint16_t> ports;
  for (int tried = 0; static_cast<int>(ports.size()) < count && tried < hi - lo; ++tried) {
    int port = next;
    next = next + 1 < hi ? next + 1 : lo;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    sockaddr_in addr = loopback_address(static_cast<std::uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      held.push_back(fd);
      ports.push_back(static_cast<std::uint16_t>(port));
    } else {
      ::close(fd);
    }
  }
  for (int fd : held) ::close(fd);
  if (static_cast<int>(ports.size()) < count) throw std::runtime_error("no free ports");
  return ports;
}

inline std::uint16_t free_port() { return free_ports(1).front(); }

}  // namespace faultline::testing
