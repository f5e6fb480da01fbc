#include "libs/cases/case_machine.h"

#include <map>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace complaints::cases {
namespace {

using routing::v1::Case;

events::v1::CaseEvent Assigned(int sequence, const std::string& unit) {
  events::v1::CaseEvent e;
  e.set_complaint_id("CMP1");
  e.set_unit(unit);
  e.mutable_assigned()->set_sequence(sequence);
  e.mutable_assigned()->set_level(events::v1::LEVEL_MAJOR);
  e.mutable_assigned()->set_category("atm.jam");
  return e;
}

// An event of the kind `set` makes, by `unit`.
events::v1::CaseEvent By(const std::string& unit, void (*set)(events::v1::CaseEvent&)) {
  events::v1::CaseEvent e;
  e.set_complaint_id("CMP1");
  e.set_unit(unit);
  set(e);
  return e;
}

void Accepted(events::v1::CaseEvent& e) { e.mutable_accepted(); }
void Resolved(events::v1::CaseEvent& e) { e.mutable_resolved(); }
void Reopened(events::v1::CaseEvent& e) { e.mutable_reopened(); }
void Closed(events::v1::CaseEvent& e) { e.mutable_closed(); }
void Paused(events::v1::CaseEvent& e) { e.mutable_paused(); }
void Contact(events::v1::CaseEvent& e) { e.mutable_contact_logged(); }
void AwaitingFix(events::v1::CaseEvent& e) { e.mutable_awaiting_fix(); }
void FixReported(events::v1::CaseEvent& e) { e.mutable_fix_reported(); }

events::v1::CaseEvent Transferred(const std::string& from, const std::string& to) {
  events::v1::CaseEvent e;
  e.set_complaint_id("CMP1");
  e.set_unit(from);
  e.mutable_transferred()->set_from_unit(from);
  e.mutable_transferred()->set_to_unit(to);
  return e;
}

void Apply(const events::v1::CaseEvent& e, Case* c) {
  const absl::Status s = ApplyCaseEvent(e, c);
  ASSERT_TRUE(s.ok()) << s;
}

TEST(CaseMachineTest, FullLoopCountsEveryEventInTheVersion) {
  Case c;
  Apply(Assigned(1, "BJ-0101"), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c.unit(), "BJ-0101");
  EXPECT_EQ(c.level(), events::v1::LEVEL_MAJOR);
  Apply(By("BJ-0101", Accepted), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_ACCEPTED);
  Apply(By("BJ-0101", Contact), &c);
  Apply(By("BJ-0101", Resolved), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_RESOLVED);
  Apply(By("BJ-0101", Reopened), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_REOPENED);
  EXPECT_EQ(c.reopen_count(), 1);
  Apply(Assigned(2, "BJ-0101"), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c.assignment_sequence(), 2);
  Apply(By("BJ-0101", Accepted), &c);
  Apply(By("BJ-0101", Resolved), &c);
  Apply(By("BJ-0101", Closed), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_CLOSED);
  EXPECT_EQ(c.version(), 9);
}

// 跟归档: satisfied but not fixed waits; only the fix report and the close leave that state.
TEST(CaseMachineTest, AwaitingFixWaitsForTheFixThenCloses) {
  Case c;
  Apply(Assigned(1, "BJ-0101"), &c);
  EXPECT_FALSE(ApplyCaseEvent(By("BJ-0101", AwaitingFix), &c).ok());  // not resolved
  Apply(By("BJ-0101", Accepted), &c);
  EXPECT_FALSE(ApplyCaseEvent(By("BJ-0101", FixReported), &c).ok());
  Apply(By("BJ-0101", Resolved), &c);
  EXPECT_FALSE(ApplyCaseEvent(By("BJ-0101", FixReported), &c).ok());  // nothing waits for it
  Apply(By("BJ-0101", AwaitingFix), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_AWAITING_FIX);
  EXPECT_TRUE(CheckReportFix(c).ok());
  EXPECT_FALSE(ApplyCaseEvent(By("BJ-0101", Reopened), &c).ok());
  EXPECT_FALSE(ApplyCaseEvent(By("BJ-0101", AwaitingFix), &c).ok());
  EXPECT_FALSE(ApplyCaseEvent(By("BJ-0101", Contact), &c).ok());
  EXPECT_FALSE(CheckOpen(c).ok());
  Apply(By("BJ-0101", FixReported), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_AWAITING_FIX);
  Apply(By("BJ-0101", Closed), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_CLOSED);
  EXPECT_FALSE(CheckReportFix(c).ok());
}

// Each refusal leaves the case exactly as it was.
void ExpectRefused(const events::v1::CaseEvent& e, Case* c) {
  const Case before = *c;
  const absl::Status s = ApplyCaseEvent(e, c);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(c->SerializeAsString(), before.SerializeAsString());
}

TEST(CaseMachineTest, IllegalTransitionsAreRefused) {
  Case c;
  ExpectRefused(By("A", Accepted), &c);  // nothing assigned yet
  Apply(Assigned(1, "A"), &c);
  ExpectRefused(By("A", Resolved), &c);  // resolved before accepted
  ExpectRefused(By("A", Contact), &c);
  ExpectRefused(By("A", Closed), &c);
  ExpectRefused(Assigned(1, "A"), &c);   // the same sequence again
  ExpectRefused(Assigned(3, "B"), &c);   // a sequence skipped
  Apply(By("A", Accepted), &c);
  ExpectRefused(By("A", Accepted), &c);
  ExpectRefused(By("A", Reopened), &c);
  Apply(By("A", Resolved), &c);
  ExpectRefused(Transferred("A", "B"), &c);  // a stale transfer must not re-open a resolved case
  ExpectRefused(Assigned(2, "B"), &c);
  ExpectRefused(By("A", Paused), &c);
  Apply(By("A", Closed), &c);
  ExpectRefused(By("A", Reopened), &c);
}

TEST(CaseMachineTest, EventsOfAnotherUnitAreRefused) {
  Case c;
  Apply(Assigned(1, "A"), &c);
  ExpectRefused(By("B", Accepted), &c);
  ExpectRefused(By("", Accepted), &c);
  ExpectRefused(Transferred("B", "C"), &c);  // from a unit that does not have the case
  Apply(By("A", Accepted), &c);
  // Transfer A -> B: B has the case, and A can no longer resolve it.
  Apply(Transferred("A", "B"), &c);
  Apply(Assigned(2, "B"), &c);
  EXPECT_EQ(c.unit(), "B");
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_ASSIGNED);
  ExpectRefused(By("A", Resolved), &c);
  ExpectRefused(By("B", Resolved), &c);  // B has not accepted it
}

