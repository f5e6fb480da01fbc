#include "libs/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>


namespace complaints::metrics {
namespace {

[[noreturn]] void Misuse(const std::string& what) {
  // stderr, not the log: this is a programming error, and the log may not be set up yet.
  std::fprintf(stderr, "metrics: %s\n", what.c_str());
  std::abort();
}

// The text format's numbers: Go's float syntax, which %.17g is a subset of, with its spellings
// of infinity and NaN.
std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// `{a="x",b="y"}` (with `extra` appended, e.g. le="0.5"), or nothing without labels.
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "{" : ",") + extra;
  if (!out.empty()) out += "}";
  return out;
}

const char* TypeName(Kind kind) {
  switch (kind) {
    case Kind::kCounter: return "counter";
    case Kind::kGauge: return "gauge";
    case Kind::kHistogram: return "histogram";
  }
  return "untyped";
}

// [a-zA-Z_][a-zA-Z0-9_]* (metric names may also hold ':').
bool ValidName(const std::string& name, bool colon_allowed) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || (colon_allowed && c == ':');
    if (!ok) return false;
  }
  return true;
}

void CheckNames(const std::string& name, const std::vector<std::string>& label_names) {
  if (!ValidName(name, true)) Misuse("invalid metric name " + name);
  for (const std::string& label : label_names) {
    // "__" names are reserved, and histograms add le themselves.
    if (!ValidName(label, false) || label.rfind("__", 0) == 0 || label == "le") {
      Misuse("invalid label name " + label + " of " + name);
    }
  }
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Counter::Increment(double by) {
  if (by < 0) Misuse("a counter cannot decrease");
  value_.fetch_add(by, std::memory_order_relaxed);
}

void Gauge::Add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    Misuse("histogram bounds must be strictly ascending");
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  // The first bucket whose upper bound holds the value (le is inclusive); past the last, +Inf.
  const size_t bucket =
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot{bounds_, {}, sum_.load(std::memory_order_relaxed)};
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  return snapshot;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

template <typename Metric>
Metric& Family<Metric>::With(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names_.size()) {
    Misuse(name_ + " takes " + std::to_string(label_names_.size()) + " label values");
  }
  std::lock_guard lock(mu_);
  std::unique_ptr<Metric>& child = children_[label_values];
  if (child == nullptr) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      child = std::make_unique<Histogram>(bounds_);
    } else {
      child = std::make_unique<Metric>();
    }
  }
  return *child;
}

template <typename Metric>
void Family<Metric>::Remove(const std::vector<std::string>& label_values) {
  std::lock_guard lock(mu_);
  children_.erase(label_values);
}

template <typename Metric>
void Family<Metric>::ExposeTo(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, metric] : children_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const Histogram::Snapshot snapshot = metric->Read();
      for (size_t i = 0; i <= snapshot.bounds.size(); ++i) {
        const std::string le =
            i < snapshot.bounds.size() ? FormatNumber(snapshot.bounds[i]) : "+Inf";
        out += name_ + "_bucket" + LabelSet(label_names_, values, "le=\"" + le + "\"") + " " +
               std::to_string(snapshot.cumulative[i]) + "\n";
      }
      out += name_ + "_sum" + LabelSet(label_names_, values) + " " + FormatNumber(snapshot.sum) +
             "\n";
      out += name_ + "_count" + LabelSet(label_names_, values) + " " +
             std::to_string(snapshot.cumulative.back()) + "\n";
    } else {
      out += name_ + LabelSet(label_names_, values) + " " + FormatNumber(metric->Value()) + "\n";
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Registry& Registry::Default() {
  static Registry* registry = new Registry();  // never destroyed: metrics outlive main's objects
  return *registry;
}

Registry::Entry& Registry::Find(const std::string& name, Kind kind,
                                const std::vector<std::string>& label_names) {
  CheckNames(name, label_names);
  auto [it, inserted] = families_.try_emplace(name);
  Entry& entry = it->second;
  if (inserted) {
    entry.kind = kind;
    entry.label_names = label_names;
  } else if (entry.kind != kind || entry.label_names != label_names) {
    Misuse(name + " registered twice with different kinds or labels");
  }
  return entry;
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  Entry& entry = Find(name, Kind::kCounter, label_names);
  if (!entry.counter) {
    entry.counter.reset(new Family<Counter>(name, help, std::move(label_names), {}));
  }
  return *entry.counter;
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  Entry& entry = Find(name, Kind::kGauge, label_names);
  if (!entry.gauge) entry.gauge.reset(new Family<Gauge>(name, help, std::move(label_names), {}));
  return *entry.gauge;
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  Entry& entry = Find(name, Kind::kHistogram, label_names);
  if (!entry.histogram) {
    entry.histogram.reset(
        new Family<Histogram>(name, help, std::move(label_names), std::move(bounds)));
  }
  return *entry.histogram;
}

std::string Registry::Expose() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, entry] : families_) {
    const std::string help = entry.counter     ? entry.counter->help_
                             : entry.gauge     ? entry.gauge->help_
                                               : entry.histogram->help_;
    out += "# HELP " + name + " " + EscapeHelp(help) + "\n";
    out += "# TYPE " + name + " " + TypeName(entry.kind) + "\n";
    if (entry.counter) entry.counter->ExposeTo(out);
    if (entry.gauge) entry.gauge->ExposeTo(out);
    if (entry.histogram) entry.histogram->ExposeTo(out);
  }
  return out;
}

}  // namespace complaints::metrics
