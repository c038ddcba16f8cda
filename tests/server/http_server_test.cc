// The metrics listener over real loopback sockets: requests in pieces are answered, a
// client that stalls before finishing its request gets 408 at the deadline, one that does
// not take its answer is dropped, a refused head is answered with its status, and one
// connection over the limit is answered 503.
#include "net/http_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "support/ports.h"

namespace faultline::net {
namespace {

using namespace std::chrono_literals;

constexpr auto kDeadline = 300ms;

// A blocking loopback client whose reads give up after 10 s, so a server that never
// answers fails the test instead of hanging it.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{.tv_sec = 10, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in addr = testing::loopback_address(port);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  void send(std::string_view bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Everything until the server closes (or a read fails); `closed` says which.
  std::string read_all(bool* closed = nullptr) {
    std::string out;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed != nullptr) *closed = n == 0 || errno == ECONNRESET;
        return out;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Echoes the request; "/big" answers `big` bytes.
class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(
        std::vector<HostPort>{{"127.0.0.1", 0}},
        [this](const HttpRequest& r, HttpServer::Respond respond) {
          if (r.path == "/big") return respond({200, "text/plain", std::string(big_, 'x')});
          if (r.path == "/later") {
            // Answer from another thread, as /health does after a Raft round trip.
            std::thread([respond] {
              std::this_thread::sleep_for(2 * kDeadline);
              respond({200, "text/plain", "later\n"});
            }).detach();
            return;
          }
          respond({200, "text/plain", r.method + " " + r.path + "?" + r.query + " " + r.body});
        },
        kDeadline);
    server_->start();
    port_ = server_->ports().front();
  }
  void TearDown() override { server_->stop(); }

  std::size_t big_ = 0;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(HttpServerTest, ARequestSentInPiecesIsAnswered) {
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  c.send("POST /echo?a=1 HT");
  std::this_thread::sleep_for(kDeadline / 4);
  c.send("TP/1.1\r\nContent-Length: 5\r\n\r\nhel");
  std::this_thread::sleep_for(kDeadline / 4);
  c.send("lo");
  bool closed = false;
  const std::string answer = c.read_all(&closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
  EXPECT_TRUE(answer.ends_with("\r\n\r\nPOST /echo?a=1 hello")) << answer;
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, AClientThatStallsBeforeItsRequestEndsGets408) {
  RawClient silent(port_);
  RawClient partial(port_);
  ASSERT_TRUE(silent.connected() && partial.connected());
  partial.send("GET /metrics HTTP/1.1\r\nHost: a\r\n");
  for (RawClient* c : {&silent, &partial}) {
    bool closed = false;
    const std::string answer = c->read_all(&closed);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 408 Request Timeout\r\n")) << answer;
    EXPECT_TRUE(closed);
  }
}

TEST_F(HttpServerTest, AnAnswerLateFromAnotherThreadIsStillWritten) {
  RawClient c(port_);
  c.send("GET /later HTTP/1.1\r\n\r\n");
  const std::string answer = c.read_all();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
  EXPECT_TRUE(answer.ends_with("later\n")) << answer;
}

TEST_F(HttpServerTest, ARefusedHeadIsAnsweredWithItsStatus) {
  RawClient c(port_);
  c.send("POST /x HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n");
  const std::string answer = c.read_all();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 Bad Request\r\n")) << answer;
  EXPECT_TRUE(answer.ends_with("bad Content-Length\n")) << answer;

  RawClient chunked(port_);
  chunked.send("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_TRUE(chunked.read_all().starts_with("HTTP/1.1 501 Not Implemented\r\n"));
}

TEST_F(HttpServerTest, AClientThatDoesNotTakeItsAnswerIsDropped) {
  // More than loopback's socket buffers hold, so the write waits on the client.
  big_ = 64u << 20;
  RawClient c(port_, 4096);
  c.send("GET /big HTTP/1.1\r\n\r\n");
  std::this_thread::sleep_for(4 * kDeadline);
  bool closed = false;
  const std::string answer = c.read_all(&closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_LT(answer.size(), big_);
  EXPECT_TRUE(closed);
}

// At most so many connections at once: one more is told 503 and closed at once, while
// those open are not disturbed; a client that hangs up gives its place back at once, not
// at its deadline.
TEST(HttpServerLimits, OneConnectionTooManyIsAnswered503AndAPlaceFreesWhenAClientLeaves) {
  HttpServer server(
      {{"127.0.0.1", 0}},
      [](const HttpRequest& r, HttpServer::Respond respond) {
        respond({200, "text/plain", r.path});
      },
      60s, 2);
  server.start();
  const std::uint16_t port = server.ports().front();
  auto first = std::make_unique<RawClient>(port);
  RawClient second(port);
  ASSERT_TRUE(first->connected() && second.connected());

  RawClient third(port);  // accepted after the two above: the listener takes them in order
  bool closed = false;
  const std::string refused = third.read_all(&closed);
  EXPECT_TRUE(refused.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << refused;
  EXPECT_TRUE(refused.ends_with("too many connections\n")) << refused;
  EXPECT_TRUE(closed);

  first.reset();  // hangs up without a request: its place is free well before 60 s
  std::string answer;
  for (int attempt = 0; attempt < 100 && !answer.starts_with("HTTP/1.1 200"); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(50ms);
    RawClient next(port);
    next.send("GET /again HTTP/1.1\r\n\r\n");
    answer = next.read_all();
  }
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
  EXPECT_TRUE(answer.ends_with("/again")) << answer;

  second.send("GET /second HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(second.read_all().ends_with("/second")) << "an open connection is still served";
  server.stop();
}

}  // namespace
}  // namespace faultline::net
