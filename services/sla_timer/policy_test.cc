#include "services/sla_timer/policy.h"

#include "gtest/gtest.h"
#include "libs/common/proto_time.h"

namespace complaints::sla_timer {
namespace {

using events::v1::CaseEvent;
using events::v1::CLOCK_ACCEPT;
using events::v1::CLOCK_FIRST_CONTACT;
using events::v1::CLOCK_REGULATORY;
using events::v1::CLOCK_RESOLUTION;
using Kind = ClockChange::Kind;
using State = ClockEntry::State;

const absl::Time kT0 = absl::FromUnixSeconds(1764115200);  // 2025-11-26 00:00 UTC

CaseEvent Event(absl::Time at, const std::string& unit = "BJ-0101") {
  CaseEvent e;
  e.set_complaint_id("CMP1");
  e.set_unit(unit);
  *e.mutable_occurred_at() = common::ToProtoTime(at);
  return e;
}
CaseEvent Assigned(absl::Time at, int sequence, const std::string& unit = "BJ-0101") {
  CaseEvent e = Event(at, unit);
  e.mutable_assigned()->set_sequence(sequence);
  return e;
}
CaseEvent Accepted(absl::Time at) {
  CaseEvent e = Event(at);
  e.mutable_accepted();
  return e;
}
CaseEvent Resolved(absl::Time at) {
  CaseEvent e = Event(at);
  e.mutable_resolved()->set_resolution("refunded");
  return e;
}
CaseEvent Closed(absl::Time at) {
  CaseEvent e = Event(at);
  e.mutable_closed();
  return e;
}
CaseEvent Reopened(absl::Time at, const std::string& unit = "BJ-0101") {
  CaseEvent e = Event(at, unit);
  e.mutable_reopened()->set_reason("customer dissatisfied");
  return e;
}

ClockEntry Running(ClockKind clock, absl::Time armed, absl::Duration span, int64_t version,
                   const std::string& unit = "BJ-0101") {
  return {clock, State::kRunning, armed + span, version, armed, unit};
}
ClockEntry Stopped(ClockEntry e) {
  e.state = State::kStopped;
  return e;
}

class PolicyTest : public ::testing::Test {
 protected:
  // Decides and applies, as the service does.
  Decision Step(const CaseEvent& event, int64_t offset) {
    Decision d = Decide(clocks_, event, offset, settings_);
    clocks_ = Apply(clocks_, d, offset);
    return d;
  }
  const ClockEntry& At(ClockKind clock) { return clocks_.clocks.at(clock); }

