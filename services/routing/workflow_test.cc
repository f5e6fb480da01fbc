// The handling step (处理) of CaseService on the router, with the ledger in memory: every command
// in every state of the case, the transfer bounce limit, extension requests and their decisions,
// the resolution's findings, and a unit's worklist (ListCases).
#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libs/cases/case_machine.h"
#include "libs/cases/memory_case_ledger_store.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/grpcutil/status.h"
#include "libs/testing/fake_publisher.h"
#include "services/routing/router.h"
#include "services/routing/rules.h"

namespace complaints::routing {
namespace {

using routing::v1::Case;
using routing::v1::CaseState;

// The fields a refusal names, from its google.rpc.BadRequest.
std::vector<std::string> BadFields(const absl::Status& status) {
  std::vector<std::string> fields;
  if (auto bad_request = grpcutil::BadRequestOf(status)) {
    for (const auto& v : bad_request->field_violations()) fields.push_back(v.field());
  }
  return fields;
}

class WorkflowTest : public ::testing::Test {
 protected:
  WorkflowTest() { MakeRouter(); }

  void MakeRouter(std::function<std::string(const std::string&)> supervisor_of = nullptr) {
    RouterSettings settings;
    settings.rules = DefaultRules();
    settings.max_transfer_bounces = 2;
    settings.supervisor_of = std::move(supervisor_of);
    settings.clock = &clock_;
    settings.unit_deadlines = [this](const std::string& unit, absl::Time) {
      ++deadline_reads_;
      return deadlines_[unit];
    };
    router_ = std::make_unique<Router>(&ledger_, settings);
  }

  // A complaint for branch `branch` (an ATM category: routed to the branch).
  void Receive(const std::string& id, const std::string& branch = "BJ-0101",
               events::v1::Urgency urgency = events::v1::URGENCY_NORMAL,
               events::v1::Level level = events::v1::LEVEL_ORDINARY) {
    events::v1::ComplaintReceived complaint;
    complaint.set_complaint_id(id);
    complaint.set_category("atm.card_retained");
    complaint.set_branch_code(branch);
    complaint.set_level(level);
    complaint.set_urgency(urgency);
    const auto record = events::ToRecord(events::kReceivedTopic, id, complaint, "e-" + id,
                                         "/test", id, clock_.Now());
    ASSERT_TRUE(router_->HandleReceived(testing::AsIncoming(record)).ok());
  }

  absl::StatusOr<Case> Accept(const std::string& id, const std::string& unit) {
    routing::v1::AcceptCaseRequest accept;
    accept.set_complaint_id(id);
    accept.set_unit(unit);
    accept.set_responsible("李娜");
    return router_->Accept(accept);
  }

  absl::StatusOr<Case> Transfer(const std::string& id, const std::string& from,
                                const std::string& to) {
    routing::v1::TransferCaseRequest transfer;
    transfer.set_complaint_id(id);
    transfer.set_unit(from);
    transfer.set_to_unit(to);
    transfer.set_reason("the account is held at the other branch");
    return router_->Transfer(transfer);
  }

  absl::StatusOr<Case> RequestExtension(const std::string& id, const std::string& unit) {
    routing::v1::RequestExtensionRequest request;
    request.set_complaint_id(id);
    request.set_unit(unit);
    request.set_days(15);
    request.set_reason("waiting for the card scheme's chargeback answer");
    return router_->RequestExtension(request);
  }

  routing::v1::ApproveExtensionRequest Approval(const std::string& id) {
    routing::v1::ApproveExtensionRequest approve;
    approve.set_complaint_id(id);
    approve.set_unit("HO-COMPLAINTS");
    approve.set_actor("supervisor-zhao");
    approve.set_customer_notified(true);
    return approve;
  }

  routing::v1::RefuseExtensionRequest Refusal(const std::string& id) {
    routing::v1::RefuseExtensionRequest refuse;
    refuse.set_complaint_id(id);
    refuse.set_unit("HO-COMPLAINTS");
    refuse.set_actor("supervisor-zhao");
    refuse.set_reason("the appraisal pause covers the wait; no extension needed");
    return refuse;
  }

