#include "services/followup/redis_followup_store.h"

#include <algorithm>

#include "absl/strings/numbers.h"

namespace complaints::followup {
namespace {

constexpr char kOutcomePrefix[] = "outcome:";
constexpr char kPastPrefix[] = "past:";

// KEYS: case hash, seen set. ARGV: groups of eight, one per event, applied in order: event id,
// level ("" keeps it), task op (keep|open|clear), task id, task, expiry in ms (0: none, the
// case is open), outcome field ("" none), outcome, facts ("<urgency>|<reopen count>", ""
// keeps them), contact (a ContactPreference, "" keeps it). Returns per event 1, or 0 for an
// event applied before.
const redis::Script kApply(R"lua(
local out = {}
for i = 1, #ARGV, 10 do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 0 then
    table.insert(out, 0)
  else
    if ARGV[i + 1] ~= '' then redis.call('HSET', KEYS[1], 'level', ARGV[i + 1]) end
    if ARGV[i + 8] ~= '' then redis.call('HSET', KEYS[1], 'facts', ARGV[i + 8]) end
    if ARGV[i + 9] ~= '' then redis.call('HSET', KEYS[1], 'contact', ARGV[i + 9]) end
    if ARGV[i + 2] ~= 'keep' then
      local old = redis.call('HGET', KEYS[1], 'task_id')
      if old then redis.call('HSET', KEYS[1], 'past:' .. old, '1') end
    end
    if ARGV[i + 2] == 'open' then
      redis.call('HSET', KEYS[1], 'task_id', ARGV[i + 3], 'task', ARGV[i + 4])
    elseif ARGV[i + 2] == 'clear' then
      redis.call('HDEL', KEYS[1], 'task_id', 'task')
    end
    if ARGV[i + 6] ~= '' then redis.call('HSETNX', KEYS[1], ARGV[i + 6], ARGV[i + 7]) end
    if tonumber(ARGV[i + 5]) > 0 then
      redis.call('PEXPIRE', KEYS[1], ARGV[i + 5])
      redis.call('PEXPIRE', KEYS[2], ARGV[i + 5])
    end
    table.insert(out, 1)
  end
end
return out
)lua");

// KEYS: case hash. ARGV: field, outcome. Returns the outcome recorded (the first one wins).
const redis::Script kClaim(R"lua(
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])
)lua");

// KEYS: case hash. ARGV: expected open task id, next task id ("" clears), next task.
const redis::Script kAdvance(R"lua(
if redis.call('HGET', KEYS[1], 'task_id') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'past:' .. ARGV[1], '1')
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
  return DecodeState(complaint_id, *reply);
}

absl::StatusOr<CaseState> RedisFollowUpStore::DecodeState(const std::string& complaint_id,
                                                          const redis::Reply& reply) {
  if (reply.type == redis::Reply::Type::kError) return redis::ErrorStatus("HGETALL", reply.str);
  CaseState state;
  const auto& fields = reply.elements;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& name = fields[i].str;
    const std::string& value = fields[i + 1].str;
    if (name == "level") {
      int level = 0;
      if (!absl::SimpleAtoi(value, &level) || !events::v1::Level_IsValid(level)) {
        return absl::DataLossError("stored level of " + complaint_id + " does not parse");
      }
      state.level = static_cast<events::v1::Level>(level);
    } else if (name == "facts") {
      const size_t bar = value.find('|');
      int urgency = 0;
      int reopens = 0;
      if (bar == std::string::npos || !absl::SimpleAtoi(value.substr(0, bar), &urgency) ||
          !events::v1::Urgency_IsValid(urgency) || !absl::SimpleAtoi(value.substr(bar + 1), &reopens)) {
        return absl::DataLossError("stored facts of " + complaint_id + " do not parse");
      }
      state.urgency = static_cast<events::v1::Urgency>(urgency);
      state.reopen_count = reopens;
    } else if (name == "contact") {
      events::v1::ContactPreference contact;
      if (value.empty() || value[0] != 'p' || !contact.ParseFromString(value.substr(1))) {
        return absl::DataLossError("stored contact preference of " + complaint_id +
                                   " does not parse");
      }
      state.contact = std::move(contact);
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
    } else if (name.starts_with(kPastPrefix)) {
      state.past_tasks.insert(name.substr(sizeof(kPastPrefix) - 1));
    }
  }
  return state;
}

