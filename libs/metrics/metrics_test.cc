#include "libs/metrics/metrics.h"

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace complaints::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, CounterFamilyIsExposedWithHelpTypeAndOneLinePerLabelSet) {
  Registry registry;
  auto& family = registry.AddCounter("dead_letters_total", "Records dead-lettered.", {"topic"});
  family.With({"ivr.calls.v1"}).Increment();
  family.With({"ivr.calls.v1"}).Increment(2);
  family.With({"complaints.case.v1"}).Increment();
  EXPECT_EQ(registry.Expose(),
            "# HELP dead_letters_total Records dead-lettered.\n"
            "# TYPE dead_letters_total counter\n"
            "dead_letters_total{topic=\"complaints.case.v1\"} 1\n"
            "dead_letters_total{topic=\"ivr.calls.v1\"} 3\n");
}

TEST(MetricsTest, GaugeWithoutLabelsHasNoBraces) {
  Registry registry;
  auto& gauge = registry.AddGauge("open_cases", "Open cases.").With({});
  gauge.Set(5);
  gauge.Add(-1.5);
  EXPECT_THAT(registry.Expose(), HasSubstr("\nopen_cases 3.5\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndUpperBoundsInclusive) {
  Registry registry;
  auto& histogram = registry.AddHistogram("wait_seconds", "Waits.", {"kind"}, {0.1, 1}).With({"a"});
  histogram.Observe(0.1);  // le="0.1" holds 0.1 itself
  histogram.Observe(0.5);
  histogram.Observe(7);
  EXPECT_THAT(registry.Expose(),
              HasSubstr("wait_seconds_bucket{kind=\"a\",le=\"0.10000000000000001\"} 1\n"
                        "wait_seconds_bucket{kind=\"a\",le=\"1\"} 2\n"
                        "wait_seconds_bucket{kind=\"a\",le=\"+Inf\"} 3\n"
                        "wait_seconds_sum{kind=\"a\"} 7.5999999999999996\n"
                        "wait_seconds_count{kind=\"a\"} 3\n"));
}

TEST(MetricsTest, RemovedChildrenAreNoLongerExposed) {
  Registry registry;
  auto& lag = registry.AddGauge("lag", "Lag.", {"partition"});
  lag.With({"0"}).Set(4);
  lag.With({"1"}).Set(7);
  lag.Remove({"0"});
  EXPECT_EQ(registry.Expose(), "# HELP lag Lag.\n# TYPE lag gauge\nlag{partition=\"1\"} 7\n");
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  Registry registry;
  registry.AddCounter("x_total", "Help with \\ and\nnewline.", {"v"}).With({"q\""}).Increment();
  EXPECT_THAT(registry.Expose(), HasSubstr("# HELP x_total Help with \\\\ and\\nnewline.\n"));
  EXPECT_THAT(registry.Expose(), HasSubstr("x_total{v=\"q\\\"\"} 1\n"));
}

TEST(MetricsTest, RegisteringTheSameFamilyTwiceReturnsTheFirst) {
  Registry registry;
  auto& first = registry.AddCounter("calls_total", "Calls.", {"method"});
  auto& second = registry.AddCounter("calls_total", "Calls.", {"method"});
  EXPECT_EQ(&first, &second);
  second.With({"m"}).Increment();
  EXPECT_EQ(first.With({"m"}).Value(), 1);
}

TEST(MetricsDeathTest, MisuseAbortsWithTheName) {
  Registry registry;
  registry.AddCounter("calls_total", "Calls.", {"method"});
  EXPECT_DEATH(registry.AddGauge("calls_total", "Calls.", {"method"}), "calls_total");
  EXPECT_DEATH(registry.AddCounter("bad-name", "x"), "bad-name");
  EXPECT_DEATH(registry.AddCounter("ok_total", "x", {"le"}), "le");
  EXPECT_DEATH(registry.AddCounter("calls_total", "Calls.", {"method"}).With({}), "calls_total");
  EXPECT_DEATH(registry.AddCounter("c_total", "x").With({}).Increment(-1), "decrease");
}

TEST(MetricsTest, ConcurrentIncrementsAreAllCounted) {
  Registry registry;
  auto& counter = registry.AddCounter("n_total", "N.").With({});
  auto& histogram = registry.AddHistogram("h_seconds", "H.", {}, {1}).With({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.Increment();
        histogram.Observe(0.5);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.Value(), 40000);
  EXPECT_EQ(histogram.Read().cumulative.back(), 40000u);
  EXPECT_EQ(histogram.Read().sum, 20000);
}

}  // namespace
}  // namespace complaints::metrics