  PolicySettings settings_;
  CaseClocks clocks_;
};

TEST(PolicySettingsTest, DefaultsAreTheBanksPromises) {
  auto s = PolicySettings::FromConfig(common::Config());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->accept, absl::Hours(4));
  EXPECT_EQ(s->resolution, absl::Hours(168));
  EXPECT_EQ(s->regulatory, absl::Hours(15 * 24));
}

TEST(PolicySettingsTest, ReadsHoursAndDays) {
  auto s = PolicySettings::FromConfig(common::Config({{"sla.accept_hours", "0.5"},
                                                      {"sla.resolution_hours", "72"},
                                                      {"sla.regulatory_days", "30"}}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->accept, absl::Minutes(30));
  EXPECT_EQ(s->resolution, absl::Hours(72));
  EXPECT_EQ(s->regulatory, absl::Hours(30 * 24));
}

TEST(PolicySettingsTest, RejectsNonPositiveAndGarbage) {
  for (const char* bad : {"0", "-1", "soon"}) {
    auto s = PolicySettings::FromConfig(common::Config({{"sla.regulatory_days", bad}}));
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.status().message().find("sla.regulatory_days"), std::string::npos);
  }
}

TEST(ValidateCaseEventTest, NeedsAnIdAndATime) {
  EXPECT_TRUE(ValidateCaseEvent(Accepted(kT0)).ok());
  CaseEvent no_id = Accepted(kT0);
  no_id.clear_complaint_id();
  EXPECT_EQ(ValidateCaseEvent(no_id).code(), absl::StatusCode::kInvalidArgument);
  CaseEvent no_time = Accepted(kT0);
  no_time.clear_occurred_at();
  EXPECT_EQ(ValidateCaseEvent(no_time).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PolicyTest, FirstAssignmentArmsAcceptResolutionAndRegulatory) {
  const Decision d = Step(Assigned(kT0, 1), 10);
  ASSERT_EQ(d.changes.size(), 3u);
  for (const ClockChange& c : d.changes) EXPECT_EQ(c.kind, Kind::kArm);
  EXPECT_EQ(d.assignment_sequence, 1);
  EXPECT_EQ(At(CLOCK_ACCEPT), Running(CLOCK_ACCEPT, kT0, absl::Hours(4), 10));
  EXPECT_EQ(At(CLOCK_RESOLUTION), Running(CLOCK_RESOLUTION, kT0, absl::Hours(168), 10));
  EXPECT_EQ(At(CLOCK_REGULATORY), Running(CLOCK_REGULATORY, kT0, absl::Hours(360), 10));
  EXPECT_EQ(clocks_.last_offset, 10);
}

TEST_F(PolicyTest, MissingSequenceCountsAsTheFirst) {
  EXPECT_EQ(Step(Assigned(kT0, 0), 1).changes.size(), 3u);
  EXPECT_EQ(clocks_.assignment_sequence, 1);
  EXPECT_TRUE(Decide(clocks_, Assigned(kT0, 1), 2, settings_).empty());
}

TEST_F(PolicyTest, DeadlinesUseWholeMillisecondsOfTheEventTime) {
  const absl::Time at = kT0 + absl::Nanoseconds(1234567);
  Step(Assigned(at, 1), 1);
  EXPECT_EQ(At(CLOCK_ACCEPT).armed_at, kT0 + absl::Milliseconds(1));
  EXPECT_EQ(At(CLOCK_ACCEPT).due, kT0 + absl::Milliseconds(1) + absl::Hours(4));
}

TEST_F(PolicyTest, RepeatedOrOlderAssignmentChangesNothing) {
  Step(Assigned(kT0, 1), 1);
  EXPECT_TRUE(Decide(clocks_, Assigned(kT0, 1), 5, settings_).empty());
  Step(Assigned(kT0 + absl::Hours(1), 2, "SH-0202"), 6);
  const Decision late = Decide(clocks_, Assigned(kT0, 1), 7, settings_);
  EXPECT_TRUE(late.empty());
  EXPECT_EQ(late.assignment_sequence, 2);
}

TEST_F(PolicyTest, ReassignmentRearmsOnlyAcceptForTheNewUnit) {
  Step(Assigned(kT0, 1), 1);
  const absl::Time t1 = kT0 + absl::Hours(2);
  const Decision d = Step(Assigned(t1, 2, "SH-0202"), 8);
  ASSERT_EQ(d.changes.size(), 3u);
  EXPECT_EQ(d.changes[0].kind, Kind::kArm);
  EXPECT_EQ(At(CLOCK_ACCEPT), Running(CLOCK_ACCEPT, t1, absl::Hours(4), 8, "SH-0202"));
  // Same deadline and version; the new unit answers for it.
  EXPECT_EQ(d.changes[1].kind, Kind::kRetarget);
  EXPECT_EQ(d.changes[2].kind, Kind::kRetarget);
  EXPECT_EQ(At(CLOCK_RESOLUTION), Running(CLOCK_RESOLUTION, kT0, absl::Hours(168), 1, "SH-0202"));
  EXPECT_EQ(At(CLOCK_REGULATORY), Running(CLOCK_REGULATORY, kT0, absl::Hours(360), 1, "SH-0202"));
  EXPECT_EQ(clocks_.assignment_sequence, 2);
}

TEST_F(PolicyTest, ReassignmentToTheSameUnitOnlyRearmsAccept) {
  Step(Assigned(kT0, 1), 1);
  const Decision d = Step(Assigned(kT0 + absl::Hours(1), 2), 2);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].entry.clock, CLOCK_ACCEPT);
  EXPECT_EQ(At(CLOCK_ACCEPT).version, 2);
}

TEST_F(PolicyTest, ReassignmentNeverRestartsStoppedClocks) {
  Step(Assigned(kT0, 1), 1);
  Step(Accepted(kT0 + absl::Hours(1)), 2);
  Step(Resolved(kT0 + absl::Hours(5)), 3);
  const Decision d = Step(Assigned(kT0 + absl::Hours(6), 2, "SH-0202"), 4);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].entry.clock, CLOCK_ACCEPT);
  EXPECT_FALSE(At(CLOCK_RESOLUTION).running());
  EXPECT_FALSE(At(CLOCK_REGULATORY).running());
}

