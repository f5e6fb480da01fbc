#include "services/routing/reopen.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/routing/rules.h"

namespace complaints::routing {
namespace {

using ::testing::HasSubstr;

constexpr char kUnits[] = R"(
unit { code: "HO" tier: UNIT_TIER_HEAD_OFFICE }
unit { code: "HO-ATM" tier: UNIT_TIER_HEAD_OFFICE parent: "HO" }
unit { code: "BJ" tier: UNIT_TIER_BRANCH parent: "HO" }
unit { code: "BJ-10" tier: UNIT_TIER_SUB_BRANCH parent: "BJ" }
unit { code: "BJ-1" tier: UNIT_TIER_OUTLET parent: "BJ-10" }
)";

UnitHierarchy Units() {
  auto units = UnitHierarchy::FromText(kUnits);
  EXPECT_TRUE(units.ok()) << units.status();
  return *units;
}

routing::v1::Case Reopened(const std::string& unit, int reopens,
                           events::v1::Level level = events::v1::LEVEL_ORDINARY,
                           const std::string& category = "queueing.long_wait") {
  routing::v1::Case c;
  c.set_complaint_id("CMP1");
  c.set_unit(unit);
  c.set_state(routing::v1::CASE_STATE_REOPENED);
  c.set_reopen_count(reopens);
  c.set_level(level);
  c.set_category(category);
  return c;
}

TEST(ReopenTest, OneLevelUpEachTimeAndEscalatedAtTheSecond) {
  const UnitHierarchy units = Units();
  const routing::v1::ReopenPolicy none;
  ReopenPlan first = PlanReopen(Reopened("BJ-1", 1), none, units, "HO");
  EXPECT_EQ(first.unit, "BJ-10");
  EXPECT_EQ(first.rule_id, "reopened");
  EXPECT_EQ(first.level, events::v1::LEVEL_ORDINARY);  // no raise in the policy
  ReopenPlan second = PlanReopen(Reopened("BJ-10", 2), none, units, "HO");
  EXPECT_EQ(second.unit, "BJ");
  EXPECT_EQ(second.level, events::v1::LEVEL_ESCALATED);  // built in
  // The top handles its own; a unit the hierarchy does not know goes to the default supervisor.
  EXPECT_EQ(PlanReopen(Reopened("HO", 1), none, units, "HO").unit, "HO");
  EXPECT_EQ(PlanReopen(Reopened("XX-9", 1), none, units, "HO").unit, "HO");
}

TEST(ReopenTest, TheLevelIsRaisedPerPolicyAndNeverLowered) {
  const UnitHierarchy units = Units();
  routing::v1::ReopenPolicy policy;
  auto* raise = policy.add_raise();
  raise->set_reopens(1);
  raise->set_level(events::v1::LEVEL_MAJOR);
  EXPECT_EQ(PlanReopen(Reopened("BJ-1", 1), policy, units, "HO").level, events::v1::LEVEL_MAJOR);
  EXPECT_EQ(PlanReopen(Reopened("BJ-1", 1, events::v1::LEVEL_ESCALATED), policy, units, "HO").level,
            events::v1::LEVEL_ESCALATED);
  EXPECT_EQ(PlanReopen(Reopened("BJ-1", 1, events::v1::LEVEL_UNSPECIFIED), policy, units, "HO").level,
            events::v1::LEVEL_MAJOR);
}

TEST(ReopenTest, TheFirstSpecialistRuleThatHoldsTakesTheCase) {
  const UnitHierarchy units = Units();
  routing::v1::ReopenPolicy policy;
  auto* twice = policy.add_specialist();
  twice->set_id("atm-twice");
  twice->add_category_prefix("atm.");
  twice->set_min_reopens(2);
  twice->set_unit("HO-ATM");
  auto* beijing = policy.add_specialist();
  beijing->set_id("beijing");
  beijing->add_unit_under("BJ");
  beijing->add_level(events::v1::LEVEL_MAJOR);
  beijing->set_unit("BJ");

  EXPECT_EQ(PlanReopen(Reopened("BJ-1", 1, events::v1::LEVEL_ORDINARY, "atm.card_retained"),
                       policy, units, "HO").unit,
            "BJ-10");  // once: neither holds
  const ReopenPlan atm = PlanReopen(
      Reopened("BJ-10", 2, events::v1::LEVEL_MAJOR, "atm.card_retained"), policy, units, "HO");
  EXPECT_EQ(atm.unit, "HO-ATM");
  EXPECT_EQ(atm.rule_id, "reopen:atm-twice");
  EXPECT_EQ(atm.level, events::v1::LEVEL_ESCALATED);
  const ReopenPlan major = PlanReopen(Reopened("BJ-1", 1, events::v1::LEVEL_MAJOR), policy, units, "HO");
  EXPECT_EQ(major.unit, "BJ");
  EXPECT_EQ(major.rule_id, "reopen:beijing");
}

// The reopen section of rules.textproto is checked on load, each problem with its line.
TEST(ReopenTest, TheRulesFileReopenSectionIsChecked) {
  RuleSources sources;
  sources.units = kUnits;
  sources.taxonomy = R"(version: "t" leaf { code: "atm.card_retained" } leaf { code: "fees.x" })";
  sources.rules = R"(fallback_unit: "HO"
reopen {
  raise { reopens: 0 level: LEVEL_MAJOR }
  specialist { id: "a" unit: "HO-NOPE" }
  specialist { id: "a" category_prefix: "cards." unit: "HO" }
  specialist { id: "b" unit_under: "XX" unit: "HO" }
}
)";
  auto set = RuleSet::Build(sources, 1);
  ASSERT_FALSE(set.ok());
  const std::string problems(set.status().message());
  EXPECT_THAT(problems, HasSubstr("rules.textproto:3: reopen raise: reopens must be 1 or more"));
  EXPECT_THAT(problems, HasSubstr("rules.textproto:4: reopen specialist a: unknown unit HO-NOPE"));
  EXPECT_THAT(problems, HasSubstr("rules.textproto:5: reopen specialist a: defined twice"));
  EXPECT_THAT(problems, HasSubstr("reopen specialist a: category cards. is not in the catalogue"));
  EXPECT_THAT(problems, HasSubstr("rules.textproto:6: reopen specialist b: unknown unit XX"));

  sources.rules = R"(fallback_unit: "HO"
reopen { specialist { id: "a" category_prefix: "atm." unit: "HO-ATM" } }
)";
  auto good = RuleSet::Build(sources, 1);
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ((*good)->reopen().specialist_size(), 1);
}

// The shipped files carry the reopen policy (major at the first reopening).
TEST(ReopenTest, ShippedRulesRaiseTheFirstReopeningToMajor) {
  const auto rules = DefaultRules();
  const ReopenPlan plan = PlanReopen(Reopened("BJ-0101", 1), rules->reopen(), rules->units(),
                                     "HO-COMPLAINTS");
  EXPECT_EQ(plan.unit, "BJ-0110");
  EXPECT_EQ(plan.level, events::v1::LEVEL_MAJOR);
}

}  // namespace
}  // namespace complaints::routing
