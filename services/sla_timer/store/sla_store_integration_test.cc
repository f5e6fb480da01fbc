// The Redis deadline store and its claim / lease / acknowledge scripts against the real Redis at
// 127.0.0.1:$REDIS_PORT (default 6379), which other suites share: every key carries a random
// prefix and is deleted afterwards; nothing is flushed.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"
#include "libs/testing/scratch_redis.h"
#include "services/sla_timer/firing/firer.h"
#include "services/sla_timer/store/memory_deadline_store.h"
#include "services/sla_timer/store/redis_deadline_store.h"
#include "services/sla_timer/store/store_codec.h"

namespace complaints::sla_timer {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1764115200);
constexpr int32_t kPartition = 4;
constexpr ClockKind kAccept = events::v1::CLOCK_ACCEPT;
constexpr ClockKind kResolution = events::v1::CLOCK_RESOLUTION;

class SlaStoreIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto admin = redis::RedisClient::Connect(testing::TestRedisOptions());
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = *std::move(admin);
  }

  ClockEntry Entry(ClockKind clock, absl::Time due, int64_t version,
                   ClockEntry::State state = ClockEntry::State::kRunning) {
    return {clock, state, due, version, kT0, "BJ-0101"};
  }

  // What a change schedules first; the store takes whatever the engine says, so any alert does.
  static Firing BreachAt(const ClockEntry& entry) {
    return Firing{events::v1::ALERT_KIND_BREACH, 0, entry.due};
  }

  // Writes one change made by the case event at `offset`, as SlaTimer does.
  absl::Status Change(const std::string& id, ClockChange::Kind kind, const ClockEntry& entry,
                      int64_t offset, absl::Duration expire_after = absl::ZeroDuration()) {
    auto current = store_.Load(id);
    if (!current.ok()) return current.status();
    CaseUpdate update;
    update.expected_last_offset = current->last_offset;
    update.last_offset = offset;
    update.assignment_sequence = 1;
    update.AddChange(kind, entry, BreachAt(entry));
    update.expire_after = expire_after;
    return store_.Update(kPartition, id, update);
  }

  // "<complaint>|<clock>|<version>|<kind>|<step>" -> due (or lease) in unix ms, over every
  // bucket the partition's index lists; checks the index against the buckets on the way.
  std::map<std::string, int64_t> Scheduled(int32_t partition = kPartition) {
    std::map<std::string, int64_t> out;
    auto index = admin_->Command({"ZRANGE", store_.IndexKey(partition), "0", "-1", "WITHSCORES"});
    EXPECT_TRUE(index.ok()) << index.status();
    for (size_t i = 0; index.ok() && i + 1 < index->elements.size(); i += 2) {
      const std::string& location = index->elements[i].str;
      const int64_t base = std::atoll(location.c_str()) * RedisDeadlineStore::kSlotMillis;
      auto bucket = admin_->Command(
          {"ZRANGE", store_.BucketKey(partition, location), "0", "-1", "WITHSCORES"});
      EXPECT_TRUE(bucket.ok()) << bucket.status();
      EXPECT_FALSE(bucket->elements.empty()) << "empty bucket in the index: " << location;
      int64_t earliest = INT64_MAX;
      for (size_t j = 0; bucket.ok() && j + 1 < bucket->elements.size(); j += 2) {
        auto key = DecodeMember(bucket->elements[j].str);
        EXPECT_TRUE(key.ok()) << key.status();
        if (!key.ok()) continue;
        const int64_t at = base + std::atoll(bucket->elements[j + 1].str.c_str());
        earliest = std::min(earliest, at);
        out[key->complaint_id + "|" + std::to_string(key->clock) + "|" +
            std::to_string(key->version) + "|" + std::to_string(key->kind) + "|" +
            std::to_string(key->step)] = at;
      }
      EXPECT_EQ(std::atoll(index->elements[i + 1].str.c_str()), earliest) << location;
    }
    return out;
  }

  // The scheduled alerts the complaint's value lists.
  std::vector<PendingRef> Pending(const std::string& id) {
    auto value = admin_->Command({"GET", store_.CaseKey(id)});
    EXPECT_TRUE(value.ok()) << value.status();
    if (!value.ok() || value->is_nil()) return {};
    auto decoded = DecodeCaseValue(value->str);
    EXPECT_TRUE(decoded.ok()) << decoded.status();
    return decoded.ok() ? decoded->pending : std::vector<PendingRef>{};
  }

  // Every key under the store's prefix.
  std::vector<std::string> Keys() {
    std::vector<std::string> out;
    std::string cursor = "0";
    do {
      auto reply =
          admin_->Command({"SCAN", cursor, "MATCH", scratch_.prefix() + "*", "COUNT", "1000"});
      EXPECT_TRUE(reply.ok()) << reply.status();
      if (!reply.ok()) break;
      cursor = reply->elements[0].str;
      for (const auto& key : reply->elements[1].elements) out.push_back(key.str);
    } while (cursor != "0");
    std::sort(out.begin(), out.end());
    return out;
  }

  // The keys of the partitions' alert schedules (buckets, indexes, hints).
  std::vector<std::string> AlertScheduleKeys() {
    std::vector<std::string> out;
    for (const std::string& key : Keys()) {
      const std::string kind = key.substr(scratch_.prefix().size() + 4, 3);
      if (kind == ":b:" || kind == ":i:" || kind == ":h:") out.push_back(key);
    }
    return out;
  }

  // A unit's whole worklist due by `until`, read `page` entries at a time, checking the counts
  // of every page against the entries.
  std::vector<WorklistEntry> WholeWorklist(DeadlineStore& store, const std::string& unit,
                                           absl::Time now, absl::Time until, int page) {
    std::vector<WorklistEntry> out;
    WorklistQuery query{unit, now, until, std::nullopt, page};
    int64_t overdue = -1;
    int64_t due_soon = -1;
    for (int pages = 0; pages < 1000; ++pages) {
      auto got = store.Worklist(query);
      EXPECT_TRUE(got.ok()) << got.status();
      if (!got.ok()) break;
      if (overdue >= 0) {
        EXPECT_EQ(got->overdue, overdue);
        EXPECT_EQ(got->due_soon, due_soon);
      }
      overdue = got->overdue;
      due_soon = got->due_soon;
      out.insert(out.end(), got->entries.begin(), got->entries.end());
      if (static_cast<int>(got->entries.size()) < page) break;
      query.after = got->entries.back();
    }
    const auto late =
        std::count_if(out.begin(), out.end(), [&](const WorklistEntry& e) { return e.due <= now; });
    EXPECT_EQ(overdue, late);
    EXPECT_EQ(due_soon, static_cast<int64_t>(out.size()) - late);
    return out;
  }

  int64_t Ttl(const std::string& id) {
    auto reply = admin_->Command({"TTL", store_.CaseKey(id)});
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? reply->integer : -99;
  }

  std::vector<DueItem> Claim(absl::Time now, absl::Duration lease = absl::Seconds(30)) {
    auto items = store_.Claim(kPartition, now, now + lease, 100);
    EXPECT_TRUE(items.ok()) << items.status();
    return items.ok() ? *items : std::vector<DueItem>{};
  }

  testing::ScratchRedis scratch_{"sla"};
  std::unique_ptr<redis::RedisClient> admin_;
  // The store adds ":case:..." itself, as it does to "sla" in production.
  RedisDeadlineStore store_{&scratch_.pool(), scratch_.prefix() + "sla"};
};

