#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "complaints/events/v1/complaint.pb.h"

namespace complaints::intake {

// Accepted complaints by id: answers GetComplaint and spots re-submissions. A cache of
// complaints.received.v1, which stays the system of record.
class ComplaintStore {
 public:
  virtual ~ComplaintStore() = default;
  virtual absl::StatusOr<std::optional<events::v1::ComplaintReceived>> Get(
      const std::string& complaint_id) = 0;
  virtual absl::Status Put(const events::v1::ComplaintReceived& complaint) = 0;
};

}  // namespace complaints::intake
