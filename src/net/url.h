// Parses the URLs of etcd's flags ("http://127.0.0.1:2380") into an address and a port.
// faultline speaks plain TCP only, so https and unix URLs are refused with a message that
// says so, and a host must be an IP address (or "localhost"): the lab gives every node
// its own 127.x address, and a name that resolves to something else would silently break
// the loopback fault rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::net {

struct HostPort {
  std::string host;  // an IPv4 or IPv6 literal (no brackets)
  std::uint16_t port = 0;

  std::string to_string() const;  // "127.0.0.1:2380" or "[::1]:2380"
  bool operator==(const HostPort&) const = default;
};

// Throws std::invalid_argument naming the URL and what is wrong with it.
HostPort parse_url(std::string_view url);
// A comma-separated list of URLs (etcd's flag format); at least one.
std::vector<HostPort> parse_url_list(std::string_view csv);
std::vector<std::string> split_list(std::string_view csv);

}  // namespace faultline::net
