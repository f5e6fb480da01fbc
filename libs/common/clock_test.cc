#include "libs/common/clock.h"

#include "gtest/gtest.h"

namespace complaints::common {
namespace {

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(absl::FromUnixSeconds(1000));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1000));
  clock.Advance(absl::Minutes(2));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1120));
}

TEST(ClockTest, AcceleratedClockRunsFasterFromItsOrigin) {
  const absl::Time origin = absl::Now() - absl::Seconds(10);
  AcceleratedClock clock(origin, 60.0);
  // Ten real seconds after the origin, sixty times faster: ten minutes have passed.
  const absl::Duration elapsed = clock.Now() - origin;
  EXPECT_GE(elapsed, absl::Minutes(10));
  EXPECT_LT(elapsed, absl::Minutes(11));
  EXPECT_EQ(clock.ToRealDuration(absl::Hours(1)), absl::Minutes(1));
}

TEST(ClockTest, MakeClockDefaultsToRealTime) {
  auto clock = MakeClock(Config());
  ASSERT_TRUE(clock.ok());
  EXPECT_LT(absl::AbsDuration((*clock)->Now() - absl::Now()), absl::Seconds(1));
}

TEST(ClockTest, MakeClockAcceleratedNeedsOrigin) {
  EXPECT_FALSE(MakeClock(Config({{"clock.factor", "100"}})).ok());
  EXPECT_FALSE(MakeClock(Config({{"clock.factor", "-1"}})).ok());
  auto clock = MakeClock(Config({{"clock.factor", "100"}, {"clock.origin_unix_ms", "0"}}));
  ASSERT_TRUE(clock.ok());
  EXPECT_EQ((*clock)->ToRealDuration(absl::Seconds(100)), absl::Seconds(1));
}

}  // namespace
}  // namespace complaints::common
