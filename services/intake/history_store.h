#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/intake/v1/history.pb.h"
#include "services/intake/customer_history.h"

namespace complaints::intake {

// One field of a complaint's case, as a record of complaints.case.v1 sets it.
struct CaseStatusChange {
  std::string complaint_id;
  std::optional<bool> closed = std::nullopt;              // closed (true) or reopened (false)
  std::optional<events::v1::Level> level = std::nullopt;  // assigned at this level
};

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

  // What the case topic says of complaints, each change one field (closed or reopened; the
  // level it was assigned at), applied in order; whichever of a complaint's case records and
  // its own arrives first, the two meet in Load. One round trip in Redis.
  virtual absl::Status SetCaseStatuses(const std::vector<CaseStatusChange>& changes) = 0;
};

}  // namespace complaints::intake