TEST_F(PolicyTest, ReassignmentWithoutTheFirstArmsEverything) {
  const absl::Time t = kT0 + absl::Hours(3);
  const Decision d = Step(Assigned(t, 3, "SH-0202"), 9);
  ASSERT_EQ(d.changes.size(), 3u);
  for (const ClockChange& c : d.changes) EXPECT_EQ(c.kind, Kind::kArm);
  EXPECT_EQ(At(CLOCK_RESOLUTION), Running(CLOCK_RESOLUTION, t, absl::Hours(168), 9, "SH-0202"));
}

TEST_F(PolicyTest, AcceptedStopsAccept) {
  Step(Assigned(kT0, 1), 1);
  const Decision d = Step(Accepted(kT0 + absl::Hours(1)), 2);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].kind, Kind::kStop);
  EXPECT_EQ(At(CLOCK_ACCEPT), Stopped(Running(CLOCK_ACCEPT, kT0, absl::Hours(4), 1)));
  EXPECT_TRUE(At(CLOCK_RESOLUTION).running());
  EXPECT_TRUE(Decide(clocks_, Accepted(kT0 + absl::Hours(2)), 3, settings_).empty());
}

TEST_F(PolicyTest, StopsOfUnknownClocksChangeNothing) {
  EXPECT_TRUE(Decide(clocks_, Accepted(kT0), 1, settings_).empty());
  EXPECT_TRUE(Decide(clocks_, Resolved(kT0), 1, settings_).empty());
  EXPECT_TRUE(Decide(clocks_, Closed(kT0), 1, settings_).empty());
}

TEST_F(PolicyTest, ResolvedStopsEveryClockOfTheCase) {
  Step(Assigned(kT0, 1), 1);
  const Decision d = Step(Resolved(kT0 + absl::Hours(30)), 2);
  EXPECT_EQ(d.changes.size(), 3u);
  EXPECT_TRUE(AllStopped(clocks_));
}

TEST_F(PolicyTest, ClosedStopsEveryRunningClock) {
  Step(Assigned(kT0, 1), 1);
  clocks_.clocks[CLOCK_FIRST_CONTACT] = Running(CLOCK_FIRST_CONTACT, kT0, absl::Hours(24), 1);
  Step(Accepted(kT0 + absl::Hours(1)), 2);
  const Decision d = Step(Closed(kT0 + absl::Hours(40)), 3);
  EXPECT_EQ(d.changes.size(), 3u);  // accept was stopped already
  EXPECT_TRUE(AllStopped(clocks_));
  EXPECT_TRUE(Decide(clocks_, Closed(kT0 + absl::Hours(41)), 4, settings_).empty());
}

TEST_F(PolicyTest, ReopenedRearmsResolutionWithANewVersion) {
  Step(Assigned(kT0, 1), 1);
  Step(Resolved(kT0 + absl::Hours(30)), 2);
  const absl::Time t = kT0 + absl::Hours(50);
  const Decision d = Step(Reopened(t), 7);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].kind, Kind::kArm);
  EXPECT_EQ(At(CLOCK_RESOLUTION), Running(CLOCK_RESOLUTION, t, absl::Hours(168), 7));
  EXPECT_FALSE(At(CLOCK_REGULATORY).running());
}

TEST_F(PolicyTest, ReopenedWithoutAUnitKeepsTheResolutionUnit) {
  Step(Assigned(kT0, 1, "GZ-0303"), 1);
  Step(Reopened(kT0 + absl::Hours(1), ""), 2);
  EXPECT_EQ(At(CLOCK_RESOLUTION).unit, "GZ-0303");
}

TEST_F(PolicyTest, ReemittedEventsChangeNothingEvenAfterAStop) {
  Step(Assigned(kT0, 1), 1);
  const CaseEvent reopen = Reopened(kT0 + absl::Hours(20));
  Step(reopen, 2);
  Step(Resolved(kT0 + absl::Hours(25)), 3);
  // The producer crashed and published the reopening again, at a new offset.
  EXPECT_TRUE(Decide(clocks_, reopen, 4, settings_).empty());
}

