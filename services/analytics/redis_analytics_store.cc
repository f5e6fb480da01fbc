#include "services/analytics/redis_analytics_store.h"

#include "absl/strings/numbers.h"

namespace complaints::analytics {
namespace {

// KEYS: seen set, timeline list, event type / category / unit counters.
// ARGV: event id, entry, kind, category ("" = none), unit ("" = none). Returns 0 for a duplicate.
const redis::Script kRecord(R"lua(
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[4], ARGV[4], 1) end
if ARGV[5] ~= '' then redis.call('HINCRBY', KEYS[5], ARGV[5], 1) end
return 1
)lua");

absl::Status FillCounts(const redis::Reply& reply, google::protobuf::Map<std::string, int64_t>* out) {
  if (reply.type == redis::Reply::Type::kError) {
    return redis::ErrorStatus("HGETALL", reply.str);
  }
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    int64_t count = 0;
    if (!absl::SimpleAtoi(reply.elements[i + 1].str, &count)) {
      return absl::DataLossError("stored count does not parse");
    }
    (*out)[reply.elements[i].str] = count;
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<absl::StatusOr<bool>> RedisAnalyticsStore::RecordAll(
    const std::vector<Observation>& observations) {
  std::vector<redis::RedisClient::ScriptCall> calls;
  calls.reserve(observations.size());
  for (const Observation& o : observations) {
    calls.push_back(
        {{prefix_ + "seen:" + o.complaint_id, prefix_ + "timeline:" + o.complaint_id,
          prefix_ + "count:event_type", prefix_ + "count:category", prefix_ + "count:unit"},
         {o.entry.event_id(), o.entry.SerializeAsString(), o.entry.kind(), o.category, o.unit}});
  }
  std::vector<absl::StatusOr<bool>> out;
  out.reserve(observations.size());
  auto redis = pool_->Acquire();
  if (!redis.ok()) return std::vector<absl::StatusOr<bool>>(observations.size(), redis.status());
  auto replies = (*redis)->EvalMany(kRecord, calls);
  if (!replies.ok()) return std::vector<absl::StatusOr<bool>>(observations.size(), replies.status());
  for (const redis::Reply& reply : *replies) {
    if (reply.type == redis::Reply::Type::kError) {
      out.push_back(redis::ErrorStatus("EVALSHA analytics record", reply.str));
    } else {
      out.push_back(reply.integer == 1);
    }
  }
  return out;
}

absl::StatusOr<std::vector<analytics::v1::TimelineEntry>> RedisAnalyticsStore::Timeline(
    const std::string& complaint_id) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"LRANGE", prefix_ + "timeline:" + complaint_id, "0", "-1"});
  if (!reply.ok()) return reply.status();
  std::vector<analytics::v1::TimelineEntry> entries(reply->elements.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].ParseFromString(reply->elements[i].str)) {
      return absl::DataLossError("stored timeline entry of " + complaint_id + " does not parse");
    }
  }
  return entries;
}

absl::StatusOr<analytics::v1::GetCountsResponse> RedisAnalyticsStore::Counts() {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto replies = (*redis)->Pipeline({{"HGETALL", prefix_ + "count:event_type"},
                                     {"HGETALL", prefix_ + "count:category"},
                                     {"HGETALL", prefix_ + "count:unit"}});
  if (!replies.ok()) return replies.status();
  analytics::v1::GetCountsResponse counts;
  if (auto s = FillCounts((*replies)[0], counts.mutable_by_event_type()); !s.ok()) return s;
  if (auto s = FillCounts((*replies)[1], counts.mutable_by_category()); !s.ok()) return s;
  if (auto s = FillCounts((*replies)[2], counts.mutable_by_unit()); !s.ok()) return s;
  return counts;
}

}  // namespace complaints::analytics
