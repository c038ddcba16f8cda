// The node's tick clock after a stall: a loop that was stuck for seconds (a slow fsync, a
// big snapshot) gets one tick when it wakes, never a burst that would make a follower
// campaign against a healthy leader; a loop on time ticks once per interval.
#include "server/tick_pacer.h"

#include <gtest/gtest.h>

namespace faultline::server {
namespace {

using namespace std::chrono_literals;
using Clock = TickPacer::Clock;

TEST(TickPacer, ALoopOnTimeTicksOncePerIntervalAndNotBefore) {
  const Clock::time_point t0{};
  TickPacer pacer(100ms, t0);
  EXPECT_EQ(pacer.next(), t0 + 100ms);
  EXPECT_EQ(pacer.due(t0 + 99ms), 0) << "no tick before the interval is over";
  EXPECT_EQ(pacer.due(t0 + 100ms), 1);
  EXPECT_EQ(pacer.due(t0 + 150ms), 0) << "one tick per interval";
  EXPECT_EQ(pacer.due(t0 + 210ms), 1);
  EXPECT_EQ(pacer.next(), t0 + 300ms) << "a little lateness keeps the clock's rhythm";
  EXPECT_EQ(pacer.dropped(), 0);
}

TEST(TickPacer, AStallOfManyElectionTimeoutsYieldsOneTickAndCountsTheRest) {
  const Clock::time_point t0{};
  TickPacer pacer(100ms, t0);
  // The loop wakes 5.05 s late: 50 ticks were due; only one is fired.
  EXPECT_EQ(pacer.due(t0 + 5050ms), 1);
  EXPECT_EQ(pacer.dropped(), 49);
  EXPECT_EQ(pacer.due(t0 + 5050ms), 0) << "the dropped ticks do not come back later";
  EXPECT_EQ(pacer.next(), t0 + 5100ms);
  EXPECT_EQ(pacer.due(t0 + 5100ms), 1);
  EXPECT_EQ(pacer.dropped(), 49);
}

}  // namespace
}  // namespace faultline::server
