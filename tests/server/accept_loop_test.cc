// A listener that runs out of file descriptors waits and tries again instead of spinning
// on a socket that stays readable, and accepts what waited once descriptors are free.
#include "net/accept_loop.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "support/ports.h"

namespace faultline::net {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;

std::chrono::nanoseconds process_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = testing::loopback_address(port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

TEST(AcceptLoop, OutOfFileDescriptorsItWaitsInsteadOfSpinningThenAcceptsAgain) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan's checks open descriptors of their own (to probe memory) and fail without them.
  GTEST_SKIP() << "needs a process without sanitizers: it leaves no file descriptor free";
#endif
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::atomic<int> accepted{0};
  std::vector<tcp::socket> kept;  // touched only by the I/O thread until it is joined
  AcceptLoop loop(acceptor, "test listener", [&](tcp::socket s) {
    kept.push_back(std::move(s));
    ++accepted;
  });
  loop.start();

  // Three connections wait in the backlog (the I/O thread is not running yet) ...
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect_to(acceptor.local_endpoint().port()));
  // ... and no descriptor is left to accept them with: the limit is on descriptor
  // numbers, so it is set to the lowest free one.
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  const int lowest_free = ::dup(0);
  ASSERT_GE(lowest_free, 0);
  ::close(lowest_free);
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(lowest_free);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);

  std::thread runner([&] {
    auto guard = asio::make_work_guard(io);
    io.run();
  });
  const auto cpu_before = process_cpu();
  std::this_thread::sleep_for(500ms);
  const auto cpu = process_cpu() - cpu_before;
  EXPECT_EQ(accepted.load(), 0);
  // Spinning would burn most of the half second; five tries cost next to nothing.
  EXPECT_LT(cpu, 100ms) << "CPU spent while accepting failed: "
                        << std::chrono::duration_cast<std::chrono::milliseconds>(cpu).count()
                        << " ms";

  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (accepted.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(accepted.load(), 3);

  asio::post(io, [&] {
    asio::error_code ignored;
    acceptor.close(ignored);
    io.stop();
  });
  runner.join();
  for (int fd : clients) ::close(fd);
}

}  // namespace
}  // namespace faultline::net
