#include "services/intake/redis_history_store.h"

#include <algorithm>

#include "absl/strings/numbers.h"

namespace complaints::intake {
namespace {

// One script for the histories of a whole batch. KEYS: the histories. ARGV: status key prefix.
// Answers per history {entry, closed, level, entry, ...}, with false for a status field never set.
const redis::Script kLoad(R"lua(
local out = {}
for k = 1, #KEYS do
  local fields = redis.call('HGETALL', KEYS[k])
  local history = {}
  for i = 2, #fields, 2 do
    local status = redis.call('HMGET', ARGV[1] .. fields[i - 1], 'closed', 'level')
    history[#history + 1] = fields[i]
    history[#history + 1] = status[1]
    history[#history + 1] = status[2]
  end
  out[k] = history
end
return out
)lua");

std::string Seconds(absl::Duration d) {
  return std::to_string(std::max<int64_t>(1, absl::ToInt64Seconds(d)));
}


absl::StatusOr<std::vector<PastComplaint>> ParseHistory(const redis::Reply& reply) {
  if (reply.type == redis::Reply::Type::kError) return redis::ErrorStatus("EVALSHA", reply.str);
  if (reply.type != redis::Reply::Type::kArray || reply.elements.size() % 3 != 0) {
    return absl::InternalError("intake history script: unexpected reply");
  }
  std::vector<PastComplaint> past;
  for (size_t i = 0; i < reply.elements.size(); i += 3) {
    PastComplaint p;
    if (!p.entry.ParseFromString(reply.elements[i].str)) {
      return absl::DataLossError("intake history: an entry does not parse");
    }
    const redis::Reply& closed = reply.elements[i + 1];
    const redis::Reply& level = reply.elements[i + 2];
    if (closed.type == redis::Reply::Type::kString) {
      p.status.set_closed(closed.str == "1");
      p.has_status = true;
    }
    int number = 0;
    if (level.type == redis::Reply::Type::kString && absl::SimpleAtoi(level.str, &number) &&
        events::v1::Level_IsValid(number)) {
      p.status.set_level(static_cast<events::v1::Level>(number));
      p.has_status = true;
    }
    past.push_back(std::move(p));
  }
  return past;
}

}  // namespace

absl::StatusOr<std::vector<PastComplaint>> RedisHistoryStore::Load(
    const std::string& customer_key) {
  return std::move(LoadMany({customer_key}).front());
}

std::vector<absl::StatusOr<std::vector<PastComplaint>>> RedisHistoryStore::LoadMany(
    const std::vector<std::string>& customer_keys) {
  using Result = absl::StatusOr<std::vector<PastComplaint>>;
  if (customer_keys.empty()) return {};
  std::vector<std::string> keys;
  keys.reserve(customer_keys.size());
  for (const auto& key : customer_keys) keys.push_back(prefix_ + "history:" + key);
  auto redis = pool_->Acquire();
  if (!redis.ok()) return std::vector<Result>(customer_keys.size(), redis.status());
  auto reply = (*redis)->Eval(kLoad, keys, {prefix_ + "case:"});
  if (!reply.ok()) return std::vector<Result>(customer_keys.size(), reply.status());
  if (reply->type != redis::Reply::Type::kArray ||
      reply->elements.size() != customer_keys.size()) {
    return std::vector<Result>(customer_keys.size(),
                               absl::InternalError("intake history script: unexpected reply"));
  }
  std::vector<Result> out;
  out.reserve(customer_keys.size());
  for (const redis::Reply& history : reply->elements) out.push_back(ParseHistory(history));
  return out;
}

absl::Status RedisHistoryStore::Record(const std::string& customer_key,
                                       const intake::v1::HistoryEntry& entry) {
  return RecordMany({{customer_key, entry}});
}

absl::Status RedisHistoryStore::RecordMany(
    const std::vector<std::pair<std::string, intake::v1::HistoryEntry>>& entries) {
  std::vector<std::vector<std::string>> commands;
  for (const auto& [customer_key, entry] : entries) {
    const std::string key = prefix_ + "history:" + customer_key;
    commands.push_back({"HSET", key, entry.complaint_id(), entry.SerializeAsString()});
    commands.push_back({"EXPIRE", key, Seconds(history_ttl_)});
  }
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto replies = (*redis)->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (const redis::Reply& reply : *replies) {
    if (reply.type == redis::Reply::Type::kError) {
      return redis::ErrorStatus("HSET intake history", reply.str);
    }
  }
  return absl::OkStatus();
}

absl::Status RedisHistoryStore::SetCaseStatuses(const std::vector<CaseStatusChange>& changes) {
  std::vector<std::vector<std::string>> commands;
  for (const CaseStatusChange& change : changes) {
    const std::string key = prefix_ + "case:" + change.complaint_id;
    if (change.closed) commands.push_back({"HSET", key, "closed", *change.closed ? "1" : "0"});
    if (change.level) commands.push_back({"HSET", key, "level", std::to_string(*change.level)});
    commands.push_back({"EXPIRE", key, Seconds(status_ttl_)});
  }
  if (commands.empty()) return absl::OkStatus();
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto replies = (*redis)->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (const redis::Reply& reply : *replies) {
    if (reply.type == redis::Reply::Type::kError) {
      return redis::ErrorStatus("HSET intake case status", reply.str);
    }
  }
  return absl::OkStatus();
}

}  // namespace complaints::intake
