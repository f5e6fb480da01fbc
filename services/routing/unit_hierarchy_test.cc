#include "services/routing/unit_hierarchy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/files.h"

namespace complaints::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A small bank: head office over two branches, one with a sub-branch and two outlets.
constexpr char kUnits[] = R"(
escalation { step: 1 tier: UNIT_TIER_SUB_BRANCH }
escalation { step: 2 tier: UNIT_TIER_BRANCH }
escalation { step: 3 unit: "HO" }
unit { code: "HO" tier: UNIT_TIER_HEAD_OFFICE }
unit { code: "HO-CARDS" tier: UNIT_TIER_HEAD_OFFICE parent: "HO" }
unit { code: "BJ" tier: UNIT_TIER_BRANCH parent: "HO" region: "north" }
unit { code: "BJ-S" tier: UNIT_TIER_SUB_BRANCH parent: "BJ" }
unit { code: "BJ-1" tier: UNIT_TIER_OUTLET parent: "BJ-S" }
unit { code: "BJ-2" tier: UNIT_TIER_OUTLET parent: "BJ-S" supervisor: "BJ" region: "capital" }
unit { code: "BJ-3" tier: UNIT_TIER_OUTLET parent: "BJ-S" escalation { step: 1 unit: "BJ" } }
unit { code: "SH" tier: UNIT_TIER_BRANCH parent: "HO" region: "east" }
unit { code: "SH-1" tier: UNIT_TIER_OUTLET parent: "SH" }
)";

UnitHierarchy Units() {
  auto units = UnitHierarchy::FromText(kUnits);
  EXPECT_TRUE(units.ok()) << units.status();
  return units.ok() ? *units : UnitHierarchy();
}

TEST(UnitHierarchyTest, ParentsSupervisorsTiersRegions) {
  const UnitHierarchy units = Units();
  EXPECT_EQ(units.Parent("BJ-1"), "BJ-S");
  EXPECT_EQ(units.Parent("HO"), "");
  EXPECT_EQ(units.Supervisor("BJ-1"), "BJ-S");  // its parent by default
  EXPECT_EQ(units.Supervisor("BJ-2"), "BJ");    // named
  EXPECT_EQ(units.Supervisor("HO-CARDS"), "HO");
  EXPECT_EQ(units.Supervisor("HO"), "");
  EXPECT_EQ(units.Level("BJ-1"), routing::v1::UNIT_TIER_OUTLET);
  EXPECT_EQ(units.Level("BJ"), routing::v1::UNIT_TIER_BRANCH);
  EXPECT_EQ(units.Region("BJ-1"), "north");  // inherited from the 分行
  EXPECT_EQ(units.Region("BJ-2"), "capital");
  EXPECT_EQ(units.Region("HO"), "");
  EXPECT_THAT(units.Chain("BJ-1"), ElementsAre("BJ-1", "BJ-S", "BJ", "HO"));
}

TEST(UnitHierarchyTest, Contains) {
  const UnitHierarchy units = Units();
  EXPECT_TRUE(units.Contains("BJ", "BJ-1"));
  EXPECT_TRUE(units.Contains("HO", "BJ-1"));
  EXPECT_TRUE(units.Contains("BJ-1", "BJ-1"));
  EXPECT_FALSE(units.Contains("BJ-1", "BJ"));
  EXPECT_FALSE(units.Contains("SH", "BJ-1"));
  EXPECT_FALSE(units.Contains("BJ", "XX-9"));  // unknown: contained only by itself
  EXPECT_TRUE(units.Contains("XX-9", "XX-9"));
}

TEST(UnitHierarchyTest, UnknownUnitsStandAlone) {
  const UnitHierarchy units = Units();
  EXPECT_FALSE(units.Has("XX-9"));
  EXPECT_EQ(units.Parent("XX-9"), "");
  EXPECT_EQ(units.Supervisor("XX-9"), "");
  EXPECT_EQ(units.Level("XX-9"), routing::v1::UNIT_TIER_UNSPECIFIED);
  EXPECT_EQ(units.EscalationTarget("XX-9", 1), "XX-9");
}

TEST(UnitHierarchyTest, EscalationLadder) {
  const UnitHierarchy units = Units();
  // An outlet: to its sub-branch, then its branch, then head office; later steps as the last.
  EXPECT_EQ(units.EscalationTarget("BJ-1", 1), "BJ-S");
  EXPECT_EQ(units.EscalationTarget("BJ-1", 2), "BJ");
  EXPECT_EQ(units.EscalationTarget("BJ-1", 3), "HO");
  EXPECT_EQ(units.EscalationTarget("BJ-1", 4), "HO");
  // An outlet right under its branch: no sub-branch, so step 1 is already the branch.
  EXPECT_EQ(units.EscalationTarget("SH-1", 1), "SH");
  // A branch stays itself until head office; a department too.
  EXPECT_EQ(units.EscalationTarget("BJ", 1), "BJ");
  EXPECT_EQ(units.EscalationTarget("HO-CARDS", 2), "HO-CARDS");
  EXPECT_EQ(units.EscalationTarget("HO-CARDS", 3), "HO");
  // A unit's own target for a step wins; the hierarchy's later steps still apply.
  EXPECT_EQ(units.EscalationTarget("BJ-3", 1), "BJ");
  EXPECT_EQ(units.EscalationTarget("BJ-3", 3), "HO");
}