  routing::v1::ResolveCaseRequest Resolution(const std::string& id, const std::string& unit) {
    routing::v1::ResolveCaseRequest resolve;
    resolve.set_complaint_id(id);
    resolve.set_unit(unit);
    resolve.set_resolution("card returned; the ATM's card reader replaced");
    resolve.set_fault(events::v1::FAULT_PARTY_SYSTEM);
    resolve.set_motive(events::v1::CUSTOMER_MOTIVE_COMPENSATION);
    resolve.set_remedy("apology and a refund of the fee");
    resolve.mutable_compensation()->set_amount_minor(5000);
    resolve.mutable_compensation()->set_currency("CNY");
    resolve.set_business_problem_fixed(true);
    return resolve;
  }

  // An event another service wrote (follow-up's close or reopen), applied as the case
  // consumer would, without routing's reaction to it.
  void Observe(const std::string& id, void (*set)(events::v1::CaseEvent&)) {
    events::v1::CaseEvent event;
    event.set_complaint_id(id);
    event.set_unit(router_->Get(id)->unit());
    set(event);
    auto observed = ledger_.Observe(event, "followup-" + std::to_string(++observed_));
    ASSERT_TRUE(observed.ok());
    ASSERT_EQ(*observed, cases::Observation::kApplied);
  }

  std::vector<events::v1::CaseEvent> CaseEvents() const {
    std::vector<events::v1::CaseEvent> out;
    for (const auto& record : publisher_.PublishedTo(events::kCaseTopic)) {
      out.emplace_back().ParseFromString(record.value);
    }
    return out;
  }

  testing::FakePublisher publisher_;
  cases::MemoryCaseLedgerStore store_;
  common::ManualClock clock_{absl::FromUnixSeconds(1764115200)};
  cases::CaseLedger ledger_{&store_, &publisher_, &clock_, {.event_source = "/complaints/routing"}};
  std::map<std::string, std::map<std::string, absl::Time>> deadlines_;  // by unit
  int deadline_reads_ = 0;
  int observed_ = 0;
  std::unique_ptr<Router> router_;
};

// ---- every command in every state ----

enum class Cmd {
  kAccept, kLogContact, kTransfer, kRequestExtension, kApproveExtension, kRefuseExtension,
  kResolve, kPause, kResume, kRecordNewFacts, kReportFix
};
constexpr Cmd kCommands[] = {Cmd::kAccept,           Cmd::kLogContact,       Cmd::kTransfer,
                             Cmd::kRequestExtension, Cmd::kApproveExtension, Cmd::kRefuseExtension,
                             Cmd::kResolve,          Cmd::kPause,            Cmd::kResume,
                             Cmd::kRecordNewFacts,   Cmd::kReportFix};
const char* Name(Cmd cmd) {
  static const char* names[] = {"Accept",           "LogContact",      "Transfer",
                                "RequestExtension", "ApproveExtension", "RefuseExtension",
                                "Resolve",          "Pause",           "Resume",
                                "RecordNewFacts",   "ReportFix"};
  return names[static_cast<int>(cmd)];
}

// The states a case can be in when a command arrives, with the two where an extension request
// waits (accepted, and transferred on while it waits).
enum class Given { kNone, kAssigned, kAccepted, kAcceptedWaiting, kAssignedWaiting, kResolved,
                   kClosed, kReopened, kAwaitingFix };

struct Cell {
  Given setup;
  const char* name;
  CaseState state;
  // The commands allowed; every other is refused (FAILED_PRECONDITION; NOT_FOUND without a case).
  std::vector<Cmd> allowed;
};

const Cell kCells[] = {
    {Given::kNone, "no case", routing::v1::CASE_STATE_UNSPECIFIED, {}},
    {Given::kAssigned, "ASSIGNED", routing::v1::CASE_STATE_ASSIGNED,
     {Cmd::kAccept, Cmd::kTransfer, Cmd::kRecordNewFacts}},
    {Given::kAccepted, "ACCEPTED", routing::v1::CASE_STATE_ACCEPTED,
     {Cmd::kLogContact, Cmd::kTransfer, Cmd::kRequestExtension, Cmd::kResolve, Cmd::kPause,
      Cmd::kResume, Cmd::kRecordNewFacts}},
    {Given::kAcceptedWaiting, "ACCEPTED, extension waiting", routing::v1::CASE_STATE_ACCEPTED,
     {Cmd::kLogContact, Cmd::kTransfer, Cmd::kApproveExtension, Cmd::kRefuseExtension,
      Cmd::kResolve, Cmd::kPause, Cmd::kResume, Cmd::kRecordNewFacts}},
    {Given::kAssignedWaiting, "ASSIGNED, extension waiting", routing::v1::CASE_STATE_ASSIGNED,
     {Cmd::kAccept, Cmd::kTransfer, Cmd::kApproveExtension, Cmd::kRefuseExtension,
      Cmd::kRecordNewFacts}},
    {Given::kResolved, "RESOLVED", routing::v1::CASE_STATE_RESOLVED, {}},
    {Given::kClosed, "CLOSED", routing::v1::CASE_STATE_CLOSED, {}},
    {Given::kReopened, "REOPENED", routing::v1::CASE_STATE_REOPENED, {Cmd::kRecordNewFacts}},
    {Given::kAwaitingFix, "AWAITING_FIX", routing::v1::CASE_STATE_AWAITING_FIX, {Cmd::kReportFix}},
};

class StateCommandTest : public WorkflowTest {
 protected:
  // Brings complaint id_ into the cell's state; returns the unit it is with.
  std::string Prepare(Given setup) {
    if (setup == Given::kNone) return "BJ-0101";
    Receive(id_);
    if (setup == Given::kAssigned) return "BJ-0101";
    EXPECT_TRUE(Accept(id_, "BJ-0101").ok());
    if (setup == Given::kAccepted) return "BJ-0101";
    if (setup == Given::kAcceptedWaiting || setup == Given::kAssignedWaiting) {
      EXPECT_TRUE(RequestExtension(id_, "BJ-0101").ok());
      if (setup == Given::kAcceptedWaiting) return "BJ-0101";
      EXPECT_TRUE(Transfer(id_, "BJ-0101", "SH-0200").ok());
      return "SH-0200";
    }
    EXPECT_TRUE(router_->Resolve(Resolution(id_, "BJ-0101")).ok());
    if (setup == Given::kClosed) {
      Observe(id_, [](events::v1::CaseEvent& e) { e.mutable_closed(); });
    }
    if (setup == Given::kReopened) {
      Observe(id_, [](events::v1::CaseEvent& e) { e.mutable_reopened(); });
    }
    if (setup == Given::kAwaitingFix) {
      Observe(id_, [](events::v1::CaseEvent& e) { e.mutable_awaiting_fix(); });
    }
    return "BJ-0101";
  }

