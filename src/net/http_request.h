// Parsing one HTTP/1.1 request, as the metrics listener receives it: bytes arrive in reads
// of any size and the parser says when the request is whole, or refuses it with the status
// to answer. Strict where leniency lets two readers see different requests (RFC 9112):
// a request line of exactly three parts, header names that are tokens with the colon right
// after them, no folded lines, a Content-Length of digits only and, if repeated, the same.
// No chunked bodies (no client of ours sends them).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace faultline::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string query;   // after '?', undecoded
  std::string body;

  bool operator==(const HttpRequest&) const = default;
};

class HttpRequestParser {
 public:
  enum class Status { need_more, complete, refused };

  static constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
  static constexpr std::size_t kMaxBodyBytes = 256 * 1024;

  // Takes the next bytes of the stream. Once complete or refused the answer stays and
  // further bytes are ignored (one request per connection).
  Status feed(std::string_view bytes);
  Status status() const { return status_; }

  // When complete.
  const HttpRequest& request() const { return request_; }
  // When refused: the status to answer (400, 413, 501) and why, one line.
  int refusal_status() const { return refusal_status_; }
  const std::string& refusal() const { return refusal_; }

 private:
  Status refuse(int status, std::string why);
  std::size_t find_empty_line(std::size_t from) const;
  bool parse_head(std::string_view head);

  Status status_ = Status::need_more;
  std::string buffer_;
  std::size_t body_start_ = std::string::npos;
  std::size_t content_length_ = 0;
  HttpRequest request_;
  int refusal_status_ = 0;
  std::string refusal_;
};

}  // namespace faultline::net
