#include "services/routing/case_state.h"

#include "gtest/gtest.h"

namespace complaints::routing {
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

events::v1::CaseEvent Of(void (*set)(events::v1::CaseEvent&)) {
  events::v1::CaseEvent e;
  e.set_complaint_id("CMP1");
  set(e);
  return e;
}

const auto kAccepted = Of([](auto& e) { e.mutable_accepted(); });
const auto kResolved = Of([](auto& e) { e.mutable_resolved(); });
const auto kReopened = Of([](auto& e) { e.mutable_reopened(); });
const auto kClosed = Of([](auto& e) { e.mutable_closed(); });

TEST(CaseStateTest, FullLoop) {
  Case c;
  ApplyCaseEvent(Assigned(1, "BJ-0101"), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c.unit(), "BJ-0101");
  EXPECT_EQ(c.level(), events::v1::LEVEL_MAJOR);
  ApplyCaseEvent(kAccepted, &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_ACCEPTED);
  ApplyCaseEvent(kResolved, &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_RESOLVED);
  ApplyCaseEvent(kReopened, &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_REOPENED);
  EXPECT_EQ(c.reopen_count(), 1);
  ApplyCaseEvent(Assigned(2, "BJ-0101"), &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c.assignment_sequence(), 2);
  ApplyCaseEvent(kAccepted, &c);
  ApplyCaseEvent(kResolved, &c);
  ApplyCaseEvent(kClosed, &c);
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_CLOSED);
}

TEST(CaseStateTest, StaleAndDuplicateEventsChangeNothing) {
  Case c;
  ApplyCaseEvent(Assigned(1, "A"), &c);
  ApplyCaseEvent(kAccepted, &c);
  ApplyCaseEvent(Assigned(1, "A"), &c);  // duplicate assignment
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_ACCEPTED);
  ApplyCaseEvent(kResolved, &c);
  ApplyCaseEvent(kAccepted, &c);  // late acceptance
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_RESOLVED);
  ApplyCaseEvent(kReopened, &c);
  ApplyCaseEvent(kReopened, &c);  // a second reopen before re-assignment is the same reopen
  EXPECT_EQ(c.reopen_count(), 1);
}

TEST(CaseStateTest, TransferMovesTheCaseWithItsAssignment) {
  Case c;
  ApplyCaseEvent(Assigned(1, "A"), &c);
  ApplyCaseEvent(Assigned(2, "B"), &c);
  EXPECT_EQ(c.unit(), "B");
  EXPECT_EQ(c.state(), routing::v1::CASE_STATE_ASSIGNED);
}

TEST(CaseStateTest, CommandChecks) {
  Case c;
  ApplyCaseEvent(Assigned(1, "A"), &c);
  EXPECT_TRUE(CheckAccept(c, "A").ok());
  EXPECT_EQ(CheckAccept(c, "B").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckAccept(c, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckResolve(c, "A").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckWork(c, "A").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckTransfer(c, "A", "B").ok());
  EXPECT_EQ(CheckTransfer(c, "A", "A").code(), absl::StatusCode::kInvalidArgument);
  ApplyCaseEvent(kAccepted, &c);
  EXPECT_TRUE(CheckResolve(c, "A").ok());
  EXPECT_TRUE(CheckWork(c, "A").ok());
  EXPECT_EQ(CheckAccept(c, "A").code(), absl::StatusCode::kFailedPrecondition);
  ApplyCaseEvent(kResolved, &c);
  const absl::Status s = CheckTransfer(c, "A", "B");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("RESOLVED"), absl::string_view::npos) << s;
}

}  // namespace
}  // namespace complaints::routing
