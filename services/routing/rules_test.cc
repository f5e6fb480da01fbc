#include "services/routing/rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace complaints::routing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUnits[] = R"(
unit { code: "HO" tier: UNIT_TIER_HEAD_OFFICE }
unit { code: "HO-CARDS" tier: UNIT_TIER_HEAD_OFFICE parent: "HO" }
unit { code: "HO-LOANS" tier: UNIT_TIER_HEAD_OFFICE parent: "HO" }
unit { code: "BJ" tier: UNIT_TIER_BRANCH parent: "HO" region: "north" }
unit { code: "BJ-1" tier: UNIT_TIER_OUTLET parent: "BJ" }
unit { code: "BJ-2" tier: UNIT_TIER_OUTLET parent: "BJ" }
unit { code: "SH" tier: UNIT_TIER_BRANCH parent: "HO" region: "east" }
unit { code: "SH-1" tier: UNIT_TIER_OUTLET parent: "SH" }
)";

constexpr char kTaxonomy[] = R"(
version: "t-1"
leaf { code: "atm.card_retained" }
leaf { code: "cards.fraud" }
leaf { code: "cards.lost" }
leaf { code: "loans.rate" }
leaf { code: "fees.annual_fee" }
)";

RuleSources Sources(const std::string& rules, bool with_taxonomy = true) {
  RuleSources sources;
  sources.rules = rules;
  sources.units = kUnits;
  if (with_taxonomy) sources.taxonomy = kTaxonomy;
  return sources;
}

std::shared_ptr<const RuleSet> Build(const std::string& rules, int64_t version = 7) {
  auto set = RuleSet::Build(Sources(rules), version);
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : nullptr;
}

// The error of a file expected to be refused.
std::string Problems(const std::string& rules, bool with_taxonomy = true) {
  auto set = RuleSet::Build(Sources(rules, with_taxonomy), 1);
  EXPECT_FALSE(set.ok());
  if (set.ok()) return "";
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(set.status().message());
}

events::v1::ComplaintReceived Complaint(const std::string& category, const std::string& branch = "",
                                        const std::string& home = "") {
  events::v1::ComplaintReceived c;
  c.set_complaint_id("CMP1");
  c.set_category(category);
  c.set_branch_code(branch);
  c.mutable_customer()->set_home_branch(home);
  c.set_channel(events::v1::CHANNEL_PHONE);
  c.set_level(events::v1::LEVEL_ORDINARY);
  c.set_urgency(events::v1::URGENCY_NORMAL);
  return c;
}

// --- matching and precedence --------------------------------------------------------------------

constexpr char kRules[] = R"(
fallback_unit: "HO"
rule { id: "atm" precedence: 10 match { category_prefix: "atm." } unit: "${branch}" }
rule { id: "card" precedence: 10 match { category_prefix: "cards." } unit: "HO-CARDS" }
rule { id: "lost-home" precedence: 20 match { category_prefix: "cards.lost" } unit: "${home_branch}" }
rule { id: "loan-north" precedence: 10 match { category_prefix: "loans." region: "north" } unit: "BJ" }
rule { id: "loan" precedence: 5 match { category_prefix: "loans." } unit: "HO-LOANS" }
rule {
  id: "regulator" precedence: 30
  match { channel: CHANNEL_REGULATOR level: [LEVEL_MAJOR, LEVEL_ESCALATED] }
  unit: "HO"
}
rule { id: "sh-urgent" precedence: 40 match { branch: "SH" urgency: URGENCY_VERY_URGENT } unit: "SH" }
rule { id: "mortgage" precedence: 12 match { product: "mortgage" home_branch: "BJ" } unit: "BJ-1" }
)";

TEST(RuleSetTest, RoutesByCategoryPrefix) {
  auto rules = Build(kRules);
  const RouteDecision d = rules->Route(Complaint("cards.fraud"));
  EXPECT_EQ(d.unit, "HO-CARDS");
  EXPECT_EQ(d.rule_id, "card");
  EXPECT_EQ(d.rules_version, 7);
}

