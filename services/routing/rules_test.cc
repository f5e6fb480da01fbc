#include "services/routing/rules.h"

#include "gtest/gtest.h"

namespace complaints::routing {
namespace {

events::v1::ComplaintReceived Complaint(const std::string& category, const std::string& branch) {
  events::v1::ComplaintReceived c;
  c.set_complaint_id("CMP1");
  c.set_category(category);
  c.set_branch_code(branch);
  return c;
}

TEST(RulesTest, ParsesRulesAndComments) {
  auto rules = ParseRules("# comment\nr1 5 atm. ${branch}  # trailing\n\nr2 0 * HO\n");
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].rule_id(), "r1");
  EXPECT_EQ((*rules)[0].priority(), 5);
  EXPECT_EQ((*rules)[1].category_prefix(), "");
}

TEST(RulesTest, RejectsMalformedLines) {
  EXPECT_FALSE(ParseRules("r1 high atm. HO\n").ok());
  EXPECT_FALSE(ParseRules("r1 5 atm.\n").ok());
  EXPECT_FALSE(ParseRules("r1 5 atm. HO extra\n").ok());
}

TEST(RulesTest, BranchComplaintsGoToTheirBranch) {
  const auto decision = Route(DefaultRules(), Complaint("atm.card_retained", "BJ-0101"), "FB");
  EXPECT_EQ(decision.unit, "BJ-0101");
  EXPECT_EQ(decision.rule_id, "atm");
}

TEST(RulesTest, BranchRuleSkippedWithoutABranch) {
  const auto decision = Route(DefaultRules(), Complaint("atm.card_retained", ""), "FB");
  EXPECT_EQ(decision.unit, "HO-COMPLAINTS");
  EXPECT_EQ(decision.rule_id, "default");
}

TEST(RulesTest, HighestPriorityThenLongestPrefixWins) {
  auto rules = *ParseRules("a 1 card. A\nb 1 card.fee B\nc 0 * C\n");
  EXPECT_EQ(Route(rules, Complaint("card.fee.annual", ""), "FB").unit, "B");
  EXPECT_EQ(Route(rules, Complaint("card.lost", ""), "FB").unit, "A");
  EXPECT_EQ(Route(rules, Complaint("loan", ""), "FB").unit, "C");
}

TEST(RulesTest, FallbackWhenNothingMatches) {
  auto rules = *ParseRules("a 1 card. A\n");
  const auto decision = Route(rules, Complaint("loan", ""), "FB");
  EXPECT_EQ(decision.unit, "FB");
  EXPECT_EQ(decision.rule_id, "fallback");
}

}  // namespace
}  // namespace complaints::routing
