#include "services/analytics/hot_spots.h"

#include <algorithm>
#include <cmath>

#include "libs/common/ids.h"

namespace complaints::analytics {
namespace {

constexpr char kSeparator = '\x1f';

void SetSeconds(google::protobuf::Timestamp* t, int64_t seconds) {
  t->set_seconds(seconds);
  t->set_nanos(0);
}

}  // namespace

double PoissonUpperTail(double lambda, int64_t k) {
  if (k <= 0) return 1.0;
  // 1 - P(X <= k-1), summed in log space term by term from the mode outwards would be more
  // precise; k is small for the counts tested here, so the plain recurrence is enough.
  double term = std::exp(-lambda);
  double cdf = term;
  for (int64_t i = 1; i < k; ++i) {
    term *= lambda / static_cast<double>(i);
    cdf += term;
  }
  return std::max(0.0, 1.0 - cdf);
}

int64_t PoissonCriticalCount(double lambda, double alpha) {
  // Walk the cdf until the upper tail drops below alpha. For large lambda exp(-lambda)
  // underflows: use the normal approximation there (counts of hundreds a day).
  if (lambda > 500) {
    const double z = 3.09 + (alpha < 0.001 ? 1.0 : 0.0);  // one-sided z at alpha = 0.001
    return static_cast<int64_t>(std::ceil(lambda + z * std::sqrt(lambda) + 0.5));
  }
  double term = std::exp(-lambda);
  double cdf = term;
  int64_t k = 1;  // P(X >= k) = 1 - cdf(k-1)
  while (1.0 - cdf >= alpha && k < 100000) {
    term *= lambda / static_cast<double>(k);
    cdf += term;
    ++k;
  }
  return k;
}

void HotSpotDetector::PrepareDay(Series& series, int32_t day, Day& entry) {
  if (entry.critical >= 0) return;
  const int32_t history = day - series.first_day;
  if (history < options_.min_history_days) {
    entry.critical = 0;
    return;
  }
  const int32_t span = std::min(history, options_.baseline_days);
  int64_t total = 0;
  for (auto it = series.days.lower_bound(day - span); it != series.days.end() && it->first < day;
       ++it) {
    total += it->second.count;
  }
  // A floor on the mean: a key that was silent for weeks would otherwise alarm at its first
  // few complaints; min_count guards the same way.
  entry.lambda = std::max(0.1, static_cast<double>(total) / span);
  entry.critical = std::max(options_.min_count, PoissonCriticalCount(entry.lambda, options_.alpha));
  ++tests_;
}

void HotSpotDetector::CountVolume(const std::string& dimension, const std::string& key,
                                  const std::string& complaint_id, int64_t time,
                                  std::vector<events::v1::HotSpotAlert>& out) {
  if (key.empty()) return;
  const int32_t day = ShanghaiDay(time);
  Series& series = volume_[dimension + kSeparator + key];
  if (series.days.empty() || day < series.first_day) series.first_day = day;
  Day& entry = series.days[day];
  ++entry.count;
  if (static_cast<int>(entry.first_cases.size()) < options_.typical_cases) {
    entry.first_cases.push_back(complaint_id);
  }
  // Keep what the baseline needs, and a little more for late records.
  while (!series.days.empty() && series.days.begin()->first < day - 2 * options_.baseline_days) {
    series.days.erase(series.days.begin());
  }
  PrepareDay(series, day, entry);
  if (entry.critical == 0 || entry.count < entry.critical) return;
  std::string id = common::DeterministicId({"hotspot", "volume", dimension, key,
                                            std::to_string(day)});
  if (!raised_.insert(id).second) return;
  events::v1::HotSpotAlert alert;
  alert.set_alert_id(std::move(id));
  alert.set_kind(events::v1::HOT_SPOT_KIND_VOLUME_RISE);
  alert.set_dimension(dimension);
  alert.set_key(key);
  if (dimension == "category") alert.set_category(key);
  if (dimension == "unit") alert.set_unit(key);
  if (dimension == "product") alert.set_product(key);
  SetSeconds(alert.mutable_window_start(), ShanghaiDayStart(day));
  SetSeconds(alert.mutable_window_end(), ShanghaiDayStart(day + 1));
  alert.set_observed(entry.count);
  alert.set_expected(entry.lambda);
  alert.set_p_value(PoissonUpperTail(entry.lambda, entry.count));
  for (const auto& id_of_case : entry.first_cases) alert.add_typical_cases(id_of_case);
  SetSeconds(alert.mutable_raised_at(), time);
  out.push_back(std::move(alert));
}

void HotSpotDetector::OnReceived(const std::string& complaint_id, int64_t time,
                                 const std::string& category, const std::string& product,
                                 std::vector<events::v1::HotSpotAlert>& out) {
  CountVolume("category", category, complaint_id, time, out);
  CountVolume("product", product, complaint_id, time, out);
}

void HotSpotDetector::OnUnit(const std::string& complaint_id, int64_t time,
                             const std::string& category, const std::string& unit,
                             std::vector<events::v1::HotSpotAlert>& out) {
  CountVolume("unit", unit, complaint_id, time, out);
  if (category.empty() || unit.empty()) return;
  const std::string key = category + "@" + unit;
  Burst& burst = bursts_[key];
  burst.category = category;
  burst.unit = unit;
  auto& window = burst.window;
  // Sorted by time: a late record goes where it belongs.
  auto at = std::upper_bound(window.begin(), window.end(), time,
                             [](int64_t t, const auto& entry) { return t < entry.first; });
  window.insert(at, {time, complaint_id});
  const int64_t newest = window.back().first;
  while (!window.empty() && window.front().first <= newest - options_.burst_window_s) {
    window.pop_front();
  }
  if (static_cast<int64_t>(window.size()) < options_.burst_count) return;
  // One alert per burst: while it goes on (another complaint within a window of the last),
  // it is the same burst.
  const bool ongoing = window.front().first < burst.active_until;
  burst.active_until = newest + options_.burst_window_s;
  if (ongoing) return;
  std::string id = common::DeterministicId({"hotspot", "burst", key, window.front().second});
  if (!raised_.insert(id).second) return;
  events::v1::HotSpotAlert alert;
  alert.set_alert_id(std::move(id));
  alert.set_kind(events::v1::HOT_SPOT_KIND_BURST);
  alert.set_dimension("category@unit");
  alert.set_key(key);
  alert.set_category(category);
  alert.set_unit(unit);
  SetSeconds(alert.mutable_window_start(), window.front().first);
  SetSeconds(alert.mutable_window_end(), window.front().first + options_.burst_window_s);
  alert.set_observed(static_cast<int64_t>(window.size()));
  alert.set_expected(static_cast<double>(options_.burst_count));
  for (const auto& [t, id_of_case] : window) {
    if (alert.typical_cases_size() >= options_.typical_cases) break;
    alert.add_typical_cases(id_of_case);
  }
  SetSeconds(alert.mutable_raised_at(), time);
  out.push_back(std::move(alert));
}

void HotSpotDetector::SaveTo(analytics::v1::AggregatesSnapshot& snapshot) const {
  for (const auto& [name, series] : volume_) {
    auto* out = snapshot.add_volume();
    const size_t sep = name.find(kSeparator);
    out->set_dimension(name.substr(0, sep));
    out->set_key(name.substr(sep + 1));
    out->set_first_day(series.first_day);
    for (const auto& [day, entry] : series.days) {
      auto* d = out->add_days();
      d->set_day(day);
      d->set_count(entry.count);
      for (const auto& c : entry.first_cases) d->add_first_cases(c);
    }
  }
  for (const auto& [key, burst] : bursts_) {
    auto* out = snapshot.add_bursts();
    out->set_key(key);
    out->set_category(burst.category);
    out->set_unit(burst.unit);
    for (const auto& [t, c] : burst.window) {
      out->add_times(t);
      out->add_cases(c);
    }
    out->set_active_until(burst.active_until);
  }
}

void HotSpotDetector::RestoreFrom(const analytics::v1::AggregatesSnapshot& snapshot) {
  volume_.clear();
  bursts_.clear();
  raised_.clear();
  for (const auto& in : snapshot.volume()) {
    Series& series = volume_[in.dimension() + kSeparator + in.key()];
    series.first_day = in.first_day();
    for (const auto& d : in.days()) {
      Day& entry = series.days[d.day()];
      entry.count = d.count();
      entry.first_cases.assign(d.first_cases().begin(), d.first_cases().end());
    }
  }
  for (const auto& in : snapshot.bursts()) {
    Burst& burst = bursts_[in.key()];
    burst.category = in.category();
    burst.unit = in.unit();
    for (int i = 0; i < in.times_size() && i < in.cases_size(); ++i) {
      burst.window.emplace_back(in.times(i), in.cases(i));
    }
    burst.active_until = in.active_until();
  }
  for (const auto& alert : snapshot.raised()) raised_.insert(alert.alert_id());
}

}  // namespace complaints::analytics
