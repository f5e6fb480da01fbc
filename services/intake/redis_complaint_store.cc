#include "services/intake/redis_complaint_store.h"

#include <algorithm>

#include "libs/common/logging.h"
#include "libs/redis/proto_value.h"

namespace complaints::intake {
namespace {

// One script for a whole batch of claims (a script call costs Redis more than the few commands
// in it). KEYS: complaint, claim and lease of each complaint in turn. ARGV: lease ms, key ttl s,
// then the candidate and token of each complaint in turn. Answers {outcome, content} of each
// complaint in turn: "published" with the published complaint; "first" when the candidate became
// the claim (content empty: it is the caller's own); "won" when the caller took (or already held)
// the lease of an earlier claim, with it; "busy" when another token holds it, with it. A
// complaint twice in one batch: the second meets the first's claim, as a second call would.
const redis::Script kClaim(R"lua(
local out = {}
for i = 1, #KEYS / 3 do
  local complaint, claim, lease = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local token = ARGV[2 * i + 2]
  local found = redis.call('MGET', complaint, claim)
  if found[1] then
    out[#out + 1] = 'published'
    out[#out + 1] = found[1]
  elseif not found[2] then
    redis.call('SET', claim, ARGV[2 * i + 1], 'EX', ARGV[2])
    redis.call('SET', lease, token, 'PX', ARGV[1])
    out[#out + 1] = 'first'
    out[#out + 1] = ''
  else
    local holder = redis.call('GET', lease)
    if holder and holder ~= token then
      out[#out + 1] = 'busy'
    else
      redis.call('SET', lease, token, 'PX', ARGV[1])
      redis.call('EXPIRE', claim, ARGV[2])
      out[#out + 1] = 'won'
    end
    out[#out + 1] = found[2]
  end
end
return out
)lua");

// One script for a whole batch of complaints published. KEYS: complaint, claim, lease and (when
// it has one) short id key of each complaint in turn. ARGV: key ttl s, then the complaint, its
// id and its number of keys (3 or 4) of each complaint in turn. The first complaint published
// under an id stays (a replay of the topic meets the records in their order), and so does the
// first complaint to take a short id. Answers per complaint the complaint id that holds its short
// id when that is another one (a collision), else 1.
const redis::Script kMarkPublished(R"lua(
local out = {}
local k = 1
for i = 2, #ARGV, 3 do
  local id = ARGV[i + 1]
  redis.call('SET', KEYS[k], ARGV[i], 'EX', ARGV[1], 'NX')
  redis.call('DEL', KEYS[k + 1], KEYS[k + 2])
  local taken = 1
  if ARGV[i + 2] == '4' and not redis.call('SET', KEYS[k + 3], id, 'EX', ARGV[1], 'NX') then
    local holder = redis.call('GET', KEYS[k + 3])
    if holder and holder ~= id then taken = holder end
  end
  out[#out + 1] = taken
  k = k + tonumber(ARGV[i + 2])
end
return out
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
    const std::vector<events::v1::ComplaintReceived>& candidates,
    const std::vector<std::string>& encoded, const std::vector<std::string>& tokens,
    absl::Duration lease) const {
  redis::RedisClient::ScriptCall call;
  call.keys.reserve(3 * candidates.size());
  call.args.reserve(2 + 2 * candidates.size());
  call.args.push_back(std::to_string(std::max<int64_t>(1, absl::ToInt64Milliseconds(lease))));
  call.args.push_back(TtlSeconds());
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::string& id = candidates[i].complaint_id();
    call.keys.push_back(ComplaintKey(id));
    call.keys.push_back(ClaimKey(id));
    call.keys.push_back(LeaseKey(id));
    call.args.push_back(encoded[i]);
    call.args.push_back(tokens[i]);
  }
  return call;
}

redis::RedisClient::ScriptCall RedisComplaintStore::MarkPublishedCall(
    const std::vector<events::v1::ComplaintReceived>& complaints,
    const std::vector<std::string>& encoded) const {
  redis::RedisClient::ScriptCall call;
  call.keys.reserve(4 * complaints.size());
  call.args.reserve(1 + 3 * complaints.size());
  call.args.push_back(TtlSeconds());
  for (size_t i = 0; i < complaints.size(); ++i) {
    const events::v1::ComplaintReceived& complaint = complaints[i];
    const std::string& id = complaint.complaint_id();
    call.keys.push_back(ComplaintKey(id));
    call.keys.push_back(ClaimKey(id));
    call.keys.push_back(LeaseKey(id));
    if (!complaint.short_id().empty()) call.keys.push_back(ShortKey(complaint.short_id()));
    call.args.push_back(encoded[i]);
    call.args.push_back(id);
    call.args.push_back(complaint.short_id().empty() ? "3" : "4");
  }
  return call;
}

namespace {

// `outcome` and `content` of one complaint in the claim script's answer; `candidate` is what the
// caller claimed with (the content of a "first" claim, which the script does not send back).
absl::StatusOr<ComplaintClaim> ParseClaim(const events::v1::ComplaintReceived& candidate,
                                          const redis::Reply& outcome_reply,
                                          const redis::Reply& content) {
  const std::string& outcome = outcome_reply.str;
  ComplaintClaim claim;
  if (outcome == "first") {
    claim.outcome = ComplaintClaim::Outcome::kWon;
    claim.first = true;
    return claim;
  }
  if (outcome == "published") {
    claim.outcome = ComplaintClaim::Outcome::kPublished;
  } else if (outcome == "won") {
    claim.outcome = ComplaintClaim::Outcome::kWon;
  } else if (outcome == "busy") {
    claim.outcome = ComplaintClaim::Outcome::kBusy;
  } else {
    return absl::InternalError("intake claim script: unexpected outcome");
  }
  if (!claim.complaint.ParseFromString(content.str)) {
    return absl::DataLossError("stored ComplaintReceived of " + candidate.complaint_id() +
                               " does not parse");
  }
  return claim;
}

}  // namespace

absl::StatusOr<ComplaintClaim> RedisComplaintStore::Claim(
    const events::v1::ComplaintReceived& candidate, const std::string& token,
    absl::Duration lease) {
  return std::move(ClaimMany({candidate}, {candidate.SerializeAsString()}, {token}, lease).front());
}

std::vector<absl::StatusOr<ComplaintClaim>> RedisComplaintStore::ClaimMany(
    const std::vector<events::v1::ComplaintReceived>& candidates,
    const std::vector<std::string>& encoded, const std::vector<std::string>& tokens,
    absl::Duration lease) {
  auto failed = [&](const absl::Status& status) {
    return std::vector<absl::StatusOr<ComplaintClaim>>(candidates.size(), status);
  };
  if (candidates.empty()) return {};
  if (encoded.size() != candidates.size() || tokens.size() != candidates.size()) {
    return failed(absl::InternalError("intake claim: one encoding and one token per candidate"));
  }
  const redis::RedisClient::ScriptCall call = ClaimCall(candidates, encoded, tokens, lease);
  auto redis = pool_->Acquire();
  if (!redis.ok()) return failed(redis.status());
  auto reply = (*redis)->Eval(kClaim, call.keys, call.args);
  if (!reply.ok()) return failed(reply.status());
  if (reply->type != redis::Reply::Type::kArray ||
      reply->elements.size() != 2 * candidates.size()) {
    return failed(absl::InternalError("intake claim script: unexpected reply"));
  }
  std::vector<absl::StatusOr<ComplaintClaim>> claims;
  claims.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    claims.push_back(
        ParseClaim(candidates[i], reply->elements[2 * i], reply->elements[2 * i + 1]));
  }
  return claims;
}

absl::Status RedisComplaintStore::MarkPublished(const events::v1::ComplaintReceived& complaint) {
  return MarkPublishedMany({complaint}, {complaint.SerializeAsString()});
}

absl::Status RedisComplaintStore::MarkPublishedMany(
    const std::vector<events::v1::ComplaintReceived>& complaints,
    const std::vector<std::string>& encoded) {
  if (complaints.empty()) return absl::OkStatus();
  if (encoded.size() != complaints.size()) {
    return absl::InternalError("intake mark-published: one encoding per complaint");
  }
  const redis::RedisClient::ScriptCall call = MarkPublishedCall(complaints, encoded);
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Eval(kMarkPublished, call.keys, call.args);
  if (!reply.ok()) return reply.status();
  if (reply->type != redis::Reply::Type::kArray || reply->elements.size() != complaints.size()) {
    return absl::InternalError("intake mark-published script: unexpected reply");
  }
  for (size_t i = 0; i < complaints.size(); ++i) {
    const redis::Reply& taken = reply->elements[i];
    if (taken.type == redis::Reply::Type::kString) {
      // Ids only: neither is customer data. The later complaint is still found by its full id.
      spdlog::warn("short id {} of complaint {} already names complaint {}, which keeps it",
                   complaints[i].short_id(), complaints[i].complaint_id(), taken.str);
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
