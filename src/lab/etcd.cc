// Debian's etcd as a lab system (see etcd.h).
#include "lab/etcd.h"

#include <nlohmann/json.hpp>

#include "lab/network.h"

namespace faultline::lab {
namespace {

std::string url(const std::string& address, int port) {
  return "http://" + address + ":" + std::to_string(port);
}

// etcd writes member ids in hex without a prefix; "0" means none.
std::optional<std::uint64_t> hex_id(const nlohmann::json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 16) return std::nullopt;
  try {
    std::size_t used = 0;
    std::uint64_t id = std::stoull(s, &used, 16);
    if (used != s.size()) return std::nullopt;
    return id;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

std::vector<std::string> etcd_command(const EtcdNode& self, const std::vector<EtcdNode>& cluster,
                                      const EtcdSettings& settings) {
  std::string initial;
  for (const auto& n : cluster) {
    initial += (initial.empty() ? "" : ",") + n.name + "=" + url(n.address, n.peer_port);
  }
  std::vector<std::string> argv = {
      settings.binary,
      "--name",
      self.name,
      "--data-dir",
      self.data_dir,
      "--listen-client-urls",
      url(self.address, self.client_port),
      "--advertise-client-urls",
      url(self.address, self.client_port),
      "--listen-peer-urls",
      url(self.address, self.peer_port),
      "--initial-advertise-peer-urls",
      url(self.address, self.peer_port),
      "--initial-cluster",
      initial,
      "--initial-cluster-state",
      "new",
      "--initial-cluster-token",
      settings.token,
      "--heartbeat-interval",
      std::to_string(settings.heartbeat_ms),
      "--election-timeout",
      std::to_string(settings.election_ms),
      "--snapshot-count",
      std::to_string(settings.snapshot_count),
      "--logger",
      "zap",
      "--log-outputs",
      "stderr",
  };
  if (settings.pre_vote) argv.push_back("--pre-vote");
  return argv;
}

std::optional<EtcdRaftStatus> parse_debug_vars(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("raft.status")) return std::nullopt;
  const auto& rs = doc["raft.status"];
  if (!rs.is_object()) return std::nullopt;
  EtcdRaftStatus s;
  auto id = hex_id(rs.value("id", nlohmann::json()));
  auto lead = hex_id(rs.value("lead", nlohmann::json()));
  if (!id || !lead || !rs.contains("term") || !rs["term"].is_number_unsigned()) return std::nullopt;
  s.id = *id;
  s.leader = *lead;
  s.term = rs["term"].get<std::uint64_t>();
  s.commit = rs.value("commit", std::uint64_t{0});
  s.applied = rs.value("applied", std::uint64_t{0});
  const std::string state = rs.value("raftState", std::string());
  if (state == "StateLeader") {
    s.role = record::Role::leader;
  } else if (state == "StateCandidate") {
    s.role = record::Role::candidate;
  } else if (state == "StatePreCandidate") {
    s.role = record::Role::pre_candidate;
  } else if (state == "StateFollower") {
    s.role = record::Role::follower;
  } else {
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> etcd_version(const std::string& binary) {
  try {
    std::string out = run_tool({binary, "--version"});
    // "etcd Version: 3.4.23\nGit SHA: ..."
    auto pos = out.find("etcd Version: ");
    if (pos == std::string::npos) return std::nullopt;
    auto end = out.find('\n', pos);
    return out.substr(pos + 14, end == std::string::npos ? std::string::npos : end - pos - 14);
  } catch (const LabError&) {
    return std::nullopt;
  }
}

}  // namespace faultline::lab
