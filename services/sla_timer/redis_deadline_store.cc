#include "services/sla_timer/redis_deadline_store.h"

#include "absl/strings/numbers.h"
#include "services/sla_timer/store_codec.h"

namespace complaints::sla_timer {
namespace {

using redis::Reply;

// KEYS[1] case hash, KEYS[2] due set. ARGV[1] expected offset ('' for none), ARGV[2] new
// offset, ARGV[3] assignment sequence, ARGV[4] seconds to keep the hash (0: for ever), then per
// change: clock, mode (arm | stop | set), entry, member, score. 0 if the hash moved on.
const redis::Script kUpdate(R"lua(
local current = redis.call('HGET', KEYS[1], 'offset') or ''
if current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'offset', ARGV[2], 'seq', ARGV[3])
for i = 5, #ARGV, 5 do
  local clock, mode = ARGV[i], ARGV[i + 1]
  if mode ~= 'set' then
    local pending = redis.call('HGET', KEYS[1], 'm:' .. clock)
    if pending then redis.call('ZREM', KEYS[2], pending) end
    if mode == 'arm' then
      redis.call('ZADD', KEYS[2], ARGV[i + 4], ARGV[i + 3])
      redis.call('HSET', KEYS[1], 'm:' .. clock, ARGV[i + 3])
    else
      redis.call('HDEL', KEYS[1], 'm:' .. clock)
    end
  end
  redis.call('HSET', KEYS[1], 'c:' .. clock, ARGV[i + 2])
end
if tonumber(ARGV[4]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[4])
else
  redis.call('PERSIST', KEYS[1])
end
return 1
)lua");

// KEYS[1] due set. ARGV[1] now (ms), ARGV[2] end of the lease (ms), ARGV[3] limit. The members
// due, each moved to the end of the lease.
const redis::Script kClaim(R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member)
end
return due
)lua");

// KEYS[1] due set, KEYS[1 + i] case hash of item i. ARGV per item: member, leased score, clock,
// next member ('' for none), next score. An item whose score is no longer its lease was
// re-leased or re-armed since the claim: it stays. The next alert is scheduled only if the
// member is still the clock's pending one. Returns how many items were removed.
const redis::Script kAcknowledge(R"lua(
local removed = 0
for i = 1, #KEYS - 1 do
  local a = (i - 1) * 5
  local member = ARGV[a + 1]
  local score = redis.call('ZSCORE', KEYS[1], member)
  if score and tonumber(score) == tonumber(ARGV[a + 2]) then
    redis.call('ZREM', KEYS[1], member)
    removed = removed + 1
    local field = 'm:' .. ARGV[a + 3]
    if redis.call('HGET', KEYS[i + 1], field) == member then
      if ARGV[a + 4] ~= '' then
        redis.call('ZADD', KEYS[1], ARGV[a + 5], ARGV[a + 4])
        redis.call('HSET', KEYS[i + 1], field, ARGV[a + 4])
      else
        redis.call('HDEL', KEYS[i + 1], field)
      end
    end
  end
end
return removed
)lua");

std::string Millis(absl::Time t) { return std::to_string(absl::ToUnixMillis(t)); }
std::string ClockField(ClockKind clock) { return std::to_string(static_cast<int>(clock)); }

const char* Mode(ClockChange::Kind kind) {
  switch (kind) {
    case ClockChange::Kind::kArm:
      return "arm";
    case ClockChange::Kind::kStop:
      return "stop";
    case ClockChange::Kind::kRetarget:
      return "set";
  }
  return "set";
}

absl::Status Malformed(const std::string& what) {
  return absl::DataLossError("redis sla store: malformed " + what);
}

}  // namespace

std::string RedisDeadlineStore::CaseKey(const std::string& complaint_id) const {
  return prefix_ + ":case:" + complaint_id;
}

std::string RedisDeadlineStore::DueKey(int32_t partition) const {
  return prefix_ + ":due:" + std::to_string(partition);
}

absl::StatusOr<CaseClocks> RedisDeadlineStore::Load(const std::string& complaint_id) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"HGETALL", CaseKey(complaint_id)});
  if (!reply.ok()) return reply.status();
  CaseClocks clocks;
  const std::vector<Reply>& items = reply->elements;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    const std::string& field = items[i].str;
    const std::string& value = items[i + 1].str;
    if (field == "offset") {
      if (!absl::SimpleAtoi(value, &clocks.last_offset)) {
        return Malformed("offset of " + complaint_id);
      }
    } else if (field == "seq") {
      if (!absl::SimpleAtoi(value, &clocks.assignment_sequence)) {
        return Malformed("seq of " + complaint_id);
      }
    } else if (field.starts_with("c:")) {
      int clock = 0;
      if (!absl::SimpleAtoi(field.substr(2), &clock) || !events::v1::Clock_IsValid(clock)) {
        return Malformed("field " + field + " of " + complaint_id);
      }
      auto entry = DecodeEntry(static_cast<ClockKind>(clock), value);
      if (!entry.ok()) return entry.status();
      clocks.clocks[entry->clock] = *std::move(entry);
    }
  }
  return clocks;
}