TEST_F(SlaStoreIntegrationTest, ArmStoresTheClockAndSchedulesItsBreach) {
  const ClockEntry accept = Entry(kAccept, kT0 + absl::Hours(4), 11);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, accept, 11).ok());

  auto loaded = store_.Load("CMP1");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->last_offset, 11);
  EXPECT_EQ(loaded->assignment_sequence, 1);
  EXPECT_EQ(loaded->clocks.at(kAccept), accept);
  const std::string member = "CMP1|1|11|2|0";
  EXPECT_EQ(Scheduled(),
            (std::map<std::string, int64_t>{{member, absl::ToUnixMillis(kT0 + absl::Hours(4))}}));
  EXPECT_EQ(*store_.NextDue(kPartition), kT0 + absl::Hours(4));
  EXPECT_EQ(Ttl("CMP1"), -1);

  auto unknown = store_.Load("CMP-UNKNOWN");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(*unknown, CaseClocks{});
  EXPECT_EQ(*store_.NextDue(kPartition + 1), std::nullopt);
}

TEST_F(SlaStoreIntegrationTest, UpdateIsCompareAndSet) {
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, Entry(kAccept, kT0, 1), 1).ok());
  CaseUpdate stale;
  stale.expected_last_offset = -1;  // computed before offset 1 was applied
  stale.last_offset = 2;
  EXPECT_EQ(store_.Update(kPartition, "CMP1", stale).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_.Load("CMP1")->last_offset, 1);
}

TEST_F(SlaStoreIntegrationTest, DueItemsAreClaimedOnceThenAgainAfterTheLease) {
  ASSERT_TRUE(
      Change("CMP1", ClockChange::Kind::kArm, Entry(kAccept, kT0 + absl::Hours(4), 1), 1).ok());
  ASSERT_TRUE(
      Change("CMP2", ClockChange::Kind::kArm, Entry(kAccept, kT0 + absl::Hours(5), 2), 2).ok());

  EXPECT_TRUE(Claim(kT0 + absl::Hours(4) - absl::Milliseconds(1)).empty());
  const absl::Time now = kT0 + absl::Hours(4);
  const auto first = Claim(now);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].key, (AlertKey{"CMP1", kAccept, 1, events::v1::ALERT_KIND_BREACH, 0}));
  EXPECT_EQ(first[0].leased_until, now + absl::Seconds(30));
  EXPECT_TRUE(Claim(now).empty());  // leased
  EXPECT_TRUE(Claim(now + absl::Seconds(30) - absl::Milliseconds(1)).empty());

  const auto again = Claim(now + absl::Seconds(30));  // the poller died: the lease ran out
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].key, first[0].key);

  auto entries = store_.Lookup(again);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_TRUE((*entries)[0].has_value());
  EXPECT_EQ((*entries)[0]->clocks.clocks.at(kAccept).version, 1);
}

