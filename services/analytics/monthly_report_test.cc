#include "services/analytics/monthly_report.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"

namespace complaints::analytics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

kafka::IncomingRecord Received(const std::string& id, absl::Time at, const std::string& category,
                               events::v1::Channel channel, int64_t offset) {
  events::v1::ComplaintReceived m;
  m.set_complaint_id(id);
  m.set_category(category);
  m.set_channel(channel);
  m.set_level(events::v1::LEVEL_ORDINARY);
  m.mutable_customer()->set_name("李四");
  m.mutable_customer()->set_phone("13912345678");
  *m.mutable_received_at() = common::ToProtoTime(at);
  return testing::AsIncoming(events::ToRecord(events::kReceivedTopic, id, m, "rcv-" + id,
                                              "/complaints/test", id, at),
                             0, offset);
}

intake::v1::Taxonomy Taxonomy() {
  intake::v1::Taxonomy taxonomy;
  taxonomy.set_version("taxonomy-test");
  auto* atm = taxonomy.add_leaf();
  atm->set_code("atm.card_retained");
  atm->set_label("ATM吞卡");
  atm->set_jrt_business("银行卡业务/自助设备");
  atm->set_jrt_cause("设备故障");
  auto* fees = taxonomy.add_leaf();
  fees->set_code("fees.other");
  fees->set_label("收费, \"其他\"");
  fees->set_jrt_business("收费");
  fees->set_jrt_cause("收费<定价>");
  return taxonomy;
}

Aggregator Loaded() {
  Aggregator aggregator;
  const absl::Time march = absl::FromUnixSeconds(1772352000);  // 2026-03-01T16:00:00+08:00
  const absl::Time february = march - absl::Hours(24 * 10);
  int64_t offset = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(aggregator.Apply(Received("M" + std::to_string(i), march + absl::Hours(i),
                                          "atm.card_retained", events::v1::CHANNEL_PHONE, offset++))
                    .ok());
  }
  EXPECT_TRUE(
      aggregator.Apply(Received("F", march, "fees.other", events::v1::CHANNEL_BRANCH, offset++)).ok());
  EXPECT_TRUE(aggregator
                  .Apply(Received("P", february, "atm.card_retained", events::v1::CHANNEL_PHONE,
                                  offset++))
                  .ok());
  return aggregator;
}

TEST(MonthlyReportTest, CsvHasABomAndTheJrtDimensions) {
  const Aggregator aggregator = Loaded();
  auto report = BuildMonthlyReport(aggregator, "2026-03", Taxonomy());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->total.figures.volume(), 4);
  EXPECT_EQ(report->total.previous_volume, 1);
  const std::string csv = RenderCsv(*report);
  ASSERT_TRUE(csv.starts_with("\xEF\xBB\xBF"));
  EXPECT_THAT(csv, HasSubstr("\r\n2026-03,合计 total,TOTAL,合计 total,4,+300.0%,"));
  EXPECT_THAT(csv, HasSubstr("2026-03,投诉渠道 channel (JR/T 0169),PHONE,电话/热线 phone,3,+200.0%"));
  EXPECT_THAT(csv, HasSubstr(",业务类别 business class (JR/T 0169),银行卡业务/自助设备,"));
  EXPECT_THAT(csv, HasSubstr(",投诉原因 cause (JR/T 0169),设备故障,"));
  // A label with a comma and quotes is quoted the CSV way.
  EXPECT_THAT(csv, HasSubstr(",fees.other,\"收费, \"\"其他\"\"\",1,new,"));
  // Never customer data.
  EXPECT_THAT(csv, Not(HasSubstr("李四")));
  EXPECT_THAT(csv, Not(HasSubstr("13912345678")));
}

TEST(MonthlyReportTest, HtmlIsPrintableAndEscaped) {
  const Aggregator aggregator = Loaded();
  auto report = BuildMonthlyReport(aggregator, "2026-03", Taxonomy());
  ASSERT_TRUE(report.ok());
  const std::string html = RenderHtml(*report);
  EXPECT_THAT(html, HasSubstr("<meta charset=\"utf-8\">"));
  EXPECT_THAT(html, HasSubstr("@media print"));
  EXPECT_THAT(html, HasSubstr("收费&lt;定价&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("李四")));
}

TEST(MonthlyReportTest, BadMonthNamesTheField) {
  const Aggregator aggregator;
  auto report = BuildMonthlyReport(aggregator, "March", Taxonomy());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("month"));
}

}  // namespace
}  // namespace complaints::analytics
