#include "libs/cases/redis_case_ledger_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace complaints::cases {
namespace {

// KEYS: case hash, pending set. ARGV: expected revision, record, has pending (1|0), ttl in ms
// (0: none), complaint id, unit index prefix, the case's unit, its state number. Returns 1 if
// written, 0 if the revision moved. The unit index follows the record: the complaint leaves the
// index of the unit it was listed under (`ix`) and is listed under its unit with its state.
const redis::Script kCompareAndSet(R"lua(
local stored = redis.call('HMGET', KEYS[1], 'rev', 'ix')
local rev = tonumber(stored[1] or '0')
if rev ~= tonumber(ARGV[1]) then return 0 end
local ix = ARGV[7] .. '\t' .. ARGV[8]
local was = stored[2]
if was and was ~= ix then
  local tab = string.find(was, '\t', 1, true)
  if tab and string.sub(was, 1, tab - 1) ~= ARGV[7] then
    redis.call('ZREM', ARGV[6] .. string.sub(was, 1, tab - 1), ARGV[5])
  end
end
if ARGV[7] ~= '' then
  redis.call('ZADD', ARGV[6] .. ARGV[7], tonumber(ARGV[8]), ARGV[5])
end
redis.call('HSET', KEYS[1], 'rev', rev + 1, 'record', ARGV[2], 'ix', ix)
if ARGV[3] == '1' then
  redis.call('SADD', KEYS[2], ARGV[5])
else
  redis.call('SREM', KEYS[2], ARGV[5])
end
if tonumber(ARGV[4]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
elseif stored[1] then
  redis.call('PERSIST', KEYS[1])  -- a new key has no expiry to drop
end
return 1
)lua");

// KEYS: case hash, pending set. ARGV: expected revision, record (without pending records),
// complaint id. Returns 1 if written, 0 if the revision moved. kCompareAndSet for a record that
// only lost its pending records: its unit index entry and expiry stay as they are.
const redis::Script kClearPending(R"lua(
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if rev ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'rev', rev + 1, 'record', ARGV[2])
redis.call('SREM', KEYS[2], ARGV[3])
return 1
)lua");

// KEYS: pending set. ARGV: limit, case key prefix. Members whose case expired are dropped.
const redis::Script kPendingCases(R"lua(
local out = {}
for _, id in ipairs(redis.call('SRANDMEMBER', KEYS[1], tonumber(ARGV[1]))) do
  if redis.call('EXISTS', ARGV[2] .. id) == 1 then
    table.insert(out, id)
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return out
)lua");

// The case in an HMGET rev record reply.
absl::StatusOr<StoredCase> Decode(const std::string& complaint_id, const redis::Reply& reply) {
  if (reply.type == redis::Reply::Type::kError) return redis::ErrorStatus("HMGET", reply.str);
  StoredCase stored;
  if (reply.elements.size() != 2 || reply.elements[0].is_nil()) return stored;
  if (!absl::SimpleAtoi(reply.elements[0].str, &stored.revision) ||
      !stored.record.ParseFromString(reply.elements[1].str)) {
    return absl::DataLossError("stored case " + complaint_id + " does not parse");
  }
  return stored;
}

// KEYS: the unit's index. ARGV: case key prefix, then the state numbers wanted. Returns the
// records of the complaints listed under those states; members whose case expired are dropped.
const redis::Script kUnitCases(R"lua(
local out = {}
for i = 2, #ARGV do
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[i], ARGV[i])) do
    local record = redis.call('HGET', ARGV[1] .. id, 'record')
    if record then
      table.insert(out, record)
    else
      redis.call('ZREM', KEYS[1], id)
    end
  end
end
return out
)lua");

// Per write of a batch: whether its script wrote it (1), or the error.
std::vector<absl::StatusOr<bool>> WriteOutcomes(
    const absl::StatusOr<std::vector<redis::Reply>>& replies, size_t writes,
    const std::string& what) {
  if (!replies.ok()) return std::vector<absl::StatusOr<bool>>(writes, replies.status());
  std::vector<absl::StatusOr<bool>> out;
  out.reserve(writes);
  for (const redis::Reply& reply : *replies) {
    if (reply.type == redis::Reply::Type::kError) {
      out.push_back(redis::ErrorStatus(what, reply.str));
    } else {
      out.push_back(reply.integer == 1);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<StoredCase> RedisCaseLedgerStore::Load(const std::string& complaint_id) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"HMGET", CaseKey(complaint_id), "rev", "record"});
  if (!reply.ok()) return reply.status();
  return Decode(complaint_id, *reply);
}