TEST_F(SlaStoreIntegrationTest, AcknowledgeRemovesOnlyWhatIsStillLeasedToTheAcker) {
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, Entry(kAccept, kT0, 1), 1).ok());
  const auto mine = Claim(kT0);
  ASSERT_EQ(mine.size(), 1u);
  // Another poller re-claimed it after my lease ran out: my acknowledgement must not remove it.
  const auto theirs = Claim(kT0 + absl::Seconds(31));
  ASSERT_EQ(theirs.size(), 1u);
  ASSERT_TRUE(store_.Acknowledge(kPartition, {{mine[0], std::nullopt}}).ok());
  EXPECT_EQ(Scheduled().size(), 1u);

  ASSERT_TRUE(store_.Acknowledge(kPartition, {{theirs[0], std::nullopt}}).ok());
  EXPECT_TRUE(Scheduled().empty());
  EXPECT_TRUE(Claim(kT0 + absl::Hours(100)).empty());
  EXPECT_TRUE(Pending("CMP1").empty());
  EXPECT_TRUE(store_.Load("CMP1")->clocks.at(kAccept).running());  // breached, not stopped
}

TEST_F(SlaStoreIntegrationTest, ReArmDuringTheLeaseKeepsTheNewDeadline) {
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, Entry(kResolution, kT0, 1), 1).ok());
  const auto claimed = Claim(kT0);
  ASSERT_EQ(claimed.size(), 1u);
  const ClockEntry reopened = Entry(kResolution, kT0 + absl::Hours(168), 7);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, reopened, 7).ok());

  auto entries = store_.Lookup(claimed);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ((*entries)[0]->clocks.clocks.at(kResolution).version, 7);  // the claim is stale
  ASSERT_TRUE(store_.Acknowledge(kPartition, {{claimed[0], std::nullopt}}).ok());
  EXPECT_EQ(Scheduled(), (std::map<std::string, int64_t>{
                             {"CMP1|4|7|2|0", absl::ToUnixMillis(kT0 + absl::Hours(168))}}));
}

TEST_F(SlaStoreIntegrationTest, StopRemovesTheScheduledAlertAndLetsTheRecordExpire) {
  const ClockEntry accept = Entry(kAccept, kT0 + absl::Hours(4), 1);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, accept, 1).ok());
  ClockEntry stopped = accept;
  stopped.state = ClockEntry::State::kStopped;
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kStop, stopped, 2, absl::Hours(24)).ok());
  EXPECT_TRUE(Scheduled().empty());
  EXPECT_EQ(store_.Load("CMP1")->clocks.at(kAccept), stopped);
  EXPECT_GT(Ttl("CMP1"), 0);
  EXPECT_TRUE(Claim(kT0 + absl::Hours(10)).empty());

  // Armed again (reopened): kept for ever once more.
  ASSERT_TRUE(
      Change("CMP1", ClockChange::Kind::kArm, Entry(kAccept, kT0 + absl::Hours(9), 3), 3).ok());
  EXPECT_EQ(Ttl("CMP1"), -1);
}

// A stop after the scheduled alert's time (an acceptance applied after its deadline) keeps the
// alert, to fire; a stop at or before its time drops it (the deadline was met).
TEST_F(SlaStoreIntegrationTest, AStopAfterTheAlertsTimeKeepsItToFire) {
  const absl::Time due = kT0 + absl::Hours(4);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, Entry(kAccept, due, 1), 1).ok());
  ASSERT_TRUE(Change("CMP2", ClockChange::Kind::kArm, Entry(kAccept, due, 2), 2).ok());
  ClockEntry late = Entry(kAccept, due, 1, ClockEntry::State::kStopped);
  late.stopped_at = due + absl::Hours(1);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kStop, late, 3).ok());
  ClockEntry met = Entry(kAccept, due, 2, ClockEntry::State::kStopped);
  met.stopped_at = due;
  ASSERT_TRUE(Change("CMP2", ClockChange::Kind::kStop, met, 4).ok());
  EXPECT_EQ(Scheduled(), (std::map<std::string, int64_t>{{"CMP1|1|1|2|0", absl::ToUnixMillis(due)}}));
  const auto claimed = Claim(due);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].key.complaint_id, "CMP1");
}

// The firer holds the alert leased (its score is the lease's end, past the stop) when the
// clock stops after the alert's time: the item stays, and its acknowledgement still schedules
// the next alert (the firer decides at firing whether the stop came before it).
TEST_F(SlaStoreIntegrationTest, AStopDuringTheLeaseAfterTheAlertsTimeKeepsItForItsNext) {
  const absl::Time due = kT0 + absl::Hours(4);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, Entry(kAccept, due, 1), 1).ok());
  const auto claimed = Claim(due + absl::Minutes(5), absl::Hours(1));
  ASSERT_EQ(claimed.size(), 1u);
  ClockEntry late = Entry(kAccept, due, 1, ClockEntry::State::kStopped);
  late.stopped_at = due + absl::Minutes(3);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kStop, late, 2).ok());
  ASSERT_EQ(Pending("CMP1").size(), 1u);
  const Firing next{events::v1::ALERT_KIND_ESCALATION, 1, due + absl::Minutes(2)};
  ASSERT_TRUE(store_.Acknowledge(kPartition, {{claimed[0], next}}).ok());
  EXPECT_EQ(Scheduled(), (std::map<std::string, int64_t>{
                             {"CMP1|1|1|3|1", absl::ToUnixMillis(next.at)}}));
}

