#include "services/sla_timer/firer.h"

#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"
#include "services/sla_timer/memory_deadline_store.h"

namespace complaints::sla_timer {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1764115200);
constexpr int32_t kPartition = 3;

class FirerTest : public ::testing::Test {
 protected:
  // Arms `clock` of `id` (due at `due`, version `version`) as a case event would.
  void Arm(const std::string& id, ClockKind clock, absl::Time due, int64_t version) {
    CaseClocks current = *store_.Load(id);
    const ClockEntry entry{clock, ClockEntry::State::kRunning, due, version, kT0, "BJ-0101"};
    CaseUpdate update;
    update.expected_last_offset = current.last_offset;
    update.last_offset = version;
    update.changes.push_back({{ClockChange::Kind::kArm, entry}, FirstFiring(entry, policy_)});
    ASSERT_TRUE(store_.Update(kPartition, id, update).ok());
  }
  void StopClock(const std::string& id, ClockKind clock, int64_t offset) {
    CaseClocks current = *store_.Load(id);
    ClockEntry entry = current.clocks.at(clock);
    entry.state = ClockEntry::State::kStopped;
    CaseUpdate update;
    update.expected_last_offset = current.last_offset;
    update.last_offset = offset;
    update.changes.push_back({{ClockChange::Kind::kStop, entry}, {}});
    ASSERT_TRUE(store_.Update(kPartition, id, update).ok());
  }
  std::vector<events::v1::SlaAlert> Alerts() {
    std::vector<events::v1::SlaAlert> out;
    for (const auto& r : publisher_.PublishedTo(events::kSlaAlertsTopic)) {
      out.push_back(*events::ParseRecordAs<events::v1::SlaAlert>(testing::AsIncoming(r)));
    }
    return out;
  }

  PolicySettings policy_;
  FiringOptions options_{.batch = 2, .lease = absl::Seconds(30)};
  MemoryDeadlineStore store_;
  testing::FakePublisher publisher_;
  common::ManualClock clock_{kT0};
  AlertFirer firer_{&store_, &publisher_, &clock_, policy_, options_};
};

TEST_F(FirerTest, NothingFiresBeforeItIsDue) {
  Arm("CMP1", events::v1::CLOCK_ACCEPT, kT0 + absl::Hours(4), 1);
  clock_.Advance(absl::Hours(4) - absl::Milliseconds(1));
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);
  EXPECT_TRUE(publisher_.published().empty());
  EXPECT_EQ(*store_.NextDue(kPartition), kT0 + absl::Hours(4));
}

TEST_F(FirerTest, ADueDeadlineFiresOneBreachOnce) {
  Arm("CMP1", events::v1::CLOCK_ACCEPT, kT0 + absl::Hours(4), 7);
  clock_.Advance(absl::Hours(4));
  EXPECT_EQ(*firer_.FireDue(kPartition), 1);
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);

  const auto records = publisher_.PublishedTo(events::kSlaAlertsTopic);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "CMP1");
  EXPECT_EQ(records[0].event.id,
            AlertId({"CMP1", events::v1::CLOCK_ACCEPT, 7, events::v1::ALERT_KIND_BREACH, 0}));
  const auto alert = Alerts().at(0);
  EXPECT_EQ(alert.kind(), events::v1::ALERT_KIND_BREACH);
  EXPECT_EQ(alert.unit(), "BJ-0101");
  EXPECT_EQ(alert.deadline_version(), 7);
  EXPECT_TRUE(store_.Scheduled(kPartition).empty());
  EXPECT_EQ(store_.Get("CMP1").pending.size(), 0u);
  // The clock itself still runs (breached): it is the unit's acceptance that stops it.
  EXPECT_TRUE(store_.Load("CMP1")->clocks.at(events::v1::CLOCK_ACCEPT).running());
}

TEST_F(FirerTest, AFailedPublishFiresAgainAfterTheLeaseWithTheSameId) {
  Arm("CMP1", events::v1::CLOCK_RESOLUTION, kT0 + absl::Hours(1), 3);
  clock_.Advance(absl::Hours(2));
  publisher_.FailWith(absl::UnavailableError("broker down"));
  EXPECT_EQ(firer_.FireDue(kPartition).status().code(), absl::StatusCode::kUnavailable);
  publisher_.FailWith(absl::OkStatus());

  // Leased: not due again until the lease ends.
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);
  EXPECT_EQ(*store_.NextDue(kPartition), kT0 + absl::Hours(2) + absl::Seconds(30));
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(*firer_.FireDue(kPartition), 1);
  EXPECT_EQ(publisher_.published().at(0).event.id,
            AlertId({"CMP1", events::v1::CLOCK_RESOLUTION, 3, events::v1::ALERT_KIND_BREACH, 0}));
}

