#include "client/machine_floor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace faultline::client {
namespace {

using Clock = std::chrono::steady_clock;

FloorSample summarize(std::vector<record::Micros> samples) {
  FloorSample s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = static_cast<std::uint32_t>(samples.size());
  s.min = samples.front();
  s.p50 = samples[(samples.size() - 1) / 2];
  s.p99 = samples[std::min(samples.size() - 1, samples.size() * 99 / 100)];
  return s;
}

std::runtime_error os_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

// Closes a descriptor on every path out.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

bool exchange_byte(int fd, bool send_first) {
  char byte = 'x';
  if (send_first && ::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) return false;
  if (::recv(fd, &byte, 1, MSG_WAITALL) != 1) return false;
  if (!send_first && ::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) return false;
  return true;
}

// The file of writer `w` in the probe's folder.
std::string floor_file_name(unsigned w) {
  return "faultline-floor-" + std::to_string(::getpid()) + "-" + std::to_string(w) + ".tmp";
}

// One writer of measure_fdatasync: appends and syncs `count` blocks to `path`, timing each.
// Returns an error message, or "" (the file is removed either way).
std::string append_and_sync(const std::filesystem::path& path, std::uint32_t count,
                            std::size_t block_size, std::latch& go,
                            std::vector<record::Micros>& samples) {
  Fd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600));
  const std::string opened = file.fd < 0 ? os_error("cannot create " + path.string()).what() : "";
  go.arrive_and_wait();  // every writer starts together, even one that failed to open
  if (!opened.empty()) return opened;
  std::vector<char> block(block_size, 'f');
  samples.reserve(count);
  std::string failure;
  for (std::uint32_t i = 0; i < count; ++i) {
    auto t0 = Clock::now();
    if (::write(file.fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(file.fd) != 0) {
      failure = os_error("append to " + path.string()).what();
      break;
    }
    samples.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
  }
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  return failure;
}

}  // namespace

FloorSample measure_fdatasync(const std::filesystem::path& dir, std::uint32_t count,
                              std::size_t block_size, unsigned writers) {
  count = std::min<std::uint32_t>(count, 10'000);
  writers = std::clamp(writers, 1u, 16u);
  std::latch go(writers);
  std::vector<std::vector<record::Micros>> samples(writers);
  std::vector<std::string> failures(writers);
  {
    std::vector<std::jthread> threads;
    threads.reserve(writers - 1);
    try {
      for (unsigned w = 1; w < writers; ++w) {
        threads.emplace_back([&, w] {
          failures[w] =
              append_and_sync(dir / floor_file_name(w), count, block_size, go, samples[w]);
        });
      }
    } catch (...) {
      // A thread could not start: count down for every writer that did not start and for
      // this one, so those that did are not left at the latch (and joined forever).
      go.count_down(writers - threads.size());
      throw;
    }
    failures[0] = append_and_sync(dir / floor_file_name(0), count, block_size, go, samples[0]);
  }
  for (const std::string& f : failures) {
    if (!f.empty()) throw std::runtime_error(f);
  }
  std::vector<record::Micros> all;
  for (auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  return summarize(std::move(all));
}

FloorSample measure_loopback_rtt(std::uint32_t count) {
  count = std::min<std::uint32_t>(count, 100'000);
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.fd < 0) throw os_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // any free port
  socklen_t len = sizeof addr;
  if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener.fd, 1) != 0 ||
      ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw os_error("listen on 127.0.0.1");
  }
  std::thread echo([fd = listener.fd, count] {
    Fd peer(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (peer.fd < 0) return;
    int one = 1;
    ::setsockopt(peer.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (std::uint32_t i = 0; i < count && exchange_byte(peer.fd, false); ++i) {
    }
  });
  Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  bool connected =
      client.fd >= 0 && ::connect(client.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  std::vector<record::Micros> samples;
  std::string failure;
  if (connected) {
    int one = 1;
    ::setsockopt(client.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    samples.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
      auto t0 = Clock::now();
      if (!exchange_byte(client.fd, true)) {
        failure = std::string("loopback exchange: ") + std::strerror(errno);
        break;
      }
      samples.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
    }
  } else {
    failure = std::string("connect to 127.0.0.1: ") + std::strerror(errno);
    ::shutdown(listener.fd, SHUT_RDWR);  // wakes the helper's accept
  }
  if (client.fd >= 0) ::shutdown(client.fd, SHUT_RDWR);
  echo.join();
  if (!failure.empty()) throw std::runtime_error(failure);
  return summarize(std::move(samples));
}

}  // namespace faultline::client