TEST_F(SlaStoreIntegrationTest, StopDuringTheLeaseDropsTheAlert) {
  const ClockEntry accept = Entry(kAccept, kT0, 1);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, accept, 1).ok());
  const auto claimed = Claim(kT0);
  ASSERT_EQ(claimed.size(), 1u);
  ClockEntry stopped = accept;
  stopped.state = ClockEntry::State::kStopped;
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kStop, stopped, 2).ok());
  EXPECT_TRUE(Scheduled().empty());
  EXPECT_FALSE((*store_.Lookup(claimed))[0]->clocks.clocks.at(kAccept).running());
}

TEST_F(SlaStoreIntegrationTest, RetargetKeepsTheSchedule) {
  const ClockEntry resolution = Entry(kResolution, kT0 + absl::Hours(168), 1);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, resolution, 1).ok());
  const auto before = Scheduled();
  ClockEntry moved = resolution;
  moved.unit = "SH-0202";
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kRetarget, moved, 2).ok());
  EXPECT_EQ(Scheduled(), before);
  EXPECT_EQ(store_.Load("CMP1")->clocks.at(kResolution).unit, "SH-0202");
}

TEST_F(SlaStoreIntegrationTest, AcknowledgeCanScheduleTheNextAlert) {
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, Entry(kAccept, kT0, 1), 1).ok());
  const auto claimed = Claim(kT0);
  ASSERT_EQ(claimed.size(), 1u);
  const Firing next{events::v1::ALERT_KIND_ESCALATION, 1, kT0 + absl::Hours(2)};
  ASSERT_TRUE(store_.Acknowledge(kPartition, {{claimed[0], next}}).ok());
  EXPECT_EQ(
      Scheduled(),
      (std::map<std::string, int64_t>{{"CMP1|1|1|3|1", absl::ToUnixMillis(kT0 + absl::Hours(2))}}));
  const auto pending = Pending("CMP1");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].head,
            EncodeMember({"CMP1", kAccept, 1, events::v1::ALERT_KIND_ESCALATION, 1})
                ->substr(0, kMemberHeadSize));
}

TEST_F(SlaStoreIntegrationTest, ClaimsInBatches) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Change("CMP" + std::to_string(i), ClockChange::Kind::kArm,
                       Entry(kAccept, kT0 + absl::Minutes(i), i + 1), i + 1)
                    .ok());
  }
  auto first = store_.Claim(kPartition, kT0 + absl::Hours(1), kT0 + absl::Hours(2), 3);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].key.complaint_id, "CMP0");  // earliest first
  auto rest = store_.Claim(kPartition, kT0 + absl::Hours(1), kT0 + absl::Hours(2), 3);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->size(), 2u);
}

TEST_F(SlaStoreIntegrationTest, AFullMinuteOverflowsIntoMoreBucketsThatStayCompact) {
  RedisDeadlineStore small(&scratch_.pool(), scratch_.prefix() + "sla", {.bucket_capacity = 2});
  const absl::Time due = kT0 + absl::Seconds(30);
  for (int i = 0; i < 5; ++i) {
    const ClockEntry entry = Entry(kAccept, due + absl::Milliseconds(i), i + 1);
    CaseUpdate update;
    update.last_offset = i + 1;
    update.AddChange(ClockChange::Kind::kArm, entry, BreachAt(entry));
    update.clocks = std::map<ClockKind, ClockEntry>{{kAccept, entry}};
    ASSERT_TRUE(small.Update(kPartition, "CMP" + std::to_string(i), update).ok());
  }
  const std::string minute = std::to_string(absl::ToUnixMillis(due) / 60000);
  auto index = admin_->Command({"ZRANGE", store_.IndexKey(kPartition), "0", "-1"});
  ASSERT_TRUE(index.ok());
  ASSERT_EQ(index->elements.size(), 3u);  // 2 + 2 + 1
  for (const auto& location : index->elements) {
    EXPECT_TRUE(location.str.starts_with(minute + ":")) << location.str;
    auto encoding =
        admin_->Command({"OBJECT", "ENCODING", store_.BucketKey(kPartition, location.str)});
    EXPECT_EQ(encoding->str, "listpack");
  }
  EXPECT_EQ(Scheduled().size(), 5u);
  EXPECT_EQ(*small.NextDue(kPartition), due);

  // Claimed across the buckets, earliest bucket first, in batches.
  auto first = small.Claim(kPartition, due + absl::Seconds(1), due + absl::Minutes(5), 3);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 3u);
  auto rest = small.Claim(kPartition, due + absl::Seconds(1), due + absl::Minutes(5), 3);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ(*small.NextDue(kPartition), due + absl::Minutes(5));  // all leased
  std::vector<Acknowledgement> acks;
  for (const auto& items : {*first, *rest}) {
    for (const DueItem& item : items) acks.push_back({item, std::nullopt});
  }
  ASSERT_TRUE(small.Acknowledge(kPartition, acks).ok());
  // Nothing left of the alert schedule: no bucket, no index entry, no hint.
  EXPECT_EQ(AlertScheduleKeys(), std::vector<std::string>{});
  EXPECT_EQ(*small.NextDue(kPartition), std::nullopt);
}

