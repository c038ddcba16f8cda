// URL parsing for etcd-style flags.
#include "net/url.h"

#include <arpa/inet.h>

#include <charconv>
#include <stdexcept>

namespace faultline::net {
namespace {

[[noreturn]] void bad(std::string_view url, std::string_view why) {
  throw std::invalid_argument("bad URL \"" + std::string(url) + "\": " + std::string(why));
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

HostPort parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with("https://")) bad(url, "TLS is not supported; use http://");
  if (!url.starts_with(kScheme)) bad(url, "expected http://HOST:PORT");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) bad(url, "a path is not allowed");
  std::string_view host;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) bad(url, "unclosed [ in IPv6 address");
    host = rest.substr(1, close - 1);
    if (close + 1 >= rest.size() || rest[close + 1] != ':') bad(url, "missing :PORT");
    port = rest.substr(close + 2);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) bad(url, "missing :PORT");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) bad(url, "missing host");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    bad(url, "the port must be a number from 0 to 65535");
  }
  HostPort out{std::string(host), static_cast<std::uint16_t>(value)};
  if (out.host == "localhost") out.host = "127.0.0.1";
  if (!is_ip_literal(out.host)) bad(url, "the host must be an IP address");
  return out;
}

std::vector<std::string> split_list(std::string_view csv) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= csv.size()) {
    auto comma = csv.find(',', start);
    if (comma == std::string_view::npos) comma = csv.size();
    std::string_view item = csv.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

std::vector<HostPort> parse_url_list(std::string_view csv) {
  std::vector<HostPort> out;
  for (const std::string& item : split_list(csv)) out.push_back(parse_url(item));
  if (out.empty()) throw std::invalid_argument("empty URL list");
  return out;
}

}  // namespace faultline::net
