// Fault hooks: the rule table and the per-message verdict.
#include "net/fault_hooks.h"

#include <stdexcept>

namespace faultline::net {

std::string_view to_string(Direction d) { return d == Direction::inbound ? "inbound" : "outbound"; }

std::optional<Direction> direction_from(std::string_view s) {
  if (s == "inbound" || s == "in") return Direction::inbound;
  if (s == "outbound" || s == "out") return Direction::outbound;
  return std::nullopt;
}

std::string validate(const LinkFault& fault) {
  if (!(fault.drop_probability >= 0.0 && fault.drop_probability <= 1.0)) {
    return "drop_probability must be between 0 and 1";
  }
  if (fault.delay.count() < 0) return "delay must not be negative";
  if (fault.delay > kMaxFaultDelay) return "delay must be at most 60 s";
  return {};
}

FaultHooks::FaultHooks(std::uint64_t seed) : rng_(seed) {}

void FaultHooks::set(raft::NodeId peer, Direction direction, const LinkFault& fault) {
  if (std::string problem = validate(fault); !problem.empty()) {
    throw std::invalid_argument(problem);
  }
  std::lock_guard lock(mutex_);
  if (fault.active()) {
    rules_[{peer, direction}] = fault;
  } else {
    rules_.erase({peer, direction});
  }
  any_rule_.store(!rules_.empty(), std::memory_order_release);
}

void FaultHooks::clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
  any_rule_.store(false, std::memory_order_release);
}

LinkFault FaultHooks::get(raft::NodeId peer, Direction direction) const {
  std::lock_guard lock(mutex_);
  auto it = rules_.find({peer, direction});
  return it == rules_.end() ? LinkFault{} : it->second;
}

std::map<std::pair<raft::NodeId, Direction>, LinkFault> FaultHooks::rules() const {
  std::lock_guard lock(mutex_);
  return rules_;
}

Verdict FaultHooks::judge(raft::NodeId peer, Direction direction) {
  if (!any_rule_.load(std::memory_order_acquire)) return {};
  std::lock_guard lock(mutex_);
  auto it = rules_.find({peer, direction});
  if (it == rules_.end()) return {};
  const LinkFault& f = it->second;
  Verdict v;
  v.delay = f.delay;
  if (f.drop) {
    v.drop = true;
  } else if (f.drop_probability > 0) {
    v.drop = std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < f.drop_probability;
  }
  return v;
}

}  // namespace faultline::net