TEST_F(SlaStoreIntegrationTest, ThousandsClaimedAndAcknowledgedAtOnce) {
  std::vector<CaseWrite> writes;
  for (int i = 0; i < 1200; ++i) {
    const ClockEntry accept = Entry(kAccept, kT0 + absl::Milliseconds(i * 100), i + 1);
    CaseWrite w{kPartition, "CMP" + std::to_string(i), {}};
    w.update.last_offset = i + 1;
    w.update.AddChange(ClockChange::Kind::kArm, accept, BreachAt(accept));
    w.update.clocks = std::map<ClockKind, ClockEntry>{{kAccept, accept}};
    writes.push_back(std::move(w));
  }
  for (const absl::Status& s : store_.UpdateCases(writes)) ASSERT_TRUE(s.ok()) << s;
  auto claimed = store_.Claim(kPartition, kT0 + absl::Hours(1), kT0 + absl::Hours(2), 5000);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(claimed->size(), 1200u);
  for (size_t i = 1; i < claimed->size(); ++i) {  // one minute after another
    EXPECT_LE((*claimed)[i - 1].location.substr(0, 8), (*claimed)[i].location.substr(0, 8));
  }
  std::vector<Acknowledgement> acks;
  for (const DueItem& item : *claimed) {
    acks.push_back({item, Firing{events::v1::ALERT_KIND_ESCALATION, 1, kT0 + absl::Hours(3)}});
  }
  ASSERT_TRUE(store_.Acknowledge(kPartition, acks).ok());
  const auto scheduled = Scheduled();
  ASSERT_EQ(scheduled.size(), 1200u);
  for (const auto& [member, at] : scheduled) {
    EXPECT_EQ(at, absl::ToUnixMillis(kT0 + absl::Hours(3))) << member;
  }
  // 1200 escalations due in the same millisecond: ten buckets of at most 128.
  auto index = admin_->Command({"ZCARD", store_.IndexKey(kPartition)});
  EXPECT_EQ(index->integer, 10);
}

TEST_F(SlaStoreIntegrationTest, PolicyStateIsStoredVerbatimAndKeptWhenNotGiven) {
  const ClockEntry accept = Entry(kAccept, kT0 + absl::Hours(4), 1);
  CaseUpdate update;
  update.last_offset = 1;
  update.assignment_sequence = 1;
  update.AddChange(ClockChange::Kind::kArm, accept, BreachAt(accept));
  update.clocks = std::map<ClockKind, ClockEntry>{{kAccept, accept}};
  update.policy_state = std::string("\x00engine\xffstate", 13);
  ASSERT_TRUE(store_.Update(kPartition, "CMP1", update).ok());
  auto loaded = store_.LoadCase("CMP1");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->policy_state, *update.policy_state);
  EXPECT_EQ(loaded->clocks.clocks.at(kAccept), accept);

  // Without clocks and policy state: the stored clocks get the changes, the state stays.
  const ClockEntry resolution = Entry(kResolution, kT0 + absl::Hours(168), 2);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, resolution, 2).ok());
  loaded = store_.LoadCase("CMP1");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->policy_state, *update.policy_state);
  EXPECT_EQ(loaded->clocks.clocks.size(), 2u);
  EXPECT_EQ(loaded->clocks.clocks.at(kResolution), resolution);
  EXPECT_EQ(Scheduled().size(), 2u);

  update.expected_last_offset = 2;
  update.last_offset = 3;
  update.changes.clear();
  update.policy_state = "";
  update.clocks = loaded->clocks.clocks;
  ASSERT_TRUE(store_.Update(kPartition, "CMP1", update).ok());
  EXPECT_EQ(store_.LoadCase("CMP1")->policy_state, "");
  EXPECT_EQ(Scheduled().size(), 2u);  // no change touched the schedule
}