TEST(RuleSetTest, BranchPlaceholderNeedsABranch) {
  auto rules = Build(kRules);
  EXPECT_EQ(rules->Route(Complaint("atm.card_retained", "BJ-1")).unit, "BJ-1");
  // A branch the hierarchy does not know still gets its complaint.
  EXPECT_EQ(rules->Route(Complaint("atm.card_retained", "ZZ-9")).unit, "ZZ-9");
  const RouteDecision none = rules->Route(Complaint("atm.card_retained"));
  EXPECT_EQ(none.unit, "HO");
  EXPECT_EQ(none.rule_id, "fallback");
  EXPECT_EQ(none.rules_version, 7);
}

TEST(RuleSetTest, HigherPrecedenceWins) {
  auto rules = Build(kRules);
  // cards.lost: "lost-home" (20) over "card" (10), when there is a home branch.
  EXPECT_EQ(rules->Route(Complaint("cards.lost", "", "SH-1")).unit, "SH-1");
  EXPECT_EQ(rules->Route(Complaint("cards.lost", "", "SH-1")).rule_id, "lost-home");
  EXPECT_EQ(rules->Route(Complaint("cards.lost")).rule_id, "card");
  // Regulator-forwarded major complaints go to head office whatever the category.
  auto c = Complaint("cards.fraud", "SH-1");
  c.set_channel(events::v1::CHANNEL_REGULATOR);
  c.set_level(events::v1::LEVEL_MAJOR);
  EXPECT_EQ(rules->Route(c).rule_id, "regulator");
  c.set_level(events::v1::LEVEL_ORDINARY);
  EXPECT_EQ(rules->Route(c).rule_id, "card");
  // Very urgent in Shanghai beats the regulator rule.
  c.set_level(events::v1::LEVEL_MAJOR);
  c.set_urgency(events::v1::URGENCY_VERY_URGENT);
  EXPECT_EQ(rules->Route(c).rule_id, "sh-urgent");
}

TEST(RuleSetTest, RegionComesFromTheBranchThenTheHomeBranch) {
  auto rules = Build(kRules);
  EXPECT_EQ(rules->Route(Complaint("loans.rate", "BJ-2")).rule_id, "loan-north");
  EXPECT_EQ(rules->Route(Complaint("loans.rate", "SH-1")).rule_id, "loan");
  EXPECT_EQ(rules->Route(Complaint("loans.rate", "", "BJ-1")).rule_id, "loan-north");
  EXPECT_EQ(rules->Route(Complaint("loans.rate", "SH-1", "BJ-1")).rule_id, "loan");
  EXPECT_EQ(rules->Route(Complaint("loans.rate", "ZZ-9", "BJ-1")).rule_id, "loan-north");
  EXPECT_EQ(rules->Route(Complaint("loans.rate")).rule_id, "loan");
}

TEST(RuleSetTest, ProductAndHomeBranchUnderAUnit) {
  auto rules = Build(kRules);
  auto c = Complaint("fees.annual_fee", "", "BJ-2");
  c.set_product("mortgage");
  EXPECT_EQ(rules->Route(c).rule_id, "mortgage");
  c.mutable_customer()->set_home_branch("SH-1");
  EXPECT_EQ(rules->Route(c).rule_id, "fallback");
  c.mutable_customer()->set_home_branch("BJ-2");
  c.set_product("credit_card");
  EXPECT_EQ(rules->Route(c).rule_id, "fallback");
}

TEST(RuleSetTest, RulesAreListedByPrecedence) {
  auto rules = Build(kRules);
  ASSERT_EQ(rules->rules().size(), 8u);
  EXPECT_EQ(rules->rules().front().id(), "sh-urgent");
  EXPECT_EQ(rules->rules().back().id(), "loan");
  EXPECT_EQ(rules->fallback_unit(), "HO");
}

