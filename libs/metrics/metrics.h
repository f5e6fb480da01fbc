#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace complaints::metrics {

// A small Prometheus client: counters, gauges and histograms in labelled families, exposed in
// the text format (version 0.0.4) by Registry::Expose. prometheus-cpp is not packaged in Debian,
// and what the services need fits in this file: no summaries, no exemplars, no OpenMetrics.
//
// Every operation on a metric is lock-free (atomics); taking a child of a family by its label
// values locks the family, so hot paths keep the reference (`Counter& c = family.With({...})`).
// Label values must come from small, fixed sets (a topic, a method,
// a state), never from a complaint, a customer or free text.

class Counter {
 public:
  void Increment(double by = 1);  // `by` must not be negative
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double by);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending (+Inf is implicit).
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // one per bound, then +Inf
  std::atomic<double> sum_{0};
};

// Latency buckets for RPCs and waits, in seconds: 0.5 ms to 10 s.
std::vector<double> LatencyBuckets();

enum class Kind { kCounter, kGauge, kHistogram };

// The metrics of one name, one per combination of label values.
template <typename Metric>
class Family {
 public:
  // `label_values` in the order of the family's label names (a size mismatch is a programming
  // error: it aborts).
  Metric& With(const std::vector<std::string>& label_values);
  // Drops a child (e.g. a partition this instance no longer owns, whose last value would mislead
  // a sum over instances). References to it must not be used after.
  void Remove(const std::vector<std::string>& label_values);

 private:
  friend class Registry;
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}
  void ExposeTo(std::string& out) const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;  // histograms only
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

class Registry {
 public:
  // The process's registry, which /metrics serves.
  static Registry& Default();

  // Registering a name twice returns the first family when kind and labels agree (so that
  // independent modules may each ask for it); a disagreement, or a name or label that is not
  // valid in Prometheus, is a programming error: it aborts with the name.
  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds = LatencyBuckets());

  // Every family in the text exposition format, sorted by name.
  std::string Expose() const;

 private:
  struct Entry {
    Kind kind;
    std::vector<std::string> label_names;
    std::unique_ptr<Family<Counter>> counter;
    std::unique_ptr<Family<Gauge>> gauge;
    std::unique_ptr<Family<Histogram>> histogram;
  };
  Entry& Find(const std::string& name, Kind kind, const std::vector<std::string>& label_names);

  mutable std::mutex mu_;
  std::map<std::string, Entry> families_;
};

// "a\"b" for a"b: a label value escaped for the text format.
std::string EscapeLabelValue(std::string_view value);

}  // namespace complaints::metrics
