#pragma once

#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/config.h"

namespace complaints::common {

// Where every service gets "now". Deadlines are computed and fired in this clock's time, so an
// accelerated clock lets a 15-day deadline be watched in minutes.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // The wall-clock time that passes while this clock advances by `d`: what to sleep for.
  virtual absl::Duration ToRealDuration(absl::Duration d) const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  absl::Duration ToRealDuration(absl::Duration d) const override { return d; }
};

// Runs `factor` times faster than real time from `origin` on: at real time origin + t it reads
// origin + factor * t. Every process given the same origin and factor reads the same time.
class AcceleratedClock final : public Clock {
 public:
  AcceleratedClock(absl::Time origin, double factor) : origin_(origin), factor_(factor) {}
  absl::Time Now() const override { return origin_ + (absl::Now() - origin_) * factor_; }
  absl::Duration ToRealDuration(absl::Duration d) const override { return d / factor_; }

 private:
  absl::Time origin_;
  double factor_;
};

// A clock that moves only when told; for unit tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  absl::Duration ToRealDuration(absl::Duration) const override { return absl::ZeroDuration(); }
  void Advance(absl::Duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_;
};

// `clock.factor` (default 1: real time). An accelerated clock also needs `clock.origin_unix_ms`,
// the real moment it starts running fast; the stack script gives every process the same one so
// they all read the same time.
absl::StatusOr<std::unique_ptr<Clock>> MakeClock(const Config& config);

}  // namespace complaints::common
