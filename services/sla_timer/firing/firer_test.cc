#include "services/sla_timer/firing/firer.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"
#include "complaints/sla/v1/clock_state.pb.h"
#include "libs/calendar/calendar_registry.h"
#include "libs/common/proto_time.h"
#include "services/sla_timer/store/memory_deadline_store.h"
#include "services/sla_timer/policy/policy_set.h"
#include "services/sla_timer/policy/regional_calendar.h"
#include "services/sla_timer/sla_timer.h"

namespace complaints::sla_timer {
namespace {

// Wednesday 26 November 2025, 08:00 in Asia/Shanghai: a working day in the shipped calendar.
const absl::Time kT0 = absl::FromUnixSeconds(1764115200);
constexpr int32_t kPartition = 3;

// The policy and calendar the service runs with, built as services/sla_timer/main.cc builds them.
struct ShippedEngine {
  static std::string PolicyFile() {
    return std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/policies/cn-default.textproto";
  }
  static std::string CalendarDir() {
    return std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/calendars";
  }

  ShippedEngine()
      : policies(*sla_policy::LoadPolicyFile(PolicyFile())),
        calendars(*calendar::CalendarRegistry::LoadDirectory(CalendarDir())),
        work_calendar(*CalendarForPolicy(calendars, policies, PolicyFile(), CalendarDir())),
        engine(&policies, &work_calendar) {}

  const sla_policy::PolicySet policies;
  const calendar::CalendarRegistry calendars;
  const RegionalCalendar work_calendar;
  const sla_policy::PolicyEngine engine;
};

const ShippedEngine& Shipped() {
  static const ShippedEngine* shipped = new ShippedEngine();
  return *shipped;
}

events::v1::CaseEvent CaseEventAt(const std::string& id, absl::Time at) {
  events::v1::CaseEvent e;
  e.set_complaint_id(id);
  e.set_unit("BJ-0101");
  e.set_actor("tester");
  *e.mutable_occurred_at() = common::ToProtoTime(at);
  return e;
}

events::v1::CaseEvent AssignedAt(const std::string& id, absl::Time at, int sequence = 1,
                                 const std::string& unit = "BJ-0101") {
  events::v1::CaseEvent e = CaseEventAt(id, at);
  e.set_unit(unit);
  auto* a = e.mutable_assigned();
  a->set_sequence(sequence);
  a->set_level(events::v1::LEVEL_MAJOR);
  a->set_urgency(events::v1::URGENCY_NORMAL);
  a->set_category("card.fee");
  a->set_rule_id("test");
  *a->mutable_received_at() = common::ToProtoTime(at);
  return e;
}

events::v1::CaseEvent AcceptedAt(const std::string& id, absl::Time at) {
  events::v1::CaseEvent e = CaseEventAt(id, at);
  e.mutable_accepted();
  return e;
}

// The firer as the service runs it: deadlines armed by SlaTimer from case events, with the
// shipped policy engine; the firer takes each next alert from that engine.
class FirerTest : public ::testing::Test {
 protected:
  // Hands `event` to the timer as record `offset` of the case topic's partition kPartition.
  void Handle(const events::v1::CaseEvent& event, int64_t offset) {
    const auto record = events::ToRecord(events::kCaseTopic, event.complaint_id(), event,
                                         "ev-" + std::to_string(offset), "/complaints/routing",
                                         event.complaint_id(), kT0);
    ASSERT_TRUE(timer_.HandleCaseEvent(testing::AsIncoming(record, kPartition, offset)).ok());
  }
  std::vector<events::v1::SlaAlert> Alerts() {
    std::vector<events::v1::SlaAlert> out;
    for (const auto& r : publisher_.PublishedTo(events::kSlaAlertsTopic)) {
      out.push_back(*events::ParseRecordAs<events::v1::SlaAlert>(testing::AsIncoming(r)));
    }
    return out;
  }
  absl::Time NextDue() {
    auto next = store_.NextDue(kPartition);
    EXPECT_TRUE(next.ok() && next->has_value());
    return next.ok() && next->has_value() ? **next : absl::InfiniteFuture();
  }
  // The stored state of `clock` of `id`, as the engine keeps it.
  sla::v1::ClockState StoredClock(const std::string& id, events::v1::Clock clock) {
    sla::v1::SlaCaseState state;
    EXPECT_TRUE(state.ParseFromString(store_.Get(id).policy_state));
    for (const auto& c : state.clocks()) {
      if (c.clock() == clock) return c;
    }
    ADD_FAILURE() << "no clock " << clock;
    return {};
  }
  // Moves the clock to each scheduled alert in turn and fires it, until nothing is scheduled
  // or `until`; returns the alerts published.
  std::vector<events::v1::SlaAlert> FireEverything(absl::Time until = absl::InfiniteFuture()) {
    for (int round = 0; round < 1000; ++round) {
      auto next = store_.NextDue(kPartition);
      if (!next.ok() || !next->has_value() || **next > until) break;
      clock_.Set(std::max(clock_.Now(), **next));
      EXPECT_TRUE(firer_.FireDue(kPartition).ok());
    }
    return Alerts();
  }