std::vector<absl::StatusOr<FollowUpStore::Known>> RedisFollowUpStore::GetMany(
    const std::vector<Ask>& asks) {
  using Result = std::vector<absl::StatusOr<Known>>;
  if (asks.empty()) return {};
  auto redis = pool_->Acquire();
  if (!redis.ok()) return Result(asks.size(), redis.status());
  // Per complaint its hash and its seen set: a complaint sees a dozen events at most.
  std::vector<std::vector<std::string>> commands;
  commands.reserve(2 * asks.size());
  for (const Ask& ask : asks) {
    commands.push_back({"HGETALL", CaseKey(ask.complaint_id)});
    commands.push_back({"SMEMBERS", SeenKey(ask.complaint_id)});
  }
  auto replies = (*redis)->Pipeline(commands);
  if (!replies.ok()) return Result(asks.size(), replies.status());
  Result out;
  out.reserve(asks.size());
  for (size_t i = 0; i < asks.size(); ++i) {
    auto state = DecodeState(asks[i].complaint_id, (*replies)[2 * i]);
    const redis::Reply& members = (*replies)[2 * i + 1];
    if (!state.ok()) {
      out.push_back(state.status());
      continue;
    }
    if (members.type == redis::Reply::Type::kError) {
      out.push_back(redis::ErrorStatus("SMEMBERS", members.str));
      continue;
    }
    Known known{*std::move(state), {}};
    for (const std::string& id : asks[i].event_ids) {
      known.seen.push_back(std::any_of(members.elements.begin(), members.elements.end(),
                                       [&](const redis::Reply& m) { return m.str == id; }));
    }
    out.push_back(std::move(known));
  }
  return out;
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
  auto applied = ApplyMany({{complaint_id, {{event_id, change}}}});
  if (!applied[0].ok()) return applied[0].status();
  if (applied[0]->size() != 1) return absl::InternalError("apply script answered no result");
  return (*applied[0])[0];
}

std::vector<absl::StatusOr<std::vector<bool>>> RedisFollowUpStore::ApplyMany(
    const std::vector<Changes>& changes) {
  using Result = std::vector<absl::StatusOr<std::vector<bool>>>;
  if (changes.empty()) return {};
  std::vector<redis::RedisClient::ScriptCall> calls;
  calls.reserve(changes.size());
  for (const Changes& c : changes) {
    redis::RedisClient::ScriptCall& call = calls.emplace_back();
    call.keys = {CaseKey(c.complaint_id), SeenKey(c.complaint_id)};
    for (const EventChange& e : c.events) {
      const CaseChange& change = e.change;
      std::string op = "keep";
      if (change.task == CaseChange::Task::kOpen) op = "open";
      if (change.task == CaseChange::Task::kClear) op = "clear";
      for (std::string arg :
           {e.event_id, change.level ? std::to_string(static_cast<int>(*change.level)) : "", op,
            change.open.task_id(), change.open.SerializeAsString(),
            std::to_string(change.closed ? absl::ToInt64Milliseconds(closed_ttl_) : 0),
            change.outcome_task.empty() ? "" : kOutcomePrefix + change.outcome_task,
            change.outcome_task.empty() ? "" : EncodeOutcome(change.outcome),
            change.urgency ? std::to_string(static_cast<int>(*change.urgency)) + "|" +
                                 std::to_string(change.reopen_count.value_or(0))
                           : "",
            // Never empty when set: a preference with nothing in it still says "none".
            change.contact ? "p" + change.contact->SerializeAsString() : ""}) {
        call.args.push_back(std::move(arg));
      }
    }
  }
  auto redis = pool_->Acquire();
  if (!redis.ok()) return Result(changes.size(), redis.status());
  auto replies = (*redis)->EvalMany(kApply, calls);
  if (!replies.ok()) return Result(changes.size(), replies.status());
  Result out;
  out.reserve(changes.size());
  for (const redis::Reply& reply : *replies) {
    if (reply.type == redis::Reply::Type::kError) {
      out.push_back(redis::ErrorStatus("EVALSHA follow-up apply", reply.str));
      continue;
    }
    std::vector<bool> applied;
    for (const redis::Reply& one : reply.elements) applied.push_back(one.integer == 1);
    out.push_back(std::move(applied));
  }
  return out;
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
