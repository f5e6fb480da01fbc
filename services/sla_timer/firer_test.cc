#include "services/sla_timer/firer.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

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
    update.AddChange(ClockChange::Kind::kArm, entry, FirstFiring(entry, policy_));
    ASSERT_TRUE(store_.Update(kPartition, id, update).ok());
  }
  void StopClock(const std::string& id, ClockKind clock, int64_t offset) {
    CaseClocks current = *store_.Load(id);
    ClockEntry entry = current.clocks.at(clock);
    entry.state = ClockEntry::State::kStopped;
    CaseUpdate update;
    update.expected_last_offset = current.last_offset;
    update.last_offset = offset;
    update.AddChange(ClockChange::Kind::kStop, entry, Firing{});
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
    const ClockEntry entry{
        events::v1::CLOCK_ACCEPT, ClockEntry::State::kRunning, absl::Now(), 1, absl::Now(), "U"};
    CaseUpdate update;
    update.last_offset = 1;
    update.AddChange(ClockChange::Kind::kArm, entry, FirstFiring(entry, policy));
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

TEST_F(FirerTest, TheNextAlertComesFromTheStoredCase) {
  std::vector<std::string> seen_states;
  AlertFirer firer(
      &store_, &publisher_, &clock_,
      [&](const StoredCase& stored, const ClockEntry& entry, events::v1::AlertKind kind,
          int32_t step) -> std::optional<Firing> {
        seen_states.push_back(stored.policy_state);
        if (kind == events::v1::ALERT_KIND_ESCALATION) return std::nullopt;
        return Firing{events::v1::ALERT_KIND_ESCALATION, step + 1, entry.due + absl::Hours(2)};
      },
      options_);
  const ClockEntry entry{events::v1::CLOCK_ACCEPT, ClockEntry::State::kRunning, kT0, 5, kT0, "U"};
  CaseUpdate update;
  update.last_offset = 5;
  update.AddChange(ClockChange::Kind::kArm, entry, FirstFiring(entry, policy_));
  update.policy_state = "state-v5";
  ASSERT_TRUE(store_.Update(kPartition, "CMP1", update).ok());

  EXPECT_EQ(*firer.FireDue(kPartition), 1);
  EXPECT_EQ(*store_.NextDue(kPartition), kT0 + absl::Hours(2));
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(*firer.FireDue(kPartition), 1);
  EXPECT_EQ(seen_states, (std::vector<std::string>{"state-v5", "state-v5"}));
  ASSERT_EQ(publisher_.published().size(), 2u);
  EXPECT_EQ(publisher_.published()[1].event.id,
            AlertId({"CMP1", events::v1::CLOCK_ACCEPT, 5, events::v1::ALERT_KIND_ESCALATION, 1}));
  EXPECT_TRUE(store_.Scheduled(kPartition).empty());
}

TEST_F(FirerTest, ClaimAndCompleteAreTheTwoHalvesOfARound) {
  Arm("CMP1", events::v1::CLOCK_ACCEPT, kT0, 1);
  Arm("CMP2", events::v1::CLOCK_ACCEPT, kT0, 2);
  StopClock("CMP2", events::v1::CLOCK_ACCEPT, 3);
  Arm("CMP3", events::v1::CLOCK_ACCEPT, kT0 + absl::Hours(1), 4);
  auto batch = firer_.Claim(kPartition);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->claimed, 1);  // CMP2's alert went with its stop; CMP3's is not due
  ASSERT_EQ(batch->records.size(), 1u);
  EXPECT_TRUE(publisher_.published().empty());
  EXPECT_EQ(firer_.Claim(kPartition)->claimed, 0);  // leased
  EXPECT_EQ(*firer_.Complete(*batch), 1);
  EXPECT_EQ(publisher_.published().size(), 1u);
  EXPECT_EQ(store_.Scheduled(kPartition).size(), 1u);
}