TEST(RuleSetTest, ExplainsTheChoiceAndEveryRulePassedOver) {
  auto rules = Build(kRules);
  auto c = Complaint("cards.lost", "BJ-1", "SH-1");
  const Explanation e = rules->Explain(c);
  EXPECT_EQ(e.decision.unit, "SH-1");
  EXPECT_EQ(e.decision.rule_id, "lost-home");
  EXPECT_EQ(e.decision.rules_version, 7);
  ASSERT_EQ(e.passed_over.size(), 7u);
  std::map<std::string, std::string> why;
  for (const auto& p : e.passed_over) why[p.rule.id()] = p.reason;
  EXPECT_EQ(why["sh-urgent"], "urgency URGENCY_NORMAL is not URGENCY_VERY_URGENT");
  EXPECT_EQ(why["regulator"], "channel CHANNEL_PHONE is not CHANNEL_REGULATOR");
  EXPECT_EQ(why["card"], "matches too, but rule lost-home (precedence 20) comes first");
  EXPECT_EQ(why["atm"], "category cards.lost is not under atm.");
  EXPECT_EQ(why["mortgage"], "product (none) is not mortgage");
  // The region check names the region it saw.
  const Explanation loan = rules->Explain(Complaint("loans.rate", "SH-1"));
  for (const auto& p : loan.passed_over) {
    if (p.rule.id() == "loan-north") {
      EXPECT_EQ(p.reason, "region east is not north");
    }
  }
  // Nothing matching: the fallback, and a reason for every rule.
  auto none = Complaint("atm.card_retained");
  const Explanation fallback = rules->Explain(none);
  EXPECT_EQ(fallback.decision.rule_id, "fallback");
  EXPECT_EQ(fallback.passed_over.size(), 8u);
  for (const auto& p : fallback.passed_over) {
    if (p.rule.id() == "atm") {
      EXPECT_EQ(p.reason, "the complaint names no branch for ${branch}");
    }
  }
}

// --- the checks on load -------------------------------------------------------------------------

TEST(RuleSetProblemsTest, UnknownUnitWithItsLine) {
  EXPECT_THAT(Problems("fallback_unit: \"HO\"\n"
                       "rule { id: \"a\" precedence: 1 unit: \"HO\" }\n"
                       "rule { id: \"b\" precedence: 2\n"
                       "  match { category_prefix: \"cards.\" }\n"
                       "  unit: \"HO-NOPE\" }\n"),
              HasSubstr("rules.textproto:5: rule b: unknown unit HO-NOPE (not in units.textproto)"));
  EXPECT_THAT(Problems("fallback_unit: \"NOPE\"\n"),
              HasSubstr("rules.textproto:1: unknown fallback unit NOPE"));
  EXPECT_THAT(Problems("fallback_unit: \"HO\"\n"
                       "rule { id: \"b\" precedence: 2 match { branch: \"XX\" } unit: \"HO\" }\n"),
              HasSubstr("rules.textproto:2: rule b: unknown unit XX"));
  EXPECT_THAT(Problems("fallback_unit: \"HO\"\n"
                       "rule { id: \"b\" precedence: 2 match { home_branch: \"XX\" } unit: \"HO\" }\n"),
              HasSubstr("rules.textproto:2: rule b: unknown unit XX"));
  EXPECT_THAT(Problems("fallback_unit: \"HO\"\n"
                       "rule { id: \"b\" precedence: 2 match { region: \"mars\" } unit: \"HO\" }\n"),
              HasSubstr("rules.textproto:2: rule b: unknown region mars"));
}

TEST(RuleSetProblemsTest, CategoryNotInTheCatalogue) {
  const std::string rules =
      "fallback_unit: \"HO\"\n"
      "rule { id: \"a\" precedence: 1\n"
      "  match { category_prefix: [\"cards.\", \"card.\"] }\n"
      "  unit: \"HO-CARDS\" }\n";
  EXPECT_THAT(Problems(rules),
              HasSubstr("rules.textproto:3: rule a: category card. is not in the catalogue "
                        "(taxonomy.textproto t-1)"));
  // Without a catalogue there is nothing to check it against.
  EXPECT_TRUE(RuleSet::Build(Sources(rules, false), 1).ok());
}

