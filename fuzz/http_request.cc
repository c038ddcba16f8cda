// Fuzz target: the bytes a client sends the metrics listener. The first byte picks the
// read size (TCP splits a stream anywhere); the parser must give the same answer read
// whole or in pieces, refuse only with a status it documents, and a request it accepts
// must read back the same when written out plainly.
#include "net/http_request.h"

#include <algorithm>

#include "fuzz_support.h"

namespace {

using faultline::net::HttpRequest;
using faultline::net::HttpRequestParser;

HttpRequestParser parse(std::string_view bytes, std::size_t read) {
  HttpRequestParser p;
  for (std::size_t pos = 0; pos < bytes.size(); pos += read) {
    if (p.feed(bytes.substr(pos, read)) != HttpRequestParser::Status::need_more) break;
  }
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t read = std::size_t{data[0]} + 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  const HttpRequestParser whole = parse(bytes, bytes.size() + 1);
  const HttpRequestParser pieces = parse(bytes, read);
  FUZZ_REQUIRE(whole.status() == pieces.status());
  FUZZ_REQUIRE(whole.refusal_status() == pieces.refusal_status());
  FUZZ_REQUIRE(whole.refusal() == pieces.refusal());
  FUZZ_REQUIRE(whole.request() == pieces.request());

  switch (whole.status()) {
    case HttpRequestParser::Status::need_more:
      break;
    case HttpRequestParser::Status::refused: {
      const int s = whole.refusal_status();
      FUZZ_REQUIRE(s == 400 || s == 413 || s == 431 || s == 501 || s == 505);
      FUZZ_REQUIRE(!whole.refusal().empty());
      break;
    }
    case HttpRequestParser::Status::complete: {
      const HttpRequest& r = whole.request();
      FUZZ_REQUIRE(r.path.starts_with('/'));
      FUZZ_REQUIRE(r.body.size() <= HttpRequestParser::kMaxBodyBytes);
      std::string plain = r.method + " " + r.path;
      if (!r.query.empty()) plain += "?" + r.query;
      plain +=
          " HTTP/1.1\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
      const HttpRequestParser again = parse(plain, plain.size());
      FUZZ_REQUIRE(again.status() == HttpRequestParser::Status::complete);
      FUZZ_REQUIRE(again.request() == r);
      break;
    }
  }
  return 0;
}