TEST(CaseMachineTest, ClockOperationsNeedAnOpenCase) {
  Case c;
  Apply(Assigned(1, "A"), &c);
  Apply(By("A", Paused), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_ASSIGNED);
  Apply(By("A", Accepted), &c);
  Apply(By("A", Paused), &c);
  Apply(By("A", Resolved), &c);
  ExpectRefused(By("A", Paused), &c);
  Apply(By("A", Reopened), &c);
  Apply(By("A", Paused), &c);
}

TEST(CaseMachineTest, EventOfAnotherComplaintIsRefused) {
  Case c;
  Apply(Assigned(1, "A"), &c);
  events::v1::CaseEvent other = By("A", Accepted);
  other.set_complaint_id("CMP2");
  ExpectRefused(other, &c);
}

TEST(CaseMachineTest, CommandChecks) {
  Case c;
  Apply(Assigned(1, "A"), &c);
  EXPECT_TRUE(CheckAccept(c, "A").ok());
  EXPECT_EQ(CheckAccept(c, "B").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckAccept(c, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckResolve(c, "A").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckWork(c, "A").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckTransfer(c, "A", "B").ok());
  EXPECT_EQ(CheckTransfer(c, "A", "A").code(), absl::StatusCode::kInvalidArgument);
  Apply(By("A", Accepted), &c);
  EXPECT_TRUE(CheckResolve(c, "A").ok());
  EXPECT_TRUE(CheckWork(c, "A").ok());
  EXPECT_EQ(CheckAccept(c, "A").code(), absl::StatusCode::kFailedPrecondition);
  Apply(By("A", Resolved), &c);
  const absl::Status s = CheckTransfer(c, "A", "B");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("RESOLVED"), absl::string_view::npos) << s;
  EXPECT_EQ(CheckOpen(c).code(), absl::StatusCode::kFailedPrecondition);
}