TEST_F(SlaStoreIntegrationTest, ClocksCanLiveInThePolicyStateAlone) {
  // A policy state that is nothing but the ACCEPT clock's due time and version.
  RedisDeadlineStore::Options options;
  int reads = 0;
  options.clocks_from_policy_state =
      [&](const std::string& state) -> absl::StatusOr<std::map<ClockKind, ClockEntry>> {
    ++reads;
    const auto bar = state.find('|');
    if (bar == std::string::npos) return absl::DataLossError("bad state");
    const int64_t due = std::atoll(state.substr(0, bar).c_str());
    const int64_t version = std::atoll(state.substr(bar + 1).c_str());
    return std::map<ClockKind, ClockEntry>{{kAccept,
                                            {kAccept, ClockEntry::State::kRunning,
                                             absl::FromUnixMillis(due), version, kT0, "BJ-0101"}}};
  };
  RedisDeadlineStore lean(&scratch_.pool(), scratch_.prefix() + "sla", options);
  const ClockEntry accept = Entry(kAccept, kT0 + absl::Hours(4), 9);
  CaseUpdate update;
  update.last_offset = 9;
  update.AddChange(ClockChange::Kind::kArm, accept, BreachAt(accept));
  update.clocks = std::map<ClockKind, ClockEntry>{{kAccept, accept}};
  update.policy_state = std::to_string(absl::ToUnixMillis(accept.due)) + "|9";
  ASSERT_TRUE(lean.Update(kPartition, "CMP1", update).ok());
  ASSERT_TRUE(store_.Update(kPartition, "CMP2", update).ok());  // the same, clocks kept twice

  auto lean_value = admin_->Command({"GET", lean.CaseKey("CMP1")});
  auto full_value = admin_->Command({"GET", store_.CaseKey("CMP2")});
  EXPECT_LT(lean_value->str.size(), full_value->str.size());
  auto loaded = lean.LoadCase("CMP1");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->clocks.clocks.at(kAccept), accept);
  EXPECT_EQ(loaded->clocks.last_offset, 9);
  EXPECT_EQ(reads, 1);

  const auto claimed = lean.Claim(kPartition, kT0 + absl::Hours(5), kT0 + absl::Hours(6), 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 2u);
  auto looked_up = lean.Lookup(*claimed);
  ASSERT_TRUE(looked_up.ok()) << looked_up.status();
  for (const auto& c : *looked_up) EXPECT_EQ(c->clocks.clocks.at(kAccept).version, 9);

  // A policy state the function cannot read is data loss, not an empty complaint.
  update.expected_last_offset = 9;
  update.last_offset = 10;
  update.changes.clear();
  update.policy_state = "garbage";
  ASSERT_TRUE(lean.Update(kPartition, "CMP1", update).ok());
  EXPECT_EQ(lean.LoadCase("CMP1").status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(SlaStoreIntegrationTest, AlertsThatCannotBeStoredAreRejectedWholesale) {
  ClockEntry accept = Entry(kAccept, kT0, 1);
  CaseUpdate update;
  update.last_offset = 1;
  update.AddChange(ClockChange::Kind::kArm, accept, {events::v1::ALERT_KIND_WARNING, 300, kT0});
  EXPECT_EQ(store_.Update(kPartition, "CMP1", update).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.Load("CMP1")->last_offset, -1);
  EXPECT_TRUE(Scheduled().empty());
}

TEST_F(SlaStoreIntegrationTest, StandardIdsAndOtherIdsShareTheSchedule) {
  const std::string standard = "CMP0123456789ABCDEF0123";
  ASSERT_TRUE(Change(standard, ClockChange::Kind::kArm, Entry(kAccept, kT0, 1), 1).ok());
  ASSERT_TRUE(Change("weird|id", ClockChange::Kind::kArm, Entry(kAccept, kT0, 2), 2).ok());
  const auto claimed = Claim(kT0);
  ASSERT_EQ(claimed.size(), 2u);
  std::set<std::string> ids;
  for (const DueItem& item : claimed) ids.insert(item.key.complaint_id);
  EXPECT_EQ(ids, (std::set<std::string>{standard, "weird|id"}));
  std::vector<Acknowledgement> acks;
  for (const DueItem& item : claimed) {
    acks.push_back({item, Firing{events::v1::ALERT_KIND_ESCALATION, 1, kT0 + absl::Hours(1)}});
  }
  ASSERT_TRUE(store_.Acknowledge(kPartition, acks).ok());
  EXPECT_EQ(Scheduled(), (std::map<std::string, int64_t>{
                             {standard + "|1|1|3|1", absl::ToUnixMillis(kT0 + absl::Hours(1))},
                             {"weird|id|1|2|3|1", absl::ToUnixMillis(kT0 + absl::Hours(1))}}));
  EXPECT_EQ(Pending(standard).size(), 1u);
  EXPECT_EQ(Pending("weird|id").size(), 1u);
}

TEST_F(SlaStoreIntegrationTest, BatchesApplyEachWriteOnItsOwn) {
  ASSERT_TRUE(Change("CMP-OLD", ClockChange::Kind::kArm, Entry(kAccept, kT0, 1), 1).ok());
  auto arm = [&](const std::string& id, int64_t expected, int64_t offset, int32_t step,
                 bool with_clocks) {
    const ClockEntry entry = Entry(kResolution, kT0 + absl::Hours(offset), offset);
    CaseWrite w{kPartition, id, {}};
    w.update.expected_last_offset = expected;
    w.update.last_offset = offset;
    Firing first = BreachAt(entry);
    first.step = step;
    w.update.AddChange(ClockChange::Kind::kArm, entry, first);
    if (with_clocks) w.update.clocks = std::map<ClockKind, ClockEntry>{{kResolution, entry}};
    return w;
  };
  const std::vector<CaseWrite> writes = {
      arm("CMP-A", -1, 10, 0, true),
      arm("CMP-OLD", -1, 11, 0, true),  // stale: CMP-OLD is at offset 1
      arm("CMP-B", -1, 12, 300, true),  // a step that does not fit
      arm("CMP-OLD", 1, 13, 0, false),  // derived from the stored clocks
      arm("CMP-C", 5, 14, 0, false)};   // stale, found before the script
  const std::vector<absl::Status> results = store_.UpdateCases(writes);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_EQ(results[1].code(), absl::StatusCode::kAborted);
  EXPECT_EQ(results[2].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(results[3].ok()) << results[3];
  EXPECT_EQ(results[4].code(), absl::StatusCode::kAborted);

  const auto loaded = store_.LoadCases({"CMP-A", "CMP-B", "CMP-OLD"});
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[0]->clocks.last_offset, 10);
  EXPECT_EQ(loaded[1]->clocks.last_offset, -1);
  EXPECT_EQ(loaded[2]->clocks.last_offset, 13);
  EXPECT_EQ(loaded[2]->clocks.clocks.size(), 2u);
  EXPECT_EQ(Scheduled().size(), 3u);  // CMP-OLD accept + resolution, CMP-A resolution

  // Redis forgot its scripts (restart, SCRIPT FLUSH): a batch still goes through.
  ASSERT_TRUE(admin_->Command({"SCRIPT", "FLUSH"}).ok());
  const auto again =
      store_.UpdateCases({arm("CMP-D", -1, 20, 0, true), arm("CMP-E", -1, 21, 0, true)});
  EXPECT_TRUE(again[0].ok()) << again[0];
  EXPECT_TRUE(again[1].ok()) << again[1];
  EXPECT_EQ(Scheduled().size(), 5u);
}

// The firing path on Redis: armed clocks in, alerts out through AlertFirer and the Poller, the
// escalation that follows a breach scheduled by the acknowledgement, a stale claim dropped.
TEST_F(SlaStoreIntegrationTest, ArmedDeadlinesFireThroughTheFirer) {
  common::ManualClock clock(kT0);
  testing::FakePublisher publisher;
  // Each breach is followed by one escalation an hour later, computed from the policy state.
  AlertFirer firer(
      &store_, &publisher, &clock,
      [](const StoredCase& stored, const ClockEntry& entry, events::v1::AlertKind kind,
         int32_t step) -> std::optional<Firing> {
        EXPECT_EQ(stored.policy_state, "engine");
        if (kind != events::v1::ALERT_KIND_BREACH) return std::nullopt;
        return Firing{events::v1::ALERT_KIND_ESCALATION, 1, entry.due + absl::Hours(1)};
      },
      FiringOptions{.batch = 2});
  for (int i = 0; i < 5; ++i) {
    const ClockEntry accept = Entry(kAccept, kT0 + absl::Minutes(i), 40 + i);
    CaseUpdate update;
    update.last_offset = 40 + i;
    update.AddChange(ClockChange::Kind::kArm, accept, BreachAt(accept));
    update.clocks = std::map<ClockKind, ClockEntry>{{kAccept, accept}};
    update.policy_state = "engine";
    ASSERT_TRUE(store_.Update(kPartition, "CMP" + std::to_string(i), update).ok());
  }

  clock.Advance(absl::Minutes(10));
  auto fired = firer.FireDue(kPartition);
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, 5);  // three batches of at most 2
  EXPECT_EQ(*firer.FireDue(kPartition), 0);
  ASSERT_EQ(publisher.published().size(), 5u);
  EXPECT_EQ(publisher.published()[0].event.id,
            AlertId({"CMP0", kAccept, 40, events::v1::ALERT_KIND_BREACH, 0}));
  EXPECT_EQ(Scheduled().size(), 5u);  // the escalations
  EXPECT_EQ(*store_.NextDue(kPartition), kT0 + absl::Hours(1));

  clock.Advance(absl::Hours(1));
  EXPECT_EQ(*firer.FireDue(kPartition), 5);
  EXPECT_EQ(publisher.published()[5].event.id,
            AlertId({"CMP0", kAccept, 40, events::v1::ALERT_KIND_ESCALATION, 1}));
  EXPECT_TRUE(Scheduled().empty());
  EXPECT_EQ(AlertScheduleKeys(), std::vector<std::string>{});
}

