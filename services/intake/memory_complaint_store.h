#pragma once

#include <map>
#include <mutex>
#include <string>

#include "libs/common/clock.h"
#include "services/intake/complaint_store.h"

namespace complaints::intake {

// ComplaintStore in memory, with the semantics of RedisComplaintStore (one lock stands in for
// the atomicity of its scripts; leases expire on `clock`, real time when none is given). For
// unit tests of the logic, and shared with the Redis store's contract tests so both stay alike.
class MemoryComplaintStore final : public ComplaintStore {
 public:
  explicit MemoryComplaintStore(const common::Clock* clock = nullptr) : clock_(clock) {}

  absl::StatusOr<std::optional<events::v1::ComplaintReceived>> Get(
      const std::string& complaint_id) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    auto it = published_.find(complaint_id);
    if (it == published_.end()) return std::nullopt;
    return it->second;
  }

  absl::StatusOr<ComplaintClaim> Claim(const events::v1::ComplaintReceived& candidate,
                                       const std::string& token, absl::Duration lease) override {
    std::lock_guard lock(mu_);
    ++claim_calls_;
    if (!fail_.ok()) return fail_;
    const std::string& id = candidate.complaint_id();
    ComplaintClaim claim;
    if (auto it = published_.find(id); it != published_.end()) {
      claim.outcome = ComplaintClaim::Outcome::kPublished;
      claim.complaint = it->second;
      return claim;
    }
    auto [bound, inserted] = claims_.try_emplace(id, candidate);
    if (!inserted) claim.complaint = bound->second;
    Lease& holder = leases_[id];
    if (!inserted && !holder.token.empty() && holder.token != token && holder.until > Now()) {
      claim.outcome = ComplaintClaim::Outcome::kBusy;
      return claim;
    }
    holder = {token, Now() + lease};
    claim.outcome = ComplaintClaim::Outcome::kWon;
    claim.first = inserted;
    return claim;
  }

  absl::Status MarkPublished(const events::v1::ComplaintReceived& complaint) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    published_.try_emplace(complaint.complaint_id(), complaint);  // the first published stays
    if (!complaint.short_id().empty()) {
      short_ids_.try_emplace(complaint.short_id(), complaint.complaint_id());  // the first keeps it
    }
    claims_.erase(complaint.complaint_id());
    leases_.erase(complaint.complaint_id());
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> FindByShortId(const std::string& short_id) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    auto it = short_ids_.find(short_id);
    if (it == short_ids_.end()) return std::nullopt;
    return it->second;
  }

  absl::Status Release(const std::string& complaint_id, const std::string& token) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    if (auto it = leases_.find(complaint_id); it != leases_.end() && it->second.token == token) {
      leases_.erase(it);
    }
    return absl::OkStatus();
  }

  // Every operation fails with `status` while it is not OK, as Redis down would.
  void FailWith(absl::Status status) {
    std::lock_guard lock(mu_);
    fail_ = std::move(status);
  }
  // Forgets everything, as FLUSHALL would.
  void Clear() {
    std::lock_guard lock(mu_);
    published_.clear();
    claims_.clear();
    leases_.clear();
    short_ids_.clear();
  }
  // How many times Claim was called: lets a test wait until a caller is waiting on a claim.
  int claim_calls() const {
    std::lock_guard lock(mu_);
    return claim_calls_;
  }
  size_t published_count() const {
    std::lock_guard lock(mu_);
    return published_.size();
  }

 private:
  struct Lease {
    std::string token;
    absl::Time until;
  };
  absl::Time Now() const { return clock_ != nullptr ? clock_->Now() : absl::Now(); }

  const common::Clock* clock_;
  mutable std::mutex mu_;
  absl::Status fail_;
  int claim_calls_ = 0;
  std::map<std::string, events::v1::ComplaintReceived> published_;
  std::map<std::string, events::v1::ComplaintReceived> claims_;
  std::map<std::string, Lease> leases_;
  std::map<std::string, std::string> short_ids_;
};

}  // namespace complaints::intake
