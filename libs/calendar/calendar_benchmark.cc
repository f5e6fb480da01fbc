// Cost of the calls the SLA timer makes on every case event, on the shipped CN calendar.
#include <cstdlib>
#include <iostream>

#include "benchmark/benchmark.h"
#include "libs/calendar/calendar_registry.h"

namespace complaints::calendar {
namespace {

const BusinessCalendar& China() {
  static const auto* registry = [] {
    auto loaded = CalendarRegistry::LoadDirectory(std::string(COMPLAINTS_SOURCE_DIR) +
                                                  "/deploy/calendars");
    if (!loaded.ok()) {
      std::cerr << loaded.status() << "\n";
      std::abort();
    }
    return new CalendarRegistry(*std::move(loaded));
  }();
  return registry->Default();
}

// Start instants spread over 2025 every 7 h 13 min, so that weekends and holidays are crossed.
absl::Time Start(int64_t i) {
  static const absl::Time origin = absl::FromUnixSeconds(1735689600);  // 2025-01-01 00:00 UTC
  return origin + (absl::Hours(7) + absl::Minutes(13)) * (i % 1200);
}

void BM_AddWorkingTime(benchmark::State& state) {
  const BusinessCalendar& cal = China();
  const absl::Duration working = absl::Hours(state.range(0));
  int64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cal.AddWorkingTime(Start(i++), working));
}
BENCHMARK(BM_AddWorkingTime)->Arg(1)->Arg(8)->Arg(7 * 15)->Arg(7 * 60);

void BM_AddWorkingDays(benchmark::State& state) {
  const BusinessCalendar& cal = China();
  int64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cal.AddWorkingDays(Start(i++), 15));
}
BENCHMARK(BM_AddWorkingDays);

void BM_WorkingTimeBetween(benchmark::State& state) {
  const BusinessCalendar& cal = China();
  int64_t i = 0;
  for (auto _ : state) {
    const absl::Time from = Start(i++);
    benchmark::DoNotOptimize(cal.WorkingTimeBetween(from, from + absl::Hours(24 * state.range(0))));
  }
}
BENCHMARK(BM_WorkingTimeBetween)->Arg(3)->Arg(30);

void BM_IsWorkingTime(benchmark::State& state) {
  const BusinessCalendar& cal = China();
  int64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cal.IsWorkingTime(Start(i++)));
}
BENCHMARK(BM_IsWorkingTime);

void BM_SensitivePeriodAt(benchmark::State& state) {
  const BusinessCalendar& cal = China();
  int64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cal.SensitivePeriodAt(Start(i++)));
}
BENCHMARK(BM_SensitivePeriodAt);

}  // namespace
}  // namespace complaints::calendar