  absl::Status Run(Cmd cmd, const std::string& unit) {
    const std::string& id = id_;
    switch (cmd) {
      case Cmd::kAccept:
        return Accept(id, unit).status();
      case Cmd::kLogContact: {
        routing::v1::LogContactRequest r;
        r.set_complaint_id(id);
        r.set_unit(unit);
        r.set_channel("phone");
        r.set_summary("called the customer back");
        return router_->LogContact(r).status();
      }
      case Cmd::kTransfer:
        return Transfer(id, unit, unit == "GZ-0300" ? "SZ-0400" : "GZ-0300").status();
      case Cmd::kRequestExtension:
        return RequestExtension(id, unit).status();
      case Cmd::kApproveExtension:
        return router_->ApproveExtension(Approval(id)).status();
      case Cmd::kRefuseExtension:
        return router_->RefuseExtension(Refusal(id)).status();
      case Cmd::kResolve:
        return router_->Resolve(Resolution(id, unit)).status();
      case Cmd::kPause: {
        routing::v1::PauseCaseRequest r;
        r.set_complaint_id(id);
        r.set_unit(unit);
        r.set_reason(events::v1::PAUSE_REASON_WAITING_ON_CUSTOMER);
        return router_->Pause(r).status();
      }
      case Cmd::kResume: {
        routing::v1::ResumeCaseRequest r;
        r.set_complaint_id(id);
        r.set_unit(unit);
        return router_->Resume(r).status();
      }
      case Cmd::kRecordNewFacts: {
        routing::v1::RecordNewFactsRequest r;
        r.set_complaint_id(id);
        r.set_summary("the customer found a second retained card");
        return router_->RecordNewFacts(r).status();
      }
      case Cmd::kReportFix: {
        routing::v1::ReportFixRequest r;
        r.set_complaint_id(id);
        r.set_unit(unit);
        r.set_note("the fee rule is corrected");
        return router_->ReportFix(r).status();
      }
    }
    return absl::InternalError("unknown command");
  }

