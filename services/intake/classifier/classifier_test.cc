#include "services/intake/classifier/classifier.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "services/intake/classifier/test_util.h"

namespace complaints::classifier {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Decision Classify(std::string_view text,
                  events::v1::Channel channel = events::v1::CHANNEL_PHONE) {
  ClassifierInput input;
  input.channel = channel;
  input.description = text;
  return testing::Shipped()->Classify(input);
}

std::vector<std::string> Codes(const Decision& d) {
  std::vector<std::string> out;
  for (const auto& r : d.classification.urgency_reasons()) out.push_back(r.code());
  return out;
}

bool Urgent(std::string_view text) {
  return Classify(text).urgency == events::v1::URGENCY_VERY_URGENT;
}

TEST(Scoping, ThreatIsVeryUrgent) {
  EXPECT_TRUE(Urgent("再不处理我就打12378投诉"));
  EXPECT_TRUE(Urgent("我要发抖音曝光你们"));
  EXPECT_TRUE(Urgent("不解决我就去消协"));
}

TEST(Scoping, NegatedThreatIsNot) {
  EXPECT_FALSE(Urgent("我不是要投诉到12378，就是想问问"));
  EXPECT_FALSE(Urgent("我不会去找媒体的"));
  EXPECT_FALSE(Urgent("我没打算起诉"));
  // A negation in a condition does not cancel the threat that follows it.
  EXPECT_TRUE(Urgent("没人管我就去12378"));
  // Nor does one in another clause.
  EXPECT_TRUE(Urgent("我不想再等了，我要去12378"));
}

TEST(Scoping, QuotedOrReportedThreatIsNot) {
  EXPECT_FALSE(Urgent("上次有人说要找记者，我就想问问进度"));
  EXPECT_FALSE(Urgent("听说打12378有用"));
  EXPECT_FALSE(Urgent("他们说“再不处理就去12378”，我不是这个意思"));
  EXPECT_FALSE(Urgent("他们说「要找媒体」"));
  // The agent quoting the customer is the customer's threat.
  EXPECT_TRUE(Urgent("客户原话：“再不处理就去12378”"));
}

TEST(Scoping, DigitsInsideNumbersAreNotThreats) {
  EXPECT_FALSE(Urgent("卡号6231500012345678"));
  EXPECT_FALSE(Urgent("年费3150元"));
  EXPECT_FALSE(Urgent("扣了315元年费"));
  EXPECT_FALSE(Urgent("工单号20250315001"));
  EXPECT_FALSE(Urgent("尾号12378的卡"));
  EXPECT_TRUE(Urgent("我要去315投诉"));
  EXPECT_TRUE(Urgent("我要打１２３７８"));  // full width
}

TEST(Scoping, ForwarderIsNotAThreatButRaisesTheLevel) {
  const Decision d = Classify("12378转来，客户反映年费收取不合理");
  EXPECT_EQ(d.urgency, events::v1::URGENCY_NORMAL);
  EXPECT_EQ(d.level, events::v1::LEVEL_MAJOR);
  EXPECT_THAT(d.classification.level_rules(), ElementsAre("major.forwarded"));
}

TEST(Scoping, PastEscalationIsEscalatedNotAThreat) {
  const Decision d = Classify("已经打过12378了，还是没人管");
  EXPECT_EQ(d.level, events::v1::LEVEL_ESCALATED);
  EXPECT_TRUE(Codes(d).empty() || Codes(d) == std::vector<std::string>{"prior_escalation_and_urgent"});
  EXPECT_EQ(Classify("已經向人民銀行反映過").level, events::v1::LEVEL_ESCALATED);  // Traditional
  EXPECT_EQ(Classify("我还没有打过12378").level, events::v1::LEVEL_ORDINARY);
  // The rest of the statement is not a new threat; a new intention after it is.
  EXPECT_FALSE(Urgent("客户称已在黑猫投诉平台发帖"));
  EXPECT_THAT(Codes(Classify("我已经打过12378了还要去找媒体")), ElementsAre("threat_to_escalate"));
}

TEST(Rules, PriorEscalationAndShortReply) {
  const Decision d = Classify("我已经投诉到人民银行了，你们一小时内必须回电话");
  EXPECT_THAT(Codes(d), ElementsAre("prior_escalation_and_urgent"));
  EXPECT_EQ(d.classification.demanded_reply_minutes(), 60);
  EXPECT_EQ(Classify("两个小时之内给我答复").classification.demanded_reply_minutes(), 120);
  EXPECT_EQ(Classify("30分钟内回电").classification.demanded_reply_minutes(), 30);
  EXPECT_EQ(Classify("今天之内给说法").classification.demanded_reply_minutes(), 480);
}

TEST(Rules, RepeatStatedOrFromHistory) {
  EXPECT_THAT(Codes(Classify("这是第三次打电话了")), ElementsAre("repeat_3plus"));
  EXPECT_THAT(Codes(Classify("这是第３次反映")), ElementsAre("repeat_3plus"));
  EXPECT_TRUE(Codes(Classify("这是第二次打电话")).empty());
  Decision d = Classify("年费又扣了");
  EXPECT_TRUE(Codes(d).empty());
  testing::Shipped()->ApplyHistory({.same_category_before = 2, .prior_escalations = 0}, &d);
  EXPECT_THAT(Codes(d), ElementsAre("repeat_3plus"));
  EXPECT_EQ(d.urgency, events::v1::URGENCY_VERY_URGENT);
}

TEST(Rules, HistoryOfEscalationsOfThisIssueRaisesTheLevelNeverLowers) {
  Decision d = Classify("信用卡被盗刷了");
  EXPECT_EQ(d.level, events::v1::LEVEL_MAJOR);
  testing::Shipped()->ApplyHistory({}, &d);
  EXPECT_EQ(d.level, events::v1::LEVEL_MAJOR);
  // An escalation about another issue: not this complaint's level.
  testing::Shipped()->ApplyHistory({.same_category_before = 0, .prior_escalations = 1}, &d);
  EXPECT_EQ(d.level, events::v1::LEVEL_MAJOR);
  testing::Shipped()->ApplyHistory(
      {.same_category_before = 1, .prior_escalations = 1, .same_category_escalations = 1}, &d);
  EXPECT_EQ(d.level, events::v1::LEVEL_ESCALATED);
}

TEST(Rules, SeriousHarmIsMajor) {
  EXPECT_EQ(Classify("理财亏了8万").level, events::v1::LEVEL_MAJOR);
  EXPECT_EQ(Classify("理财亏了8千").level, events::v1::LEVEL_ORDINARY);
  EXPECT_EQ(Classify("房贷贷了50万").level, events::v1::LEVEL_ORDINARY);  // not a loss
  EXPECT_EQ(Classify("好多客户都被扣了钱").level, events::v1::LEVEL_MAJOR);
  EXPECT_EQ(Classify("接到电话被骗了").level, events::v1::LEVEL_MAJOR);
  EXPECT_EQ(Classify("你们泄露了我的个人信息").level, events::v1::LEVEL_MAJOR);
}

// Kinds of error found by the second author's probe set (tests/classifier/probe.tsv).
TEST(Scoping, ChannelWordsThatAreNotTheCustomersThreat) {
  EXPECT_FALSE(Urgent("想问一下是不是只能找12378才有用？"));          // a question
  EXPECT_FALSE(Urgent("大堂经理建议我去人民银行问问"));              // staff's suggestion
  EXPECT_FALSE(Urgent("保安对我说再闹就报警"));                      // staff's threat
  EXPECT_FALSE(Urgent("我同事上个月去消协投诉过别的银行"));          // others' doings
  EXPECT_FALSE(Urgent("我是律师，想咨询一下"));                      // a profession
  EXPECT_FALSE(Urgent("在小红书上刷到你们的信用卡活动"));            // seen on social media
  EXPECT_FALSE(Urgent("3.15那天办的业务"));                          // a date
  EXPECT_TRUE(Urgent("可以的话今天给我回复，否则我去12378"));
  EXPECT_TRUE(Urgent("我明天一早就打12363"));                        // 一早就 is not 早就
}

TEST(Scoping, AnAuthorityActingIsAnEscalationMade) {
  const Decision d = Classify("派出所让我来银行调流水");
  EXPECT_EQ(d.level, events::v1::LEVEL_ESCALATED);
  EXPECT_FALSE(d.urgency == events::v1::URGENCY_VERY_URGENT);
  EXPECT_EQ(Classify("12378给我回过电话了").level, events::v1::LEVEL_ESCALATED);
}

TEST(Rules, StatedHarmFoundByTheProbe) {
  EXPECT_EQ(Classify("二十多位持卡人被扣款").level, events::v1::LEVEL_MAJOR);
  EXPECT_EQ(Classify("员工挪用了我的钱").level, events::v1::LEVEL_MAJOR);
  EXPECT_EQ(Classify("理财到期十万块拿不回来").level, events::v1::LEVEL_MAJOR);
  EXPECT_EQ(Classify("担心被盗刷，先挂失").level, events::v1::LEVEL_ORDINARY);
  // The amount next to a loss counts only when the loss's clause names no amount of its own.
  EXPECT_EQ(Classify("十万存款买成了保险，退保亏了3000元").level, events::v1::LEVEL_ORDINARY);
  EXPECT_EQ(Classify("亏损严重，约8万元").level, events::v1::LEVEL_MAJOR);
  EXPECT_THAT(Codes(Classify("这是我连续四次来电了")), ElementsAre("repeat_3plus"));
}

TEST(Rules, AgentLevelAndUrgencyAreNeverLowered) {
  ClassifierInput input;
  input.channel = events::v1::CHANNEL_PHONE;
  input.requested_level = events::v1::LEVEL_ESCALATED;
  input.requested_urgency = events::v1::URGENCY_VERY_URGENT;
  input.requested_reason = "老年客户";
  input.description = "想问一下积分";
  const Decision d = testing::Shipped()->Classify(input);
  EXPECT_EQ(d.level, events::v1::LEVEL_ESCALATED);
  EXPECT_EQ(d.urgency, events::v1::URGENCY_VERY_URGENT);
  EXPECT_THAT(Codes(d), ElementsAre("agent_flagged"));
  EXPECT_THAT(d.urgency_reason, HasSubstr("agent_flagged"));
  EXPECT_THAT(d.classification.level_rules(), ElementsAre("caller"));
}

TEST(Evidence, OffsetsAreCodePointsOfTheOriginal) {
  // "櫃員態度差，我要找記者" : 記者 at code points 9..11 (the full-width comma counts as one).
  const std::string text = "櫃員態度差，我要找記者";
  const Decision d = Classify(text);
  ASSERT_EQ(d.classification.urgency_reasons_size(), 1);
  const auto& e = d.classification.urgency_reasons(0).evidence(0);
  EXPECT_EQ(e.signal(), "threat.media");
  EXPECT_EQ(e.start(), 9);
  EXPECT_EQ(e.end(), 11);
  EXPECT_THAT(d.urgency_reason, ::testing::Not(HasSubstr("記者")));
  EXPECT_THAT(d.urgency_reason, ::testing::Not(HasSubstr("记者")));
}

TEST(Category, InferredCallerAndAlias) {
  EXPECT_EQ(Classify("ATM吞卡了").category, "atm.card_retained");
  EXPECT_EQ(Classify("信用卡年費亂扣").category, "fees.annual_fee");
  EXPECT_EQ(Classify("嗯嗯").category, "other.other");
  ClassifierInput input;
  input.description = "ATM吞卡了";
  input.category = "loans.rate";
  Decision d = testing::Shipped()->Classify(input);
  EXPECT_EQ(d.category, "loans.rate");
  EXPECT_EQ(d.classification.category_source(), "caller");
  input.category = "card.annual_fee";  // an old code
  EXPECT_EQ(testing::Shipped()->Classify(input).category, "fees.annual_fee");
  input.category = "no.such";
  d = testing::Shipped()->Classify(input);
  EXPECT_EQ(d.category, "atm.card_retained");
  EXPECT_EQ(d.classification.category_source(), "inferred");
  EXPECT_TRUE(testing::Shipped()->KnownCategory("branch.attitude"));
  EXPECT_FALSE(testing::Shipped()->KnownCategory("branch."));
}

// Literals are found by a plain search unless they have letters: those still match in any case,
// full-width included ("atm", "app" and "u盾" are the shipped config's terms).
TEST(Category, LiteralsWithLettersMatchInAnyCase) {
  for (const char* text : {"ATM吞卡了", "atm吞卡了", "Atm吞卡了", "ＡＴＭ吞卡了"}) {
    EXPECT_EQ(Classify(text).category, "atm.card_retained") << text;
  }
  for (const char* text : {"手机APP登录不了", "手机App登录不了", "U盾插上没反应"}) {
    EXPECT_EQ(Classify(text).category.substr(0, 15), "online_banking.") << text;
  }
}

class HolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("classifier_holder_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    for (const char* f : {"classifier.textproto", "taxonomy.textproto", "t2s.tsv"}) {
      std::filesystem::copy_file(testing::ShippedPath(f), dir_ / f,
                                 std::filesystem::copy_options::overwrite_existing);
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  ClassifierPaths Paths() const {
    return {dir_ / "classifier.textproto", dir_ / "taxonomy.textproto", dir_ / "t2s.tsv"};
  }
  std::filesystem::path dir_;
};

TEST_F(HolderTest, ReloadKeepsTheOldClassifierOnABadFile) {
  auto holder = ClassifierHolder::Create(Paths());
  ASSERT_TRUE(holder.ok()) << holder.status();
  const auto before = (*holder)->Get();
  {
    std::ofstream out(dir_ / "classifier.textproto", std::ios::app);
    out << "\nsignal { id: \"broken\" regex: \"(unclosed\" }\n";
  }
  const absl::Status reloaded = (*holder)->Reload();
  ASSERT_FALSE(reloaded.ok());
  EXPECT_THAT(reloaded.message(), HasSubstr("classifier.textproto:"));
  EXPECT_THAT(reloaded.message(), HasSubstr("signal `broken` regex 1: bad regex"));
  EXPECT_EQ((*holder)->Get(), before);
  EXPECT_TRUE((*holder)->Get()->Classify({.description = "我要打12378"}).urgency ==
              events::v1::URGENCY_VERY_URGENT);
  // A good file is taken.
  std::filesystem::copy_file(testing::ShippedPath("classifier.textproto"),
                             dir_ / "classifier.textproto",
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE((*holder)->Reload().ok());
  EXPECT_NE((*holder)->Get(), before);
}

}  // namespace
}  // namespace complaints::classifier

namespace complaints::classifier {
namespace {

// From the demo's sample: a loss first, then an escalation already made, in two clauses.
TEST(Rules, AnEscalationAlreadyMadeAfterALossIsEscalated) {
  for (const char* text : {"信用卡被盗刷了8000元，我已经向人民银行反映过了，到现在还没有结果",
                           "我已经向人民银行反映过了，到现在还没有结果",
                           "信用卡被盗刷了8000元，我已经向人民银行反映过了"}) {
    Decision d = testing::Shipped()->Classify(
        {.channel = events::v1::CHANNEL_PHONE, .description = text, .product = "credit_card"});
    EXPECT_EQ(d.level, events::v1::LEVEL_ESCALATED) << text << "\n" << d.classification.ShortDebugString();
    testing::Shipped()->ApplyHistory({}, &d);
    EXPECT_EQ(d.level, events::v1::LEVEL_ESCALATED) << text << "\n" << d.classification.ShortDebugString();
  }
}

}  // namespace
}  // namespace complaints::classifier
