#include "libs/authz/access_policy.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "complaints/analytics/v1/analytics.grpc.pb.h"
#include "complaints/followup/v1/followup.grpc.pb.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "complaints/sla/v1/sla.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace complaints::authz {
namespace {

const std::string kSource = COMPLAINTS_SOURCE_DIR;

AccessPolicy DeployedPolicy() {
  auto policy = AccessPolicy::FromFile(kSource + "/deploy/authz/policy.textproto");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

UnitTree DeployedUnits() {
  auto units = UnitTree::FromFile(kSource + "/deploy/routing/units.textproto");
  EXPECT_TRUE(units.ok()) << units.status();
  return *units;
}

// Every RPC of the platform's five services, from their descriptors: a method added later is in
// the table at once (and refused to every role but admin until the policy names it).
// By name from the generated pool; the messages named here link each API's descriptors in.
const google::protobuf::ServiceDescriptor* Service(const char* name) {
  for (const auto* linked :
       {intake::v1::GetComplaintRequest::descriptor(), routing::v1::GetCaseRequest::descriptor(),
        sla::v1::GetDeadlinesRequest::descriptor(), followup::v1::RecordOutcomeRequest::descriptor(),
        analytics::v1::GetTimelineRequest::descriptor()}) {
    (void)linked;
  }
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
  EXPECT_NE(service, nullptr) << name;
  return service;
}

std::vector<const google::protobuf::MethodDescriptor*> AllMethods() {
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (const char* name :
       {"complaints.intake.v1.IntakeService", "complaints.routing.v1.CaseService",
        "complaints.routing.v1.RoutingAdminService", "complaints.sla.v1.SlaService",
        "complaints.followup.v1.FollowUpService", "complaints.analytics.v1.AnalyticsService"}) {
    const auto* service = Service(name);
    for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i));
  }
  return methods;
}

std::string FullName(const google::protobuf::MethodDescriptor* method) {
  return method->service()->full_name() + "/" + method->name();
}

// Facts of a call by `principal` about a complaint whose case is with `case_unit`, or about
// `case_unit` itself when the request names no complaint.
CallFacts FactsFor(const google::protobuf::MethodDescriptor* method, const std::string& case_unit) {
  CallFacts facts;
  facts.method = FullName(method);
  const auto* input = method->input_type();
  facts.has_unit_field = input->FindFieldByName("unit") != nullptr;
  if (input->FindFieldByName("complaint_id") != nullptr) {
    facts.complaint_id = "c-1";
    facts.case_unit = case_unit;
  } else if (facts.has_unit_field) {
    facts.request_unit = case_unit;
  }
  return facts;
}

// The expected table: what each role may call (in scope). Everything else is refused.
const std::map<std::string, std::set<std::string>> kAllowed = {
    {"telephony:ivr-1",
     {"IntakeService/SubmitComplaint", "IntakeService/SubmitComplaints",
      "FollowUpService/RecordOutcome"}},
    {"agent:alice",
     {"IntakeService/SubmitComplaint", "IntakeService/SubmitComplaints",
      "IntakeService/GetComplaint", "CaseService/GetCase", "SlaService/GetDeadlines",
      "AnalyticsService/GetTimeline", "FollowUpService/RecordOutcome"}},
    {"branch:BJ-0101",
     {"IntakeService/GetComplaint", "CaseService/AcceptCase", "CaseService/LogContact",
      "CaseService/TransferCase", "CaseService/RequestExtension", "CaseService/ResolveCase",
      "CaseService/ReportFix", "CaseService/PauseCase", "CaseService/ResumeCase", "CaseService/RecordNewFacts",
      "CaseService/GetCase", "CaseService/ListCases", "SlaService/GetDeadlines",
      "SlaService/ListUnitDeadlines", "SlaService/WatchAlerts", "AnalyticsService/GetTimeline"}},
    {"supervisor:BJ-0110",
     {"IntakeService/GetComplaint", "CaseService/AcceptCase", "CaseService/LogContact",
      "CaseService/TransferCase", "CaseService/RequestExtension",
      "CaseService/ApproveExtension", "CaseService/RefuseExtension", "CaseService/ResolveCase",
      "CaseService/ReportFix", "CaseService/PauseCase", "CaseService/ResumeCase", "CaseService/RecordNewFacts",
      "CaseService/GetCase", "CaseService/ListCases", "SlaService/GetDeadlines",
      "SlaService/ListUnitDeadlines", "SlaService/WatchAlerts", "SlaService/PauseClocks",
      "SlaService/ResumeClocks", "SlaService/ExtendDeadline", "AnalyticsService/GetTimeline",
      "AnalyticsService/GetAggregates", "AnalyticsService/GetBacklog"}},
    {"operations:ops",
     {"IntakeService/GetComplaint", "CaseService/GetCase", "CaseService/ListCases",
      "RoutingAdminService/ListRules", "RoutingAdminService/ExplainRoute",
      "SlaService/GetDeadlines", "SlaService/ListUnitDeadlines", "SlaService/WatchAlerts",
      "AnalyticsService/GetTimeline", "AnalyticsService/GetCounts",
      "AnalyticsService/GetAggregates", "AnalyticsService/GetBacklog",
      "AnalyticsService/ListHotSpots", "AnalyticsService/ExportMonthlyReport"}},
};

