#pragma once

#include <map>
#include <mutex>
#include <string>

#include "services/intake/history_store.h"

namespace complaints::intake {

// HistoryStore in memory, for unit tests of the logic.
class MemoryHistoryStore final : public HistoryStore {
 public:
  absl::StatusOr<std::vector<PastComplaint>> Load(const std::string& customer_key) override {
    std::lock_guard lock(mu_);
    std::vector<PastComplaint> past;
    for (const auto& [id, entry] : histories_[customer_key]) {
      PastComplaint p;
      p.entry = entry;
      if (auto it = statuses_.find(id); it != statuses_.end()) {
        p.status = it->second;
        p.has_status = true;
      }
      past.push_back(std::move(p));
    }
    return past;
  }
  absl::Status Record(const std::string& customer_key,
                      const intake::v1::HistoryEntry& entry) override {
    std::lock_guard lock(mu_);
    histories_[customer_key][entry.complaint_id()] = entry;
    return absl::OkStatus();
  }
  absl::Status SetCaseStatuses(const std::vector<CaseStatusChange>& changes) override {
    std::lock_guard lock(mu_);
    for (const CaseStatusChange& change : changes) {
      if (change.closed) statuses_[change.complaint_id].set_closed(*change.closed);
      if (change.level) statuses_[change.complaint_id].set_level(*change.level);
    }
    return absl::OkStatus();
  }

  // Forgets everything, as FLUSHALL would.
  void Clear() {
    std::lock_guard lock(mu_);
    histories_.clear();
    statuses_.clear();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, intake::v1::HistoryEntry>> histories_;
  std::map<std::string, intake::v1::HistoryCaseStatus> statuses_;
};

}  // namespace complaints::intake