// A publisher that holds the records of one complaint until released, records every call.
class GatedPublisher final : public kafka::Publisher {
 public:
  explicit GatedPublisher(std::string held) : held_(std::move(held)) {}
  absl::StatusOr<std::vector<kafka::Delivery>> PublishWithOffsets(
      std::span<const kafka::OutgoingRecord> records) override {
    std::unique_lock lock(mu_);
    for (const auto& r : records) {
      if (r.key == held_) released_.wait(lock, [this] { return open_; });
    }
    if (!fail_.ok()) return fail_;
    std::vector<kafka::Delivery> out;
    for (const auto& r : records) {
      keys_.push_back(r.key);
      out.push_back({0, static_cast<int64_t>(keys_.size())});
    }
    return out;
  }
  void Release() {
    std::lock_guard lock(mu_);
    open_ = true;
    released_.notify_all();
  }
  void FailWith(absl::Status s) {
    std::lock_guard lock(mu_);
    fail_ = std::move(s);
  }
  std::vector<std::string> keys() {
    std::lock_guard lock(mu_);
    return keys_;
  }

 private:
  std::mutex mu_;
  std::condition_variable released_;
  const std::string held_;
  bool open_ = false;
  absl::Status fail_;
  std::vector<std::string> keys_;
};

void ArmNow(MemoryDeadlineStore& store, int32_t partition, const std::string& id, absl::Time due,
            int64_t version) {
  const PolicySettings policy;
  const ClockEntry entry{
      events::v1::CLOCK_ACCEPT, ClockEntry::State::kRunning, due, version, due, "U"};
  CaseUpdate update;
  update.expected_last_offset = store.Load(id)->last_offset;
  update.last_offset = version;
  update.AddChange(ClockChange::Kind::kArm, entry, FirstFiring(entry, policy));
  ASSERT_TRUE(store.Update(partition, id, update).ok());
}

bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(5)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

TEST(PollerTest, APartitionStuckInAPublishHoldsUpNoOther) {
  MemoryDeadlineStore store;
  GatedPublisher publisher("SLOW");
  const common::SystemClock clock;
  const FiringOptions options{.max_idle = absl::Milliseconds(10)};
  AlertFirer firer(&store, &publisher, &clock, PolicySettings{}, options);
  ArmNow(store, 0, "SLOW", absl::Now(), 1);
  Poller poller(&firer, &store, &clock, options);
  poller.Assign({0, 1});
  poller.Start();
  absl::SleepFor(absl::Milliseconds(50));  // partition 0 is stuck publishing SLOW
  // Alerts falling due on both partitions now: partition 1's fire, and so do partition 0's
  // (its second publisher), while SLOW is still in flight.
  ArmNow(store, 1, "FAST1", absl::Now(), 2);
  ArmNow(store, 0, "FAST0", absl::Now(), 3);
  EXPECT_TRUE(WaitUntil([&] { return publisher.keys().size() == 2; }));
  publisher.Release();
  EXPECT_TRUE(WaitUntil([&] { return publisher.keys().size() == 3; }));
  poller.Stop();
  auto keys = publisher.keys();
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"FAST0", "FAST1", "SLOW"}));
  EXPECT_TRUE(store.Scheduled(0).empty());
  EXPECT_TRUE(store.Scheduled(1).empty());
}

TEST(PollerTest, RevokedPartitionsAreNoLongerServedAndAssignedOnesAtOnce) {
  MemoryDeadlineStore store;
  testing::FakePublisher publisher;
  const common::SystemClock clock;
  const FiringOptions options{.max_idle = absl::Seconds(10)};  // no polling: served at once
  AlertFirer firer(&store, &publisher, &clock, PolicySettings{}, options);
  Poller poller(&firer, &store, &clock, options);
  poller.Start();
  poller.Assign({0});
  poller.Revoke({0});
  ArmNow(store, 0, "CMP0", absl::Now(), 1);
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_TRUE(publisher.published().empty());
  poller.Assign({0});  // the new owner: fires the overdue alert without waiting for max_idle
  EXPECT_TRUE(WaitUntil([&] { return publisher.published().size() == 1; }, absl::Seconds(2)));
  poller.Revoke({0});
  poller.Stop();
}