TEST(RuleSetProblemsTest, ContradictoryConditionsNeverMatch) {
  // A branch in the north and the region east: no complaint is both.
  EXPECT_THAT(Problems("fallback_unit: \"HO\"\n"
                       "rule { id: \"x\" precedence: 1\n"
                       "  match { branch: \"BJ\" region: \"east\" } unit: \"HO\" }\n"),
              HasSubstr("rules.textproto:2: rule x can never match: no complaint satisfies its "
                        "branch, home branch, region and unit conditions"));
  // The zero value of an enum never reaches routing (intake sets a default).
  EXPECT_THAT(Problems("fallback_unit: \"HO\"\n"
                       "rule { id: \"y\" precedence: 1\n"
                       "  match { level: LEVEL_UNSPECIFIED } unit: \"HO\" }\n"),
              HasSubstr("rules.textproto:2: rule y can never match: no complaint satisfies its "
                        "level conditions"));
}

TEST(RuleSetProblemsTest, ShadowedByABroaderRuleOfHigherPrecedence) {
  const std::string problems = Problems(
      "fallback_unit: \"HO\"\n"
      "rule { id: \"cards\" precedence: 10 match { category_prefix: \"cards.\" } unit: \"HO-CARDS\" }\n"
      "rule { id: \"fraud\" precedence: 5 match { category_prefix: \"cards.fraud\" } unit: \"HO\" }\n");
  EXPECT_THAT(problems, HasSubstr("rules.textproto:3: rule fraud can never match: rule cards "
                                  "(line 2, precedence 10) takes every complaint it would"));
  // The narrower rule above the broader one is fine.
  Build("fallback_unit: \"HO\"\n"
        "rule { id: \"cards\" precedence: 5 match { category_prefix: \"cards.\" } unit: \"HO-CARDS\" }\n"
        "rule { id: \"fraud\" precedence: 10 match { category_prefix: \"cards.fraud\" } unit: \"HO\" }\n");
  // A ${branch} rule takes only complaints with a branch: it shadows none without.
  Build("fallback_unit: \"HO\"\n"
        "rule { id: \"here\" precedence: 10 match { category_prefix: \"atm.\" } unit: \"${branch}\" }\n"
        "rule { id: \"atm\" precedence: 5 match { category_prefix: \"atm.\" } unit: \"HO\" }\n");
  // Within the catalogue, "cards." is every card category: a rule naming them all is shadowed.
  EXPECT_THAT(Problems("fallback_unit: \"HO\"\n"
                       "rule { id: \"c\" precedence: 10 match { category_prefix: \"cards.\" } unit: \"HO\" }\n"
                       "rule { id: \"d\" precedence: 1\n"
                       "  match { category_prefix: [\"cards.fraud\", \"cards.lost\"] branch: \"BJ\" }\n"
                       "  unit: \"BJ\" }\n"),
              HasSubstr("rules.textproto:3: rule d can never match: rule c"));
}

