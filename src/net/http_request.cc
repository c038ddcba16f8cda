// One HTTP/1.1 request from a stream of reads: find the end of the head, check and parse
// it, then wait for Content-Length bytes of body.
#include "net/http_request.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace faultline::net {
namespace {

// RFC 9110's tchar: the characters of a method or a header name.
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::ranges::all_of(s, is_tchar); }

// A field value may hold visible characters, spaces, tabs and bytes >= 0x80; no controls.
bool is_field_value(std::string_view s) {
  return std::ranges::all_of(s, [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

}  // namespace

HttpRequestParser::Status HttpRequestParser::refuse(int status, std::string why) {
  refusal_status_ = status;
  refusal_ = std::move(why);
  buffer_.clear();
  buffer_.shrink_to_fit();
  return status_ = Status::refused;
}

// The end of the head: the first empty line, found as a LF followed by LF or CRLF, so that
// a client ending its lines in bare LF is refused at once rather than left waiting for a
// CRLF CRLF that never comes. Returns the position of that first LF, or npos.
std::size_t HttpRequestParser::find_empty_line(std::size_t from) const {
  for (std::size_t i = buffer_.find('\n', from); i != std::string::npos;
       i = buffer_.find('\n', i + 1)) {
    if (i + 1 >= buffer_.size()) return std::string::npos;
    if (buffer_[i + 1] == '\n') return i;
    if (buffer_[i + 1] == '\r') {
      if (i + 2 >= buffer_.size()) return std::string::npos;
      if (buffer_[i + 2] == '\n') return i;
    }
  }
  return std::string::npos;
}

HttpRequestParser::Status HttpRequestParser::feed(std::string_view bytes) {
  if (status_ != Status::need_more) return status_;
  const std::size_t searched = buffer_.size();
  buffer_.append(bytes);
  if (body_start_ == std::string::npos) {
    // The empty line may straddle the previous read.
    const std::size_t lf = find_empty_line(searched < 2 ? 0 : searched - 2);
    if (lf == std::string::npos) {
      // A head within the limit and its CRLF CRLF would have been found by now.
      if (buffer_.size() >= kMaxHeaderBytes + 4) return refuse(431, "request head too large");
      return status_;
    }
    // In "head CR LF CR LF" the first LF is one past the head.
    if (lf > kMaxHeaderBytes + 1) return refuse(431, "request head too large");
    const bool crlf_crlf = lf >= 1 && buffer_[lf - 1] == '\r' && buffer_[lf + 1] == '\r';
    if (!crlf_crlf) return refuse(400, "bare CR or LF in the request head");
    if (!parse_head(std::string_view(buffer_).substr(0, lf - 1))) return status_;
    body_start_ = lf + 3;
  }
  if (buffer_.size() - body_start_ < content_length_) return status_;
  request_.body = buffer_.substr(body_start_, content_length_);
  buffer_.clear();
  buffer_.shrink_to_fit();
  return status_ = Status::complete;
}

bool HttpRequestParser::parse_head(std::string_view head) {
  // Every line ends in CRLF; a lone CR or LF is where two parsers can disagree.
  for (std::size_t i = 0; i < head.size(); ++i) {
    const bool crlf = head[i] == '\r' && i + 1 < head.size() && head[i + 1] == '\n';
    if (crlf) {
      ++i;
    } else if (head[i] == '\r' || head[i] == '\n') {
      refuse(400, "bare CR or LF in the request head");
      return false;
    }
  }

  const std::size_t line_end = std::min(head.find("\r\n"), head.size());
  const std::string_view line = head.substr(0, line_end);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    refuse(400, "malformed request line");
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) {
    refuse(400, "malformed request line");
    return false;
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    const bool http = version.size() == 8 && version.starts_with("HTTP/") && version[6] == '.';
    refuse(http ? 505 : 400, http ? "only HTTP/1.0 and HTTP/1.1" : "malformed request line");
    return false;
  }
  // Absolute form (what a proxy would send): drop the scheme and the authority.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
      target.remove_prefix(scheme.size());
      const std::size_t slash = target.find_first_of("/?");
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      if (target.front() == '?') {
        refuse(400, "request target must be a path");
        return false;
      }
    }
  }
  if (!target.starts_with('/') || !std::ranges::all_of(target, [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
      })) {
    refuse(400, "request target must be a path");
    return false;
  }
  request_.method = std::string(method);
  const std::size_t q = target.find('?');
  request_.path = std::string(target.substr(0, q));
  request_.query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));

  bool have_length = false;
  std::size_t pos = line_end + 2;
  while (pos < head.size()) {
    const std::size_t end = std::min(head.find("\r\n", pos), head.size());
    const std::string_view field = head.substr(pos, end - pos);
    pos = end + 2;
    if (!field.empty() && (field.front() == ' ' || field.front() == '\t')) {
      refuse(400, "folded header lines are not accepted");
      return false;
    }
    const std::size_t colon = field.find(':');
    const std::string_view name = field.substr(0, colon);
    if (colon == std::string_view::npos || !is_token(name)) {
      refuse(400, "malformed header field");
      return false;
    }
    const std::string_view value = trim_ows(field.substr(colon + 1));
    if (!is_field_value(value)) {
      refuse(400, "control character in a header value");
      return false;
    }
    if (iequals(name, "content-length")) {
      if (value.empty() ||
          !std::ranges::all_of(value, [](char c) { return c >= '0' && c <= '9'; })) {
        refuse(400, "bad Content-Length");
        return false;
      }
      std::uint64_t length = 0;
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec != std::errc() || length > kMaxBodyBytes) {
        refuse(413, "body too large");
        return false;
      }
      if (have_length && length != content_length_) {
        refuse(400, "conflicting Content-Length");
        return false;
      }
      have_length = true;
      content_length_ = static_cast<std::size_t>(length);
    } else if (iequals(name, "transfer-encoding")) {
      refuse(501, "chunked bodies are not supported; send Content-Length");
      return false;
    }
  }
  return true;
}

}  // namespace faultline::net
