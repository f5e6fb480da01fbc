#include "services/intake/redis_complaint_store.h"

#include <algorithm>

#include "libs/common/logging.h"
#include "libs/redis/proto_value.h"

namespace complaints::intake {
namespace {

// KEYS: complaint, claim, lease. ARGV: candidate, token, lease ms, key ttl s.
// Answers {outcome, content}: "published" with the published complaint; "first" when the
// candidate became the claim; "won" when the caller took (or already held) the lease of an
// earlier claim; "busy" when another token holds it.
const redis::Script kClaim(R"lua(
local published = redis.call('GET', KEYS[1])
if published then return {'published', published} end
local bound = redis.call('GET', KEYS[2])
if not bound then
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[4])
  redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
  return {'first', ARGV[1]}
end
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[2] then return {'busy', bound} end
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {'won', bound}
)lua");

// KEYS: complaint, claim, lease[, short]. ARGV: complaint, key ttl s, complaint id. The first
// complaint published under an id stays (a replay of the topic meets the records in their
// order), and so does the first complaint to take a short id: answers the complaint id that
// holds the short id when that is another one (a collision), else 1.
const redis::Script kMarkPublished(R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX')
redis.call('DEL', KEYS[2], KEYS[3])
if KEYS[4] then
  if not redis.call('SET', KEYS[4], ARGV[3], 'EX', ARGV[2], 'NX') then
    local holder = redis.call('GET', KEYS[4])
    if holder and holder ~= ARGV[3] then return holder end
  end
end
return 1
)lua");

// KEYS: lease. ARGV: token.
const redis::Script kRelease(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
)lua");

}  // namespace

std::string RedisComplaintStore::ComplaintKey(const std::string& complaint_id) const {
  return prefix_ + "complaint:" + complaint_id;
}
std::string RedisComplaintStore::ClaimKey(const std::string& complaint_id) const {
  return prefix_ + "claim:" + complaint_id;
}
std::string RedisComplaintStore::LeaseKey(const std::string& complaint_id) const {
  return prefix_ + "lease:" + complaint_id;
}
std::string RedisComplaintStore::ShortKey(const std::string& short_id) const {
  return prefix_ + "short:" + short_id;
}
std::string RedisComplaintStore::TtlSeconds() const {
  return std::to_string(std::max<int64_t>(1, absl::ToInt64Seconds(key_ttl_)));
}

absl::StatusOr<std::optional<events::v1::ComplaintReceived>> RedisComplaintStore::Get(
    const std::string& complaint_id) {
  events::v1::ComplaintReceived complaint;
  auto found = redis::GetMessage(*pool_, ComplaintKey(complaint_id), &complaint);
  if (!found.ok()) return found.status();
  if (!*found) return std::nullopt;
  return complaint;
}

redis::RedisClient::ScriptCall RedisComplaintStore::ClaimCall(
    const events::v1::ComplaintReceived& candidate, const std::string& token,
    absl::Duration lease) const {
  const std::string& id = candidate.complaint_id();
  return {.keys = {ComplaintKey(id), ClaimKey(id), LeaseKey(id)},
          .args = {candidate.SerializeAsString(), token,
                   std::to_string(std::max<int64_t>(1, absl::ToInt64Milliseconds(lease))),
                   TtlSeconds()}};
}

redis::RedisClient::ScriptCall RedisComplaintStore::MarkPublishedCall(
    const events::v1::ComplaintReceived& complaint) const {
  const std::string& id = complaint.complaint_id();
  redis::RedisClient::ScriptCall call = {.keys = {ComplaintKey(id), ClaimKey(id), LeaseKey(id)},
                                         .args = {complaint.SerializeAsString(), TtlSeconds(), id}};
  if (!complaint.short_id().empty()) call.keys.push_back(ShortKey(complaint.short_id()));
  return call;
}

