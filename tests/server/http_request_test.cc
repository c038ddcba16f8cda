// The metrics listener's request parser: a request reads the same whatever reads TCP cuts
// it into, and every head two parsers could read differently is refused with its status.
#include "net/http_request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace faultline::net {
namespace {

using Status = HttpRequestParser::Status;
using namespace std::string_literals;

// Feeds `bytes` in reads of `step` bytes; returns the parser as it ends.
HttpRequestParser parse(std::string_view bytes, std::size_t step) {
  HttpRequestParser p;
  for (std::size_t pos = 0; pos < bytes.size() && p.status() == Status::need_more; pos += step) {
    p.feed(bytes.substr(pos, step));
  }
  return p;
}

// Whole, and cut at every size up to 9 bytes: the same status, request and refusal.
HttpRequestParser parse_every_way(std::string_view bytes) {
  HttpRequestParser whole = parse(bytes, bytes.size() + 1);
  for (std::size_t step = 1; step < 10; ++step) {
    HttpRequestParser cut = parse(bytes, step);
    EXPECT_EQ(cut.status(), whole.status()) << "reads of " << step;
    EXPECT_EQ(cut.request(), whole.request()) << "reads of " << step;
    EXPECT_EQ(cut.refusal_status(), whole.refusal_status()) << "reads of " << step;
  }
  return whole;
}

TEST(HttpRequestParser, ARequestReadsTheSameWhateverReadsCutItInto) {
  const HttpRequestParser get =
      parse_every_way("GET /metrics?name=x&y HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n");
  ASSERT_EQ(get.status(), Status::complete);
  EXPECT_EQ(get.request(), (HttpRequest{"GET", "/metrics", "name=x&y", ""}));

  const HttpRequestParser post = parse_every_way(
      "POST /faultline/faults HTTP/1.0\r\ncontent-LENGTH:\t 5 \r\nX-Empty:\r\n\r\n"
      "{\"a\"}and pipelined bytes after the body");
  ASSERT_EQ(post.status(), Status::complete);
  EXPECT_EQ(post.request(), (HttpRequest{"POST", "/faultline/faults", "", "{\"a\"}"}));
}

TEST(HttpRequestParser, WaitsForTheWholeBody) {
  HttpRequestParser p;
  EXPECT_EQ(p.feed("PUT /x HTTP/1.1\r\nContent-Length: 4\r\n\r\nab"), Status::need_more);
  EXPECT_EQ(p.feed("c"), Status::need_more);
  EXPECT_EQ(p.feed("de"), Status::complete);
  EXPECT_EQ(p.request().body, "abcd");
  // Once answered, more bytes change nothing.
  EXPECT_EQ(p.feed("GET /other HTTP/1.1\r\n\r\n"), Status::complete);
  EXPECT_EQ(p.request().path, "/x");
}

TEST(HttpRequestParser, RepeatedContentLengthsMustAgree) {
  EXPECT_EQ(parse_every_way("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok")
                .status(),
            Status::complete);
  const HttpRequestParser p =
      parse_every_way("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!");
  EXPECT_EQ(p.status(), Status::refused);
  EXPECT_EQ(p.refusal_status(), 400);
  EXPECT_EQ(p.refusal(), "conflicting Content-Length");
}

TEST(HttpRequestParser, TheAbsoluteFormNamesThePath) {
  const HttpRequestParser p = parse_every_way("GET HTTP://host:2379/health?x HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.status(), Status::complete);
  EXPECT_EQ(p.request().path, "/health");
  EXPECT_EQ(p.request().query, "x");
  EXPECT_EQ(parse_every_way("GET http://host HTTP/1.1\r\n\r\n").request().path, "/");
}

TEST(HttpRequestParser, HeadsThatParsersCouldReadDifferentlyAreRefused) {
  const struct {
    std::string bytes;
    int status;
  } cases[] = {
      {"\r\n\r\n", 400},
      {"GET /\r\n\r\n", 400},
      {"GET  / HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1 extra\r\n\r\n", 400},
      {"G@T / HTTP/1.1\r\n\r\n", 400},
      {"GET metrics HTTP/1.1\r\n\r\n", 400},
      {"GET /a\x01 HTTP/1.1\r\n\r\n", 400},
      {"GET http://host?q HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1x\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 505},
      {"GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/1.1\n\n", 400},
      {"GET / HTTP/1.1\r\n\n", 400},
      {"GET / HTTP/1.1\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nName : v\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n: v\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nName: a\x7f\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nName: a\0b\r\n\r\n"s, 400},
      {"POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 262145\r\n\r\n", 413},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
      {"GET / HTTP/1.1\r\nX: " + std::string(HttpRequestParser::kMaxHeaderBytes, 'a') + "\r\n\r\n",
       431},
      {"GET / HTTP/1.1\r\nX: " + std::string(HttpRequestParser::kMaxHeaderBytes, 'a'), 431},
  };
  for (const auto& c : cases) {
    const HttpRequestParser p = parse_every_way(c.bytes);
    EXPECT_EQ(p.status(), Status::refused) << c.bytes;
    EXPECT_EQ(p.refusal_status(), c.status) << c.bytes;
    EXPECT_FALSE(p.refusal().empty());
  }
}

TEST(HttpRequestParser, TheLimitsAreInclusive) {
  const std::string filler = "GET / HTTP/1.1\r\nX: ";
  const std::string head =
      filler + std::string(HttpRequestParser::kMaxHeaderBytes - filler.size(), 'a');
  EXPECT_EQ(parse_every_way(head + "\r\n\r\n").status(), Status::complete);
  EXPECT_EQ(parse_every_way(head + "a\r\n\r\n").refusal_status(), 431);

  const std::string body(HttpRequestParser::kMaxBodyBytes, 'b');
  HttpRequestParser p;
  p.feed("POST / HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_EQ(p.feed(body), Status::complete);
  EXPECT_EQ(p.request().body.size(), body.size());
}

}  // namespace
}  // namespace faultline::net