  std::string id_ = "C0";
  int cells_ = 0;
};

TEST_F(StateCommandTest, EveryCommandInEveryState) {
  for (const Cell& cell : kCells) {
    for (Cmd cmd : kCommands) {
      SCOPED_TRACE(std::string(cell.name) + " x " + Name(cmd));
      // A complaint of its own per cell: each command meets the case exactly in the cell's state.
      id_ = "C" + std::to_string(++cells_);
      const std::string unit = Prepare(cell.setup);
      const auto before = router_->Get(id_);
      if (cell.setup != Given::kNone) {
        ASSERT_TRUE(before.ok());
        ASSERT_EQ(before->state(), cell.state);
      }
      const absl::Status status = Run(cmd, unit);
      const bool allowed =
          std::find(cell.allowed.begin(), cell.allowed.end(), cmd) != cell.allowed.end();
      if (allowed) {
        EXPECT_TRUE(status.ok()) << status;
        continue;
      }
      if (cell.setup == Given::kNone) {
        EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
        continue;
      }
      EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
      // Said for a clerk: which case, and either its state and what to do, or the extension
      // request that is (or is not) waiting.
      const std::string message(status.message());
      EXPECT_NE(message.find("case " + id_), std::string::npos) << message;
      const bool about_state =
          message.find(std::string(" is ") + cases::StateName(cell.state) + ": cannot") !=
              std::string::npos &&
          message.find("(it ") != std::string::npos;
      const bool about_request = message.find("extension request") != std::string::npos;
      EXPECT_TRUE(about_state || about_request) << message;
      EXPECT_EQ(router_->Get(id_)->version(), before->version()) << "a refusal changes nothing";
    }
  }
}

TEST_F(StateCommandTest, CommandsOfAnotherUnitArePermissionDeniedNamingTheCasesUnit) {
  Prepare(Given::kAccepted);
  const absl::Status status = Run(Cmd::kResolve, "SH-0200");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(status.message().find("is with unit BJ-0101"), std::string::npos) << status;
}

// ---- transfer: the bounce limit ----

TEST_F(WorkflowTest, APingPongGoesToTheSupervisorAfterTheLimit) {
  Receive("CMP1");
  ASSERT_TRUE(Transfer("CMP1", "BJ-0101", "SH-0200").ok());   // 1
  ASSERT_TRUE(Transfer("CMP1", "SH-0200", "BJ-0101").ok());   // 2: back again
  ASSERT_TRUE(Transfer("CMP1", "BJ-0101", "GZ-0300").ok());   // another pair: not counted
  ASSERT_TRUE(Transfer("CMP1", "GZ-0300", "BJ-0101").ok());
  auto third = Transfer("CMP1", "BJ-0101", "SH-0200");       // 3 between BJ and SH: too many
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->unit(), "HO-COMPLAINTS");
  EXPECT_EQ(third->state(), routing::v1::CASE_STATE_ASSIGNED);
  const auto events = CaseEvents();
  ASSERT_GE(events.size(), 2u);
  const auto& transferred = events[events.size() - 2];
  ASSERT_TRUE(transferred.has_transferred());
  EXPECT_EQ(transferred.transferred().to_unit(), "HO-COMPLAINTS");
  EXPECT_EQ(transferred.transferred().requested_to_unit(), "SH-0200");
  EXPECT_EQ(events.back().assigned().rule_id(), "transfer-bounce-limit");
  const auto assignments = publisher_.PublishedTo(events::kAssignmentsTopic);
  EXPECT_EQ(assignments.back().key, "HO-COMPLAINTS");
  EXPECT_EQ(third->transfers_size(), 5);
}

TEST_F(WorkflowTest, TheSupervisorComesFromTheHierarchyWhenThereIsOne) {
  MakeRouter([](const std::string& unit) { return unit == "BJ-0101" ? "BJ-BRANCH" : ""; });
  Receive("CMP1");
  ASSERT_TRUE(Transfer("CMP1", "BJ-0101", "SH-0200").ok());
  ASSERT_TRUE(Transfer("CMP1", "SH-0200", "BJ-0101").ok());
  auto third = Transfer("CMP1", "BJ-0101", "SH-0200");
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->unit(), "BJ-BRANCH");
}