TEST(UnitHierarchyTest, WithoutALadderEscalationFollowsSupervisors) {
  auto units = UnitHierarchy::FromText(R"(
    unit { code: "HO" tier: UNIT_TIER_HEAD_OFFICE }
    unit { code: "B" tier: UNIT_TIER_BRANCH parent: "HO" }
    unit { code: "O" tier: UNIT_TIER_OUTLET parent: "B" }
  )");
  ASSERT_TRUE(units.ok()) << units.status();
  EXPECT_EQ(units->EscalationTarget("O", 1), "B");
  EXPECT_EQ(units->EscalationTarget("O", 2), "HO");
  EXPECT_EQ(units->EscalationTarget("O", 5), "HO");  // nobody above the top
}

struct BadUnits {
  std::string text;
  std::string problem;  // "<line>: <what>" expected in the error
};

class UnitHierarchyProblemsTest : public ::testing::TestWithParam<BadUnits> {};

TEST_P(UnitHierarchyProblemsTest, ReportedWithTheirLine) {
  auto units = UnitHierarchy::FromText(GetParam().text, "units.textproto");
  ASSERT_FALSE(units.ok());
  EXPECT_EQ(units.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(units.status().message()), HasSubstr(GetParam().problem));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, UnitHierarchyProblemsTest,
    ::testing::Values(
        BadUnits{"unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\n"
                 "unit { code: \"B\" tier: UNIT_TIER_BRANCH parent: \"NOPE\" }\n",
                 "units.textproto:2: unit B: unknown parent NOPE"},
        BadUnits{"unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\n"
                 "unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\n",
                 "units.textproto:2: unit HO is defined twice"},
        BadUnits{"unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\n"
                 "unit { code: \"B\" tier: UNIT_TIER_BRANCH parent: \"HO\" }\n"
                 "unit { code: \"O\" tier: UNIT_TIER_BRANCH parent: \"B\" }\n",
                 "units.textproto:3: unit O: parent B is not of a higher tier"},
        BadUnits{"unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\n"
                 "unit { code: \"B\" tier: UNIT_TIER_BRANCH }\n",
                 "exactly one unit must have no parent (the top of the hierarchy); found 2"},
        BadUnits{"unit { code: \"A\" tier: UNIT_TIER_HEAD_OFFICE parent: \"B\" }\n"
                 "unit { code: \"B\" tier: UNIT_TIER_HEAD_OFFICE parent: \"A\" }\n"
                 "unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\n",
                 "units.textproto:1: unit A: its parents form a cycle"},
        BadUnits{"unit { code: \"HO\" }\n", "units.textproto:1: unit HO: tier must be given"},
        BadUnits{"unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\n"
                 "unit { code: \"B\" tier: UNIT_TIER_BRANCH parent: \"HO\" supervisor: \"X\" }\n",
                 "units.textproto:2: unit B: unknown supervisor X"},
        BadUnits{"unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\n"
                 "escalation { step: 1 unit: \"X\" }\n",
                 "units.textproto:2: hierarchy escalation step 1: unknown unit X"},
        BadUnits{"unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\n"
                 "escalation { step: 10 tier: UNIT_TIER_BRANCH }\n",
                 "escalation step must be 1..9"},
        BadUnits{"unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE\n"
                 "  escalation { step: 1 tier: UNIT_TIER_BRANCH }\n"
                 "  escalation { step: 1 tier: UNIT_TIER_BRANCH } }\n",
                 "unit HO escalation step 1 is given twice"},
        BadUnits{"unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\nunit { colour: 1 }\n",
                 "units.textproto:2:"}));

// The shipped hierarchy holds together and covers the units the sample and tests use.
TEST(UnitHierarchyTest, ShippedUnits) {
  auto text = common::ReadFile(std::string(COMPLAINTS_DEFAULT_ROUTING_DIR) + "/units.textproto");
  ASSERT_TRUE(text.ok()) << text.status();
  auto units = UnitHierarchy::FromText(*text);
  ASSERT_TRUE(units.ok()) << units.status();
  for (const char* code : {"HO-COMPLAINTS", "HO-CARDS", "HO-LOANS", "HO-WEALTH",
                           "HO-CREDIT-REPORTS", "HO-E-BANKING", "HO-IT-OPERATIONS", "BJ-0101",
                           "BJ-0102", "BJ-0202", "SH-0200", "SH-0201", "SH-0202", "SH-0203",
                           "GZ-0300", "GZ-0301", "GZ-0302", "SZ-0400", "SZ-0401", "SZ-0417",
                           "CD-0402"}) {
    EXPECT_TRUE(units->Has(code)) << code;
  }
  EXPECT_THAT(units->Chain("BJ-0101"), ElementsAre("BJ-0101", "BJ-0110", "BJ-0100", "HO-COMPLAINTS"));
  EXPECT_EQ(units->EscalationTarget("BJ-0101", 1), "BJ-0110");
  EXPECT_EQ(units->EscalationTarget("BJ-0101", 2), "BJ-0100");
  EXPECT_EQ(units->EscalationTarget("BJ-0101", 3), "HO-COMPLAINTS");
  EXPECT_EQ(units->EscalationTarget("CD-0402", 1), "CD-0500");
  EXPECT_EQ(units->Supervisor("SZ-0417"), "SZ-0400");
  EXPECT_EQ(units->Region("GZ-0301"), "south");
}

}  // namespace
}  // namespace complaints::routing
