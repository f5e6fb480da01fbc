#include "services/sla_timer/store/redis_deadline_store.h"

#include "absl/strings/numbers.h"
#include "libs/redis/read_only_script.h"
#include "services/sla_timer/store/store_codec.h"

namespace complaints::sla_timer {
namespace {

using redis::Reply;

// Shared by the scripts. A schedule is a set of buckets with an index and hints: the alerts of
// a partition (P: KEYS[1] its index, KEYS[2] its bucket hints, ARGV[1] the prefix of its bucket
// keys, slots of a minute), or a unit's worklist (worklist(), slots of a day). ARGV[2] the
// bucket capacity. A location is 6 bytes: the slot (u32 BE) and the bucket number (u16 BE); a
// bucket's name is "<slot>:<number>".
constexpr char kPrelude[] = R"lua(
local capacity = tonumber(ARGV[2])
local P = {index = KEYS[1], hints = KEYS[2], buckets = ARGV[1], width = 60000}
local function worklist(prefix, unit)
  return {index = prefix .. ':wi:' .. unit, hints = prefix .. ':wh:' .. unit,
          buckets = prefix .. ':wb:' .. unit .. ':', width = 86400000}
end
local function be(n, bytes)
  local out = {}
  for i = bytes, 1, -1 do
    out[i] = string.char(n % 256)
    n = math.floor(n / 256)
  end
  return table.concat(out)
end
local function unbe(s, from, bytes)
  local n = 0
  for i = from, from + bytes - 1 do n = n * 256 + string.byte(s, i) end
  return n
end
local function name_of(location)
  return tostring(unbe(location, 1, 4)) .. ':' .. tostring(unbe(location, 5, 2))
end
local function slot_of(name)
  return tonumber(string.match(name, '^(%d+):'))
end
-- The index entry of bucket `name` of schedule `s`: its earliest score, or none once it is
-- empty (Redis has deleted the key); the slot's hint goes with its last bucket.
local function refresh(s, name)
  local slot = slot_of(name)
  local first = redis.call('ZRANGE', s.buckets .. name, 0, 0, 'WITHSCORES')
  if first[1] then
    redis.call('ZADD', s.index, slot * s.width + tonumber(first[2]), name)
  else
    redis.call('ZREM', s.index, name)
    local hinted = redis.call('HGET', s.hints, tostring(slot))
    if hinted and hinted == string.match(name, ':(%d+)$') then
      redis.call('HDEL', s.hints, tostring(slot))
    end
  end
end
-- Puts `member` at `at` (unix ms) in the first bucket of its slot with room; returns its
-- location.
local function place(s, member, at)
  local slot = math.floor(at / s.width)
  local field = tostring(slot)
  local hinted = tonumber(redis.call('HGET', s.hints, field) or '0')
  local n = hinted
  while redis.call('ZCARD', s.buckets .. field .. ':' .. tostring(n)) >= capacity do n = n + 1 end
  if n ~= hinted then redis.call('HSET', s.hints, field, tostring(n)) end
  local name = field .. ':' .. tostring(n)
  redis.call('ZADD', s.buckets .. name, at - slot * s.width, member)
  redis.call('ZADD', s.index, 'LT', at, name)
  return be(slot, 4) .. be(n, 2)
end
-- Removes `member` from the bucket at `location` of schedule `s`.
local function unplace(s, member, location)
  local name = name_of(location)
  if redis.call('ZREM', s.buckets .. name, member) == 1 then refresh(s, name) end
end
)lua";

// KEYS[3] the complaint, KEYS[4] (guarded stores only) the partition's marker. ARGV[3] expected
// offset (6 bytes), ARGV[4] new offset, ARGV[5] body, ARGV[6] '1' to replace the policy state by
// ARGV[7] (else it is kept), ARGV[8] seconds to keep the complaint (0: for ever), ARGV[9] the id
// part of its members, ARGV[10] the store's prefix, ARGV[11] the unit of its worklist entry (''
// for none), ARGV[12] the entry's due ms, ARGV[13] its worklist member, then per change from
// ARGV[14]: clock, mode (arm | stop | set), member head, due ms (a stop's: when the clock
// stopped, '' if unknown: its scheduled alert, leased or not, stays if its minute began before;
// the firer fires it only if it was due before the stop). 0 if the complaint moved on, 2 if the
// marker is missing.
const redis::Script kUpdate(std::string(kPrelude) + R"lua(
if KEYS[4] and redis.call('EXISTS', KEYS[4]) == 0 then return 2 end
local value = redis.call('GET', KEYS[3])
local pending, policy, listed_unit, listed_at = {}, '', nil, nil
if value then
  if string.sub(value, 2, 7) ~= ARGV[3] then return 0 end
  local n = string.byte(value, 8)
  for i = 0, n - 1 do
    local entry = string.sub(value, 9 + 14 * i, 22 + 14 * i)
    pending[math.floor(string.byte(entry, 1) / 16)] = entry
  end
  local at = 9 + 14 * n
  if string.byte(value, 1) == 2 then
    local size = string.byte(value, at)
    if size > 0 then
      listed_unit = string.sub(value, at + 1, at + size)
      listed_at = string.sub(value, at + size + 1, at + size + 6)
      at = at + size + 6
    end
    at = at + 1
  end
  policy = string.sub(value, at + 2 + unbe(value, at, 2))
elseif ARGV[3] ~= string.rep('\0', 6) then
  return 0
end
if ARGV[6] == '1' then policy = ARGV[7] end
-- The worklist entry: kept where it is if it does not move, else moved.
local unit, due, listing = ARGV[11], tonumber(ARGV[12]), string.char(0)
if listed_unit then
  local s = worklist(ARGV[10], listed_unit)
  local score = redis.call('ZSCORE', s.buckets .. name_of(listed_at), ARGV[13])
  if listed_unit == unit and score and
     tonumber(score) + slot_of(name_of(listed_at)) * s.width == due then
    listing = string.char(#unit) .. unit .. listed_at
  else
    unplace(s, ARGV[13], listed_at)
  end
end
if unit ~= '' and listing == string.char(0) then
  listing = string.char(#unit) .. unit .. place(worklist(ARGV[10], unit), ARGV[13], due)
end
for i = 14, #ARGV, 4 do
  local clock, mode = tonumber(ARGV[i]), ARGV[i + 1]
  if mode ~= 'set' then
    local old = pending[clock]
    if old then
      local member, location = string.sub(old, 1, 8) .. ARGV[9], string.sub(old, 9, 14)
      local name = name_of(location)
      local score = redis.call('ZSCORE', P.buckets .. name, member)
      -- A leased item's score is its lease's end, not its time: its slot (the minute of its
      -- time) is what says it may have been due before the stop.
      local kept = mode == 'stop' and ARGV[i + 3] ~= '' and score and
                   slot_of(name) * P.width < tonumber(ARGV[i + 3])
      if not kept then
        unplace(P, member, location)
        pending[clock] = nil
      end
    end
    if mode == 'arm' then
      pending[clock] = ARGV[i + 2] .. place(P, ARGV[i + 2] .. ARGV[9], tonumber(ARGV[i + 3]))
    end
  end
end
local parts = {}
for clock = 0, 15 do
  if pending[clock] then parts[#parts + 1] = pending[clock] end
end
local body = ARGV[5]
value = string.char(2) .. ARGV[4] .. string.char(#parts) .. table.concat(parts) .. listing ..
        be(#body, 2) .. body .. policy
if tonumber(ARGV[8]) > 0 then
  redis.call('SET', KEYS[3], value, 'EX', ARGV[8])
else
  redis.call('SET', KEYS[3], value)
end
return 1
)lua");

// ARGV[3] now (ms), ARGV[4] end of the lease (ms), ARGV[5] limit. The due alerts of the
// buckets due first, each moved to the end of the lease: a flat list of bucket, member.
const redis::Script kClaim(std::string(kPrelude) + R"lua(
local now, lease, limit = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out, count = {}, 0
for _, name in ipairs(redis.call('ZRANGEBYSCORE', P.index, '-inf', now, 'LIMIT', 0, limit)) do
  if count >= limit then break end
  local base = slot_of(name) * P.width
  local key = P.buckets .. name
  local due = redis.call('ZRANGEBYSCORE', key, '-inf', now - base, 'LIMIT', 0, limit - count)
  for from = 1, #due, 500 do
    local args = {}
    for j = from, math.min(from + 499, #due) do
      args[#args + 1] = lease - base
      args[#args + 1] = due[j]
      out[#out + 1] = name
      out[#out + 1] = due[j]
    end
    redis.call('ZADD', key, 'XX', unpack(args))
  end
  count = count + #due
  refresh(P, name)
end
return out
)lua");

// ARGV[3] the prefix of complaint keys; per item from ARGV[4], 6 each: bucket, member, leased
// (ms), complaint id, next member head ('' for none), next due (ms). An item whose score is no
// longer its lease was re-leased or re-armed since the claim: it stays. The next alert is
// scheduled only if the item is still its clock's scheduled alert. Returns how many items
// were removed.
const redis::Script kAcknowledge(std::string(kPrelude) + R"lua(
local removed, touched = 0, {}
for i = 4, #ARGV, 6 do
  local name, member = ARGV[i], ARGV[i + 1]
  local key = P.buckets .. name
  local score = redis.call('ZSCORE', key, member)
  if score and tonumber(score) == tonumber(ARGV[i + 2]) - slot_of(name) * P.width then
    redis.call('ZREM', key, member)
    removed = removed + 1
    touched[name] = true
    local complaint = ARGV[3] .. ARGV[i + 3]
    local value = redis.call('GET', complaint)
    if value then
      local head = string.sub(member, 1, 8)
      local n = string.byte(value, 8)
      for j = 0, n - 1 do
        local from = 9 + 14 * j
        if string.sub(value, from, from + 7) == head and
           name_of(string.sub(value, from + 8, from + 13)) == name then
          if ARGV[i + 4] ~= '' then
            local location = place(P, ARGV[i + 4] .. string.sub(member, 9), tonumber(ARGV[i + 5]))
            value = string.sub(value, 1, from - 1) .. ARGV[i + 4] .. location ..
                    string.sub(value, from + 14)
          else
            value = string.sub(value, 1, 7) .. string.char(n - 1) ..
                    string.sub(value, 9, from - 1) .. string.sub(value, from + 14)
          end
          redis.call('SET', complaint, value, 'KEEPTTL')
          break
        end
      end
    end
  end
end
for name in pairs(touched) do refresh(P, name) end
return removed
)lua");

// KEYS[1] the unit's worklist index; ARGV[3] the store's prefix, ARGV[4] the unit, ARGV[5] now
// (ms), ARGV[6] until (ms), ARGV[7] the due ms and ARGV[8] the member of the entry to list
// after ('' for the first page), ARGV[9] the page size. Returns the overdue and due-soon
// counts, then member, due ms of each entry of the page. Works a day's buckets at a time, so
// a page costs a day's entries, not the whole worklist's.
const redis::Script kWorklist(std::string(kPrelude) + R"lua(
local s = worklist(ARGV[3], ARGV[4])
local now, till, limit = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[9])
local after_due, after_member = tonumber(ARGV[7]), ARGV[8]
local overdue, soon, days, by_day = 0, 0, {}, {}
for _, name in ipairs(redis.call('ZRANGEBYSCORE', s.index, '-inf', till)) do
  local day = slot_of(name)
  local base = day * s.width
  overdue = overdue + redis.call('ZCOUNT', s.buckets .. name, '-inf', now - base)
  soon = soon + redis.call('ZCOUNT', s.buckets .. name, '(' .. (now - base), till - base)
  if not by_day[day] then
    by_day[day] = {}
    days[#days + 1] = day
  end
  table.insert(by_day[day], name)
end
table.sort(days)
local out = {overdue, soon}
local taken = 0
for _, day in ipairs(days) do
  if taken >= limit then break end
  local base = day * s.width
  if not after_due or base + s.width > after_due then
    local entries = {}
    for _, name in ipairs(by_day[day]) do
      local flat = redis.call('ZRANGE', s.buckets .. name, 0, -1, 'WITHSCORES')
      for i = 1, #flat, 2 do
        local due = base + tonumber(flat[i + 1])
        if due <= till and (not after_due or due > after_due or
                            (due == after_due and flat[i] > after_member)) then
          entries[#entries + 1] = {due, flat[i]}
        end
      end
    end
    table.sort(entries, function(a, b)
      if a[1] ~= b[1] then return a[1] < b[1] end
      return a[2] < b[2]
    end)
    for _, e in ipairs(entries) do
      if taken >= limit then break end
      out[#out + 1] = e[2]
      out[#out + 1] = e[1]
      taken = taken + 1
    end
  end
end
return out
)lua");

std::string Millis(absl::Time t) { return std::to_string(absl::ToUnixMillis(t)); }

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
  return prefix_ + ":c:" + complaint_id;
}

std::string RedisDeadlineStore::IndexKey(int32_t partition) const {
  return prefix_ + ":i:" + std::to_string(partition);
}

std::string RedisDeadlineStore::HintKey(int32_t partition) const {
  return prefix_ + ":h:" + std::to_string(partition);
}

std::string RedisDeadlineStore::MarkerKey(int32_t partition) const {
  return prefix_ + ":p:" + std::to_string(partition);
}

std::string RedisDeadlineStore::BucketPrefix(int32_t partition) const {
  return prefix_ + ":b:" + std::to_string(partition) + ":";
}

std::string RedisDeadlineStore::BucketKey(int32_t partition, const std::string& location) const {
  return BucketPrefix(partition) + location;
}

absl::StatusOr<StoredCase> RedisDeadlineStore::LoadCase(const std::string& complaint_id) {
  return std::move(LoadCases({complaint_id})[0]);
}

std::vector<absl::StatusOr<StoredCase>> RedisDeadlineStore::LoadCases(
    const std::vector<std::string>& ids) {
  std::vector<absl::StatusOr<StoredCase>> out;
  if (ids.empty()) return out;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(ids.size());
  for (const std::string& id : ids) commands.push_back({"GET", CaseKey(id)});
  auto replies = [&]() -> absl::StatusOr<std::vector<Reply>> {
    auto redis = pool_->Acquire();
    if (!redis.ok()) return redis.status();
    if (commands.size() == 1) {
      auto reply = (*redis)->Command(commands[0]);
      if (!reply.ok()) return reply.status();
      return std::vector<Reply>{*std::move(reply)};
    }
    return (*redis)->Pipeline(commands);
  }();
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!replies.ok()) {
      out.push_back(replies.status());
      continue;
    }
    const Reply& reply = (*replies)[i];
    if (reply.type == Reply::Type::kError) {
      out.push_back(redis::ErrorStatus("GET", reply.str));
    } else if (reply.is_nil()) {
      out.push_back(StoredCase{});
    } else {
      out.push_back(Decode(ids[i], reply.str));
    }
  }
  return out;
}

absl::StatusOr<StoredCase> RedisDeadlineStore::Decode(const std::string& complaint_id,
                                                      const std::string& value) const {
  auto decoded = DecodeCaseValue(value);
  if (!decoded.ok()) {
    return Malformed("state of " + complaint_id + ": " + std::string(decoded.status().message()));
  }
  StoredCase& stored = decoded->stored;
  if (stored.clocks.clocks.empty() && !stored.policy_state.empty() &&
      options_.clocks_from_policy_state) {
    auto clocks = options_.clocks_from_policy_state(stored.policy_state);
    if (!clocks.ok()) {
      return Malformed("policy state of " + complaint_id + ": " +
                       std::string(clocks.status().message()));
    }
    stored.clocks.clocks = *std::move(clocks);
  }
  return std::move(stored);
}

absl::Status RedisDeadlineStore::Update(int32_t partition, const std::string& complaint_id,
                                        const CaseUpdate& update) {
  return UpdateCases({{partition, complaint_id, update}})[0];
}

absl::StatusOr<std::vector<std::string>> RedisDeadlineStore::UpdateArgs(
    const CaseWrite& write, const std::map<ClockKind, ClockEntry>& clocks) const {
  const CaseUpdate& update = write.update;
  auto expected = EncodeOffset(update.expected_last_offset);
  if (!expected.ok()) return expected.status();
  auto offset = EncodeOffset(update.last_offset);
  if (!offset.ok()) return offset.status();
  // The clocks are in the policy state already when the caller can read them from it.
  const bool in_policy_state =
      options_.clocks_from_policy_state && update.policy_state && !update.policy_state->empty();
  auto body = EncodeCaseBody(update.assignment_sequence,
                             in_policy_state ? std::map<ClockKind, ClockEntry>() : clocks);
  if (!body.ok()) return body.status();
  std::vector<std::string> args = {
      BucketPrefix(write.partition),
      std::to_string(options_.bucket_capacity),
      *std::move(expected),
      *std::move(offset),
      *std::move(body),
      update.policy_state ? "1" : "0",
      update.policy_state ? EncodePolicyState(*update.policy_state, options_.compress_policy_state)
                          : std::string(),
      std::to_string(std::max<int64_t>(0, absl::ToInt64Seconds(update.expire_after))),
      PackComplaintId(write.complaint_id),
      prefix_};
  const std::optional<WorklistSlot> listed = WorklistSlotOf(clocks);
  if (listed && listed->unit.size() > 255) {
    return absl::InvalidArgumentError("unit: longer than 255 bytes: " + listed->unit.substr(0, 64));
  }
  args.push_back(listed ? listed->unit : "");
  args.push_back(listed ? Millis(listed->due) : "0");
  args.push_back(EncodeWorklistMember(write.complaint_id));
  args.reserve(args.size() + 4 * update.changes.size());
  for (const CaseUpdate::Change& c : update.changes) {
    const ClockEntry& entry = c.change.entry;
    const bool arm = c.change.kind == ClockChange::Kind::kArm;
    std::string head;
    if (arm) {
      auto member = EncodeMember({.complaint_id = write.complaint_id,
                                  .clock = entry.clock,
                                  .version = entry.version,
                                  .kind = c.first.kind,
                                  .step = c.first.step});
      if (!member.ok()) return member.status();
      head = member->substr(0, kMemberHeadSize);
    }
    // A stop passes when the clock stopped: an alert scheduled before then stays, to fire.
    const bool stopped_at_known =
        c.change.kind == ClockChange::Kind::kStop && entry.stopped_at != absl::InfinitePast();
    args.insert(args.end(), {std::to_string(static_cast<int>(entry.clock)), Mode(c.change.kind),
                             std::move(head),
                             arm                ? Millis(c.first.at)
                             : stopped_at_known ? Millis(entry.stopped_at)
                                                : ""});
  }
  return args;
}

std::vector<absl::Status> RedisDeadlineStore::UpdateCases(const std::vector<CaseWrite>& writes) {
  std::vector<absl::Status> out(writes.size());
  if (writes.empty()) return out;
  // Writes without their resulting clocks: the stored clocks plus the changes.
  std::vector<std::string> to_read;
  for (const CaseWrite& w : writes) {
    if (!w.update.clocks) to_read.push_back(w.complaint_id);
  }
  std::vector<absl::StatusOr<StoredCase>> read = LoadCases(to_read);

  std::vector<size_t> sent;  // index in `writes` of each scripted write
  std::vector<std::vector<std::string>> keys;
  std::vector<std::vector<std::string>> args;
  size_t next_read = 0;
  for (size_t i = 0; i < writes.size(); ++i) {
    const CaseWrite& w = writes[i];
    std::map<ClockKind, ClockEntry> derived;
    if (!w.update.clocks) {
      absl::StatusOr<StoredCase>& stored = read[next_read++];
      if (!stored.ok()) {
        out[i] = stored.status();
        continue;
      }
      if (stored->clocks.last_offset != w.update.expected_last_offset) {
        out[i] = absl::AbortedError("sla clocks of " + w.complaint_id + " changed concurrently");
        continue;
      }
      derived = std::move(stored->clocks.clocks);
      for (const CaseUpdate::Change& c : w.update.changes) {
        derived[c.change.entry.clock] = c.change.entry;
      }
    }
    auto a = UpdateArgs(w, w.update.clocks ? *w.update.clocks : derived);
    if (!a.ok()) {
      out[i] = a.status();
      continue;
    }
    sent.push_back(i);
    keys.push_back({IndexKey(w.partition), HintKey(w.partition), CaseKey(w.complaint_id)});
    if (options_.guard_partitions) keys.back().push_back(MarkerKey(w.partition));
    args.push_back(*std::move(a));
  }
  if (sent.empty()) return out;

  auto redis = pool_->Acquire();
  if (!redis.ok()) {
    for (size_t i : sent) out[i] = redis.status();
    return out;
  }
  std::vector<absl::StatusOr<Reply>> replies;
  if (sent.size() == 1) {
    replies.push_back((*redis)->Eval(kUpdate, keys[0], args[0]));
  } else {
    replies = EvalMany(**redis, kUpdate, update_sha_, keys, args);
  }
  for (size_t j = 0; j < sent.size(); ++j) {
    const size_t i = sent[j];
    if (!replies[j].ok()) {
      out[i] = replies[j].status();
    } else if (replies[j]->integer == 2) {
      out[i] = PartitionStateMissing(writes[i].partition);
    } else if (replies[j]->integer != 1) {
      out[i] =
          absl::AbortedError("sla clocks of " + writes[i].complaint_id + " changed concurrently");
    }
  }
  return out;
}

absl::StatusOr<WorklistPage> RedisDeadlineStore::Worklist(const WorklistQuery& query) {
  std::vector<std::string> args = {
      "",
      "0",
      prefix_,
      query.unit,
      Millis(query.now),
      Millis(query.until),
      query.after ? Millis(query.after->due) : "",
      query.after ? EncodeWorklistMember(query.after->complaint_id) : "",
      std::to_string(std::max(0, query.limit))};
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  // Read only, and run so: routing reads the worklists with a Redis user that may not write them.
  auto reply = redis::EvalReadOnly(**redis, kWorklist, {prefix_ + ":wi:" + query.unit}, args);
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() < 2 || reply->elements.size() % 2 != 0) {
    return Malformed("worklist reply");
  }
  WorklistPage page;
  page.overdue = reply->elements[0].integer;
  page.due_soon = reply->elements[1].integer;
  for (size_t i = 2; i < reply->elements.size(); i += 2) {
    auto id = DecodeWorklistMember(reply->elements[i].str);
    if (!id.ok()) return Malformed("worklist member of " + query.unit);
    page.entries.push_back({*std::move(id), absl::FromUnixMillis(reply->elements[i + 1].integer)});
  }
  return page;
}

std::vector<absl::StatusOr<Reply>> RedisDeadlineStore::EvalMany(
    redis::RedisClient& redis, const redis::Script& script, ScriptSha& sha,
    const std::vector<std::vector<std::string>>& keys,
    const std::vector<std::vector<std::string>>& args) {
  std::vector<absl::StatusOr<Reply>> out;
  std::string digest;
  {
    std::lock_guard lock(sha.mu);
    digest = sha.value;
  }
  if (digest.empty()) {
    auto loaded = redis.Command({"SCRIPT", "LOAD", script.source()});
    if (!loaded.ok()) {
      out.assign(keys.size(), loaded.status());
      return out;
    }
    digest = loaded->str;
    std::lock_guard lock(sha.mu);
    sha.value = digest;
  }
  std::vector<std::vector<std::string>> commands;
  commands.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    std::vector<std::string> command = {"EVALSHA", digest, std::to_string(keys[i].size())};
    command.insert(command.end(), keys[i].begin(), keys[i].end());
    command.insert(command.end(), args[i].begin(), args[i].end());
    commands.push_back(std::move(command));
  }
  auto replies = redis.Pipeline(commands);
  if (!replies.ok()) {
    out.assign(keys.size(), replies.status());
    return out;
  }
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    Reply& reply = (*replies)[i];
    if (reply.type != Reply::Type::kError) {
      out.push_back(std::move(reply));
    } else if (reply.str.starts_with("NOSCRIPT")) {
      // Redis lost its scripts (restarted, SCRIPT FLUSH): this one did not run; Eval reloads.
      {
        std::lock_guard lock(sha.mu);
        sha.value.clear();
      }
      out.push_back(redis.Eval(script, keys[i], args[i]));
    } else {
      out.push_back(redis::ErrorStatus("EVALSHA", reply.str));
    }
  }
  return out;
}

absl::StatusOr<std::vector<DueItem>> RedisDeadlineStore::Claim(int32_t partition, absl::Time now,
                                                               absl::Time lease_until, int limit) {
  // Scores are whole milliseconds: the lease is what Acknowledge compares against.
  const absl::Time leased = absl::FromUnixMillis(absl::ToUnixMillis(lease_until));
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Eval(kClaim, {IndexKey(partition), HintKey(partition)},
                              {BucketPrefix(partition), std::to_string(options_.bucket_capacity),
                               Millis(now), Millis(leased), std::to_string(limit)});
  if (!reply.ok()) return reply.status();
  std::vector<DueItem> items;
  items.reserve(reply->elements.size() / 2);
  for (size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
    auto key = DecodeMember(reply->elements[i + 1].str);
    if (!key.ok()) return key.status();
    items.push_back({*std::move(key), leased, reply->elements[i].str});
  }
  return items;
}

absl::StatusOr<std::vector<std::optional<StoredCase>>> RedisDeadlineStore::Lookup(
    const std::vector<DueItem>& items) {
  std::vector<std::optional<StoredCase>> out;
  if (items.empty()) return out;
  std::vector<std::string> ids;
  ids.reserve(items.size());
  for (const DueItem& item : items) ids.push_back(item.key.complaint_id);
  std::vector<absl::StatusOr<StoredCase>> loaded = LoadCases(ids);
  out.reserve(items.size());
  for (absl::StatusOr<StoredCase>& stored : loaded) {
    if (!stored.ok()) return stored.status();
    if (stored->clocks.last_offset < 0 && stored->clocks.clocks.empty()) {
      out.emplace_back();  // gone (expired, or never there)
    } else {
      out.push_back(*std::move(stored));
    }
  }
  return out;
}

absl::Status RedisDeadlineStore::Acknowledge(int32_t partition,
                                             const std::vector<Acknowledgement>& acks) {
  if (acks.empty()) return absl::OkStatus();
  // At most kAckChunk items a script, so that no call holds Redis for long; the chunks go in
  // one round trip.
  constexpr size_t kAckChunk = 250;
  const std::vector<std::string> keys = {IndexKey(partition), HintKey(partition)};
  std::vector<std::vector<std::string>> all_keys;
  std::vector<std::vector<std::string>> all_args;
  for (size_t from = 0; from < acks.size(); from += kAckChunk) {
    std::vector<std::string> args = {BucketPrefix(partition),
                                     std::to_string(options_.bucket_capacity), prefix_ + ":c:"};
    const size_t to = std::min(acks.size(), from + kAckChunk);
    args.reserve(3 + 6 * (to - from));
    for (size_t i = from; i < to; ++i) {
      const Acknowledgement& ack = acks[i];
      const AlertKey& key = ack.item.key;
      if (ack.item.location.empty()) {
        return absl::InvalidArgumentError("acknowledged item of " + key.complaint_id +
                                          " was not claimed from this store");
      }
      auto member = EncodeMember(key);
      if (!member.ok()) return member.status();
      std::string next_head;
      std::string next_at;
      if (ack.next) {
        AlertKey next = key;
        next.kind = ack.next->kind;
        next.step = ack.next->step;
        auto next_member = EncodeMember(next);
        if (!next_member.ok()) return next_member.status();
        next_head = next_member->substr(0, kMemberHeadSize);
        next_at = Millis(ack.next->at);
      }
      args.insert(args.end(), {ack.item.location, *std::move(member), Millis(ack.item.leased_until),
                               key.complaint_id, std::move(next_head), std::move(next_at)});
    }
    all_keys.push_back(keys);
    all_args.push_back(std::move(args));
  }
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  if (all_args.size() == 1) return (*redis)->Eval(kAcknowledge, all_keys[0], all_args[0]).status();
  for (const auto& reply : EvalMany(**redis, kAcknowledge, ack_sha_, all_keys, all_args)) {
    if (!reply.ok()) return reply.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::Time>> RedisDeadlineStore::NextDue(int32_t partition) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"ZRANGE", IndexKey(partition), "0", "0", "WITHSCORES"});
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() < 2) return std::optional<absl::Time>();
  double score = 0;
  if (!absl::SimpleAtod(reply->elements[1].str, &score)) {
    return Malformed("score in " + IndexKey(partition));
  }
  return std::optional<absl::Time>(absl::FromUnixMillis(static_cast<int64_t>(score)));
}

absl::StatusOr<std::vector<int32_t>> RedisDeadlineStore::UnmarkedPartitions(
    const std::vector<int32_t>& partitions) {
  std::vector<int32_t> out;
  if (partitions.empty()) return out;
  std::vector<std::vector<std::string>> commands;
  for (int32_t p : partitions) commands.push_back({"EXISTS", MarkerKey(p)});
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto replies = (*redis)->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < partitions.size(); ++i) {
    const Reply& reply = (*replies)[i];
    if (reply.type == Reply::Type::kError)
      return redis::ErrorStatus("EXISTS", reply.str);
    if (reply.integer == 0) out.push_back(partitions[i]);
  }
  return out;
}

absl::Status RedisDeadlineStore::MarkPartitions(const std::vector<int32_t>& partitions) {
  if (partitions.empty()) return absl::OkStatus();
  std::vector<std::string> command = {"MSET"};
  const std::string when = Millis(absl::Now());
  for (int32_t p : partitions) command.insert(command.end(), {MarkerKey(p), when});
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  return (*redis)->Command(command).status();
}

}  // namespace complaints::sla_timer
