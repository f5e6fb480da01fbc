#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace complaints::common {

// The whole content of the file at `path`, bytes as they are. NotFound naming the path when it
// cannot be opened or read (configuration, policies, calendars and certificates are read at
// start-up, where a missing file is bad configuration).
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace complaints::common
