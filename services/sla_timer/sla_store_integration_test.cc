// The Redis deadline store and its claim / lease / acknowledge scripts against the real Redis at
// 127.0.0.1:$REDIS_PORT (default 6379), which other suites share: every key carries a random
// prefix and is deleted afterwards; nothing is flushed.
#include <cstdlib>
#include <random>

#include "gtest/gtest.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"
#include "services/sla_timer/firer.h"
#include "services/sla_timer/redis_deadline_store.h"
#include "services/sla_timer/sla_timer.h"

namespace complaints::sla_timer {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1764115200);
constexpr int32_t kPartition = 4;
constexpr ClockKind kAccept = events::v1::CLOCK_ACCEPT;
constexpr ClockKind kResolution = events::v1::CLOCK_RESOLUTION;

redis::RedisOptions TestOptions() {
  redis::RedisOptions options;
  if (const char* port = std::getenv("REDIS_PORT"); port != nullptr && *port != '\0') {
    options.port = std::atoi(port);
  }
  return options;
}

class SlaStoreIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto admin = redis::RedisClient::Connect(TestOptions());
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = *std::move(admin);
  }

  void TearDown() override {
    if (admin_ == nullptr) return;
    std::string cursor = "0";
    do {
      auto reply = admin_->Command({"SCAN", cursor, "MATCH", prefix_ + ":*", "COUNT", "1000"});
      ASSERT_TRUE(reply.ok()) << reply.status();
      cursor = reply->elements[0].str;
      std::vector<std::string> del = {"DEL"};
      for (const auto& key : reply->elements[1].elements) del.push_back(key.str);
      if (del.size() > 1) {
        ASSERT_TRUE(admin_->Command(del).ok());
      }
    } while (cursor != "0");
  }

  ClockEntry Entry(ClockKind clock, absl::Time due, int64_t version,
                   ClockEntry::State state = ClockEntry::State::kRunning) {
    return {clock, state, due, version, kT0, "BJ-0101"};
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
    update.changes.push_back({{kind, entry}, FirstFiring(entry, policy_)});
    update.expire_after = expire_after;
    return store_.Update(kPartition, id, update);
  }

  // Member -> score of the partition's schedule.
  std::map<std::string, int64_t> Scheduled() {
    auto reply = admin_->Command({"ZRANGE", store_.DueKey(kPartition), "0", "-1", "WITHSCORES"});
    EXPECT_TRUE(reply.ok()) << reply.status();
    std::map<std::string, int64_t> out;
    for (size_t i = 0; reply.ok() && i + 1 < reply->elements.size(); i += 2) {
      out[reply->elements[i].str] = std::atoll(reply->elements[i + 1].str.c_str());
    }
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

  const std::string prefix_ = "test:sla:" + std::to_string(std::random_device()());
  PolicySettings policy_;
  std::unique_ptr<redis::RedisClient> admin_;
  redis::RedisPool pool_{TestOptions(), 4};
  RedisDeadlineStore store_{&pool_, prefix_};
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
  EXPECT_EQ(Scheduled(), (std::map<std::string, int64_t>{
                             {member, absl::ToUnixMillis(kT0 + absl::Hours(4))}}));
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
  EXPECT_TRUE(Claim(now).empty());                                      // leased
  EXPECT_TRUE(Claim(now + absl::Seconds(30) - absl::Milliseconds(1)).empty());

  const auto again = Claim(now + absl::Seconds(30));  // the poller died: the lease ran out
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].key, first[0].key);

  auto entries = store_.Lookup(again);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_TRUE((*entries)[0].has_value());
  EXPECT_EQ((*entries)[0]->version, 1);
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
  auto hash = admin_->Command({"HEXISTS", store_.CaseKey("CMP1"), "m:1"});
  EXPECT_EQ(hash->integer, 0);
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
  EXPECT_EQ((*entries)[0]->version, 7);  // the firer sees the claim is stale
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

TEST_F(SlaStoreIntegrationTest, StopDuringTheLeaseDropsTheAlert) {
  const ClockEntry accept = Entry(kAccept, kT0, 1);
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kArm, accept, 1).ok());
  const auto claimed = Claim(kT0);
  ASSERT_EQ(claimed.size(), 1u);
  ClockEntry stopped = accept;
  stopped.state = ClockEntry::State::kStopped;
  ASSERT_TRUE(Change("CMP1", ClockChange::Kind::kStop, stopped, 2).ok());
  EXPECT_TRUE(Scheduled().empty());
  EXPECT_FALSE((*store_.Lookup(claimed))[0]->running());
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
  EXPECT_EQ(Scheduled(), (std::map<std::string, int64_t>{
                             {"CMP1|1|1|3|1", absl::ToUnixMillis(kT0 + absl::Hours(2))}}));
  auto pending = admin_->Command({"HGET", store_.CaseKey("CMP1"), "m:1"});
  EXPECT_EQ(pending->str, "CMP1|1|1|3|1");
}

TEST_F(SlaStoreIntegrationTest, ClaimsInBatches) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Change("CMP" + std::to_string(i), ClockChange::Kind::kArm,
                       Entry(kAccept, kT0 + absl::Minutes(i), i + 1), i + 1).ok());
  }
  auto first = store_.Claim(kPartition, kT0 + absl::Hours(1), kT0 + absl::Hours(2), 3);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].key.complaint_id, "CMP0");  // earliest first
  auto rest = store_.Claim(kPartition, kT0 + absl::Hours(1), kT0 + absl::Hours(2), 3);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->size(), 2u);
}

// The whole path on Redis: case events in, breaches out, through SlaTimer and AlertFirer.
TEST_F(SlaStoreIntegrationTest, CaseEventsToBreaches) {
  common::ManualClock clock(kT0);
  testing::FakePublisher publisher;
  SlaTimer timer(&store_, &clock, policy_, absl::Hours(24));
  AlertFirer firer(&store_, &publisher, &clock, policy_, FiringOptions{});

  events::v1::CaseEvent assigned;
  assigned.set_complaint_id("CMP1");
  assigned.set_unit("BJ-0101");
  *assigned.mutable_occurred_at() = common::ToProtoTime(kT0);
  assigned.mutable_assigned()->set_sequence(1);
  const auto out = events::ToRecord(events::kCaseTopic, "CMP1", assigned, "e1",
                                    "/complaints/routing", "CMP1", kT0);
  const auto record = testing::AsIncoming(out, kPartition, 42);
  ASSERT_TRUE(timer.HandleCaseEvent(record).ok());
  ASSERT_TRUE(timer.HandleCaseEvent(record).ok());  // redelivered
  EXPECT_EQ(Scheduled().size(), 3u);

  clock.Advance(absl::Hours(4));
  auto fired = firer.FireDue(kPartition);
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, 1);
  EXPECT_EQ(*firer.FireDue(kPartition), 0);
  ASSERT_EQ(publisher.published().size(), 1u);
  EXPECT_EQ(publisher.published()[0].event.id,
            AlertId({"CMP1", kAccept, 42, events::v1::ALERT_KIND_BREACH, 0}));
  EXPECT_EQ(Scheduled().size(), 2u);

  auto deadlines = timer.GetDeadlines("CMP1");
  ASSERT_TRUE(deadlines.ok());
  EXPECT_EQ(deadlines->deadlines(0).status(), sla::v1::DEADLINE_STATUS_BREACHED);
}

}  // namespace
}  // namespace complaints::sla_timer