TEST_F(PolicyTest, OtherEventsChangeNothing) {
  Step(Assigned(kT0, 1), 1);
  CaseEvent contact = Event(kT0);
  contact.mutable_contact_logged()->set_channel("phone");
  CaseEvent transfer = Event(kT0);
  transfer.mutable_transferred()->set_to_unit("SH-0202");
  CaseEvent extension = Event(kT0);
  extension.mutable_extension_requested()->set_days(15);
  for (const CaseEvent& e : {contact, transfer, extension, Event(kT0)}) {
    EXPECT_TRUE(Decide(clocks_, e, 2, settings_).empty()) << e.ShortDebugString();
  }
}

TEST_F(PolicyTest, SettingsShapeTheDeadlines) {
  settings_.accept = absl::Minutes(30);
  Step(Assigned(kT0, 1), 1);
  EXPECT_EQ(At(CLOCK_ACCEPT).due, kT0 + absl::Minutes(30));
}

// Every event against every combination of the three clocks absent, running or stopped:
// stops touch only running clocks, arms carry the event's offset as version, and the same
// event delivered again (a later offset) changes nothing.
TEST(PolicyPropertyTest, EveryEventInEveryStateIsIdempotent) {
  const PolicySettings settings;
  const ClockKind kinds[] = {CLOCK_ACCEPT, CLOCK_RESOLUTION, CLOCK_REGULATORY};
  std::vector<CaseEvent> events = {Assigned(kT0 + absl::Hours(1), 1),
                                   Assigned(kT0 + absl::Hours(1), 2, "SH-0202"),
                                   Accepted(kT0 + absl::Hours(1)), Resolved(kT0 + absl::Hours(1)),
                                   Closed(kT0 + absl::Hours(1)), Reopened(kT0 + absl::Hours(1))};
  for (int combo = 0; combo < 27; ++combo) {
    for (int sequence : {0, 1}) {
      CaseClocks start;
      start.last_offset = 5;
      start.assignment_sequence = sequence;
      for (int i = 0, c = combo; i < 3; ++i, c /= 3) {
        if (c % 3 == 0) continue;
        ClockEntry e = Running(kinds[i], kT0, absl::Hours(4), 5);
        if (c % 3 == 2) e = Stopped(e);
        start.clocks[kinds[i]] = e;
      }
      for (const CaseEvent& event : events) {
        SCOPED_TRACE(event.ShortDebugString() + " combo " + std::to_string(combo));
        const Decision d = Decide(start, event, 10, settings);
        for (const ClockChange& c : d.changes) {
          auto before = start.clocks.find(c.entry.clock);
          switch (c.kind) {
            case Kind::kArm:
              EXPECT_EQ(c.entry.version, 10);
              EXPECT_TRUE(c.entry.running());
              break;
            case Kind::kStop:
              ASSERT_NE(before, start.clocks.end());
              EXPECT_TRUE(before->second.running());
              EXPECT_FALSE(c.entry.running());
              EXPECT_EQ(c.entry.version, before->second.version);
              break;
            case Kind::kRetarget:
              ASSERT_NE(before, start.clocks.end());
              EXPECT_EQ(c.entry.due, before->second.due);
              EXPECT_EQ(c.entry.version, before->second.version);
              EXPECT_NE(c.entry.unit, before->second.unit);
              break;
          }
        }
        const CaseClocks after = Apply(start, d, 10);
        const Decision again = Decide(after, event, 11, settings);
        EXPECT_TRUE(again.empty()) << again.changes.size() << " changes the second time";
        EXPECT_EQ(again.assignment_sequence, after.assignment_sequence);
      }
    }
  }
}

TEST(FiringTest, TheBreachFiresAtTheDueTimeAndNothingAfterItYet) {
  const PolicySettings settings;
  const ClockEntry e = Running(CLOCK_ACCEPT, kT0, absl::Hours(4), 3);
  const Firing first = FirstFiring(e, settings);
  EXPECT_EQ(first.kind, events::v1::ALERT_KIND_BREACH);
  EXPECT_EQ(first.step, 0);
  EXPECT_EQ(first.at, e.due);
  EXPECT_FALSE(NextFiring(e, first.kind, first.step, settings).has_value());
}

}  // namespace
}  // namespace complaints::sla_timer
