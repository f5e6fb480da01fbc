#pragma once

#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "libs/common/config.h"
#include "spdlog/spdlog.h"

namespace complaints::common {

// Sets the default logger of a service from `log.level` (trace..critical, default info) and
// `log.json` (one JSON object per line, for log shippers; default false). Logs go to stderr, in
// blocks: within `log.flush_ms` (default 200; 0 writes each line at once), a warning or worse at
// once, and whatever is left at exit.
// Customer fields must go through pii.h before they reach any logger.
absl::Status InitLogging(std::string_view service, const Config& config);

// A named logger per module (kafka, redis, grpc...) sharing the default sink and format.
std::shared_ptr<spdlog::logger> ModuleLogger(std::string_view module);

}  // namespace complaints::common
