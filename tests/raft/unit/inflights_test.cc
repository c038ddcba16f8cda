// The in-flight window: bounded by count and by bytes, freed by acknowledgements.
#include "raft/inflights.h"

#include <gtest/gtest.h>

#include "raft/invariant.h"

namespace faultline::raft {
namespace {

TEST(InflightsTest, FullAtTheCountBound) {
  Inflights in(3, 0);
  in.add(1, 100);
  in.add(2, 100);
  EXPECT_FALSE(in.full());
  in.add(3, 100);
  EXPECT_TRUE(in.full());
  EXPECT_THROW(in.add(4, 1), InvariantViolation);
  EXPECT_EQ(in.count(), 3u);
}

TEST(InflightsTest, FullAtTheByteBound) {
  Inflights in(100, 1000);
  in.add(1, 600);
  EXPECT_FALSE(in.full());
  in.add(2, 400);  // reaches 1000 bytes
  EXPECT_TRUE(in.full());
  EXPECT_EQ(in.bytes(), 1000u);
  in.free_le(1);
  EXPECT_FALSE(in.full());
  EXPECT_EQ(in.bytes(), 400u);
}

TEST(InflightsTest, FreeLeReleasesEverythingAcknowledged) {
  Inflights in(10, 0);
  for (Index i = 1; i <= 5; ++i) in.add(i * 10, 1);
  in.free_le(35);  // acks 10, 20, 30
  EXPECT_EQ(in.count(), 2u);
  in.free_le(5);  // stale ack: nothing
  EXPECT_EQ(in.count(), 2u);
  in.free_first_one();
  EXPECT_EQ(in.count(), 1u);
  in.free_le(1000);
  EXPECT_EQ(in.count(), 0u);
  EXPECT_EQ(in.bytes(), 0u);
}

TEST(InflightsTest, WrapsAroundTheRingKeepingOrder) {
  Inflights in(4, 0);
  Index next = 1;
  for (int round = 0; round < 10; ++round) {
    while (!in.full()) in.add(next++, 1);
    in.free_le(next - 3);  // keep two in flight
    EXPECT_EQ(in.count(), 2u);
  }
  in.free_le(next - 2);
  EXPECT_EQ(in.count(), 1u);
}

TEST(InflightsTest, IndexesMustIncrease) {
  Inflights in(4, 0);
  in.add(5, 1);
  EXPECT_THROW(in.add(5, 1), InvariantViolation);
}

}  // namespace
}  // namespace faultline::raft