TEST_F(WorkflowTest, ASupervisorThatBouncesTooOftenMustKeepTheCase) {
  Receive("CMP1", "");  // no branch: head-office complaint management, its own supervisor
  ASSERT_EQ(router_->Get("CMP1")->unit(), "HO-COMPLAINTS");
  ASSERT_TRUE(Transfer("CMP1", "HO-COMPLAINTS", "SH-0200").ok());
  ASSERT_TRUE(Transfer("CMP1", "SH-0200", "HO-COMPLAINTS").ok());
  auto third = Transfer("CMP1", "HO-COMPLAINTS", "SH-0200");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(third.status().message().find("must handle the case itself"), std::string::npos)
      << third.status();
}

TEST_F(WorkflowTest, TransferReasonIsRequiredAndLimited) {
  Receive("CMP1");
  routing::v1::TransferCaseRequest transfer;
  transfer.set_complaint_id("CMP1");
  transfer.set_unit("BJ-0101");
  transfer.set_to_unit("SH-0200");
  EXPECT_EQ(BadFields(router_->Transfer(transfer).status()), std::vector<std::string>{"reason"});
  std::string long_reason;
  for (int i = 0; i < 501; ++i) long_reason += "因";
  transfer.set_reason(long_reason);
  EXPECT_EQ(BadFields(router_->Transfer(transfer).status()), std::vector<std::string>{"reason"});
  long_reason.resize(long_reason.size() - 3);  // 500 characters (1500 bytes): allowed
  transfer.set_reason(long_reason);
  EXPECT_TRUE(router_->Transfer(transfer).ok());
}

// ---- extensions: requested, then approved or refused by the supervisor ----

