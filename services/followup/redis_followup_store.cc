#include "services/followup/redis_followup_store.h"

#include "absl/strings/numbers.h"

namespace complaints::followup {
namespace {

constexpr char kOutcomePrefix[] = "outcome:";

// KEYS: case hash, seen set. ARGV: event id, level ("" keeps it), task op (keep|open|clear),
// task id, task, expiry in ms (0: none, the case is open). Returns 0 for an event applied before.
const redis::Script kApply(R"lua(
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'level', ARGV[2]) end
if ARGV[3] == 'open' then
  redis.call('HSET', KEYS[1], 'task_id', ARGV[4], 'task', ARGV[5])
elseif ARGV[3] == 'clear' then
  redis.call('HDEL', KEYS[1], 'task_id', 'task')
end
if tonumber(ARGV[6]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
return 1
)lua");

// KEYS: case hash. ARGV: field, outcome. Returns the outcome recorded (the first one wins).
const redis::Script kClaim(R"lua(
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])
)lua");

// KEYS: case hash. ARGV: expected open task id, next task id ("" clears), next task.
const redis::Script kAdvance(R"lua(
if redis.call('HGET', KEYS[1], 'task_id') ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'task_id', 'task')
else
  redis.call('HSET', KEYS[1], 'task_id', ARGV[2], 'task', ARGV[3])
end
return 1
)lua");

std::string EncodeOutcome(const RecordedOutcome& outcome) {
  return std::to_string(static_cast<int>(outcome.outcome)) + "|" + outcome.effect;
}

absl::StatusOr<RecordedOutcome> DecodeOutcome(const std::string& value) {
  const size_t bar = value.find('|');
  int number = 0;
  if (bar == std::string::npos || !absl::SimpleAtoi(value.substr(0, bar), &number) ||
      !followup::v1::Outcome_IsValid(number)) {
    return absl::DataLossError("stored follow-up outcome does not parse");
  }
  return RecordedOutcome{static_cast<followup::v1::Outcome>(number), value.substr(bar + 1)};
}

}  // namespace

std::string RedisFollowUpStore::CaseKey(const std::string& complaint_id) const {
  return prefix_ + "case:" + complaint_id;
}

std::string RedisFollowUpStore::SeenKey(const std::string& complaint_id) const {
  return prefix_ + "seen:" + complaint_id;
}

absl::StatusOr<CaseState> RedisFollowUpStore::Get(const std::string& complaint_id) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"HGETALL", CaseKey(complaint_id)});
  if (!reply.ok()) return reply.status();
  CaseState state;
  const auto& fields = reply->elements;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& name = fields[i].str;
    const std::string& value = fields[i + 1].str;
    if (name == "level") {
      int level = 0;
      if (!absl::SimpleAtoi(value, &level) || !events::v1::Level_IsValid(level)) {
        return absl::DataLossError("stored level of " + complaint_id + " does not parse");
      }
      state.level = static_cast<events::v1::Level>(level);
    } else if (name == "task") {
      events::v1::FollowUpTask task;
      if (!task.ParseFromString(value)) {
        return absl::DataLossError("stored follow-up task of " + complaint_id + " does not parse");
      }
      state.open_task = std::move(task);
    } else if (name.starts_with(kOutcomePrefix)) {
      auto outcome = DecodeOutcome(value);
      if (!outcome.ok()) return outcome.status();
      state.outcomes[name.substr(sizeof(kOutcomePrefix) - 1)] = *std::move(outcome);
    }
  }
  return state;
}

absl::StatusOr<bool> RedisFollowUpStore::Seen(const std::string& complaint_id,
                                              const std::string& event_id) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"SISMEMBER", SeenKey(complaint_id), event_id});
  if (!reply.ok()) return reply.status();
  return reply->integer == 1;
}

absl::StatusOr<bool> RedisFollowUpStore::Apply(const std::string& complaint_id,
                                               const std::string& event_id,
                                               const CaseChange& change) {
  std::string op = "keep";
  if (change.task == CaseChange::Task::kOpen) op = "open";
  if (change.task == CaseChange::Task::kClear) op = "clear";
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Eval(
      kApply, {CaseKey(complaint_id), SeenKey(complaint_id)},
      {event_id, change.level ? std::to_string(static_cast<int>(*change.level)) : "", op,
       change.open.task_id(), change.open.SerializeAsString(),
       std::to_string(change.closed ? absl::ToInt64Milliseconds(closed_ttl_) : 0)});
  if (!reply.ok()) return reply.status();
  return reply->integer == 1;
}

absl::StatusOr<RecordedOutcome> RedisFollowUpStore::ClaimOutcome(const std::string& complaint_id,
                                                                 const std::string& task_id,
                                                                 const RecordedOutcome& outcome) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Eval(kClaim, {CaseKey(complaint_id)},
                              {kOutcomePrefix + task_id, EncodeOutcome(outcome)});
  if (!reply.ok()) return reply.status();
  return DecodeOutcome(reply->str);
}

absl::Status RedisFollowUpStore::AdvanceOpenTask(
    const std::string& complaint_id, const std::string& expected_task_id,
    const std::optional<events::v1::FollowUpTask>& next) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  return (*redis)
      ->Eval(kAdvance, {CaseKey(complaint_id)},
             {expected_task_id, next ? next->task_id() : "", next ? next->SerializeAsString() : ""})
      .status();
}

}  // namespace complaints::followup