// ---- every event kind in every state ----

// An event of each kind, well formed for case `c` (its unit, the next sequence, a transfer away).
std::vector<std::pair<std::string, events::v1::CaseEvent>> EveryKind(const Case& c) {
  const std::string unit = c.unit().empty() ? "A" : c.unit();
  std::vector<std::pair<std::string, events::v1::CaseEvent>> out;
  auto add = [&](const std::string& name, void (*set)(events::v1::CaseEvent&)) {
    out.emplace_back(name, By(unit, set));
  };
  out.emplace_back("assigned", Assigned(c.assignment_sequence() + 1, unit));
  add("accepted", Accepted);
  add("contact_logged", Contact);
  out.emplace_back("transferred", Transferred(unit, unit + "-other"));
  add("extension_requested",
      [](events::v1::CaseEvent& e) { e.mutable_extension_requested()->set_request_ref("EXT-9"); });
  add("resolved", Resolved);
  add("reopened", Reopened);
  add("closed", Closed);
  add("paused", Paused);
  add("resumed", [](events::v1::CaseEvent& e) { e.mutable_resumed(); });
  add("new_facts_recorded", [](events::v1::CaseEvent& e) { e.mutable_new_facts_recorded(); });
  add("extension_approved", [](events::v1::CaseEvent& e) { e.mutable_extension_approved(); });
  add("extension_refused", [](events::v1::CaseEvent& e) { e.mutable_extension_refused(); });
  add("escalated", [](events::v1::CaseEvent& e) { e.mutable_escalated()->set_step(1); });
  add("awaiting_fix", [](events::v1::CaseEvent& e) { e.mutable_awaiting_fix(); });
  add("fix_reported", [](events::v1::CaseEvent& e) { e.mutable_fix_reported(); });
  // Every kind of the oneof is here: a kind added later must be added to the table below.
  EXPECT_EQ(out.size(), static_cast<size_t>(events::v1::CaseEvent::descriptor()
                                                ->FindOneofByName("event")
                                                ->field_count()));
  return out;
}

TEST(CaseMachineTest, EveryEventKindInEveryState) {
  // The case in each state, from the same history.
  std::map<std::string, Case> states;
  Case c;
  states["none"] = c;
  Apply(Assigned(1, "A"), &c);
  states["ASSIGNED"] = c;
  Apply(By("A", Accepted), &c);
  states["ACCEPTED"] = c;
  Apply(By("A", Resolved), &c);
  states["RESOLVED"] = c;
  Case closed = c;
  Apply(By("A", Closed), &closed);
  states["CLOSED"] = closed;
  Case waiting = c;
  Apply(By("A", AwaitingFix), &waiting);
  states["AWAITING_FIX"] = waiting;
  Apply(By("A", Reopened), &c);
  states["REOPENED"] = c;

  const std::map<std::string, std::set<std::string>> allowed = {
      {"none", {"assigned"}},
      {"ASSIGNED",
       {"assigned", "accepted", "transferred", "paused", "resumed", "new_facts_recorded",
        "extension_approved", "escalated"}},
      {"ACCEPTED",
       {"assigned", "contact_logged", "transferred", "extension_requested", "resolved", "paused",
        "resumed", "new_facts_recorded", "extension_approved", "escalated"}},
      {"RESOLVED", {"reopened", "closed", "awaiting_fix"}},
      {"AWAITING_FIX", {"fix_reported", "closed"}},
      {"CLOSED", {}},
      {"REOPENED",
       {"assigned", "paused", "resumed", "new_facts_recorded", "extension_approved", "escalated"}},
  };
  for (const auto& [state, base] : states) {
    for (const auto& [kind, event] : EveryKind(base)) {
      SCOPED_TRACE(state + " x " + kind);
      Case copy = base;
      if (allowed.at(state).contains(kind)) {
        Apply(event, &copy);
        EXPECT_EQ(copy.version(), base.version() + 1);
      } else {
        ExpectRefused(event, &copy);
      }
    }
  }
}

