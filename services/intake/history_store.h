#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/intake/v1/history.pb.h"
#include "services/intake/customer_history.h"

namespace complaints::intake {

// Customers' complaint histories (customer_history.h), a cache of complaints.received.v1 and
// complaints.case.v1 that is rebuilt by replaying them. Every write is idempotent, so a
// record seen twice (by the submitting call and by the replay) counts once.
class HistoryStore {
 public:
  virtual ~HistoryStore() = default;

  // The customer's complaints, each with its case status when the case topic has one.
  virtual absl::StatusOr<std::vector<PastComplaint>> Load(const std::string& customer_key) = 0;

  // Adds (or rewrites) the customer's entry for the complaint.
  virtual absl::Status Record(const std::string& customer_key,
                              const intake::v1::HistoryEntry& entry) = 0;

  // What the case topic says of a complaint, one field at a time (closed or reopened; the
  // level it was assigned at); whichever of its records and the complaint's arrives first, the
  // two meet in Load.
  // Load and Record for several customers at once (one round trip in Redis). The defaults call
  // them one by one.
  virtual std::vector<absl::StatusOr<std::vector<PastComplaint>>> LoadMany(
      const std::vector<std::string>& customer_keys) {
    std::vector<absl::StatusOr<std::vector<PastComplaint>>> out;
    for (const auto& key : customer_keys) out.push_back(Load(key));
    return out;
  }
  virtual absl::Status RecordMany(
      const std::vector<std::pair<std::string, intake::v1::HistoryEntry>>& entries) {
    for (const auto& [key, entry] : entries) {
      if (auto s = Record(key, entry); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  virtual absl::Status SetClosed(const std::string& complaint_id, bool closed) = 0;
  virtual absl::Status SetLevel(const std::string& complaint_id, events::v1::Level level) = 0;
};

}  // namespace complaints::intake
