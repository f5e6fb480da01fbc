#include <atomic>
#include "libs/cases/case_ledger.h"

#include "gtest/gtest.h"
#include "libs/cases/memory_case_ledger_store.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"

namespace complaints::cases {
namespace {

using routing::v1::Case;

constexpr char kId[] = "CMP1";

events::v1::CaseEvent AssignedTo(const std::string& unit, int sequence) {
  events::v1::CaseEvent e;
  e.set_unit(unit);
  e.mutable_assigned()->set_sequence(sequence);
  return e;
}

events::v1::CaseEvent Of(void (*set)(events::v1::CaseEvent&)) {
  events::v1::CaseEvent e;
  set(e);
  return e;
}

class CaseLedgerTest : public ::testing::Test {
 protected:
  Command Make(std::string what, std::function<absl::StatusOr<Decision>(const Case&)> decide,
               std::string request_id = "") {
    Command command;
    command.complaint_id = kId;
    command.what = std::move(what);
    command.request_id = std::move(request_id);
    command.actor = "tester";
    command.decide = std::move(decide);
    return command;
  }

  // The first assignment, to unit A.
  Command Route() {
    Command command = Make("routed", [](const Case&) {
      Decision d;
      d.events.push_back(AssignedTo("A", 1));
      events::v1::Assignment a;
      a.set_unit("A");
      a.set_sequence(1);
      d.assignments.push_back(a);
      return d;
    }, "received");
    command.creates_case = true;
    return command;
  }

  // `unit` accepts the case if it is assigned to it.
  Command Accept(const std::string& unit, std::string request_id = "") {
    return Make("accepted", [unit](const Case& c) -> absl::StatusOr<Decision> {
      if (c.unit() != unit) return absl::PermissionDeniedError("not yours");
      if (c.state() != routing::v1::CASE_STATE_ASSIGNED) return absl::FailedPreconditionError("state");
      Decision d;
      d.events.push_back(Of([](auto& e) { e.mutable_accepted(); }));
      return d;
    }, std::move(request_id));
  }

  Command Transfer(const std::string& from, const std::string& to) {
    return Make("transferred", [from, to](const Case& c) -> absl::StatusOr<Decision> {
      if (c.unit() != from) return absl::PermissionDeniedError("not yours");
      Decision d;
      events::v1::CaseEvent t;
      t.mutable_transferred()->set_from_unit(from);
      t.mutable_transferred()->set_to_unit(to);
      d.events.push_back(t);
      d.events.push_back(AssignedTo(to, c.assignment_sequence() + 1));
      events::v1::Assignment a;
      a.set_unit(to);
      a.set_sequence(c.assignment_sequence() + 1);
      d.assignments.push_back(a);
      return d;
    });
  }

  Command Resolve(const std::string& unit) {
    return Make("resolved", [unit](const Case& c) -> absl::StatusOr<Decision> {
      if (c.unit() != unit) return absl::PermissionDeniedError("not yours");
      if (c.state() != routing::v1::CASE_STATE_ACCEPTED) return absl::FailedPreconditionError("state");
      Decision d;
      d.events.push_back(Of([](auto& e) { e.mutable_resolved(); }));
      return d;
    });
  }

  Case MustExecute(const Command& command) {
    auto result = ledger_.Execute(command);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : Case();
  }

