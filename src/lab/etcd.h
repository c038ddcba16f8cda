// Debian's etcd (3.4) as a lab system: its command line, and how to read a node's real
// Raft state. etcd's Maintenance.Status reports the term of the last applied entry, which
// does not move while a node campaigns, so the lab reads `raft.status` from /debug/vars.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "record/run_record.h"

namespace faultline::lab {

struct EtcdNode {
  std::string name;     // "n1"
  std::string address;  // "127.0.10.1"
  int client_port = 2379;
  int peer_port = 2380;
  std::string data_dir;
};

// etcd 3.4 keeps this many entries behind a snapshot for slow followers
// (SnapshotCatchUpEntries) and has no flag to change it: a scenario that asks for another
// number cannot run on etcd.
inline constexpr std::uint64_t kEtcdCatchUpEntries = 5000;

struct EtcdSettings {
  std::string binary = "etcd";
  std::string token;  // one token for the whole cluster (different tokens never converge)
  int heartbeat_ms = 100;
  int election_ms = 500;
  bool pre_vote = false;
  std::uint64_t snapshot_count = 100000;  // applied entries between snapshots
};

// The argv that starts `self` as a member of `cluster` (a new cluster).
std::vector<std::string> etcd_command(const EtcdNode& self, const std::vector<EtcdNode>& cluster,
                                      const EtcdSettings& settings);

// One reading of etcd's raft.status.
struct EtcdRaftStatus {
  std::uint64_t id = 0;      // this member's id
  std::uint64_t term = 0;    // the current term (not the applied entry's)
  std::uint64_t leader = 0;  // member id, 0 for none
  record::Role role = record::Role::follower;
  std::uint64_t commit = 0;
  std::uint64_t applied = 0;
};

// Parses the body of GET /debug/vars; nullopt when it is not etcd's format.
std::optional<EtcdRaftStatus> parse_debug_vars(const std::string& body);

// The etcd version string of `binary` ("3.4.23"), or nullopt when it cannot be run.
std::optional<std::string> etcd_version(const std::string& binary);

}  // namespace faultline::lab
