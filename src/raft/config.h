// The configuration of one Raft node: identity, timing, replication limits and the
// production switches (PreVote, CheckQuorum, the vote lease, the thesis PreVote).
// Every combination is validated here and nowhere else; a profile (profiles.h) is only a
// preset of Switches.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "raft/types.h"

namespace faultline::raft {

// The divergences that production Raft made from the paper. Each is independent.
struct Switches {
  // Before raising its term a node asks for pre-votes at term+1; it campaigns for real
  // only with a quorum of them. Stops a partitioned node from inflating terms.
  bool pre_vote = false;
  // A leader that has not heard from a quorum within an election timeout steps down.
  bool check_quorum = false;
  // A node that heard from a leader within the election timeout ignores (Pre)Vote
  // requests of a higher term. etcd ties this to check_quorum; separate here so the two
  // effects can be studied apart.
  bool vote_lease = false;
  // The Raft thesis' PreVote: refuse a pre-vote while hearing from a leader (inside the
  // grant itself, without needing check_quorum). Requires pre_vote.
  bool prevote_requires_no_leader = false;

  bool operator==(const Switches&) const = default;
};

enum class ReadOnlyOption : std::uint8_t {
  safe,        // ReadIndex: confirm leadership with a heartbeat round
  lease_based  // trust the leader lease (clock-dependent); requires check_quorum
};

struct Config {
  NodeId id = kNone;
  // The voters, this node included. Used only when storage holds no configuration yet
  // (a new cluster); otherwise the snapshot's voters win.
  std::vector<NodeId> peers;

  // Timing, in ticks. The randomized election timeout is drawn from
  // [election_tick, 2 * election_tick) at every role or term change.
  int election_tick = 10;
  int heartbeat_tick = 1;

  // The last index already applied by the application (on restart).
  Index applied = 0;

  // Replication limits: every queue and window is bounded.
  std::uint64_t max_size_per_msg = 1024 * 1024;              // bytes of entries in one append
  std::uint64_t max_committed_size_per_ready = 64ull << 20;  // bytes of committed entries per Ready
  std::uint64_t max_uncommitted_entries_size = 64ull
                                               << 20;  // leader's uncommitted tail (0: no limit)
  int max_inflight_msgs = 256;                         // appends in flight per follower
  std::uint64_t max_inflight_bytes = 32ull << 20;      // bytes in flight per follower (0: no limit)
  std::size_t max_pending_read_index = 4096;           // outstanding ReadIndex requests

  Switches switches;
  ReadOnlyOption read_only = ReadOnlyOption::safe;

  // Followers forward proposals to their leader (etcd's default). When true they drop them.
  bool disable_proposal_forwarding = false;

  // Seeds the node's generator (randomized election timeouts). Same seed, same run.
  std::uint64_t seed = 1;

  // Optional: receives one line per notable event ("became leader at term 3"). The
  // interaction tests print these; the simulator may record them. Never required.
  std::function<void(std::string_view)> logger;
};

// Thrown only by constructors given a Config that validate() rejects.
class ConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Every problem with `config`, each a sentence a user can act on; empty when valid.
std::vector<std::string> validate(const Config& config);

}  // namespace faultline::raft