TEST_F(SlaStoreIntegrationTest, AGuardedStoreRefusesUpdatesUntilThePartitionIsMarked) {
  RedisDeadlineStore guarded(&scratch_.pool(), scratch_.prefix() + "sla",
                             {.guard_partitions = true});
  const ClockEntry accept = Entry(kAccept, kT0, 1);
  CaseUpdate update;
  update.last_offset = 1;
  update.AddChange(ClockChange::Kind::kArm, accept, BreachAt(accept));
  const absl::Status refused = guarded.Update(kPartition, "CMP1", update);
  EXPECT_TRUE(IsPartitionStateMissing(refused)) << refused;
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);  // retried, never dead-lettered
  EXPECT_EQ(*guarded.UnmarkedPartitions({kPartition, kPartition + 1}),
            (std::vector<int32_t>{kPartition, kPartition + 1}));

  ASSERT_TRUE(guarded.MarkPartitions({kPartition}).ok());
  EXPECT_EQ(*guarded.UnmarkedPartitions({kPartition, kPartition + 1}),
            std::vector<int32_t>{kPartition + 1});
  ASSERT_TRUE(guarded.Update(kPartition, "CMP1", update).ok());
  EXPECT_EQ(Scheduled().size(), 1u);
  EXPECT_FALSE(IsPartitionStateMissing(absl::UnavailableError("redis down")));
}

}  // namespace
}  // namespace complaints::sla_timer

namespace complaints::sla_timer {
namespace {

TEST_F(SlaStoreIntegrationTest, AComplaintIsOnTheWorklistOfItsFirstRunningDeadline) {
  const absl::Time far = kT0 + absl::Hours(24 * 30);
  ClockEntry accept = Entry(kAccept, kT0 + absl::Hours(4), 1);
  ClockEntry resolution = Entry(kResolution, kT0 + absl::Hours(7 * 24), 1);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, accept, 1).ok());
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, resolution, 2).ok());
  EXPECT_EQ(WholeWorklist(store_, "BJ-0101", kT0, far, 10),
            (std::vector<WorklistEntry>{{"CMP1", accept.due}}));

  // Accepted: the resolution deadline lists it now.
  accept.state = ClockEntry::State::kStopped;
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kStop, accept, 3).ok());
  EXPECT_EQ(WholeWorklist(store_, "BJ-0101", kT0, far, 10),
            (std::vector<WorklistEntry>{{"CMP1", resolution.due}}));
  // Not due within a day, so not on the day's list, but still counted when the window reaches.
  EXPECT_TRUE(WholeWorklist(store_, "BJ-0101", kT0, kT0 + absl::Hours(24), 10).empty());

  // Transferred: the other unit's now.
  resolution.unit = "SH-0202";
  resolution.version = 4;
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, resolution, 4).ok());
  EXPECT_TRUE(WholeWorklist(store_, "BJ-0101", kT0, far, 10).empty());
  EXPECT_EQ(WholeWorklist(store_, "SH-0202", kT0, far, 10),
            (std::vector<WorklistEntry>{{"CMP1", resolution.due}}));

  // Resolved: on no list, and the empty worklist leaves no key behind.
  resolution.state = ClockEntry::State::kStopped;
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kStop, resolution, 5, absl::Hours(1)).ok());
  EXPECT_TRUE(WholeWorklist(store_, "SH-0202", kT0, far, 10).empty());
  for (const std::string& key : Keys()) {
    EXPECT_TRUE(key.starts_with(scratch_.prefix() + "sla:c:")) << key;
  }
}