TEST(CaseMachineTest, AnExtensionRequestWaitsForOneDecision) {
  Case c;
  Apply(Assigned(1, "A"), &c);
  Apply(By("A", Accepted), &c);
  events::v1::CaseEvent request = By("A", [](events::v1::CaseEvent& e) {
    e.mutable_extension_requested()->set_request_ref("EXT-3");
    e.mutable_extension_requested()->set_days(15);
  });
  Apply(request, &c);
  ASSERT_TRUE(c.has_pending_extension());
  EXPECT_EQ(c.pending_extension().request_ref(), "EXT-3");
  ExpectRefused(request, &c);  // one at a time
  events::v1::CaseEvent wrong = By("A", [](events::v1::CaseEvent& e) {
    e.mutable_extension_refused()->set_request_ref("EXT-2");
  });
  ExpectRefused(wrong, &c);
  events::v1::CaseEvent approved = By("A", [](events::v1::CaseEvent& e) {
    e.mutable_extension_approved()->set_request_ref("EXT-3");
    e.mutable_extension_approved()->set_stage(1);
  });
  Apply(approved, &c);
  EXPECT_FALSE(c.has_pending_extension());
  EXPECT_EQ(c.regulatory_extension_stage(), 1);
  ExpectRefused(approved, &c);  // nothing waits any more
  // Requests written before they waited (no reference) still apply, and wait for nothing.
  Apply(By("A", [](events::v1::CaseEvent& e) { e.mutable_extension_requested(); }), &c);
  Apply(By("A", [](events::v1::CaseEvent& e) { e.mutable_extension_requested(); }), &c);
  EXPECT_FALSE(c.has_pending_extension());
  // A resolution drops a request still waiting.
  Apply(request, &c);
  Apply(By("A", Resolved), &c);
  EXPECT_FALSE(c.has_pending_extension());
}

// The case keeps its history: the units it was with, the escalations acted on, the reopening's
// reason.
TEST(CaseMachineTest, TheCaseRemembersItsUnitsEscalationsAndReopenReason) {
  Case c;
  Apply(Assigned(1, "A"), &c);
  Apply(By("A", [](events::v1::CaseEvent& e) {
          e.mutable_escalated()->set_alert_id("alert-1");
          e.mutable_escalated()->set_step(2);
          e.mutable_escalated()->set_notified_unit("B");
          e.mutable_escalated()->set_to_unit("B");
        }),
        &c);
  Apply(Assigned(2, "B"), &c);
  ASSERT_EQ(c.escalations_size(), 1);
  EXPECT_EQ(c.escalations(0).alert_id(), "alert-1");
  EXPECT_EQ(c.escalations(0).to_unit(), "B");
  EXPECT_EQ(c.previous_units_size(), 1);
  EXPECT_EQ(c.previous_units(0), "A");
  Apply(By("B", Accepted), &c);
  Apply(By("B", Resolved), &c);
  Apply(By("B", [](events::v1::CaseEvent& e) { e.mutable_reopened()->set_reason("not fixed"); }),
        &c);
  EXPECT_EQ(c.reopen_reason(), "not fixed");
  Apply(Assigned(3, "C"), &c);
  EXPECT_EQ(c.previous_units_size(), 2);
  EXPECT_EQ(c.previous_units(1), "B");
}

}  // namespace
}  // namespace complaints::cases
