// Flag resolution for `faultline serve`: every check in one place, every problem reported.
#include "server/serve_config.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "raft/profiles.h"

namespace faultline::server {
namespace {

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

bool is_wildcard(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

}  // namespace

raft::NodeId member_id(const std::vector<std::string>& peer_urls, const std::string& token) {
  std::vector<std::string> sorted = peer_urls;
  std::sort(sorted.begin(), sorted.end());
  std::uint64_t h = 14695981039346656037ull;
  for (const std::string& url : sorted) h = fnv1a(fnv1a(h, url), std::string_view("\n"));
  h = fnv1a(h, token);
  return h == raft::kNone ? 1 : h;
}

const Member& ServeConfig::self() const {
  for (const Member& m : members) {
    if (m.id == id) return m;
  }
  throw std::logic_error("ServeConfig without its own member");
}

ServeConfig resolve(const ServeFlags& f) {
  std::vector<std::string> problems;
  ServeConfig c;
  c.name = f.name;
  c.cluster_token = f.initial_cluster_token;
  if (f.name.empty()) problems.push_back("--name must not be empty");
  if (f.initial_cluster_token.empty())
    problems.push_back("--initial-cluster-token must not be empty");

  if (f.initial_cluster_state == "new") {
    c.new_cluster = true;
  } else if (f.initial_cluster_state == "existing") {
    c.new_cluster = false;
  } else {
    problems.push_back("--initial-cluster-state must be \"new\" or \"existing\", not \"" +
                       f.initial_cluster_state + "\"");
  }

  auto urls = [&](const char* flag, const std::string& value, std::vector<net::HostPort>& out) {
    try {
      out = net::parse_url_list(value);
    } catch (const std::invalid_argument& e) {
      problems.push_back(std::string(flag) + ": " + e.what());
    }
  };
  std::vector<net::HostPort> listen_peer;
  urls("--listen-peer-urls", f.listen_peer_urls, listen_peer);
  if (!listen_peer.empty()) {
    c.listen_peer = listen_peer.front();
    if (listen_peer.size() > 1) problems.push_back("--listen-peer-urls: only one URL is supported");
    if (!is_wildcard(c.listen_peer.host)) c.peer_source_address = c.listen_peer.host;
  }
  std::vector<net::HostPort> ignored;
  urls("--initial-advertise-peer-urls", f.initial_advertise_peer_urls, ignored);
  c.advertise_peer_urls = net::split_list(f.initial_advertise_peer_urls);
  urls("--listen-client-urls", f.listen_client_urls, c.listen_client);
  urls("--advertise-client-urls", f.advertise_client_urls, ignored);
  c.advertise_client_urls = net::split_list(f.advertise_client_urls);
  if (!f.listen_metrics_urls.empty())
    urls("--listen-metrics-urls", f.listen_metrics_urls, c.listen_metrics);

  // --initial-cluster: name=url pairs; a name may repeat to list several URLs (as etcd).
  const std::string cluster =
      f.initial_cluster.empty() ? f.name + "=" + f.initial_advertise_peer_urls : f.initial_cluster;
  std::map<std::string, Member> by_name;
  std::vector<std::string> order;
  for (const std::string& item : net::split_list(cluster)) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      problems.push_back("--initial-cluster: \"" + item + "\" is not NAME=URL");
      continue;
    }
    const std::string name = item.substr(0, eq);
    const std::string url = item.substr(eq + 1);
    try {
      net::HostPort hp = net::parse_url(url);
      Member& m = by_name[name];
      if (m.name.empty()) order.push_back(name);
      m.name = name;
      m.peer_urls.push_back(url);
      m.peer_addresses.push_back(hp);
    } catch (const std::invalid_argument& e) {
      problems.push_back(std::string("--initial-cluster: member ") + name + ": " + e.what());
    }
  }
  if (by_name.empty()) problems.push_back("--initial-cluster lists no member");
  for (auto& [name, m] : by_name) {
    m.id = member_id(m.peer_urls, f.initial_cluster_token);
    c.members.push_back(m);
  }
  std::sort(c.members.begin(), c.members.end(),
            [](const Member& a, const Member& b) { return a.id < b.id; });
  for (std::size_t i = 1; i < c.members.size(); ++i) {
    if (c.members[i].id == c.members[i - 1].id) {
      problems.push_back("--initial-cluster: members " + c.members[i - 1].name + " and " +
                         c.members[i].name + " have the same peer URLs");
    }
  }
  auto self = by_name.find(f.name);
  if (self == by_name.end()) {
    std::string names;
    for (const std::string& n : order) names += (names.empty() ? "" : ", ") + n;
    problems.push_back("--name \"" + f.name + "\" is not in --initial-cluster (members: " + names +
                       ")");
  } else {
    c.id = self->second.id;
    // etcd refuses a node whose advertised peer URLs differ from its --initial-cluster entry.
    std::vector<std::string> a = c.advertise_peer_urls;
    std::vector<std::string> b = self->second.peer_urls;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b) {
      problems.push_back("--initial-advertise-peer-urls (" + f.initial_advertise_peer_urls +
                         ") does not match this member's entry in --initial-cluster");
    }
  }
  std::uint64_t cluster_hash = 14695981039346656037ull;
  for (const Member& m : c.members) {
    cluster_hash = fnv1a(cluster_hash, std::to_string(m.id) + ",");
  }
  c.cluster_id = fnv1a(cluster_hash, f.initial_cluster_token);

  c.heartbeat_interval_ms = f.heartbeat_interval_ms;
  c.election_timeout_ms = f.election_timeout_ms;
  if (f.heartbeat_interval_ms <= 0) {
    problems.push_back("--heartbeat-interval must be a positive number of milliseconds");
  } else if (f.election_timeout_ms < 5 * f.heartbeat_interval_ms) {
    // etcd's own rule: otherwise followers time out between heartbeats under load.
    problems.push_back("--election-timeout (" + std::to_string(f.election_timeout_ms) +
                       " ms) must be at least 5 times --heartbeat-interval (" +
                       std::to_string(f.heartbeat_interval_ms) + " ms)");
  } else if (f.election_timeout_ms > 50000) {
    problems.push_back("--election-timeout must be at most 50000 ms");
  } else {
    c.election_tick = f.election_timeout_ms / f.heartbeat_interval_ms;
  }
  c.snapshot_count = f.snapshot_count;
  if (f.snapshot_count == 0) problems.push_back("--snapshot-count must be at least 1");
  c.snapshot_catch_up_entries = f.snapshot_catch_up_entries;
  // The entries are kept in memory: a bound, the scenario files' own.
  if (f.snapshot_catch_up_entries > 1'000'000'000)
    problems.push_back("--snapshot-catch-up-entries must be at most 1000000000");

  c.profile = f.profile;
  if (const raft::Profile* p = raft::find_profile(f.profile)) {
    c.switches = p->switches;
    if (f.pre_vote) {
      c.switches.pre_vote = *f.pre_vote;
      if (!c.switches.pre_vote) c.switches.prevote_requires_no_leader = false;
    }
  } else {
    problems.push_back("--profile: unknown profile \"" + f.profile +
                       "\" (known: " + raft::profile_names() + ")");
  }
  c.max_request_bytes = f.max_request_bytes;
  if (f.max_request_bytes == 0 || f.max_request_bytes > (64u << 20)) {
    problems.push_back("--max-request-bytes must be between 1 and 64 MiB");
  }
  c.seed = f.seed ? *f.seed
                  : static_cast<std::uint64_t>(
                        std::chrono::steady_clock::now().time_since_epoch().count()) ^
                        c.id;
  c.data_dir = f.data_dir.empty() ? std::filesystem::path(f.name + ".etcd")
                                  : std::filesystem::path(f.data_dir);

  if (!problems.empty()) {
    std::string message = "invalid configuration:";
    for (const std::string& p : problems) message += "\n  " + p;
    throw ServeConfigError(message);
  }
  return c;
}

}  // namespace faultline::server
