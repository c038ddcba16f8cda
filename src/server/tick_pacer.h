// TickPacer: when the node's loop should tick its Raft core, and how many times.
//
// The core counts time in ticks (one per --heartbeat-interval). The loop can fall behind
// the clock: an fdatasync that takes a second on a busy disk, a snapshot of a large state,
// a machine short of CPU. Firing every missed tick on return would add a whole election
// timeout of ticks at once, so a follower that stalled campaigns the moment it wakes, even
// though its leader's heartbeats are waiting in its inbox (seen in the benchmark: a follower
// that took a 100,000-key snapshot started an election). etcd's ticker drops the ticks a
// busy loop missed, so after a stall its core sees one tick, not a burst; this does the same.
#pragma once

#include <chrono>

namespace faultline::server {

class TickPacer {
 public:
  using Clock = std::chrono::steady_clock;

  TickPacer(Clock::duration interval, Clock::time_point start)
      : interval_(interval), next_(start + interval) {}

  // How many ticks are due at `now`: 0 before the next tick's time, otherwise 1, however
  // many intervals passed (the rest are dropped and counted in dropped()). The tick after
  // it is one interval after the last one due, so a steady loop keeps the clock's rhythm.
  int due(Clock::time_point now) {
    if (now < next_) return 0;
    const auto behind = (now - next_) / interval_;  // whole intervals missed after this one
    dropped_ += behind;
    next_ += interval_ * (behind + 1);
    return 1;
  }

  Clock::time_point next() const { return next_; }
  // Ticks dropped because the loop was late: a sign of a stalled loop, for the metrics.
  long long dropped() const { return dropped_; }

 private:
  Clock::duration interval_;
  Clock::time_point next_;
  long long dropped_ = 0;
};

}  // namespace faultline::server
