#include "libs/common/clock.h"

#include "absl/strings/str_cat.h"

namespace complaints::common {

absl::StatusOr<std::unique_ptr<Clock>> MakeClock(const Config& config) {
  auto factor = config.GetDouble("clock.factor", 1.0);
  if (!factor.ok()) return factor.status();
  if (*factor <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("clock.factor must be > 0, got ", *factor));
  }
  if (*factor == 1.0) return std::make_unique<SystemClock>();
  auto origin_ms = config.GetInt("clock.origin_unix_ms", -1);
  if (!origin_ms.ok()) return origin_ms.status();
  if (*origin_ms < 0) {
    return absl::InvalidArgumentError("clock.origin_unix_ms is required when clock.factor != 1");
  }
  return std::make_unique<AcceleratedClock>(absl::FromUnixMillis(*origin_ms), *factor);
}

}  // namespace complaints::common