std::vector<absl::StatusOr<StoredCase>> RedisCaseLedgerStore::LoadMany(
    const std::vector<std::string>& ids) {
  std::vector<absl::StatusOr<StoredCase>> out;
  if (ids.empty()) return out;
  auto redis = pool_->Acquire();
  if (!redis.ok()) return std::vector<absl::StatusOr<StoredCase>>(ids.size(), redis.status());
  std::vector<std::vector<std::string>> commands;
  commands.reserve(ids.size());
  for (const std::string& id : ids) commands.push_back({"HMGET", CaseKey(id), "rev", "record"});
  auto replies = (*redis)->Pipeline(commands);
  if (!replies.ok()) return std::vector<absl::StatusOr<StoredCase>>(ids.size(), replies.status());
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) out.push_back(Decode(ids[i], (*replies)[i]));
  return out;
}

// kCompareAndSet's ARGV, for one write or a batch of them.
std::vector<std::string> RedisCaseLedgerStore::CompareAndSetArgs(
    const std::string& complaint_id, int64_t expected_revision,
    const routing::v1::CaseRecord& record, absl::Duration ttl) const {
  return {absl::StrCat(expected_revision),
          record.SerializeAsString(),
          record.pending().empty() ? "0" : "1",
          absl::StrCat(absl::ToInt64Milliseconds(ttl)),
          complaint_id,
          UnitKey(""),
          record.case_().unit(),
          absl::StrCat(static_cast<int>(record.case_().state()))};
}

std::vector<absl::StatusOr<bool>> RedisCaseLedgerStore::CompareAndSetMany(
    const std::vector<Write>& writes) {
  std::vector<absl::StatusOr<bool>> out;
  if (writes.empty()) return out;
  auto redis = pool_->Acquire();
  if (!redis.ok()) return std::vector<absl::StatusOr<bool>>(writes.size(), redis.status());
  std::vector<redis::RedisClient::ScriptCall> calls;
  calls.reserve(writes.size());
  for (const Write& w : writes) {
    calls.push_back({{CaseKey(w.complaint_id), PendingKey()},
                     CompareAndSetArgs(w.complaint_id, w.expected_revision, w.record, w.ttl)});
  }
  return WriteOutcomes((*redis)->EvalMany(kCompareAndSet, calls), writes.size(),
                       "EVALSHA case compare-and-set");
}

std::vector<absl::StatusOr<bool>> RedisCaseLedgerStore::ClearPendingMany(
    const std::vector<Write>& writes) {
  std::vector<absl::StatusOr<bool>> out;
  if (writes.empty()) return out;
  auto redis = pool_->Acquire();
  if (!redis.ok()) return std::vector<absl::StatusOr<bool>>(writes.size(), redis.status());
  std::vector<redis::RedisClient::ScriptCall> calls;
  calls.reserve(writes.size());
  for (const Write& w : writes) {
    calls.push_back({{CaseKey(w.complaint_id), PendingKey()},
                     {absl::StrCat(w.expected_revision), w.record.SerializeAsString(),
                      w.complaint_id}});
  }
  return WriteOutcomes((*redis)->EvalMany(kClearPending, calls), writes.size(),
                       "EVALSHA case outbox clear");
}

absl::StatusOr<bool> RedisCaseLedgerStore::CompareAndSet(const std::string& complaint_id,
                                                         int64_t expected_revision,
                                                         const routing::v1::CaseRecord& record,
                                                         absl::Duration ttl) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  // Re-runnable: after a blind retry of a write that had landed, the revision has moved and the
  // retry answers 0, which the ledger takes as a conflict and reloads.
  auto reply = (*redis)->Eval(kCompareAndSet, {CaseKey(complaint_id), PendingKey()},
                              CompareAndSetArgs(complaint_id, expected_revision, record, ttl));
  if (!reply.ok()) return reply.status();
  return reply->integer == 1;
}

absl::StatusOr<std::vector<std::string>> RedisCaseLedgerStore::PendingCases(int limit) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply =
      (*redis)->Eval(kPendingCases, {PendingKey()}, {absl::StrCat(limit), CaseKey("")});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> ids;
  for (const auto& element : reply->elements) ids.push_back(element.str);
  return ids;
}

absl::StatusOr<std::vector<routing::v1::Case>> RedisCaseLedgerStore::UnitCases(
    const std::string& unit, const std::vector<routing::v1::CaseState>& states) {
  std::vector<routing::v1::Case> cases;
  if (unit.empty() || states.empty()) return cases;
  std::vector<std::string> args = {CaseKey("")};
  for (routing::v1::CaseState state : states) args.push_back(absl::StrCat(static_cast<int>(state)));
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Eval(kUnitCases, {UnitKey(unit)}, args);
  if (!reply.ok()) return reply.status();
  cases.reserve(reply->elements.size());
  for (const auto& element : reply->elements) {
    routing::v1::CaseRecord record;
    if (!record.ParseFromString(element.str)) {
      return absl::DataLossError("a stored case of unit " + unit + " does not parse");
    }
    cases.push_back(std::move(*record.mutable_case_()));
  }
  return cases;
}

}  // namespace complaints::cases
