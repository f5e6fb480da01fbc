#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "libs/cases/case_ledger_store.h"

namespace complaints::cases {

// The ledger store in memory, with the Redis store's semantics, for unit tests. `before_write`
// runs inside CompareAndSet before the revision is compared: a test can slip a concurrent
// writer in there.
class MemoryCaseLedgerStore final : public CaseLedgerStore {
 public:
  absl::StatusOr<StoredCase> Load(const std::string& complaint_id) override {
    if (before_load) {
      auto hook = std::move(before_load);
      before_load = nullptr;
      hook();
    }
    std::lock_guard lock(mu_);
    auto it = cases_.find(complaint_id);
    if (it == cases_.end()) return StoredCase{};
    return it->second;
  }

  absl::StatusOr<bool> CompareAndSet(const std::string& complaint_id, int64_t expected_revision,
                                     const routing::v1::CaseRecord& record,
                                     absl::Duration ttl) override {
    if (before_write) {
      auto hook = std::move(before_write);
      before_write = nullptr;
      hook();
    }
    std::lock_guard lock(mu_);
    if (!fail_with.ok()) return fail_with;
    StoredCase& stored = cases_[complaint_id];
    if (stored.revision != expected_revision) return false;
    stored.record = record;
    ++stored.revision;
    ttls_[complaint_id] = ttl;
    if (record.pending().empty()) {
      pending_.erase(complaint_id);
    } else {
      pending_.insert(complaint_id);
    }
    return true;
  }

  absl::StatusOr<std::vector<std::string>> PendingCases(int limit) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const std::string& id : pending_) {
      if (static_cast<int>(out.size()) >= limit) break;
      out.push_back(id);
    }
    return out;
  }

  absl::StatusOr<std::vector<routing::v1::Case>> UnitCases(
      const std::string& unit, const std::vector<routing::v1::CaseState>& states) override {
    std::lock_guard lock(mu_);
    std::vector<routing::v1::Case> out;
    for (const auto& [id, stored] : cases_) {
      const routing::v1::Case& c = stored.record.case_();
      if (stored.revision == 0 || c.unit() != unit) continue;
      if (std::find(states.begin(), states.end(), c.state()) != states.end()) out.push_back(c);
    }
    return out;
  }

  absl::Duration TtlOf(const std::string& complaint_id) {
    std::lock_guard lock(mu_);
    return ttls_[complaint_id];
  }

  // What Redis restarted without its data looks like.
  void LoseEverything() {
    std::lock_guard lock(mu_);
    cases_.clear();
    ttls_.clear();
    pending_.clear();
  }

  std::function<void()> before_load;   // one-shot
  std::function<void()> before_write;  // one-shot
  absl::Status fail_with;               // every write fails with it while set

 private:
  std::mutex mu_;
  std::map<std::string, StoredCase> cases_;
  std::map<std::string, absl::Duration> ttls_;
  std::set<std::string> pending_;
};

}  // namespace complaints::cases
