// Config validation: the one place that decides which combinations of settings and
// switches make sense. Each problem is reported as a sentence that says what to change.
#include "raft/config.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace faultline::raft {
namespace {

// 2 * election_tick must fit in an int (the randomized timeout is drawn below it).
constexpr int kMaxElectionTick = 1 << 29;

}  // namespace

std::vector<std::string> validate(const Config& c) {
  std::vector<std::string> problems;
  auto add = [&](std::string s) { problems.push_back(std::move(s)); };

  if (c.id == kNone) {
    add("id must not be 0: 0 means \"no node\"; give every node a distinct id from 1 up.");
  }
  std::set<NodeId> seen;
  for (NodeId p : c.peers) {
    if (p == kNone) {
      add("peers must not contain 0: 0 means \"no node\"; use ids from 1 up.");
    } else if (!seen.insert(p).second) {
      add("peer " + std::to_string(p) + " is listed more than once: list each voter once.");
    }
  }
  if (!c.peers.empty() && c.id != kNone &&
      std::find(c.peers.begin(), c.peers.end(), c.id) == c.peers.end()) {
    add("id " + std::to_string(c.id) +
        " is not among the peers: the peers list must include this node itself.");
  }
  if (c.heartbeat_tick < 1) {
    add("heartbeat_tick (" + std::to_string(c.heartbeat_tick) +
        ") must be at least 1: a leader needs at least one tick between heartbeats.");
  }
  if (c.election_tick <= c.heartbeat_tick) {
    add("election_tick (" + std::to_string(c.election_tick) + ") must be greater than " +
        "heartbeat_tick (" + std::to_string(c.heartbeat_tick) +
        "): otherwise followers time out between two heartbeats of a healthy leader.");
  }
  if (c.election_tick > kMaxElectionTick) {
    add("election_tick (" + std::to_string(c.election_tick) + ") must be at most " +
        std::to_string(kMaxElectionTick) + ".");
  }
  if (c.max_inflight_msgs < 1) {
    add("max_inflight_msgs (" + std::to_string(c.max_inflight_msgs) +
        ") must be at least 1: replication needs room for one append in flight.");
  }
  if (c.max_size_per_msg == 0) {
    add("max_size_per_msg must be greater than 0: it bounds the bytes of entries in one "
        "append.");
  }
  if (c.max_inflight_bytes != 0 && c.max_inflight_bytes < c.max_size_per_msg) {
    add("max_inflight_bytes (" + std::to_string(c.max_inflight_bytes) +
        ") must be 0 (no limit) or at least max_size_per_msg (" +
        std::to_string(c.max_size_per_msg) + "): one full append must fit in flight.");
  }
  if (c.max_pending_read_index == 0) {
    add("max_pending_read_index must be at least 1: 0 would refuse every ReadIndex request.");
  }
  if (c.switches.prevote_requires_no_leader && !c.switches.pre_vote) {
    add("prevote_requires_no_leader needs pre_vote: it changes how pre-votes are granted, "
        "so turn pre_vote on too (or use the thesis-prevote profile).");
  }
  if (c.read_only == ReadOnlyOption::lease_based && !c.switches.check_quorum) {
    add("read_only = lease_based needs check_quorum: without it a deposed leader could "
        "still believe its lease and serve stale reads.");
  }
  return problems;
}

}  // namespace faultline::raft
