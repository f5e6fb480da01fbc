#include "services/intake/classifier.h"

#include "gtest/gtest.h"

namespace complaints::intake {
namespace {

using namespace events::v1;

TEST(ClassifierTest, OrdinaryByDefault) {
  const auto c = Classify(CHANNEL_PHONE, LEVEL_UNSPECIFIED, URGENCY_UNSPECIFIED, "", "排队等候太久");
  EXPECT_EQ(c.level, LEVEL_ORDINARY);
  EXPECT_EQ(c.urgency, URGENCY_NORMAL);
  EXPECT_TRUE(c.urgency_reason.empty());
}

TEST(ClassifierTest, SensitiveChannelsAreAtLeastMajor) {
  EXPECT_EQ(Classify(CHANNEL_REGULATOR, LEVEL_ORDINARY, URGENCY_NORMAL, "", "x").level, LEVEL_MAJOR);
  EXPECT_EQ(Classify(CHANNEL_MEDIA, LEVEL_UNSPECIFIED, URGENCY_NORMAL, "", "x").level, LEVEL_MAJOR);
  EXPECT_EQ(Classify(CHANNEL_HEAD_OFFICE, LEVEL_ORDINARY, URGENCY_NORMAL, "", "x").level, LEVEL_MAJOR);
  // Never lowered.
  EXPECT_EQ(Classify(CHANNEL_MEDIA, LEVEL_ESCALATED, URGENCY_NORMAL, "", "x").level, LEVEL_ESCALATED);
}

TEST(ClassifierTest, EscalationThreatMakesItVeryUrgentWithTheReason) {
  const auto c = Classify(CHANNEL_PHONE, LEVEL_ORDINARY, URGENCY_NORMAL, "",
                          "客户表示如果今天不解决就打12378投诉");
  EXPECT_EQ(c.urgency, URGENCY_VERY_URGENT);
  EXPECT_NE(c.urgency_reason.find("12378"), std::string::npos);
}

TEST(ClassifierTest, AgentsReasonIsKept) {
  const auto c = Classify(CHANNEL_PHONE, LEVEL_ORDINARY, URGENCY_VERY_URGENT, "第三次投诉同一问题", "媒体");
  EXPECT_EQ(c.urgency, URGENCY_VERY_URGENT);
  EXPECT_EQ(c.urgency_reason, "第三次投诉同一问题");
}

}  // namespace
}  // namespace complaints::intake