  MemoryCaseLedgerStore store_;
  testing::FakePublisher publisher_;
  common::ManualClock clock_{absl::FromUnixSeconds(1764115200)};
  CaseLedger ledger_{&store_, &publisher_, &clock_,
                     {.event_source = "/complaints/test", .pending_grace = absl::ZeroDuration()}};
};

TEST_F(CaseLedgerTest, CommandsAppendAndPublishInOrder) {
  MustExecute(Route());
  const Case accepted = MustExecute(Accept("A"));
  EXPECT_EQ(accepted.state(), routing::v1::CASE_STATE_ACCEPTED);
  EXPECT_EQ(accepted.version(), 2);
  const auto published = publisher_.published();
  ASSERT_EQ(published.size(), 3u);
  EXPECT_EQ(published[0].topic, events::kCaseTopic);
  EXPECT_EQ(published[1].topic, events::kAssignmentsTopic);
  EXPECT_EQ(published[1].key, "A");  // keyed by unit
  EXPECT_EQ(published[2].topic, events::kCaseTopic);
  events::v1::CaseEvent event;
  ASSERT_TRUE(event.ParseFromString(published[2].value));
  EXPECT_TRUE(event.has_accepted());
  EXPECT_EQ(event.unit(), "A");  // filled in from the case
  EXPECT_EQ(event.actor(), "tester");
  EXPECT_EQ(published[2].event.source, "/complaints/test");
  EXPECT_TRUE(store_.Load(kId)->record.pending().empty());
}

TEST_F(CaseLedgerTest, NoCaseIsNotFoundUnlessTheCommandCreatesIt) {
  EXPECT_EQ(ledger_.Execute(Accept("A")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(publisher_.published().empty());
}

// Redis restarts empty between the readiness check and the read: the markers go with the data,
// so the command must answer UNAVAILABLE (retry), never NOT_FOUND from the empty store.
TEST_F(CaseLedgerTest, StateLostJustBeforeTheReadIsUnavailableNotNotFound) {
  std::atomic<bool> ready = true;
  CaseLedger ledger{&store_, &publisher_, &clock_,
                    {.event_source = "/complaints/test",
                     .pending_grace = absl::ZeroDuration(),
                     .check_ready = [&](const std::string&) {
                       return ready ? absl::OkStatus() : absl::UnavailableError("rebuilding");
                     }}};
  ASSERT_TRUE(ledger.Execute(Route()).ok());
  store_.before_load = [&] {
    store_.LoseEverything();
    ready = false;
  };
  EXPECT_EQ(ledger.Execute(Accept("A")).status().code(), absl::StatusCode::kUnavailable);
  store_.before_load = [&] {
    store_.LoseEverything();
    ready = false;
  };
  ready = true;
  EXPECT_EQ(ledger.Get(kId).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(CaseLedgerTest, ARetriedRequestAppendsNothingTwice) {
  MustExecute(Route());
  MustExecute(Route());  // the same received record, delivered again
  MustExecute(Accept("A", "req-1"));
  const Case again = MustExecute(Accept("A", "req-1"));  // the client's retry
  EXPECT_EQ(again.state(), routing::v1::CASE_STATE_ACCEPTED);
  EXPECT_EQ(again.version(), 2);
  EXPECT_EQ(publisher_.published().size(), 3u);
}

TEST_F(CaseLedgerTest, ExpectedVersionThatMovedIsAborted) {
  MustExecute(Route());
  Command accept = Accept("A");
  accept.expected_version = 7;
  const auto result = ledger_.Execute(accept);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted) << result.status();
  accept.expected_version = 1;
  EXPECT_TRUE(ledger_.Execute(accept).ok());
}

// A transfer A -> B lands between the resolve's read and its write: the resolve is decided
// again on the transferred case and refused, instead of resolving B's case for it.
TEST_F(CaseLedgerTest, ACommandThatLosesARaceIsDecidedAgainOnTheWinnersResult) {
  MustExecute(Route());
  MustExecute(Accept("A"));
  store_.before_write = [this] { MustExecute(Transfer("A", "B")); };
  const auto resolved = ledger_.Execute(Resolve("A"));
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kPermissionDenied) << resolved.status();
  const Case now = store_.Load(kId)->record.case_();
  EXPECT_EQ(now.unit(), "B");
  EXPECT_EQ(now.state(), routing::v1::CASE_STATE_ASSIGNED);
  for (const auto& record : publisher_.published()) {
    events::v1::CaseEvent event;
    if (record.topic == events::kCaseTopic && event.ParseFromString(record.value)) {
      EXPECT_FALSE(event.has_resolved());
    }
  }
}

TEST_F(CaseLedgerTest, ARaceWithExpectedVersionIsAborted) {
  MustExecute(Route());
  MustExecute(Accept("A"));
  store_.before_write = [this] { MustExecute(Transfer("A", "B")); };
  Command transfer = Transfer("A", "C");
  transfer.expected_version = 2;
  EXPECT_EQ(ledger_.Execute(transfer).status().code(), absl::StatusCode::kAborted);
}

// Kafka is down when the transfer runs: none of its three records is lost or half-published.
// The next writer publishes them, byte for byte, before its own.
TEST_F(CaseLedgerTest, RecordsOfAFailedPublishAreCompletedByTheNextWriter) {
  MustExecute(Route());
  MustExecute(Accept("A"));
  publisher_.FailWith(absl::UnavailableError("broker down"));
  const auto transfer = ledger_.Execute(Transfer("A", "B"));
  EXPECT_EQ(transfer.status().code(), absl::StatusCode::kUnavailable);
  const StoredCase stored = *store_.Load(kId);
  ASSERT_EQ(stored.record.pending_size(), 3);
  EXPECT_EQ(*store_.PendingCases(10), std::vector<std::string>{kId});

  publisher_.FailWith(absl::OkStatus());
  clock_.Advance(absl::Minutes(5));  // a re-decided record would carry a new time
  MustExecute(Accept("B"));
  const auto published = publisher_.published();
  ASSERT_EQ(published.size(), 3u + 3u + 1u);
  const auto expected = ToOutgoing(stored.record.pending());
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(published[3 + i].value, expected[i].value);
    EXPECT_EQ(published[3 + i].event.id, expected[i].event.id);
    EXPECT_EQ(published[3 + i].event.time, expected[i].event.time);
  }
  EXPECT_TRUE(store_.PendingCases(10)->empty());
}

TEST_F(CaseLedgerTest, FlushPendingCompletesWhatNoCommandFollowed) {
  MustExecute(Route());
  publisher_.FailWith(absl::UnavailableError("broker down"));
  EXPECT_FALSE(ledger_.Execute(Accept("A", "req-9")).ok());
  publisher_.FailWith(absl::OkStatus());
  // The first sweep leaves it to its writer, who may be publishing right now; the next one
  // finds it unchanged and publishes it.
  EXPECT_EQ(*ledger_.FlushPending(10), 0);
  EXPECT_EQ(publisher_.published().size(), 2u);
  EXPECT_EQ(*ledger_.FlushPending(10), 1);
  EXPECT_EQ(publisher_.published().size(), 3u);
  EXPECT_TRUE(store_.PendingCases(10)->empty());
  // The client's retry now finds its command done.
  EXPECT_EQ(MustExecute(Accept("A", "req-9")).version(), 2);
  EXPECT_EQ(publisher_.published().size(), 3u);
}

TEST_F(CaseLedgerTest, ObserveAppliesForeignEventsOnceAndRecordsRefusals) {
  MustExecute(Route());
  const auto own = publisher_.published()[0];
  events::v1::CaseEvent own_event;
  ASSERT_TRUE(own_event.ParseFromString(own.value));
  EXPECT_EQ(*ledger_.Observe(own_event, own.event.id), Observation::kAlreadyApplied);

  events::v1::CaseEvent accepted = Of([](auto& e) { e.mutable_accepted(); });
  accepted.set_complaint_id(kId);
  accepted.set_unit("A");
  EXPECT_EQ(*ledger_.Observe(accepted, "ev-accept"), Observation::kApplied);
  EXPECT_EQ(*ledger_.Observe(accepted, "ev-accept"), Observation::kAlreadyApplied);
  EXPECT_EQ(store_.Load(kId)->record.case_().version(), 2);

  events::v1::CaseEvent closed = Of([](auto& e) { e.mutable_closed(); });
  closed.set_complaint_id(kId);
  closed.set_unit("A");
  EXPECT_EQ(*ledger_.Observe(closed, "ev-close"), Observation::kRefused);
  EXPECT_EQ(*ledger_.Observe(closed, "ev-close"), Observation::kRefused);
  const auto record = store_.Load(kId)->record;
  EXPECT_EQ(record.case_().state(), routing::v1::CASE_STATE_ACCEPTED);
  ASSERT_EQ(record.refusals_size(), 1);
  EXPECT_EQ(record.refusals(0).event_id(), "ev-close");
  EXPECT_EQ(record.refusals(0).event_kind(), "closed");
}

TEST_F(CaseLedgerTest, AClosedCaseExpiresAnOpenOneDoesNot) {
  MustExecute(Route());
  EXPECT_EQ(store_.TtlOf(kId), absl::ZeroDuration());
  MustExecute(Accept("A"));
  MustExecute(Resolve("A"));
  MustExecute(Make("closed", [](const Case&) {
    Decision d;
    d.events.push_back(Of([](auto& e) { e.mutable_closed(); }));
    return d;
  }));
  EXPECT_EQ(store_.TtlOf(kId), absl::Hours(24 * 90));
}

TEST_F(CaseLedgerTest, ADecisionTheStateMachineRefusesIsRefused) {
  MustExecute(Route());
  const auto result = ledger_.Execute(Make("bad", [](const Case&) {
    Decision d;
    d.events.push_back(Of([](auto& e) { e.mutable_resolved(); }));  // not accepted yet
    return d;
  }));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(publisher_.published().size(), 2u);
}

}  // namespace
}  // namespace complaints::cases