TEST(PollerTest, AFailedPublishFiresAgainAfterTheLease) {
  MemoryDeadlineStore store;
  GatedPublisher publisher("none");
  publisher.FailWith(absl::UnavailableError("broker down"));
  const common::SystemClock clock;
  const FiringOptions options{.lease = absl::Milliseconds(300),
                              .max_idle = absl::Milliseconds(10),
                              .error_backoff = absl::Milliseconds(20)};
  AlertFirer firer(&store, &publisher, &clock, PolicySettings{}, options);
  ArmNow(store, 0, "CMP0", absl::Now(), 1);
  Poller poller(&firer, &store, &clock, options);
  poller.Assign({0});
  poller.Start();
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(publisher.keys().empty());
  EXPECT_EQ(store.Scheduled(0).size(), 1u);  // still there, leased
  publisher.FailWith(absl::OkStatus());
  EXPECT_TRUE(WaitUntil([&] { return publisher.keys().size() == 1; }));
  poller.Stop();
  EXPECT_TRUE(store.Scheduled(0).empty());
}

TEST(PollerTest, StopPublishesWhatWasClaimed) {
  MemoryDeadlineStore store;
  GatedPublisher publisher("CMP0");
  const common::SystemClock clock;
  const FiringOptions options{.max_idle = absl::Milliseconds(10)};
  AlertFirer firer(&store, &publisher, &clock, PolicySettings{}, options);
  ArmNow(store, 0, "CMP0", absl::Now(), 1);
  Poller poller(&firer, &store, &clock, options);
  poller.Assign({0});
  poller.Start();
  absl::SleepFor(absl::Milliseconds(50));  // claimed, held in the publish
  std::thread release([&] {
    absl::SleepFor(absl::Milliseconds(50));
    publisher.Release();
  });
  poller.Stop();  // waits for the publish, then acknowledges
  release.join();
  EXPECT_EQ(publisher.keys(), std::vector<std::string>{"CMP0"});
  EXPECT_TRUE(store.Scheduled(0).empty());
}

TEST(PollerTest, AMissingMarkerIsReportedOnceUntilItIsBack) {
  MemoryDeadlineStore store;
  testing::FakePublisher publisher;
  const common::SystemClock clock;
  const FiringOptions options{.max_idle = absl::Milliseconds(5),
                              .marker_check = absl::Milliseconds(5)};
  AlertFirer firer(&store, &publisher, &clock, PolicySettings{}, options);
  ASSERT_TRUE(store.MarkPartitions({1}).ok());
  std::mutex mu;
  std::vector<int32_t> reported;
  Poller poller(&firer, &store, &clock, options);
  poller.OnStateMissing([&](int32_t p) {
    std::lock_guard lock(mu);
    reported.push_back(p);
  });
  auto seen = [&] {
    std::lock_guard lock(mu);
    return reported;
  };
  poller.Assign({0, 1});
  poller.Start();
  EXPECT_TRUE(WaitUntil([&] { return seen().size() == 1; }));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(seen(), std::vector<int32_t>{0});   // once, and never the marked partition
  ASSERT_TRUE(store.MarkPartitions({0}).ok());  // the replay started
  absl::SleepFor(absl::Milliseconds(30));
  store.Lose();  // Redis comes back empty again
  EXPECT_TRUE(WaitUntil([&] { return seen().size() == 3; }));
  poller.Stop();
  auto all = seen();
  std::sort(all.begin() + 1, all.end());
  EXPECT_EQ(all, (std::vector<int32_t>{0, 0, 1}));
}

TEST(MemoryStoreTest, AGuardedStoreRefusesUpdatesUntilMarked) {
  MemoryDeadlineStore store;
  store.guard_partitions = true;
  CaseUpdate update;
  update.last_offset = 1;
  const absl::Status refused = store.Update(3, "CMP1", update);
  EXPECT_TRUE(IsPartitionStateMissing(refused)) << refused;
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(store.MarkPartitions({3}).ok());
  EXPECT_TRUE(store.Update(3, "CMP1", update).ok());
}

}  // namespace
}  // namespace complaints::sla_timer