TEST_F(FirerTest, AStoreOutageFailsThePass) {
  Arm("CMP1", events::v1::CLOCK_ACCEPT, kT0, 1);
  store_.FailWith(absl::UnavailableError("redis down"));
  EXPECT_EQ(firer_.FireDue(kPartition).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(publisher_.published().empty());
}

TEST_F(FirerTest, FiresEverythingDueInBatches) {
  for (int i = 0; i < 5; ++i) {
    Arm("CMP" + std::to_string(i), events::v1::CLOCK_ACCEPT, kT0 + absl::Minutes(i), 10 + i);
  }
  Arm("CMP9", events::v1::CLOCK_ACCEPT, kT0 + absl::Hours(1), 20);
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(*firer_.FireDue(kPartition), 5);
  EXPECT_EQ(Alerts().size(), 5u);
  EXPECT_EQ(store_.Scheduled(kPartition).size(), 1u);
}

TEST_F(FirerTest, AStoppedClockDoesNotFire) {
  Arm("CMP1", events::v1::CLOCK_ACCEPT, kT0 + absl::Hours(4), 1);
  StopClock("CMP1", events::v1::CLOCK_ACCEPT, 2);
  clock_.Advance(absl::Hours(5));
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);
  EXPECT_TRUE(store_.Scheduled(kPartition).empty());
}

TEST_F(FirerTest, ReArmedBetweenClaimAndPublishFiresNothingForTheOldVersion) {
  Arm("CMP1", events::v1::CLOCK_RESOLUTION, kT0 + absl::Hours(1), 1);
  clock_.Advance(absl::Hours(2));
  store_.after_claim = [this] {
    store_.after_claim = nullptr;
    Arm("CMP1", events::v1::CLOCK_RESOLUTION, kT0 + absl::Hours(200), 9);  // reopened
  };
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);
  const auto scheduled = store_.Scheduled(kPartition);
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(scheduled.begin()->second, kT0 + absl::Hours(200));
}

TEST_F(FirerTest, StoppedBetweenClaimAndPublishFiresNothing) {
  Arm("CMP1", events::v1::CLOCK_ACCEPT, kT0 + absl::Hours(1), 1);
  clock_.Advance(absl::Hours(2));
  store_.after_claim = [this] {
    store_.after_claim = nullptr;
    StopClock("CMP1", events::v1::CLOCK_ACCEPT, 2);
  };
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);
  EXPECT_TRUE(store_.Scheduled(kPartition).empty());
}

TEST_F(FirerTest, OtherPartitionsAreNotTouched) {
  Arm("CMP1", events::v1::CLOCK_ACCEPT, kT0, 1);
  EXPECT_EQ(*firer_.FireDue(kPartition + 1), 0);
  EXPECT_EQ(*firer_.FireDue(kPartition), 1);
}

TEST(ToClockDurationTest, ScalesRealTimeByTheClocksSpeed) {
  const common::AcceleratedClock fast(absl::Now(), 720);
  EXPECT_EQ(ToClockDuration(fast, absl::Seconds(60)), absl::Hours(12));
  const common::SystemClock real;
  EXPECT_EQ(ToClockDuration(real, absl::Seconds(60)), absl::Seconds(60));
  const common::ManualClock manual(absl::Now());
  EXPECT_EQ(ToClockDuration(manual, absl::Seconds(60)), absl::Seconds(60));
}

TEST(FiringOptionsTest, FromConfig) {
  auto o = FiringOptions::FromConfig(common::Config(
      {{"sla.fire_batch", "100"}, {"sla.lease_ms", "5000"}, {"sla.max_idle_ms", "50"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->batch, 100);
  EXPECT_EQ(o->lease, absl::Seconds(5));
  EXPECT_EQ(o->max_idle, absl::Milliseconds(50));
  EXPECT_EQ(FiringOptions::FromConfig(common::Config({{"sla.lease_ms", "0"}})).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PollerTest, FiresForAssignedPartitionsOnly) {
  MemoryDeadlineStore store;
  testing::FakePublisher publisher;
  const common::SystemClock clock;
  const PolicySettings policy;
  const FiringOptions options{.max_idle = absl::Milliseconds(10)};
  AlertFirer firer(&store, &publisher, &clock, policy, options);
  for (int32_t partition : {0, 1}) {
    const ClockEntry entry{events::v1::CLOCK_ACCEPT, ClockEntry::State::kRunning, absl::Now(),
                           1, absl::Now(), "U"};
    CaseUpdate update;
    update.last_offset = 1;
    update.changes.push_back({{ClockChange::Kind::kArm, entry}, FirstFiring(entry, policy)});
    ASSERT_TRUE(store.Update(partition, "CMP" + std::to_string(partition), update).ok());
  }
  Poller poller(&firer, &store, &clock, options);
  poller.Start();
  poller.Assign({1});
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (publisher.published().empty() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  poller.Stop();
  ASSERT_EQ(publisher.published().size(), 1u);
  EXPECT_EQ(publisher.published()[0].key, "CMP1");
  EXPECT_EQ(store.Scheduled(0).size(), 1u);
}

}  // namespace
}  // namespace complaints::sla_timer
