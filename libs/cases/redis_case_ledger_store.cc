#include "libs/cases/redis_case_ledger_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include <algorithm>
#include <functional>

namespace complaints::cases {
namespace {

// The write scripts take many writes each: a script call costs Redis more than the few commands
// in it (intake's kClaim does the same). Writes of one call are independent, in order: each is
// answered 1 if written, 0 if its case's revision had moved.

// KEYS: the pending set, then the case hash of each write. ARGV: the unit index prefix, then
// for each write: expected revision, record, has pending (1|0), ttl in ms (0: none), complaint
// id, the case's unit, its state number. The unit index follows the record: the complaint leaves
// the index of the unit it was listed under (`ix`) and is listed under its unit with its state.
const redis::Script kCompareAndSet(R"lua(
local out = {}
local prefix = ARGV[1]
for i = 2, #KEYS do
  local key, a = KEYS[i], 7 * (i - 2) + 1
  local id, unit, state = ARGV[a + 5], ARGV[a + 6], ARGV[a + 7]
  local stored = redis.call('HMGET', key, 'rev', 'ix')
  local rev = tonumber(stored[1] or '0')
  if rev ~= tonumber(ARGV[a + 1]) then
    out[#out + 1] = 0
  else
    local ix = unit .. '\t' .. state
    local was = stored[2]
    if was and was ~= ix then
      local tab = string.find(was, '\t', 1, true)
      if tab and string.sub(was, 1, tab - 1) ~= unit then
        redis.call('ZREM', prefix .. string.sub(was, 1, tab - 1), id)
      end
    end
    if unit ~= '' then
      redis.call('ZADD', prefix .. unit, tonumber(state), id)
    end
    redis.call('HSET', key, 'rev', rev + 1, 'record', ARGV[a + 2], 'ix', ix)
    if ARGV[a + 3] == '1' then
      redis.call('SADD', KEYS[1], id)
    else
      redis.call('SREM', KEYS[1], id)
    end
    if tonumber(ARGV[a + 4]) > 0 then
      redis.call('PEXPIRE', key, ARGV[a + 4])
    elseif stored[1] then
      redis.call('PERSIST', key)  -- a new key has no expiry to drop
    end
    out[#out + 1] = 1
  end
end
return out
)lua");

// KEYS: the pending set, then the case hash of each write. ARGV, for each write: expected
// revision, record (without pending records), complaint id. kCompareAndSet for records that
// only lost their pending records: their unit index entries and expiry stay as they are.
const redis::Script kClearPending(R"lua(
local out = {}
for i = 2, #KEYS do
  local key, a = KEYS[i], 3 * (i - 2)
  local rev = tonumber(redis.call('HGET', key, 'rev') or '0')
  if rev ~= tonumber(ARGV[a + 1]) then
    out[#out + 1] = 0
  else
    redis.call('HSET', key, 'rev', rev + 1, 'record', ARGV[a + 2])
    redis.call('SREM', KEYS[1], ARGV[a + 3])
    out[#out + 1] = 1
  end
end
return out
)lua");

// Writes per script call: a call holds Redis for its length (a few microseconds a write).
constexpr size_t kWritesPerCall = 256;

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

// kCompareAndSet's ARGV for one write, after the shared unit index prefix.
void RedisCaseLedgerStore::AppendCompareAndSetArgs(const Write& w,
                                                   std::vector<std::string>& args) const {
  args.push_back(absl::StrCat(w.expected_revision));
  args.push_back(w.record.SerializeAsString());
  args.push_back(w.record.pending().empty() ? "0" : "1");
  args.push_back(absl::StrCat(absl::ToInt64Milliseconds(w.ttl)));
  args.push_back(w.complaint_id);
  args.push_back(w.record.case_().unit());
  args.push_back(absl::StrCat(static_cast<int>(w.record.case_().state())));
}

std::vector<absl::StatusOr<bool>> RedisCaseLedgerStore::RunWrites(
    const redis::Script& script, const std::vector<Write>& writes,
    const std::vector<std::string>& shared_args,
    const std::function<void(const Write&, std::vector<std::string>&)>& append_args,
    const std::string& what) {
  if (writes.empty()) return {};
  auto redis = pool_->Acquire();
  if (!redis.ok()) return std::vector<absl::StatusOr<bool>>(writes.size(), redis.status());
  std::vector<redis::RedisClient::ScriptCall> calls;
  for (size_t from = 0; from < writes.size(); from += kWritesPerCall) {
    redis::RedisClient::ScriptCall& call = calls.emplace_back();
    call.keys.push_back(PendingKey());
    call.args = shared_args;
    for (size_t i = from; i < std::min(writes.size(), from + kWritesPerCall); ++i) {
      call.keys.push_back(CaseKey(writes[i].complaint_id));
      append_args(writes[i], call.args);
    }
  }
  auto replies = (*redis)->EvalMany(script, calls);
  if (!replies.ok()) return std::vector<absl::StatusOr<bool>>(writes.size(), replies.status());
  std::vector<absl::StatusOr<bool>> out;
  out.reserve(writes.size());
  for (size_t c = 0; c < calls.size(); ++c) {
    const redis::Reply& reply = (*replies)[c];
    const size_t n = calls[c].keys.size() - 1;
    for (size_t i = 0; i < n; ++i) {
      if (reply.type == redis::Reply::Type::kError) {
        out.push_back(redis::ErrorStatus(what, reply.str));
      } else if (reply.elements.size() != n) {
        out.push_back(absl::InternalError(what + ": an answer per write was expected"));
      } else {
        out.push_back(reply.elements[i].integer == 1);
      }
    }
  }
  return out;
}

std::vector<absl::StatusOr<bool>> RedisCaseLedgerStore::CompareAndSetMany(
    const std::vector<Write>& writes) {
  return RunWrites(
      kCompareAndSet, writes, {UnitKey("")},
      [this](const Write& w, std::vector<std::string>& args) { AppendCompareAndSetArgs(w, args); },
      "EVALSHA case compare-and-set");
}

std::vector<absl::StatusOr<bool>> RedisCaseLedgerStore::ClearPendingMany(
    const std::vector<Write>& writes) {
  return RunWrites(
      kClearPending, writes, {},
      [](const Write& w, std::vector<std::string>& args) {
        args.push_back(absl::StrCat(w.expected_revision));
        args.push_back(w.record.SerializeAsString());
        args.push_back(w.complaint_id);
      },
      "EVALSHA case outbox clear");
}

absl::StatusOr<bool> RedisCaseLedgerStore::CompareAndSet(const std::string& complaint_id,
                                                         int64_t expected_revision,
                                                         const routing::v1::CaseRecord& record,
                                                         absl::Duration ttl) {
  // Re-runnable: after a blind retry of a write that had landed, the revision has moved and the
  // retry answers 0, which the ledger takes as a conflict and reloads.
  return std::move(CompareAndSetMany({{complaint_id, expected_revision, record, ttl}})[0]);
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