  const sla_policy::PolicyEngine& engine_ = Shipped().engine;
  FiringOptions options_{.batch = 2, .lease = absl::Seconds(30)};
  MemoryDeadlineStore store_;
  testing::FakePublisher publisher_;
  common::ManualClock clock_{kT0};
  SlaTimer timer_{&store_, &engine_, &clock_, /*ledger=*/nullptr, absl::Hours(24 * 30)};
  AlertFirer firer_{&store_, &publisher_, &clock_, &engine_, options_};
};

TEST_F(FirerTest, NothingFiresBeforeItIsDue) {
  Handle(AssignedAt("CMP1", kT0), 1);
  const absl::Time first = NextDue();
  ASSERT_GT(first, kT0);
  clock_.Set(first - absl::Milliseconds(1));
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);
  EXPECT_TRUE(Alerts().empty());
  EXPECT_EQ(NextDue(), first);
}

TEST_F(FirerTest, FiresTheShippedPolicysWholeScheduleOnceWithDeterministicIds) {
  Handle(AssignedAt("CMP1", kT0), 7);
  const sla::v1::ClockState accept = StoredClock("CMP1", events::v1::CLOCK_ACCEPT);
  const auto alerts = FireEverything();
  EXPECT_TRUE(store_.Scheduled(kPartition).empty());
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);  // nothing fires twice

  // The accept clock's alerts are exactly the engine's schedule for it: warnings at 1/2 and
  // 4/5, the breach, then the escalation ladder, each when the engine says.
  std::vector<sla_policy::Firing> expected;
  for (auto f = engine_.FirstFiringFrom(accept, kT0); f && expected.size() < 20;
       f = engine_.NextFiring(accept, f->kind, f->step)) {
    expected.push_back(*f);
  }
  std::vector<events::v1::SlaAlert> fired;
  for (const auto& a : alerts) {
    if (a.clock() == events::v1::CLOCK_ACCEPT) fired.push_back(a);
  }
  ASSERT_EQ(fired.size(), expected.size());
  ASSERT_GE(fired.size(), 4u);
  EXPECT_EQ(fired[0].kind(), events::v1::ALERT_KIND_WARNING);
  EXPECT_EQ(fired[2].kind(), events::v1::ALERT_KIND_BREACH);
  EXPECT_EQ(fired.back().kind(), events::v1::ALERT_KIND_ESCALATION);
  for (size_t i = 0; i < fired.size(); ++i) {
    EXPECT_EQ(fired[i].kind(), expected[i].kind) << i;
    EXPECT_EQ(fired[i].step(), expected[i].step) << i;
    EXPECT_EQ(common::FromProtoTime(fired[i].fired_at()),
              absl::FromUnixMillis(absl::ToUnixMillis(expected[i].at)))
        << i;
  }

