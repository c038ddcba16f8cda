// What the core does when one of Raft's invariants is broken (a corrupted or truncated
// log, a peer contradicting committed entries): stop loudly. etcd panics; we throw, so a
// test or the simulator can catch it and report the seed, and no wrong answer is served.
#pragma once

#include <stdexcept>
#include <string>

namespace faultline::raft {

class InvariantViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] inline void fail_invariant(const std::string& what) {
  throw InvariantViolation("raft invariant violated: " + what);
}

}  // namespace faultline::raft