TEST_F(WorkflowTest, AnApprovedExtensionMovesTheRegulatoryLadderOneStage) {
  Receive("CMP1");
  ASSERT_TRUE(Accept("CMP1", "BJ-0101").ok());
  auto requested = RequestExtension("CMP1", "BJ-0101");
  ASSERT_TRUE(requested.ok()) << requested.status();
  ASSERT_TRUE(requested->has_pending_extension());
  const std::string ref = requested->pending_extension().request_ref();
  EXPECT_EQ(ref, "EXT-" + std::to_string(requested->version()));
  EXPECT_EQ(requested->regulatory_extension_stage(), 0);
  // A request moves no clock: nothing but the request is on the topic.
  for (const auto& e : CaseEvents()) EXPECT_FALSE(e.has_extension_approved());

  auto approve = Approval("CMP1");
  approve.set_unit("BJ-0101");  // the unit itself is not its supervisor
  EXPECT_EQ(router_->ApproveExtension(approve).status().code(),
            absl::StatusCode::kPermissionDenied);
  approve = Approval("CMP1");
  approve.set_customer_notified(false);
  EXPECT_EQ(BadFields(router_->ApproveExtension(approve).status()),
            std::vector<std::string>{"customer_notified"});
  approve = Approval("CMP1");
  approve.set_request_ref("EXT-999");
  EXPECT_EQ(router_->ApproveExtension(approve).status().code(),
            absl::StatusCode::kFailedPrecondition);

  approve.set_request_ref(ref);
  auto approved = router_->ApproveExtension(approve);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_FALSE(approved->has_pending_extension());
  EXPECT_EQ(approved->regulatory_extension_stage(), 1);
  const auto event = CaseEvents().back();
  ASSERT_TRUE(event.has_extension_approved());
  EXPECT_EQ(event.extension_approved().clock(), events::v1::CLOCK_REGULATORY);
  EXPECT_EQ(event.extension_approved().stage(), 1);
  EXPECT_EQ(event.extension_approved().request_ref(), ref);
  EXPECT_EQ(event.extension_approved().approved_by(), "supervisor-zhao");
  EXPECT_TRUE(event.extension_approved().customer_notified());
  EXPECT_EQ(event.unit(), "BJ-0101");

  // Stage 2 (60 days), then no more.
  ASSERT_TRUE(RequestExtension("CMP1", "BJ-0101").ok());
  auto second = router_->ApproveExtension(Approval("CMP1"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->regulatory_extension_stage(), 2);
  EXPECT_EQ(CaseEvents().back().extension_approved().stage(), 2);
  auto third = RequestExtension("CMP1", "BJ-0101");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(third.status().message().find("60 days"), std::string::npos) << third.status();
}

TEST_F(WorkflowTest, ARefusedExtensionIsAnEventAndMovesNothing) {
  Receive("CMP1");
  ASSERT_TRUE(Accept("CMP1", "BJ-0101").ok());
  ASSERT_TRUE(RequestExtension("CMP1", "BJ-0101").ok());
  // One request at a time.
  EXPECT_EQ(RequestExtension("CMP1", "BJ-0101").status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto refuse = Refusal("CMP1");
  refuse.set_reason("");
  EXPECT_EQ(BadFields(router_->RefuseExtension(refuse).status()),
            std::vector<std::string>{"reason"});
  auto refused = router_->RefuseExtension(Refusal("CMP1"));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->has_pending_extension());
  EXPECT_EQ(refused->regulatory_extension_stage(), 0);
  const auto event = CaseEvents().back();
  ASSERT_TRUE(event.has_extension_refused());
  EXPECT_EQ(event.extension_refused().refused_by(), "supervisor-zhao");
  for (const auto& e : CaseEvents()) EXPECT_FALSE(e.has_extension_approved());
  // Nothing waits any more: a second decision is refused; a new request may be made.
  EXPECT_EQ(router_->ApproveExtension(Approval("CMP1")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(RequestExtension("CMP1", "BJ-0101").ok());
}

// ---- resolution: findings, checked ----

TEST_F(WorkflowTest, AResolutionCarriesItsFindings) {
  Receive("CMP1");
  ASSERT_TRUE(Accept("CMP1", "BJ-0101").ok());
  auto resolved = router_->Resolve(Resolution("CMP1", "BJ-0101"));
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const auto event = CaseEvents().back().resolved();
  EXPECT_TRUE(event.bank_at_fault());
  EXPECT_EQ(event.fault(), events::v1::FAULT_PARTY_SYSTEM);
  EXPECT_EQ(event.motive(), events::v1::CUSTOMER_MOTIVE_COMPENSATION);
  EXPECT_EQ(event.remedy(), "apology and a refund of the fee");
  EXPECT_EQ(event.compensation().amount_minor(), 5000);
  EXPECT_EQ(event.compensation().currency(), "CNY");
  EXPECT_TRUE(event.business_problem_fixed());
  EXPECT_EQ(resolved->resolution().SerializeAsString(), event.SerializeAsString());
}

TEST_F(WorkflowTest, NoFaultMeansTheBankWasNotAtFault) {
  Receive("CMP1");
  ASSERT_TRUE(Accept("CMP1", "BJ-0101").ok());
  auto resolve = Resolution("CMP1", "BJ-0101");
  resolve.set_fault(events::v1::FAULT_PARTY_NONE);
  resolve.clear_compensation();
  ASSERT_TRUE(router_->Resolve(resolve).ok());
  EXPECT_FALSE(CaseEvents().back().resolved().bank_at_fault());
  EXPECT_FALSE(CaseEvents().back().resolved().has_compensation());
}

TEST_F(WorkflowTest, ABadResolutionNamesEveryBadField) {
  Receive("CMP1");
  ASSERT_TRUE(Accept("CMP1", "BJ-0101").ok());
  routing::v1::ResolveCaseRequest resolve;
  resolve.set_complaint_id("CMP1");
  resolve.set_unit("BJ-0101");
  resolve.set_motive(static_cast<events::v1::CustomerMotive>(42));
  std::string remedy;
  for (int i = 0; i < 501; ++i) remedy += "赔";
  resolve.set_remedy(remedy);
  resolve.mutable_compensation()->set_amount_minor(-1);
  resolve.mutable_compensation()->set_currency("rmb");
  const absl::Status status = router_->Resolve(resolve).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadFields(status),
            (std::vector<std::string>{"resolution", "fault", "motive", "remedy",
                                      "compensation.amount_minor", "compensation.currency"}));

  resolve = Resolution("CMP1", "BJ-0101");
  resolve.set_fault(events::v1::FAULT_PARTY_NONE);
  resolve.set_bank_at_fault(true);
  EXPECT_EQ(BadFields(router_->Resolve(resolve).status()),
            std::vector<std::string>{"bank_at_fault"});
  resolve = Resolution("CMP1", "BJ-0101");
  resolve.mutable_compensation()->clear_currency();
  EXPECT_EQ(BadFields(router_->Resolve(resolve).status()),
            std::vector<std::string>{"compensation.currency"});
  EXPECT_EQ(router_->Get("CMP1")->state(), routing::v1::CASE_STATE_ACCEPTED);
}

TEST_F(WorkflowTest, AcceptNamesTheResponsiblePerson) {
  Receive("CMP1");
  routing::v1::AcceptCaseRequest accept;
  accept.set_complaint_id("CMP1");
  accept.set_unit("BJ-0101");
  EXPECT_EQ(BadFields(router_->Accept(accept).status()), std::vector<std::string>{"responsible"});
  auto accepted = Accept("CMP1", "BJ-0101");
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(accepted->responsible(), "李娜");
  EXPECT_EQ(CaseEvents().back().accepted().responsible(), "李娜");
  // A transfer clears it: the next unit names its own.
  EXPECT_EQ(Transfer("CMP1", "BJ-0101", "SH-0200")->responsible(), "");
}

// 跟回复: the next contact promised to the customer travels on the event, checked against the
// command's time: in the future, at most 60 days on, INVALID_ARGUMENT naming the field otherwise.
TEST_F(WorkflowTest, LogContactChecksTheNextContactPromised) {
  Receive("CMP1");
  ASSERT_TRUE(Accept("CMP1", "BJ-0101").ok());
  routing::v1::LogContactRequest contact;
  contact.set_complaint_id("CMP1");
  contact.set_unit("BJ-0101");
  contact.set_channel("phone");
  const absl::Time now = clock_.Now();
  const std::vector<std::string> promise_field = {"next_contact_promised_at"};
  for (const absl::Time bad : {now, now - absl::Hours(1), now + absl::Hours(24 * 60 + 1)}) {
    *contact.mutable_next_contact_promised_at() = common::ToProtoTime(bad);
    const absl::Status refused = router_->LogContact(contact).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(BadFields(refused), promise_field) << bad;
  }
  contact.mutable_next_contact_promised_at()->set_nanos(-1);
  EXPECT_EQ(BadFields(router_->LogContact(contact).status()), promise_field);
  EXPECT_FALSE(CaseEvents().back().has_contact_logged());  // nothing was appended

  *contact.mutable_next_contact_promised_at() = common::ToProtoTime(now + absl::Hours(24 * 60));
  ASSERT_TRUE(router_->LogContact(contact).ok());
  const absl::Time promised = now + absl::Hours(26);
  *contact.mutable_next_contact_promised_at() = common::ToProtoTime(promised);
  contact.set_request_id("call-1");
  ASSERT_TRUE(router_->LogContact(contact).ok());
  const events::v1::CaseEvent logged = CaseEvents().back();
  ASSERT_TRUE(logged.has_contact_logged());
  EXPECT_EQ(common::FromProtoTime(logged.contact_logged().next_contact_promised_at()), promised);
  EXPECT_EQ(common::FromProtoTime(logged.occurred_at()), now);  // the time it was judged at
  // The same command retried after the promised time (its answer was lost): answered with the
  // case, nothing appended twice.
  const size_t events = CaseEvents().size();
  clock_.Advance(absl::Hours(30));
  EXPECT_TRUE(router_->LogContact(contact).ok());
  EXPECT_EQ(CaseEvents().size(), events);
  contact.clear_request_id();

  contact.clear_next_contact_promised_at();  // no promise is fine
  ASSERT_TRUE(router_->LogContact(contact).ok());
  EXPECT_FALSE(CaseEvents().back().contact_logged().has_next_contact_promised_at());
}

// ---- ListCases: a unit's worklist ----

TEST_F(WorkflowTest, ListCasesPutsVeryUrgentFirstThenTheNearestDeadline) {
  const absl::Time now = clock_.Now();
  Receive("C-LATER");                                          // due in 5 days
  Receive("C-URGENT", "BJ-0101", events::v1::URGENCY_VERY_URGENT);  // due in 10 days
  Receive("C-OVERDUE", "BJ-0101", events::v1::URGENCY_NORMAL, events::v1::LEVEL_MAJOR);
  Receive("C-NONE");                                           // no running deadline
  Receive("C-ELSEWHERE", "SH-0200");
  deadlines_["BJ-0101"] = {{"C-LATER", now + absl::Hours(120)},
                           {"C-URGENT", now + absl::Hours(240)},
                           {"C-OVERDUE", now - absl::Hours(1)}};
  deadlines_["SH-0200"] = {{"C-ELSEWHERE", now - absl::Hours(5)}};

  routing::v1::ListCasesRequest request;
  request.set_unit("BJ-0101");
  auto all = router_->ListCases(request);
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::string> ids;
  for (const auto& item : all->cases()) ids.push_back(item.case_().complaint_id());
  EXPECT_EQ(ids, (std::vector<std::string>{"C-URGENT", "C-OVERDUE", "C-LATER", "C-NONE"}));
  EXPECT_TRUE(all->cases(1).overdue());
  EXPECT_FALSE(all->cases(0).overdue());
  EXPECT_FALSE(all->cases(3).has_due_at());
  EXPECT_EQ(all->next_page_token(), "");

  // Pages of two, resumed from the token.
  request.set_page_size(2);
  auto first = router_->ListCases(request);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->cases_size(), 2);
  ASSERT_FALSE(first->next_page_token().empty());
  request.set_page_token(first->next_page_token());
  auto second = router_->ListCases(request);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->cases_size(), 2);
  EXPECT_EQ(second->cases(0).case_().complaint_id(), "C-LATER");
  EXPECT_EQ(second->cases(1).case_().complaint_id(), "C-NONE");
  EXPECT_EQ(second->next_page_token(), "");

  // Filters.
  routing::v1::ListCasesRequest overdue;
  overdue.set_unit("BJ-0101");
  overdue.set_overdue_only(true);
  ASSERT_EQ(router_->ListCases(overdue)->cases_size(), 1);
  EXPECT_EQ(router_->ListCases(overdue)->cases(0).case_().complaint_id(), "C-OVERDUE");
  routing::v1::ListCasesRequest major;
  major.set_unit("BJ-0101");
  major.add_levels(events::v1::LEVEL_MAJOR);
  ASSERT_EQ(router_->ListCases(major)->cases_size(), 1);
  routing::v1::ListCasesRequest urgent;
  urgent.set_unit("BJ-0101");
  urgent.add_urgencies(events::v1::URGENCY_VERY_URGENT);
  ASSERT_EQ(router_->ListCases(urgent)->cases_size(), 1);
  EXPECT_EQ(router_->ListCases(urgent)->cases(0).case_().complaint_id(), "C-URGENT");

  // States: open ones by default; a resolved case is listed only when asked for.
  ASSERT_TRUE(Accept("C-LATER", "BJ-0101").ok());
  ASSERT_TRUE(router_->Resolve(Resolution("C-LATER", "BJ-0101")).ok());
  routing::v1::ListCasesRequest open;
  open.set_unit("BJ-0101");
  EXPECT_EQ(router_->ListCases(open)->cases_size(), 3);
  routing::v1::ListCasesRequest resolved;
  resolved.set_unit("BJ-0101");
  resolved.add_states(routing::v1::CASE_STATE_RESOLVED);
  ASSERT_EQ(router_->ListCases(resolved)->cases_size(), 1);
  EXPECT_EQ(router_->ListCases(resolved)->cases(0).case_().complaint_id(), "C-LATER");
  // A transfer moves the case to the other unit's list.
  ASSERT_TRUE(Transfer("C-NONE", "BJ-0101", "SH-0200").ok());
  EXPECT_EQ(router_->ListCases(open)->cases_size(), 2);
  routing::v1::ListCasesRequest sh;
  sh.set_unit("SH-0200");
  EXPECT_EQ(router_->ListCases(sh)->cases_size(), 2);
}

TEST_F(WorkflowTest, ListCasesChecksItsRequest) {
  routing::v1::ListCasesRequest request;
  request.add_states(static_cast<routing::v1::CaseState>(9));
  request.add_levels(events::v1::LEVEL_UNSPECIFIED);
  request.add_urgencies(static_cast<events::v1::Urgency>(7));
  request.set_page_size(-1);
  request.set_page_token("not a token");
  const absl::Status status = router_->ListCases(request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadFields(status), (std::vector<std::string>{"unit", "states", "levels", "urgencies",
                                                         "page_size", "page_token"}));
  EXPECT_EQ(deadline_reads_, 0);
}

}  // namespace
}  // namespace complaints::routing