TEST(RuleSetProblemsTest, AmbiguousOverlapAtEqualPrecedence) {
  const std::string problems = Problems(
      "fallback_unit: \"HO\"\n"
      "rule { id: \"cards\" precedence: 10 match { category_prefix: \"cards.\" } unit: \"HO-CARDS\" }\n"
      "rule { id: \"north\" precedence: 10 match { region: \"north\" } unit: \"BJ\" }\n");
  EXPECT_THAT(problems, HasSubstr("rules.textproto:3: rule north overlaps rule cards (line 2) at "
                                  "equal precedence 10"));
  // Disjoint conditions at equal precedence are fine; so are the same ones at different ones.
  Build("fallback_unit: \"HO\"\n"
        "rule { id: \"cards\" precedence: 10 match { category_prefix: \"cards.\" } unit: \"HO-CARDS\" }\n"
        "rule { id: \"loans\" precedence: 10 match { category_prefix: \"loans.\" } unit: \"HO-LOANS\" }\n"
        "rule { id: \"a\" precedence: 1 match { channel: CHANNEL_PHONE } unit: \"HO\" }\n"
        "rule { id: \"b\" precedence: 1 match { channel: CHANNEL_BRANCH } unit: \"BJ\" }\n");
  // Two regions at equal precedence do not overlap.
  Build("fallback_unit: \"HO\"\n"
        "rule { id: \"n\" precedence: 3 match { region: \"north\" } unit: \"BJ\" }\n"
        "rule { id: \"e\" precedence: 3 match { region: \"east\" } unit: \"SH\" }\n");
  // A branch under another named at equal precedence overlaps it.
  EXPECT_THAT(Problems("fallback_unit: \"HO\"\n"
                       "rule { id: \"bj\" precedence: 3 match { branch: \"BJ\" } unit: \"BJ\" }\n"
                       "rule { id: \"bj1\" precedence: 3 match { branch: \"BJ-1\" } unit: \"BJ-1\" }\n"),
              HasSubstr("rule bj1 overlaps rule bj (line 2)"));
}

TEST(RuleSetProblemsTest, IdsAndAllProblemsAtOnce) {
  const std::string problems = Problems(
      "fallback_unit: \"HO\"\n"
      "rule { precedence: 1 unit: \"HO\" }\n"
      "rule { id: \"a\" precedence: 2 match { category_prefix: \"loans.\" } unit: \"HO\" }\n"
      "rule { id: \"a\" precedence: 3 match { category_prefix: \"cards.\" } unit: \"HO\" }\n"
      "rule { id: \"fallback\" precedence: 4 match { category_prefix: \"atm.\" } unit: \"HO\" }\n"
      "rule { id: \"b\" precedence: 5 match { category_prefix: \"fees.\" } }\n");
  EXPECT_THAT(problems, AllOf(HasSubstr("rules.textproto:2: rule without an id"),
                              HasSubstr("rules.textproto:4: rule a is defined twice (first on line 3)"),
                              HasSubstr("rules.textproto:5: rule id fallback is reserved"),
                              HasSubstr("rules.textproto:6: rule b: no unit")));
  EXPECT_THAT(Problems("rule { id: \"a\" precedence: 1 unit: \"HO\" }\n"),
              HasSubstr("no fallback_unit"));
  EXPECT_THAT(Problems("fallback_unit: \"HO\"\nrule { id: \"a\" precedence: high }\n"),
              HasSubstr("rules.textproto:2:"));
}

TEST(RuleSetProblemsTest, ProblemsOfTheUnitsFile) {
  RuleSources sources = Sources("fallback_unit: \"HO\"\n");
  sources.units = "unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\n"
                  "unit { code: \"B\" tier: UNIT_TIER_BRANCH parent: \"X\" }\n";
  auto set = RuleSet::Build(sources, 1);
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(std::string(set.status().message()),
              HasSubstr("units.textproto:2: unit B: unknown parent X"));
}

// --- the diff of a reload -----------------------------------------------------------------------