std::string ShortName(const google::protobuf::MethodDescriptor* method) {
  return method->service()->name() + "/" + method->name();
}

TEST(AccessPolicyTest, EveryRoleTimesEveryRpcInScope) {
  const AccessPolicy policy = DeployedPolicy();
  const UnitTree units = DeployedUnits();
  std::map<std::string, std::set<std::string>> expected = kAllowed;
  for (const auto* method : AllMethods()) expected["admin:root"].insert(ShortName(method));
  for (const auto& [cn, allowed] : expected) {
    const Principal principal = *ParsePrincipal(cn);
    // In scope: the unit itself for a branch, a unit under it for a supervisor.
    const std::string unit = principal.role == "supervisor" ? "BJ-0101"
                             : principal.role == "branch"   ? principal.name
                                                            : "SH-0201";
    for (const auto* method : AllMethods()) {
      const Decision decision = policy.Decide(principal, FactsFor(method, unit), units);
      if (allowed.contains(ShortName(method))) {
        EXPECT_TRUE(decision.status.ok()) << cn << " " << ShortName(method) << ": " << decision.status;
      } else {
        EXPECT_EQ(decision.status.code(), absl::StatusCode::kPermissionDenied)
            << cn << " " << ShortName(method);
        EXPECT_NE(decision.status.message().find("role " + principal.role), std::string::npos)
            << decision.status;
      }
    }
  }
}

TEST(AccessPolicyTest, UnitBoundRolesOutOfScopeAreRefusedEverywhere) {
  const AccessPolicy policy = DeployedPolicy();
  const UnitTree units = DeployedUnits();
  // SH-0201 is neither BJ-0101 nor under BJ-0110; BJ-0110 (the branch's parent) is not the
  // branch's either.
  for (const std::string cn : {"branch:BJ-0101", "supervisor:BJ-0110"}) {
    const Principal principal = *ParsePrincipal(cn);
    for (const std::string other : {"SH-0201", "BJ-0100"}) {
      for (const auto* method : AllMethods()) {
        const Decision decision = policy.Decide(principal, FactsFor(method, other), units);
        EXPECT_EQ(decision.status.code(), absl::StatusCode::kPermissionDenied)
            << cn << " " << ShortName(method) << " on " << other;
      }
    }
  }
}

