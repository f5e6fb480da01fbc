#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/events/v1/complaint.pb.h"

namespace complaints::routing {

// Complaints merged by intake into a complaint whose case does not exist yet (its record is on
// another partition, not routed yet: always so while Redis is rebuilt from the topics). They
// wait here, by target, until the target's case is opened, instead of holding their partition
// back: a consumer retrying one partition's record polls no other, so waiting for another
// partition could wait forever.
class MergeParking {
 public:
  virtual ~MergeParking() = default;
  virtual absl::Status Park(const events::v1::ComplaintReceived& complaint) = 0;
  virtual absl::StatusOr<std::vector<events::v1::ComplaintReceived>> Parked(
      const std::string& target) = 0;
  virtual absl::Status Unpark(const std::string& target, const std::string& complaint_id) = 0;
  // Those of `targets` that have complaints parked for them, for a batch of routed complaints
  // (one round trip in Redis). The default asks Parked for each.
  virtual absl::StatusOr<std::vector<std::string>> WithParked(
      const std::vector<std::string>& targets) {
    std::vector<std::string> out;
    for (const std::string& target : targets) {
      auto parked = Parked(target);
      if (!parked.ok()) return parked.status();
      if (!parked->empty()) out.push_back(target);
    }
    return out;
  }
};

// In memory, for unit tests.
class MemoryMergeParking final : public MergeParking {
 public:
  absl::Status Park(const events::v1::ComplaintReceived& complaint) override {
    std::lock_guard lock(mu_);
    parked_[complaint.merged_into()][complaint.complaint_id()] = complaint;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<events::v1::ComplaintReceived>> Parked(
      const std::string& target) override {
    std::lock_guard lock(mu_);
    std::vector<events::v1::ComplaintReceived> out;
    for (const auto& [id, complaint] : parked_[target]) out.push_back(complaint);
    return out;
  }
  absl::Status Unpark(const std::string& target, const std::string& complaint_id) override {
    std::lock_guard lock(mu_);
    parked_[target].erase(complaint_id);
    return absl::OkStatus();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, events::v1::ComplaintReceived>> parked_;
};

}  // namespace complaints::routing
