#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"

namespace complaints::routing {

// Numbers the versions of the routing rules. A version names one content (the digest of the
// files): instances that load the same files while they are the latest get the same number, so
// an Assignment's rules_version means the same rules whichever instance made it; any other
// content gets the next number, never one used before (A, B, then A again is 1, 2, 3).
// A version as announced on routing.rules.v1 (RulesReloaded): 0 and "" before any.
struct AnnouncedVersion {
  int64_t version = 0;
  std::string digest;
};

class RulesVersions {
 public:
  virtual ~RulesVersions() = default;
  virtual absl::StatusOr<int64_t> VersionFor(const std::string& digest) = 0;
};

// In one process (tests, and a service without shared storage).
class MemoryRulesVersions final : public RulesVersions {
 public:
  absl::StatusOr<int64_t> VersionFor(const std::string& digest) override {
    std::lock_guard lock(mutex_);
    if (digest != latest_digest_) {
      latest_digest_ = digest;
      ++latest_;
    }
    return latest_;
  }

 private:
  std::mutex mutex_;
  std::string latest_digest_;
  int64_t latest_ = 0;
};

}  // namespace complaints::routing