absl::Status RedisDeadlineStore::Update(int32_t partition, const std::string& complaint_id,
                                        const CaseUpdate& update) {
  std::vector<std::string> args = {
      update.expected_last_offset < 0 ? "" : std::to_string(update.expected_last_offset),
      std::to_string(update.last_offset), std::to_string(update.assignment_sequence),
      std::to_string(absl::ToInt64Seconds(update.expire_after))};
  for (const CaseUpdate::Change& c : update.changes) {
    const ClockEntry& entry = c.change.entry;
    const bool arm = c.change.kind == ClockChange::Kind::kArm;
    const AlertKey key{.complaint_id = complaint_id,
                       .clock = entry.clock,
                       .version = entry.version,
                       .kind = c.first.kind,
                       .step = c.first.step};
    args.insert(args.end(), {ClockField(entry.clock), Mode(c.change.kind), EncodeEntry(entry),
                             arm ? EncodeMember(key) : "", arm ? Millis(c.first.at) : ""});
  }
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Eval(kUpdate, {CaseKey(complaint_id), DueKey(partition)}, args);
  if (!reply.ok()) return reply.status();
  if (reply->integer != 1) {
    return absl::AbortedError("sla clocks of " + complaint_id + " changed concurrently");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DueItem>> RedisDeadlineStore::Claim(int32_t partition, absl::Time now,
                                                               absl::Time lease_until, int limit) {
  // Scores are whole milliseconds: the lease is what Acknowledge compares against.
  const absl::Time leased = absl::FromUnixMillis(absl::ToUnixMillis(lease_until));
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Eval(kClaim, {DueKey(partition)},
                              {Millis(now), Millis(leased), std::to_string(limit)});
  if (!reply.ok()) return reply.status();
  std::vector<DueItem> items;
  items.reserve(reply->elements.size());
  for (const Reply& member : reply->elements) {
    auto key = DecodeMember(member.str);
    if (!key.ok()) return key.status();
    items.push_back({*std::move(key), leased});
  }
  return items;
}

absl::StatusOr<std::vector<std::optional<ClockEntry>>> RedisDeadlineStore::Lookup(
    const std::vector<DueItem>& items) {
  std::vector<std::optional<ClockEntry>> entries;
  if (items.empty()) return entries;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(items.size());
  for (const DueItem& item : items) {
    commands.push_back({"HGET", CaseKey(item.key.complaint_id), "c:" + ClockField(item.key.clock)});
  }
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto replies = (*redis)->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < items.size(); ++i) {
    const Reply& reply = (*replies)[i];
    if (reply.type == Reply::Type::kError) {
      return absl::UnavailableError("redis HGET: " + reply.str);
    }
    if (reply.is_nil()) {
      entries.emplace_back();
      continue;
    }
    auto entry = DecodeEntry(items[i].key.clock, reply.str);
    if (!entry.ok()) return entry.status();
    entries.push_back(*std::move(entry));
  }
  return entries;
}

absl::Status RedisDeadlineStore::Acknowledge(int32_t partition,
                                             const std::vector<Acknowledgement>& acks) {
  if (acks.empty()) return absl::OkStatus();
  std::vector<std::string> keys = {DueKey(partition)};
  std::vector<std::string> args;
  for (const Acknowledgement& ack : acks) {
    const AlertKey& key = ack.item.key;
    keys.push_back(CaseKey(key.complaint_id));
    std::string next_member;
    std::string next_score;
    if (ack.next) {
      AlertKey next = key;
      next.kind = ack.next->kind;
      next.step = ack.next->step;
      next_member = EncodeMember(next);
      next_score = Millis(ack.next->at);
    }
    args.insert(args.end(), {EncodeMember(key), Millis(ack.item.leased_until),
                             ClockField(key.clock), next_member, next_score});
  }
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  return (*redis)->Eval(kAcknowledge, keys, args).status();
}

absl::StatusOr<std::optional<absl::Time>> RedisDeadlineStore::NextDue(int32_t partition) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"ZRANGE", DueKey(partition), "0", "0", "WITHSCORES"});
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() < 2) return std::optional<absl::Time>();
  double score = 0;
  if (!absl::SimpleAtod(reply->elements[1].str, &score)) {
    return Malformed("score in " + DueKey(partition));
  }
  return std::optional<absl::Time>(absl::FromUnixMillis(static_cast<int64_t>(score)));
}

}  // namespace complaints::sla_timer