  // Every clock's alerts: one id each, derived from what they are; the level from the state.
  const auto records = publisher_.PublishedTo(events::kSlaAlertsTopic);
  std::set<std::string> ids;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& a = alerts[i];
    EXPECT_EQ(records[i].key, "CMP1");
    EXPECT_EQ(records[i].event.id, AlertId({"CMP1", a.clock(), a.deadline_version(), a.kind(),
                                            a.step()}));
    EXPECT_EQ(a.deadline_version(), 7);
    EXPECT_EQ(a.level(), events::v1::LEVEL_MAJOR);
    EXPECT_EQ(a.unit(), "BJ-0101");
    EXPECT_TRUE(ids.insert(records[i].event.id).second) << "fired twice: " << i;
  }
}

TEST_F(FirerTest, AFailedPublishFiresAgainAfterTheLeaseWithTheSameId) {
  Handle(AssignedAt("CMP1", kT0), 3);
  const absl::Time first = NextDue();
  clock_.Set(first);
  publisher_.FailWith(absl::UnavailableError("broker down"));
  EXPECT_EQ(firer_.FireDue(kPartition).status().code(), absl::StatusCode::kUnavailable);
  publisher_.FailWith(absl::OkStatus());

  // Leased: not due again until the lease ends.
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);
  EXPECT_EQ(NextDue(), first + absl::Seconds(30));
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(*firer_.FireDue(kPartition), 1);
  const auto alert = Alerts().at(0);
  const auto expected = engine_.FirstFiringFrom(StoredClock("CMP1", events::v1::CLOCK_ACCEPT), kT0);
  ASSERT_TRUE(expected.has_value());
  EXPECT_EQ(alert.kind(), expected->kind);
  EXPECT_EQ(publisher_.published().at(0).event.id,
            AlertId({"CMP1", events::v1::CLOCK_ACCEPT, 3, expected->kind, expected->step}));
}

TEST_F(FirerTest, AStoreOutageFailsThePass) {
  Handle(AssignedAt("CMP1", kT0), 1);
  clock_.Set(NextDue());
  store_.FailWith(absl::UnavailableError("redis down"));
  EXPECT_EQ(firer_.FireDue(kPartition).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(publisher_.published().empty());
}

TEST_F(FirerTest, FiresEverythingDueInBatches) {
  for (int i = 0; i < 5; ++i) Handle(AssignedAt("CMP" + std::to_string(i), kT0), 10 + i);
  Handle(AssignedAt("CMP9", kT0 + absl::Hours(24)), 20);
  clock_.Set(NextDue());
  // Batches of two: five complaints' first alerts in one pass, CMP9's still to come.
  EXPECT_EQ(*firer_.FireDue(kPartition), 5);
  std::set<std::string> complaints;
  for (const auto& a : Alerts()) complaints.insert(a.complaint_id());
  EXPECT_EQ(complaints, (std::set<std::string>{"CMP0", "CMP1", "CMP2", "CMP3", "CMP4"}));
}

TEST_F(FirerTest, AStoppedClockDoesNotFire) {
  Handle(AssignedAt("CMP1", kT0), 1);
  Handle(AcceptedAt("CMP1", kT0 + absl::Minutes(10)), 2);
  const auto alerts = FireEverything(kT0 + absl::Hours(24 * 3));
  EXPECT_FALSE(alerts.empty());  // the other clocks run on
  for (const auto& a : alerts) EXPECT_NE(a.clock(), events::v1::CLOCK_ACCEPT) << a.kind();
}

TEST_F(FirerTest, ReArmedBetweenClaimAndPublishFiresNothingForTheOldVersion) {
  Handle(AssignedAt("CMP1", kT0), 1);
  clock_.Set(NextDue());
  store_.after_claim = [this] {
    store_.after_claim = nullptr;
    Handle(AssignedAt("CMP1", clock_.Now(), 2, "BJ-0202"), 9);  // transferred: accept re-armed
  };
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);
  const ClockEntry accept = store_.Get("CMP1").clocks.clocks.at(events::v1::CLOCK_ACCEPT);
  EXPECT_EQ(accept.version, 9);
  EXPECT_EQ(accept.unit, "BJ-0202");
  // What fires later is the new version's, for the new unit.
  const auto alerts = FireEverything(NextDue());
  ASSERT_FALSE(alerts.empty());
  for (const auto& a : alerts) {
    if (a.clock() == events::v1::CLOCK_ACCEPT) {
      EXPECT_EQ(a.deadline_version(), 9);
    }
  }
}