namespace {

absl::StatusOr<ComplaintClaim> ParseClaim(const std::string& id, const redis::Reply& reply) {
  if (reply.type == redis::Reply::Type::kError) return redis::ErrorStatus("EVALSHA", reply.str);
  if (reply.type != redis::Reply::Type::kArray || reply.elements.size() != 2) {
    return absl::InternalError("intake claim script: unexpected reply");
  }
  const std::string& outcome = reply.elements[0].str;
  ComplaintClaim claim;
  if (outcome == "published") {
    claim.outcome = ComplaintClaim::Outcome::kPublished;
  } else if (outcome == "first") {
    claim.outcome = ComplaintClaim::Outcome::kWon;
    claim.first = true;
  } else if (outcome == "won") {
    claim.outcome = ComplaintClaim::Outcome::kWon;
  } else {
    claim.outcome = ComplaintClaim::Outcome::kBusy;
  }
  if (!claim.complaint.ParseFromString(reply.elements[1].str)) {
    return absl::DataLossError("stored ComplaintReceived of " + id + " does not parse");
  }
  return claim;
}

}  // namespace

absl::StatusOr<ComplaintClaim> RedisComplaintStore::Claim(
    const events::v1::ComplaintReceived& candidate, const std::string& token,
    absl::Duration lease) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  const redis::RedisClient::ScriptCall call = ClaimCall(candidate, token, lease);
  auto reply = (*redis)->Eval(kClaim, call.keys, call.args);
  if (!reply.ok()) return reply.status();
  return ParseClaim(candidate.complaint_id(), *reply);
}

std::vector<absl::StatusOr<ComplaintClaim>> RedisComplaintStore::ClaimMany(
    const std::vector<events::v1::ComplaintReceived>& candidates,
    const std::vector<std::string>& tokens, absl::Duration lease) {
  std::vector<redis::RedisClient::ScriptCall> calls;
  for (size_t i = 0; i < candidates.size(); ++i) {
    calls.push_back(ClaimCall(candidates[i], tokens[i], lease));
  }
  auto failed = [&](const absl::Status& status) {
    return std::vector<absl::StatusOr<ComplaintClaim>>(candidates.size(), status);
  };
  auto redis = pool_->Acquire();
  if (!redis.ok()) return failed(redis.status());
  auto replies = (*redis)->EvalMany(kClaim, calls);
  if (!replies.ok()) return failed(replies.status());
  std::vector<absl::StatusOr<ComplaintClaim>> claims;
  for (size_t i = 0; i < candidates.size(); ++i) {
    claims.push_back(ParseClaim(candidates[i].complaint_id(), (*replies)[i]));
  }
  return claims;
}

absl::Status RedisComplaintStore::MarkPublished(const events::v1::ComplaintReceived& complaint) {
  return MarkPublishedMany({complaint});
}

absl::Status RedisComplaintStore::MarkPublishedMany(
    const std::vector<events::v1::ComplaintReceived>& complaints) {
  std::vector<redis::RedisClient::ScriptCall> calls;
  for (const auto& complaint : complaints) calls.push_back(MarkPublishedCall(complaint));
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto replies = (*redis)->EvalMany(kMarkPublished, calls);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < complaints.size(); ++i) {
    const redis::Reply& reply = (*replies)[i];
    if (reply.type == redis::Reply::Type::kError) return redis::ErrorStatus("EVALSHA", reply.str);
    if (reply.type == redis::Reply::Type::kString) {
      // Ids only: neither is customer data. The later complaint is still found by its full id.
      spdlog::warn("short id {} of complaint {} already names complaint {}, which keeps it",
                   complaints[i].short_id(), complaints[i].complaint_id(), reply.str);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> RedisComplaintStore::FindByShortId(
    const std::string& short_id) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"GET", ShortKey(short_id)});
  if (!reply.ok()) return reply.status();
  if (reply->type == redis::Reply::Type::kNil) return std::nullopt;
  if (reply->type != redis::Reply::Type::kString) {
    return absl::InternalError("intake short id index: unexpected reply");
  }
  return reply->str;
}

absl::Status RedisComplaintStore::Release(const std::string& complaint_id,
                                          const std::string& token) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  return (*redis)->Eval(kRelease, {LeaseKey(complaint_id)}, {token}).status();
}

}  // namespace complaints::intake