TEST(RuleSetDiffTest, AddedRemovedChanged) {
  auto before = Build(
      "fallback_unit: \"HO\"\n"
      "rule { id: \"cards\" precedence: 10 match { category_prefix: \"cards.\" } unit: \"HO-CARDS\" }\n"
      "rule { id: \"loans\" precedence: 10 match { category_prefix: \"loans.\" } unit: \"HO-LOANS\" }\n",
      3);
  auto after = Build(
      "fallback_unit: \"HO-LOANS\"\n"
      "rule { id: \"cards\" precedence: 10 match { category_prefix: \"cards.\" } unit: \"HO\" }\n"
      "rule { id: \"atm\" precedence: 10 match { category_prefix: \"atm.\" } unit: \"${branch}\" }\n",
      4);
  const events::v1::RulesReloaded diff = DiffRuleSets(before.get(), *after);
  EXPECT_EQ(diff.version(), 4);
  EXPECT_EQ(diff.previous_version(), 3);
  ASSERT_EQ(diff.added_size(), 1);
  EXPECT_EQ(diff.added(0).id(), "atm");
  ASSERT_EQ(diff.removed_size(), 1);
  EXPECT_EQ(diff.removed(0).id(), "loans");
  ASSERT_EQ(diff.changed_size(), 1);
  EXPECT_EQ(diff.changed(0).before().unit(), "HO-CARDS");
  EXPECT_EQ(diff.changed(0).after().unit(), "HO");
  EXPECT_EQ(diff.fallback_unit_before(), "HO");
  EXPECT_EQ(diff.fallback_unit_after(), "HO-LOANS");
  EXPECT_TRUE(diff.units_added().empty());
  // From nothing: everything is added.
  const events::v1::RulesReloaded first = DiffRuleSets(nullptr, *before);
  EXPECT_EQ(first.previous_version(), 0);
  EXPECT_EQ(first.added_size(), 2);
  EXPECT_EQ(first.units_added_size(), 8);
}

// --- the shipped files --------------------------------------------------------------------------

TEST(ShippedRulesTest, PassTheirChecksAndRouteAsBefore) {
  const absl::Time start = absl::Now();
  auto rules = DefaultRules();
  // What a reload costs (reading the three files and every check): printed for the README.
  std::printf("shipped rules read and checked in %.2f ms\n",
              absl::ToDoubleMilliseconds(absl::Now() - start));
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(rules->version(), 1);
  struct Case {
    std::string category, branch, unit, rule;
  };
  for (const Case& c : std::vector<Case>{
           {"atm.card_retained", "BJ-0101", "BJ-0101", "atm"},
           {"atm.card_retained", "", "HO-COMPLAINTS", "default"},
           {"branch_service.attitude", "SH-0202", "SH-0202", "branch"},
           {"queueing.long_wait", "SH-0201", "SH-0201", "queueing"},
           {"business_hours.hours", "GZ-0301", "GZ-0301", "hours"},
           {"cards.fraud", "BJ-0101", "HO-CARDS", "card"},
           {"loans.rate", "", "HO-LOANS", "loan"},
           {"collection.harassment", "", "HO-LOANS", "collection"},
           {"mis_selling.wealth", "", "HO-WEALTH", "wealth"},
           {"credit_report.dispute", "", "HO-CREDIT-REPORTS", "credit"},
           {"online_banking.login", "", "HO-E-BANKING", "ebanking"},
           {"system_outage.outage", "BJ-0101", "HO-IT-OPERATIONS", "outage"},
           {"fees.annual_fee", "BJ-0101", "HO-COMPLAINTS", "default"},
           {"other.other", "", "HO-COMPLAINTS", "default"},
       }) {
    const RouteDecision d = rules->Route(Complaint(c.category, c.branch));
    EXPECT_EQ(d.unit, c.unit) << c.category << " " << c.branch;
    EXPECT_EQ(d.rule_id, c.rule) << c.category << " " << c.branch;
  }
  // The rules that use the new conditions.
  auto lost = Complaint("cards.lost", "SH-0201", "BJ-0102");
  lost.set_product("debit_card");
  EXPECT_EQ(rules->Route(lost).unit, "BJ-0102");
  auto mortgage = Complaint("loans.rate", "SZ-0401");
  mortgage.set_product("mortgage");
  EXPECT_EQ(rules->Route(mortgage).unit, "GZ-0300");
  mortgage.set_branch_code("BJ-0101");
  EXPECT_EQ(rules->Route(mortgage).unit, "HO-LOANS");
  auto regulator = Complaint("atm.card_retained", "BJ-0101");
  regulator.set_channel(events::v1::CHANNEL_REGULATOR);
  regulator.set_level(events::v1::LEVEL_MAJOR);
  EXPECT_EQ(rules->Route(regulator).rule_id, "sensitive-channel");
}

}  // namespace
}  // namespace complaints::routing