// An acceptance applied after its deadline (a backlog after an outage: the assignment and the
// acceptance reach the timer together) stops the clock, but what was due before the acceptance
// still fires: its warnings and its breach, with the ids and times they always had; nothing
// due after the acceptance does. (The fault suite's unalerted complaints: the breach was
// dropped with the stop.)
TEST_F(FirerTest, AnAcceptanceAfterItsDeadlineStillRaisesTheBreach) {
  Handle(AssignedAt("CMP1", kT0), 1);
  const sla::v1::ClockState armed = StoredClock("CMP1", events::v1::CLOCK_ACCEPT);
  const absl::Time due = common::FromProtoTime(armed.due_at());
  const absl::Time accepted_at = due + absl::Minutes(1);
  Handle(AcceptedAt("CMP1", accepted_at), 2);  // before anything fired
  clock_.Set(accepted_at + absl::Seconds(1));
  const auto alerts = FireEverything(accepted_at + absl::Hours(24 * 30));

  std::vector<std::pair<events::v1::AlertKind, absl::Time>> accept_alerts;
  for (const auto& a : alerts) {
    if (a.clock() == events::v1::CLOCK_ACCEPT) {
      accept_alerts.emplace_back(a.kind(), common::FromProtoTime(a.fired_at()));
    }
  }
  std::vector<std::pair<events::v1::AlertKind, absl::Time>> expected;
  for (const sla_policy::Firing& f : engine_.Schedule(armed)) {
    if (f.at < accepted_at) expected.emplace_back(f.kind, f.at);
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(expected.back().first, events::v1::ALERT_KIND_BREACH);  // the escalations come later
  EXPECT_EQ(accept_alerts, expected);
}

// The same acceptance applied while the firer holds the first warning leased (claimed, not yet
// published): the stop must not drop the leased warning, or the breach that its
// acknowledgement schedules is lost with it. (The fault suite's last unalerted complaint: the
// warning fired 86 ms after the assignment, the acceptance came 25 ms later, no breach.)
TEST_F(FirerTest, AnAcceptanceAppliedDuringTheWarningsLeaseStillRaisesTheBreach) {
  Handle(AssignedAt("CMP1", kT0), 1);
  const sla::v1::ClockState armed = StoredClock("CMP1", events::v1::CLOCK_ACCEPT);
  const absl::Time due = common::FromProtoTime(armed.due_at());
  const absl::Time accepted_at = due + absl::Minutes(1);
  clock_.Set(accepted_at + absl::Minutes(1));
  store_.after_claim = [&] {
    store_.after_claim = nullptr;
    Handle(AcceptedAt("CMP1", accepted_at), 2);
  };
  const auto alerts = FireEverything(accepted_at + absl::Hours(24 * 30));

  std::vector<events::v1::AlertKind> accept_alerts;
  for (const auto& a : alerts) {
    if (a.clock() == events::v1::CLOCK_ACCEPT) accept_alerts.push_back(a.kind());
  }
  std::vector<events::v1::AlertKind> expected;
  for (const sla_policy::Firing& f : engine_.Schedule(armed)) {
    if (f.at < accepted_at) expected.push_back(f.kind);
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(expected.back(), events::v1::ALERT_KIND_BREACH);
  EXPECT_EQ(accept_alerts, expected);
}

// Accepted in time, even applied late: the accept clock raises its warnings that were due
// before the acceptance, never its breach nor an escalation.
TEST_F(FirerTest, AnAcceptanceBeforeItsDeadlineRaisesNoBreach) {
  Handle(AssignedAt("CMP1", kT0), 1);
  const absl::Time due =
      common::FromProtoTime(StoredClock("CMP1", events::v1::CLOCK_ACCEPT).due_at());
  Handle(AcceptedAt("CMP1", due - absl::Seconds(1)), 2);
  clock_.Set(due + absl::Hours(1));
  int warnings = 0;
  for (const auto& a : FireEverything(due + absl::Hours(24 * 30))) {
    if (a.clock() != events::v1::CLOCK_ACCEPT) continue;
    EXPECT_EQ(a.kind(), events::v1::ALERT_KIND_WARNING);
    EXPECT_LT(common::FromProtoTime(a.fired_at()), due - absl::Seconds(1));
    ++warnings;
  }
  EXPECT_EQ(warnings, 2);  // the shipped policy warns at 1/2 and 4/5 of the window
}

TEST_F(FirerTest, StoppedBetweenClaimAndPublishFiresNothing) {
  Handle(AssignedAt("CMP1", kT0), 1);
  clock_.Set(NextDue());
  store_.after_claim = [this] {
    store_.after_claim = nullptr;
    Handle(AcceptedAt("CMP1", clock_.Now()), 2);
  };
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);
  for (const auto& [member, at] : store_.Scheduled(kPartition)) {
    EXPECT_GT(at, clock_.Now());  // only the other clocks' alerts, later
  }
}

TEST_F(FirerTest, OtherPartitionsAreNotTouched) {
  Handle(AssignedAt("CMP1", kT0), 1);
  clock_.Set(NextDue());
  EXPECT_EQ(*firer_.FireDue(kPartition + 1), 0);
  EXPECT_EQ(*firer_.FireDue(kPartition), 1);
}

// For the poller's tests, which are about threads and partitions rather than policy: the breach
// at the due time and nothing after it.
Firing BreachAt(const ClockEntry& entry) {
  return Firing{events::v1::ALERT_KIND_BREACH, 0, entry.due};
}
std::optional<Firing> NoFurtherAlert(const StoredCase&, const ClockEntry&, events::v1::AlertKind,
                                     int32_t) {
  return std::nullopt;
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
  const FiringOptions options{.max_idle = absl::Milliseconds(10)};
  AlertFirer firer(&store, &publisher, &clock, NoFurtherAlert, options);
  for (int32_t partition : {0, 1}) {
    const ClockEntry entry{
        events::v1::CLOCK_ACCEPT, ClockEntry::State::kRunning, absl::Now(), 1, absl::Now(), "U"};
    CaseUpdate update;
    update.last_offset = 1;
    update.AddChange(ClockChange::Kind::kArm, entry, BreachAt(entry));
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
  update.AddChange(ClockChange::Kind::kArm, entry, BreachAt(entry));
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
  Handle(AssignedAt("CMP1", kT0), 1);
  Handle(AssignedAt("CMP2", kT0), 2);
  Handle(AcceptedAt("CMP2", kT0 + absl::Minutes(1)), 3);
  Handle(AssignedAt("CMP3", kT0 + absl::Hours(24)), 4);
  clock_.Set(NextDue());
  auto batch = firer_.Claim(kPartition);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->claimed, 1);  // CMP2's accept alert went with its stop; CMP3's is not due
  ASSERT_EQ(batch->records.size(), 1u);
  EXPECT_EQ(batch->records[0].key, "CMP1");
  EXPECT_TRUE(publisher_.published().empty());
  EXPECT_EQ(firer_.Claim(kPartition)->claimed, 0);  // leased
  EXPECT_EQ(*firer_.Complete(*batch), 1);
  EXPECT_EQ(Alerts().size(), 1u);
}

// A publisher that holds the records of one complaint until released, records every call.
class GatedPublisher final : public kafka::Publisher {
 public:
  explicit GatedPublisher(std::string held) : held_(std::move(held)) {}
  absl::StatusOr<std::vector<kafka::Delivery>> PublishWithOffsets(
      std::span<const kafka::OutgoingRecord> records) override {
    std::unique_lock lock(mu_);
    ++attempts_;
    for (const auto& r : records) {
      if (r.key == held_ && !open_) {
        holding_ = true;
        released_.wait(lock, [this] { return open_; });
        holding_ = false;
      }
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
  // Calls so far, failed and held ones included.
  int attempts() {
    std::lock_guard lock(mu_);
    return attempts_;
  }
  // A publish of the held complaint is waiting for Release.
  bool holding() {
    std::lock_guard lock(mu_);
    return holding_;
  }

 private:
  std::mutex mu_;
  std::condition_variable released_;
  const std::string held_;
  bool open_ = false;
  bool holding_ = false;
  int attempts_ = 0;
  absl::Status fail_;
  std::vector<std::string> keys_;
};

void ArmNow(MemoryDeadlineStore& store, int32_t partition, const std::string& id, absl::Time due,
            int64_t version) {
  const ClockEntry entry{
      events::v1::CLOCK_ACCEPT, ClockEntry::State::kRunning, due, version, due, "U"};
  CaseUpdate update;
  update.expected_last_offset = store.Load(id)->last_offset;
  update.last_offset = version;
  update.AddChange(ClockChange::Kind::kArm, entry, BreachAt(entry));
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
  AlertFirer firer(&store, &publisher, &clock, NoFurtherAlert, options);
  ArmNow(store, 0, "SLOW", absl::Now(), 1);
  Poller poller(&firer, &store, &clock, options);
  poller.Assign({0, 1});
  poller.Start();
  ASSERT_TRUE(WaitUntil([&] { return publisher.holding(); }));  // partition 0 is stuck on SLOW
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

TEST(PollerTest, RevokedPartitionsAreNoLongerServed) {
  MemoryDeadlineStore store;
  testing::FakePublisher publisher;
  const common::SystemClock clock;
  const FiringOptions options{.max_idle = absl::Milliseconds(5)};  // a live loop polls often
  AlertFirer firer(&store, &publisher, &clock, NoFurtherAlert, options);
  Poller poller(&firer, &store, &clock, options);
  poller.Start();
  poller.Assign({0, 1});
  ASSERT_TRUE(WaitUntil([&] { return store.claims(0) > 0; }));
  poller.Revoke({0});
  ArmNow(store, 0, "CMP0", absl::Now(), 1);
  // Partition 1's loop, still owned, goes round several times; a loop of partition 0 still
  // running would have claimed CMP0's alert meanwhile.
  const int passes = store.claims(1);
  ASSERT_TRUE(WaitUntil([&] { return store.claims(1) >= passes + 5; }));
  poller.Stop();
  EXPECT_TRUE(publisher.published().empty());
  EXPECT_EQ(store.Scheduled(0).size(), 1u);
}

TEST(PollerTest, AnAssignedPartitionIsServedAtOnce) {
  MemoryDeadlineStore store;
  testing::FakePublisher publisher;
  const common::SystemClock clock;
  const FiringOptions options{.max_idle = absl::Seconds(30)};  // no polling in the test's time
  AlertFirer firer(&store, &publisher, &clock, NoFurtherAlert, options);
  Poller poller(&firer, &store, &clock, options);
  poller.Start();
  poller.Assign({0});
  ASSERT_TRUE(WaitUntil([&] { return store.claims(0) > 0; }));  // the loop now sleeps 30 s
  poller.Revoke({0});
  ArmNow(store, 0, "CMP0", absl::Now(), 1);
  poller.Assign({0});  // the new owner: fires the overdue alert without waiting for max_idle
  EXPECT_TRUE(WaitUntil([&] { return publisher.published().size() == 1; }, absl::Seconds(5)));
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
  AlertFirer firer(&store, &publisher, &clock, NoFurtherAlert, options);
  ArmNow(store, 0, "CMP0", absl::Now(), 1);
  Poller poller(&firer, &store, &clock, options);
  poller.Assign({0});
  poller.Start();
  ASSERT_TRUE(WaitUntil([&] { return publisher.attempts() >= 2; }));  // failed, backed off, again
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
  AlertFirer firer(&store, &publisher, &clock, NoFurtherAlert, options);
  ArmNow(store, 0, "CMP0", absl::Now(), 1);
  Poller poller(&firer, &store, &clock, options);
  poller.Assign({0});
  poller.Start();
  ASSERT_TRUE(WaitUntil([&] { return publisher.holding(); }));  // claimed, held in the publish
  std::atomic<bool> stopped = false;
  std::thread stopper([&] {
    poller.Stop();  // waits for the publish, then acknowledges
    stopped = true;
  });
  // Stop cannot return while the publish is held (the store still has the alert, leased).
  EXPECT_FALSE(stopped);
  publisher.Release();
  stopper.join();
  EXPECT_EQ(publisher.keys(), std::vector<std::string>{"CMP0"});
  EXPECT_TRUE(store.Scheduled(0).empty());
}

TEST(PollerTest, AMissingMarkerIsReportedOnceUntilItIsBack) {
  MemoryDeadlineStore store;
  testing::FakePublisher publisher;
  const common::SystemClock clock;
  const FiringOptions options{.max_idle = absl::Milliseconds(5),
                              .marker_check = absl::Milliseconds(5)};
  AlertFirer firer(&store, &publisher, &clock, NoFurtherAlert, options);
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
  // Both loops check their markers several times more: still once, never the marked partition.
  int checks0 = store.marker_checks(0), checks1 = store.marker_checks(1);
  ASSERT_TRUE(WaitUntil([&] {
    return store.marker_checks(0) >= checks0 + 3 && store.marker_checks(1) >= checks1 + 3;
  }));
  EXPECT_EQ(seen(), std::vector<int32_t>{0});
  ASSERT_TRUE(store.MarkPartitions({0}).ok());  // the replay started
  checks0 = store.marker_checks(0);
  ASSERT_TRUE(WaitUntil([&] { return store.marker_checks(0) >= checks0 + 2; }));  // seen back
  store.Lose();  // Redis comes back empty again
  EXPECT_TRUE(WaitUntil([&] { return seen().size() == 3; }));
  poller.Stop();
  auto all = seen();
  std::sort(all.begin() + 1, all.end());
  EXPECT_EQ(all, (std::vector<int32_t>{0, 0, 1}));
}

TEST(PollerTest, AMarkerLostAgainBeforeTheLoopSawItBackIsReportedAgain) {
  MemoryDeadlineStore store;
  testing::FakePublisher publisher;
  const common::SystemClock clock;
  // Checks far apart: the marker comes back and goes again between two of them.
  const FiringOptions options{.max_idle = absl::Milliseconds(5),
                              .marker_check = absl::Milliseconds(300)};
  AlertFirer firer(&store, &publisher, &clock, NoFurtherAlert, options);
  std::atomic<int> reported = 0;
  Poller poller(&firer, &store, &clock, options);
  poller.OnStateMissing([&](int32_t) { ++reported; });
  poller.Assign({0});
  poller.Start();
  ASSERT_TRUE(WaitUntil([&] { return reported == 1; }));
  // The replay marks the partition, as main.cc's consumer does, and Redis is lost again at
  // once, before the loop's next check.
  ASSERT_TRUE(store.MarkPartitions({0}).ok());
  poller.StateRestored(0);
  store.Lose();
  EXPECT_TRUE(WaitUntil([&] { return reported == 2; }));
  poller.Stop();
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