TEST(AccessPolicyTest, UnknownComplaintIsRefusedLikeAnotherUnitsWithoutNamingIt) {
  const AccessPolicy policy = DeployedPolicy();
  const UnitTree units = DeployedUnits();
  const Principal branch{"branch", "BJ-0101"};
  CallFacts facts{.method = "complaints.routing.v1.CaseService/GetCase", .complaint_id = "guess"};
  const Decision unknown = policy.Decide(branch, facts, units);
  facts.case_unit = "SH-0201";
  const Decision other = policy.Decide(branch, facts, units);
  EXPECT_EQ(unknown.status, other.status);  // the same words: existence is not leaked
  EXPECT_EQ(unknown.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(other.status.message().find("SH-0201"), std::string::npos) << other.status;
  EXPECT_NE(other.status.message().find("scope own unit BJ-0101"), std::string::npos) << other.status;
}

TEST(AccessPolicyTest, TheUnitOfACommandComesFromTheCredential) {
  const AccessPolicy policy = DeployedPolicy();
  const UnitTree units = DeployedUnits();
  const Principal branch{"branch", "BJ-0101"};
  CallFacts facts{.method = "complaints.routing.v1.CaseService/AcceptCase",
                  .complaint_id = "c-1",
                  .has_unit_field = true,
                  .case_unit = "BJ-0101"};
  Decision decision = policy.Decide(branch, facts, units);
  EXPECT_TRUE(decision.status.ok()) << decision.status;
  EXPECT_EQ(decision.fill_unit, "BJ-0101");
  EXPECT_TRUE(decision.change);
  // Naming another unit as the actor is refused, even on the branch's own case.
  facts.request_unit = "SH-0201";
  decision = policy.Decide(branch, facts, units);
  EXPECT_EQ(decision.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(decision.status.message().find("unit comes from the credential"), std::string::npos);
  // A watch without a unit is the branch's own unit, never every unit.
  decision = policy.Decide(branch,
                           {.method = "complaints.sla.v1.SlaService/WatchAlerts", .has_unit_field = true},
                           units);
  EXPECT_TRUE(decision.status.ok());
  EXPECT_EQ(decision.fill_unit, "BJ-0101");
  EXPECT_FALSE(decision.change);
}

TEST(AccessPolicyTest, SupervisorsReachTheirSubtreeOnly) {
  const AccessPolicy policy = DeployedPolicy();
  const UnitTree units = DeployedUnits();
  const Principal supervisor{"supervisor", "BJ-0100"};
  for (const auto& [unit, ok] : std::vector<std::pair<std::string, bool>>{
           {"BJ-0100", true}, {"BJ-0110", true}, {"BJ-0202", true}, {"SH-0201", false},
           {"HO-COMPLAINTS", false}}) {
    const Decision decision = policy.Decide(
        supervisor,
        {.method = "complaints.routing.v1.CaseService/ApproveExtension", .complaint_id = "c",
         .has_unit_field = true, .case_unit = unit},
        units);
    EXPECT_EQ(decision.status.ok(), ok) << unit << ": " << decision.status;
  }
}

TEST(AccessPolicyTest, OperationsReadsMaskedAndUnknownRolesAreRefused) {
  const AccessPolicy policy = DeployedPolicy();
  const UnitTree units = DeployedUnits();
  const Decision ops = policy.Decide({"operations", "ops"},
                                     {.method = "complaints.intake.v1.IntakeService/GetComplaint",
                                      .complaint_id = "c"},
                                     units);
  EXPECT_TRUE(ops.status.ok());
  EXPECT_TRUE(ops.mask_customer);
  const Decision agent = policy.Decide(
      {"agent", "alice"}, {.method = "complaints.intake.v1.IntakeService/GetComplaint"}, units);
  EXPECT_FALSE(agent.mask_customer);
  const Decision stranger = policy.Decide(
      {"intruder", "x"}, {.method = "complaints.intake.v1.IntakeService/GetComplaint"}, units);
  EXPECT_EQ(stranger.status.code(), absl::StatusCode::kPermissionDenied);
}

TEST(AccessPolicyTest, ParsesPrincipals) {
  EXPECT_EQ(ParsePrincipal("branch:BJ-0101")->name, "BJ-0101");
  EXPECT_EQ(ParsePrincipal("branch:BJ-0101")->role, "branch");
  EXPECT_FALSE(ParsePrincipal("branch").ok());
  EXPECT_FALSE(ParsePrincipal(":x").ok());
  EXPECT_FALSE(ParsePrincipal("x:").ok());
}

TEST(AccessPolicyTest, RefusesBadPolicies) {
  EXPECT_FALSE(AccessPolicy::FromText("roles { name: \"a\" grants { methods: \"*\" } }").ok());
  EXPECT_FALSE(AccessPolicy::FromText(
                   "roles { name: \"a\" grants { scope: SCOPE_OWN_UNIT methods: \"*\" } }")
                   .ok());
  EXPECT_FALSE(AccessPolicy::FromText("roles { name: \"a\" } roles { name: \"a\" }").ok());
  EXPECT_FALSE(AccessPolicy::FromText(
                   "roles { name: \"a\" grants { scope: SCOPE_ANY methods: \"GetCase\" } }")
                   .ok());
  EXPECT_TRUE(AccessPolicy::FromText(
                  "roles { name: \"a\" grants { scope: SCOPE_ANY methods: \"p.S/*\" } }")
                  .ok());
}

TEST(AccessPolicyTest, ReadsAndChanges) {
  EXPECT_FALSE(IsChange("complaints.routing.v1.CaseService/GetCase"));
  EXPECT_FALSE(IsChange("complaints.sla.v1.SlaService/WatchAlerts"));
  EXPECT_TRUE(IsChange("complaints.routing.v1.CaseService/ResolveCase"));
  EXPECT_TRUE(IsChange("complaints.sla.v1.SlaService/ExtendDeadline"));
}

}  // namespace
}  // namespace complaints::authz