TEST_F(SlaStoreIntegrationTest, WorklistsPageInDueOrderAcrossDaysAndFullBuckets) {
  RedisDeadlineStore small(&scratch_.pool(), scratch_.prefix() + "sla", {.bucket_capacity = 4});
  std::vector<CaseWrite> writes;
  std::vector<WorklistEntry> expected;
  for (int i = 0; i < 90; ++i) {
    // 30 a day over three days, several on the same millisecond (ties go by id).
    const absl::Time due = kT0 + absl::Hours(24 * (i % 3)) + absl::Minutes(i % 7);
    const std::string id = common::ComplaintIdFor("test", std::to_string(i));
    const ClockEntry entry = Entry(kAccept, due, i + 1);
    CaseWrite write{kPartition, id, {}};
    write.update.last_offset = i + 1;
    write.update.AddChange(ClockChange::Kind::kArm, entry, BreachAt(entry));
    write.update.clocks = std::map<ClockKind, ClockEntry>{{kAccept, entry}};
    writes.push_back(std::move(write));
    expected.push_back({id, due});
  }
  for (const absl::Status& status : small.UpdateCases(writes)) ASSERT_TRUE(status.ok()) << status;
  std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
    return std::pair(a.due, a.complaint_id) < std::pair(b.due, b.complaint_id);
  });

  const absl::Time now = kT0 + absl::Hours(24) + absl::Minutes(3);  // a day and a bit overdue
  for (int page : {1, 7, 30, 100}) {
    EXPECT_EQ(WholeWorklist(small, "BJ-0101", now, kT0 + absl::Hours(72), page), expected) << page;
  }
  auto first = small.Worklist({"BJ-0101", now, kT0 + absl::Hours(72), std::nullopt, 5});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->overdue, 47);  // day 0's 30, and day 1's 17 with i % 7 <= 3
  EXPECT_EQ(first->due_soon, 90 - first->overdue);

  auto buckets = admin_->Command({"KEYS", scratch_.prefix() + "sla:wb:*"});
  ASSERT_TRUE(buckets.ok());
  EXPECT_GE(buckets->elements.size(), 90u / 4);
  for (const auto& key : buckets->elements) {
    EXPECT_EQ(admin_->Command({"OBJECT", "ENCODING", key.str})->str, "listpack") << key.str;
  }
}

// The Redis worklists against the in-memory store's, after the same random updates.
TEST_F(SlaStoreIntegrationTest, WorklistsMatchTheMemoryStoreAfterRandomUpdates) {
  RedisDeadlineStore small(&scratch_.pool(), scratch_.prefix() + "sla", {.bucket_capacity = 3});
  MemoryDeadlineStore memory;
  std::mt19937 random(20261126);
  const std::vector<std::string> units = {"BJ-0101", "SH-0202", "HO-COMPLAINTS"};
  std::map<std::string, CaseClocks> cases;
  for (int offset = 1; offset <= 600; ++offset) {
    const std::string id = random() % 5 == 0
                               ? "other-" + std::to_string(random() % 8)
                               : common::ComplaintIdFor("test", std::to_string(random() % 40));
    CaseClocks& now = cases[id];
    const ClockKind clock = random() % 2 == 0 ? kAccept : kResolution;
    ClockEntry entry =
        Entry(clock, kT0 + absl::Minutes(static_cast<int>(random() % 5000)), offset,
              random() % 4 == 0 ? ClockEntry::State::kStopped : ClockEntry::State::kRunning);
    entry.unit = units[random() % units.size()];
    CaseUpdate update;
    update.expected_last_offset = now.last_offset;
    update.last_offset = offset;
    update.AddChange(entry.running() ? ClockChange::Kind::kArm : ClockChange::Kind::kStop, entry,
                     BreachAt(entry));
    now.clocks[clock] = entry;
    now.last_offset = offset;
    update.clocks = now.clocks;
    ASSERT_TRUE(small.Update(kPartition, id, update).ok()) << offset;
    ASSERT_TRUE(memory.Update(kPartition, id, update).ok()) << offset;
  }
  const absl::Time now = kT0 + absl::Minutes(2000);
  for (const std::string& unit : units) {
    for (absl::Duration window : {absl::Minutes(10), absl::Hours(24), absl::Hours(24 * 10)}) {
      const auto expected = WholeWorklist(memory, unit, now, now + window, 1000);
      EXPECT_EQ(WholeWorklist(small, unit, now, now + window, 6), expected) << unit;
    }
  }
}

}  // namespace
}  // namespace complaints::sla_timer
