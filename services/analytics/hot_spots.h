#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "complaints/analytics/v1/snapshot.pb.h"
#include "complaints/events/v1/analytics.pb.h"

namespace complaints::analytics {

struct HotSpotOptions {
  // Volume rise: a day's count of a key is tested against Poisson(mean of its trailing
  // `baseline_days`), once the key has `min_history_days` of history; raised when
  // P(X >= count) < `alpha` and count >= `min_count`.
  int baseline_days = 28;
  int min_history_days = 7;
  double alpha = 0.001;
  int64_t min_count = 5;
  // Burst (群体性): `burst_count` complaints of one category at one unit within `burst_window_s`.
  int64_t burst_count = 5;
  int64_t burst_window_s = 3600;
  int typical_cases = 5;  // complaint ids linked from an alert
};

// The smallest k with P(X >= k) < alpha for X ~ Poisson(lambda).
int64_t PoissonCriticalCount(double lambda, double alpha);
// P(X >= k) for X ~ Poisson(lambda).
double PoissonUpperTail(double lambda, int64_t k);

// Finds hot spots in the stream of complaints (pure: no clock, no I/O; times are event times in
// seconds). Each hot spot is returned once; its id derives from what it is about.
class HotSpotDetector {
 public:
  explicit HotSpotDetector(HotSpotOptions options = {}) : options_(options) {}

  // A new complaint received at `time` (seconds since the epoch): volume of its category and
  // product. Appends what it raises to `out`.
  void OnReceived(const std::string& complaint_id, int64_t time, const std::string& category,
                  const std::string& product, std::vector<events::v1::HotSpotAlert>& out);
  // The complaint's unit became known (the branch it is about, else its first handling unit):
  // the unit's volume and the category@unit burst window.
  void OnUnit(const std::string& complaint_id, int64_t time, const std::string& category,
              const std::string& unit, std::vector<events::v1::HotSpotAlert>& out);

  void SaveTo(analytics::v1::AggregatesSnapshot& snapshot) const;
  void RestoreFrom(const analytics::v1::AggregatesSnapshot& snapshot);

  // Volume keys tested so far (a key on a day with enough history), for false-alarm rates.
  int64_t tests() const { return tests_; }

 private:
  struct Day {
    int64_t count = 0;
    std::vector<std::string> first_cases;
    int64_t critical = -1;  // -1: not computed yet; 0: not tested (too little history)
    double lambda = 0;
  };
  struct Series {
    int32_t first_day = 0;
    std::map<int32_t, Day> days;
  };
  struct Burst {
    std::string category;
    std::string unit;
    std::deque<std::pair<int64_t, std::string>> window;  // by time
    int64_t active_until = 0;
  };

  void CountVolume(const std::string& dimension, const std::string& key,
                   const std::string& complaint_id, int64_t time,
                   std::vector<events::v1::HotSpotAlert>& out);
  void PrepareDay(Series& series, int32_t day, Day& entry);

  HotSpotOptions options_;
  // "<dimension>\x1f<key>" -> its daily counts.
  absl::flat_hash_map<std::string, Series> volume_;
  absl::flat_hash_map<std::string, Burst> bursts_;
  absl::flat_hash_set<std::string> raised_;
  int64_t tests_ = 0;
};

// Days since the epoch in Asia/Shanghai (UTC+8, no daylight saving).
inline int32_t ShanghaiDay(int64_t seconds) {
  const int64_t local = seconds + 8 * 3600;
  return static_cast<int32_t>(local >= 0 ? local / 86400 : (local - 86399) / 86400);
}
inline int64_t ShanghaiDayStart(int32_t day) { return int64_t{day} * 86400 - 8 * 3600; }

}  // namespace complaints::analytics
