#pragma once

#include <string>

#include "absl/time/time.h"
#include "libs/redis/redis_pool.h"
#include "services/intake/complaint_store.h"

namespace complaints::intake {

// Complaints in Redis, every key under `prefix` (default "intake:") and every key expiring:
//   <prefix>complaint:<id>  the serialized ComplaintReceived once it is durable in Kafka
//                           (EX key_ttl)
//   <prefix>claim:<id>      the serialized ComplaintReceived the id is bound to, until it is
//                           published (EX key_ttl)
//   <prefix>lease:<id>      the token of the call publishing the claim (PX its lease)
//   <prefix>short:<short id> the complaint id of the published complaint with that short id
//                           (EX key_ttl; written with <prefix>complaint:, NX: the first keeps it)
// Claim, MarkPublished and Release are Lua scripts, so concurrent calls on any number of intake
// instances see one claim per id; each script can be re-run (RedisClient's blind retry) without
// harm. ClaimMany and MarkPublishedMany run one script call for the whole batch (Claim and
// MarkPublished are batches of one): Redis pays per script call more than per command in it. A cache of complaints.received.v1: see README.md for what losing it means.
class RedisComplaintStore final : public ComplaintStore {
 public:
  // 90 days: see "Redis" in services/intake/README.md for why.
  static constexpr absl::Duration kDefaultKeyTtl = absl::Hours(24 * 90);

  explicit RedisComplaintStore(redis::RedisPool* pool, std::string prefix = "intake:",
                               absl::Duration key_ttl = kDefaultKeyTtl)
      : pool_(pool), prefix_(std::move(prefix)), key_ttl_(key_ttl) {}

  absl::StatusOr<std::optional<events::v1::ComplaintReceived>> Get(
      const std::string& complaint_id) override;
  absl::StatusOr<ComplaintClaim> Claim(const events::v1::ComplaintReceived& candidate,
                                       const std::string& token, absl::Duration lease) override;
  absl::Status MarkPublished(const events::v1::ComplaintReceived& complaint) override;
  absl::Status Release(const std::string& complaint_id, const std::string& token) override;
  std::vector<absl::StatusOr<ComplaintClaim>> ClaimMany(
      const std::vector<events::v1::ComplaintReceived>& candidates,
      const std::vector<std::string>& encoded, const std::vector<std::string>& tokens,
      absl::Duration lease) override;
  absl::Status MarkPublishedMany(const std::vector<events::v1::ComplaintReceived>& complaints,
                                 const std::vector<std::string>& encoded) override;
  absl::StatusOr<std::optional<std::string>> FindByShortId(const std::string& short_id) override;

 private:
  std::string ComplaintKey(const std::string& complaint_id) const;
  std::string ClaimKey(const std::string& complaint_id) const;
  std::string LeaseKey(const std::string& complaint_id) const;
  std::string ShortKey(const std::string& short_id) const;
  std::string TtlSeconds() const;
  // The one script call that claims (or marks published) every complaint of a batch.
  redis::RedisClient::ScriptCall ClaimCall(
      const std::vector<events::v1::ComplaintReceived>& candidates,
      const std::vector<std::string>& encoded, const std::vector<std::string>& tokens,
      absl::Duration lease) const;
  redis::RedisClient::ScriptCall MarkPublishedCall(
      const std::vector<events::v1::ComplaintReceived>& complaints,
      const std::vector<std::string>& encoded) const;

  redis::RedisPool* pool_;
  const std::string prefix_;
  const absl::Duration key_ttl_;
};

}  // namespace complaints::intake
