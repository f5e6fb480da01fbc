#include "services/intake/redis_history_store.h"

#include <algorithm>

#include "absl/strings/numbers.h"

namespace complaints::intake {
namespace {

// KEYS: history. ARGV: status key prefix. Answers {entry, closed, level, entry, ...}, with
// false for a status field never set.
const redis::Script kLoad(R"lua(
local fields = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 2, #fields, 2 do
  local status = redis.call('HMGET', ARGV[1] .. fields[i - 1], 'closed', 'level')
  out[#out + 1] = fields[i]
  out[#out + 1] = status[1]
  out[#out + 1] = status[2]
end
return out
)lua");

std::string Seconds(absl::Duration d) {
  return std::to_string(std::max<int64_t>(1, absl::ToInt64Seconds(d)));
}

}  // namespace

absl::StatusOr<std::vector<PastComplaint>> RedisHistoryStore::Load(
    const std::string& customer_key) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Eval(kLoad, {prefix_ + "history:" + customer_key}, {prefix_ + "case:"});
  if (!reply.ok()) return reply.status();
  if (reply->type != redis::Reply::Type::kArray || reply->elements.size() % 3 != 0) {
    return absl::InternalError("intake history script: unexpected reply");
  }
  std::vector<PastComplaint> past;
  for (size_t i = 0; i < reply->elements.size(); i += 3) {
    PastComplaint p;
    if (!p.entry.ParseFromString(reply->elements[i].str)) {
      return absl::DataLossError("intake history: an entry does not parse");
    }
    const redis::Reply& closed = reply->elements[i + 1];
    const redis::Reply& level = reply->elements[i + 2];
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

absl::Status RedisHistoryStore::Record(const std::string& customer_key,
                                       const intake::v1::HistoryEntry& entry) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  const std::string key = prefix_ + "history:" + customer_key;
  auto replies = (*redis)->Pipeline({{"HSET", key, entry.complaint_id(), entry.SerializeAsString()},
                                     {"EXPIRE", key, Seconds(history_ttl_)}});
  if (!replies.ok()) return replies.status();
  for (const redis::Reply& reply : *replies) {
    if (reply.type == redis::Reply::Type::kError) {
      return redis::ErrorStatus("HSET intake history", reply.str);
    }
  }
  return absl::OkStatus();
}

absl::Status RedisHistoryStore::SetClosed(const std::string& complaint_id, bool closed) {
  return SetField(complaint_id, "closed", closed ? "1" : "0");
}

absl::Status RedisHistoryStore::SetLevel(const std::string& complaint_id,
                                         events::v1::Level level) {
  return SetField(complaint_id, "level", std::to_string(level));
}

absl::Status RedisHistoryStore::SetField(const std::string& complaint_id,
                                         const std::string& field, const std::string& value) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  const std::string key = prefix_ + "case:" + complaint_id;
  auto replies = (*redis)->Pipeline({{"HSET", key, field, value},
                                     {"EXPIRE", key, Seconds(status_ttl_)}});
  if (!replies.ok()) return replies.status();
  for (const redis::Reply& reply : *replies) {
    if (reply.type == redis::Reply::Type::kError) {
      return redis::ErrorStatus("HSET intake case status", reply.str);
    }
  }
  return absl::OkStatus();
}

}  // namespace complaints::intake
