// The configuration of one `faultline serve` node, from etcd's flag names. The flags
// arrive as strings (ServeFlags, filled by the CLI or a test); resolve() checks them all
// at once and turns them into a ServeConfig, or throws ServeConfigError listing every
// problem, so a bad start-up stops before anything is bound or written.
//
// Member ids are derived as etcd derives them, from data every node has the same:
// a hash of the member's peer URLs and the cluster token (FNV-1a here, SHA-1 in etcd), so
// the order of --initial-cluster does not matter and every node computes the same ids.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/url.h"
#include "raft/config.h"

namespace faultline::server {

// The flags as given; defaults are etcd 3.4's.
struct ServeFlags {
  std::string name = "default";
  std::string data_dir;         // empty: "<name>.etcd", as etcd
  std::string initial_cluster;  // empty: "<name>=<initial-advertise-peer-urls>"
  std::string initial_cluster_state = "new";
  std::string initial_cluster_token = "etcd-cluster";
  std::string listen_peer_urls = "http://localhost:2380";
  std::string initial_advertise_peer_urls = "http://localhost:2380";
  std::string listen_client_urls = "http://localhost:2379";
  std::string advertise_client_urls = "http://localhost:2379";
  std::string listen_metrics_urls;  // empty: no metrics/admin listener
  int heartbeat_interval_ms = 100;
  int election_timeout_ms = 1000;
  std::uint64_t snapshot_count = 100000;
  std::uint64_t snapshot_catch_up_entries = 5000;  // etcd's SnapshotCatchUpEntries (no flag there)
  std::optional<bool> pre_vote;                    // unset: the profile decides
  std::string profile = "etcd-3.4";
  std::uint64_t max_request_bytes = 1536 * 1024;
  std::optional<std::uint64_t> seed;  // unset: from the clock
};

struct Member {
  raft::NodeId id = raft::kNone;
  std::string name;
  std::vector<std::string> peer_urls;         // as given in --initial-cluster
  std::vector<net::HostPort> peer_addresses;  // parsed; the first is dialled
};

struct ServeConfig {
  std::string name;
  raft::NodeId id = raft::kNone;
  std::uint64_t cluster_id = 0;
  std::string cluster_token;
  bool new_cluster = true;
  std::filesystem::path data_dir;
  std::vector<Member> members;  // every member, this node included, sorted by id

  net::HostPort listen_peer;
  // Bound before dialling peers: the host of --listen-peer-urls unless it is a wildcard.
  std::string peer_source_address;
  std::vector<std::string> advertise_peer_urls;
  std::vector<net::HostPort> listen_client;
  std::vector<std::string> advertise_client_urls;
  std::vector<net::HostPort> listen_metrics;

  int heartbeat_interval_ms = 100;
  int election_timeout_ms = 1000;
  int election_tick = 10;
  std::uint64_t snapshot_count = 100000;
  // Entries kept behind a snapshot, so a follower slightly behind gets entries, not the
  // whole snapshot.
  std::uint64_t snapshot_catch_up_entries = 5000;
  std::string profile;
  raft::Switches switches;
  std::uint64_t max_request_bytes = 1536 * 1024;
  std::uint64_t seed = 1;

  const Member& self() const;
  // etcd's request timeout: 5 s plus two election timeouts (7 s with the defaults).
  int request_timeout_ms() const { return 5000 + 2 * election_timeout_ms; }
};

class ServeConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Throws ServeConfigError whose message lists every problem, one per line.
ServeConfig resolve(const ServeFlags& flags);

// etcd's member id rule, with FNV-1a: depends only on the peer URLs and the token.
raft::NodeId member_id(const std::vector<std::string>& peer_urls, const std::string& token);

}  // namespace faultline::server
