#include "services/analytics/hot_spots.h"

#include <random>

#include "gtest/gtest.h"

namespace complaints::analytics {
namespace {

constexpr int64_t kDay = 86400;
const int64_t kStart = 1772294400;  // 2026-03-01T00:00:00+08:00

TEST(PoissonTest, TailsAndCriticalCounts) {
  EXPECT_NEAR(PoissonUpperTail(1.0, 5), 0.00366, 0.00001);
  EXPECT_NEAR(PoissonUpperTail(1.0, 6), 0.000594, 0.000001);
  EXPECT_EQ(PoissonCriticalCount(1.0, 0.001), 6);
  EXPECT_EQ(PoissonCriticalCount(10.0, 0.001), 22);  // P(X>=21) = 0.0016, P(X>=22) = 0.00076
  EXPECT_DOUBLE_EQ(PoissonUpperTail(3.0, 0), 1.0);
}

// Quiet data: every key's daily counts drawn from its own constant Poisson rate.
struct Quiet {
  int64_t alerts = 0;
  int64_t tests = 0;
};

Quiet RunQuiet(int keys, int days, uint32_t seed, HotSpotOptions options = {}) {
  HotSpotDetector detector(options);
  std::mt19937 random(seed);
  std::vector<events::v1::HotSpotAlert> out;
  int n = 0;
  for (int day = 0; day < days; ++day) {
    for (int k = 0; k < keys; ++k) {
      const double rate = 0.5 + (k % 10) * 2.0;  // 0.5 .. 18.5 a day
      std::poisson_distribution<int> count(rate);
      const int c = count(random);
      for (int i = 0; i < c; ++i) {
        // Spread over the working day, so that no burst forms by chance either.
        const int64_t t = kStart + day * kDay + 8 * 3600 + (i * 9 * 3600) / std::max(c, 1);
        detector.OnReceived("Q" + std::to_string(n++), t, "cat" + std::to_string(k),
                            "", out);
      }
    }
  }
  return {static_cast<int64_t>(out.size()), detector.tests()};
}

TEST(HotSpotDetectorTest, NoAlertOnQuietData) {
  const Quiet quiet = RunQuiet(10, 60, 42);
  EXPECT_GT(quiet.tests, 400);
  EXPECT_EQ(quiet.alerts, 0);
}

// The false-alarm rate the README quotes: alerts per key-day tested on quiet data.
TEST(HotSpotDetectorTest, FalseAlarmRateOnQuietDataIsBelowAlpha) {
  const Quiet quiet = RunQuiet(50, 365, 7);
  const double rate = static_cast<double>(quiet.alerts) / static_cast<double>(quiet.tests);
  std::printf("false alarms: %lld of %lld key-days tested (%.5f)\n",
              static_cast<long long>(quiet.alerts), static_cast<long long>(quiet.tests), rate);
  EXPECT_LT(rate, 0.001);
}

TEST(HotSpotDetectorTest, VolumeRiseIsRaisedOnceWithItsTypicalCases) {
  HotSpotDetector detector;
  std::vector<events::v1::HotSpotAlert> out;
  int n = 0;
  // Two a day for 20 days, then 12 on one day.
  for (int day = 0; day < 20; ++day) {
    for (int i = 0; i < 2; ++i) {
      detector.OnReceived("B" + std::to_string(n++), kStart + day * kDay + 36000 + i * 7200,
                          "fees", "", out);
    }
  }
  ASSERT_TRUE(out.empty());
  for (int i = 0; i < 12; ++i) {
    detector.OnReceived("S" + std::to_string(i), kStart + 20 * kDay + 30000 + i * 1800, "fees",
                        "", out);
  }
  ASSERT_EQ(out.size(), 1u);  // raised at the critical count, not again after
  const auto& alert = out[0];
  EXPECT_EQ(alert.kind(), events::v1::HOT_SPOT_KIND_VOLUME_RISE);
  EXPECT_EQ(alert.dimension(), "category");
  EXPECT_EQ(alert.key(), "fees");
  EXPECT_NEAR(alert.expected(), 2.0, 1e-9);
  EXPECT_EQ(alert.observed(), PoissonCriticalCount(2.0, 0.001));
  EXPECT_LT(alert.p_value(), 0.001);
  ASSERT_EQ(alert.typical_cases_size(), 5);
  EXPECT_EQ(alert.typical_cases(0), "S0");
  EXPECT_EQ(alert.window_start().seconds(), kStart + 20 * kDay);
}

TEST(HotSpotDetectorTest, BurstAtOneUnitIsRaisedOnce) {
  HotSpotDetector detector;
  std::vector<events::v1::HotSpotAlert> out;
  // Four within the hour: not yet.
  for (int i = 0; i < 4; ++i) {
    detector.OnUnit("M" + std::to_string(i), kStart + 36000 + i * 600, "atm.card_retained",
                    "BJ-0101", out);
  }
  EXPECT_TRUE(out.empty());
  // The same category at another unit does not add up.
  detector.OnUnit("X", kStart + 36000 + 2500, "atm.card_retained", "SH-0001", out);
  EXPECT_TRUE(out.empty());
  // The fifth (arriving late, out of order) makes the burst; more of it raise nothing new.
  detector.OnUnit("M4", kStart + 36000 + 300, "atm.card_retained", "BJ-0101", out);
  ASSERT_EQ(out.size(), 1u);
  for (int i = 5; i < 9; ++i) {
    detector.OnUnit("M" + std::to_string(i), kStart + 36000 + i * 600, "atm.card_retained",
                    "BJ-0101", out);
  }
  ASSERT_EQ(out.size(), 1u);
  const auto& alert = out[0];
  EXPECT_EQ(alert.kind(), events::v1::HOT_SPOT_KIND_BURST);
  EXPECT_EQ(alert.key(), "atm.card_retained@BJ-0101");
  EXPECT_EQ(alert.observed(), 5);
  ASSERT_EQ(alert.typical_cases_size(), 5);
  EXPECT_EQ(alert.typical_cases(0), "M0");
  EXPECT_EQ(alert.typical_cases(1), "M4");
  // A new burst hours later is a new alert.
  for (int i = 0; i < 5; ++i) {
    detector.OnUnit("N" + std::to_string(i), kStart + 5 * 3600 + 36000 + i * 60,
                    "atm.card_retained", "BJ-0101", out);
  }
  EXPECT_EQ(out.size(), 2u);
}

TEST(HotSpotDetectorTest, SpreadOutComplaintsAreNoBurst) {
  HotSpotDetector detector;
  std::vector<events::v1::HotSpotAlert> out;
  for (int i = 0; i < 50; ++i) {
    detector.OnUnit("M" + std::to_string(i), kStart + i * 1000, "fees", "BJ-0101", out);
  }
  EXPECT_TRUE(out.empty());  // at most 4 inside any hour
}

TEST(HotSpotDetectorTest, RestoredDetectorRaisesNothingTwice) {
  HotSpotDetector detector;
  std::vector<events::v1::HotSpotAlert> out;
  for (int i = 0; i < 5; ++i) {
    detector.OnUnit("M" + std::to_string(i), kStart + i * 60, "fees", "BJ-0101", out);
  }
  ASSERT_EQ(out.size(), 1u);
  analytics::v1::AggregatesSnapshot snapshot;
  detector.SaveTo(snapshot);
  *snapshot.add_raised() = out[0];
  HotSpotDetector restored;
  restored.RestoreFrom(snapshot);
  std::vector<events::v1::HotSpotAlert> again;
  restored.OnUnit("M5", kStart + 400, "fees", "BJ-0101", again);
  EXPECT_TRUE(again.empty());
}

}  // namespace
}  // namespace complaints::analytics
