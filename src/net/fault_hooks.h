// Fault hooks of the peer transport: per peer and per direction, drop every message, drop
// a share of them at random, or hold them back for a delay. The lab uses them where it
// cannot cut links with nftables (no namespaces) and for delay (this kernel has no netem),
// and they make a true one-way *message* cut possible, which TCP-level filtering cannot.
// Rules are set at run time (the admin endpoint, see docs/server.md) from any thread; the
// transport's I/O thread judges every message as it leaves or arrives.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "raft/types.h"

namespace faultline::net {

enum class Direction : std::uint8_t {
  inbound,   // messages from the peer to this node (judged on arrival)
  outbound,  // messages from this node to the peer (judged before queueing)
};
std::string_view to_string(Direction d);
std::optional<Direction> direction_from(std::string_view s);

struct LinkFault {
  bool drop = false;              // drop every message
  double drop_probability = 0.0;  // otherwise drop each message with this probability
  std::chrono::microseconds delay{0};

  bool active() const { return drop || drop_probability > 0 || delay.count() > 0; }
  bool operator==(const LinkFault&) const = default;
};

// Upper bound on a delay: a typo must not park messages (and their memory) for hours.
inline constexpr std::chrono::microseconds kMaxFaultDelay = std::chrono::seconds(60);

// Every problem with `fault` as a sentence; empty when valid.
std::string validate(const LinkFault& fault);

struct Verdict {
  bool drop = false;
  std::chrono::microseconds delay{0};
};

class FaultHooks {
 public:
  explicit FaultHooks(std::uint64_t seed = 1);

  // Replaces the rule of one link direction (an inactive rule removes it). Throws
  // std::invalid_argument, changing nothing, for a rule validate() rejects.
  void set(raft::NodeId peer, Direction direction, const LinkFault& fault);
  void clear();
  LinkFault get(raft::NodeId peer, Direction direction) const;
  std::map<std::pair<raft::NodeId, Direction>, LinkFault> rules() const;

  // The fate of one message on that link. Cheap when no rule is set (one atomic load).
  Verdict judge(raft::NodeId peer, Direction direction);

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<raft::NodeId, Direction>, LinkFault> rules_;
  std::atomic<bool> any_rule_{false};
  std::mt19937_64 rng_;
};

}  // namespace faultline::net
