#include "services/analytics/aggregates_consumer.h"

#include "gtest/gtest.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"

namespace complaints::analytics {
namespace {

constexpr int kComplaints = 4000;

// Receipts of kComplaints complaints on partition 0 of complaints.received.v1, one category.
std::vector<kafka::IncomingRecord> Receipts(absl::Time at) {
  std::vector<kafka::IncomingRecord> records;
  for (int i = 0; i < kComplaints; ++i) {
    events::v1::ComplaintReceived m;
    const std::string id = "CMP-" + std::to_string(i);
    m.set_complaint_id(id);
    m.set_category("card.fee");
    m.set_channel(events::v1::CHANNEL_PHONE);
    *m.mutable_received_at() = common::ToProtoTime(at);
    records.push_back(testing::AsIncoming(
        events::ToRecord(events::kReceivedTopic, id, m, "rcv-" + id, "/complaints/test", id, at),
        0, i));
  }
  return records;
}

int64_t Volume(const AggregatesConsumer& aggregates) {
  analytics::v1::GetAggregatesRequest request;
  request.set_period(analytics::v1::PERIOD_MONTH);
  auto response = aggregates.Aggregates(request);
  EXPECT_TRUE(response.ok()) << response.status();
  int64_t volume = 0;
  for (const auto& row : response->rows()) volume += row.figures().volume();
  return volume;
}

class AggregatesConsumerTest : public ::testing::Test {
 protected:
  // Never reached: nothing here loads or saves a checkpoint.
  redis::RedisPool pool_{redis::RedisOptions{}, 1};
  testing::FakePublisher publisher_;
  common::SystemClock clock_;
  AggregatesOptions options_ = [] {
    AggregatesOptions options;
    options.snapshot_interval = absl::Hours(24);
    return options;
  }();
};

// The fold runs on a thread of its own; a query must not see less than HandleBatch has taken.
TEST_F(AggregatesConsumerTest, AQueryAfterHandleBatchSeesEveryRecordOfTheBatch) {
  AggregatesConsumer aggregates(&pool_, &publisher_, &clock_, options_);
  const std::vector<kafka::IncomingRecord> records = Receipts(absl::Now());
  const std::vector<absl::Status> statuses = aggregates.HandleBatch(records);
  ASSERT_EQ(statuses.size(), records.size());
  for (const absl::Status& s : statuses) ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Volume(aggregates), kComplaints);
  EXPECT_EQ(aggregates.events_applied(), kComplaints);
}

TEST_F(AggregatesConsumerTest, ABadRecordIsRejectedAtOnceAndTheRestFolded) {
  AggregatesConsumer aggregates(&pool_, &publisher_, &clock_, options_);
  std::vector<kafka::IncomingRecord> records = Receipts(absl::Now());
  records[7].value = "not a protobuf \xff\xff\xff";
  records[9].headers.clear();  // no ce_id
  const std::vector<absl::Status> statuses = aggregates.HandleBatch(records);
  EXPECT_EQ(statuses[7].code(), absl::StatusCode::kInvalidArgument) << statuses[7];
  EXPECT_EQ(statuses[9].code(), absl::StatusCode::kInvalidArgument) << statuses[9];
  EXPECT_TRUE(statuses[8].ok());
  EXPECT_EQ(Volume(aggregates), kComplaints - 2);
}

// A redelivered batch (a rebalance, a retry) changes nothing, however the stages interleave.
TEST_F(AggregatesConsumerTest, ABatchDeliveredTwiceCountsOnce) {
  AggregatesConsumer aggregates(&pool_, &publisher_, &clock_, options_);
  const std::vector<kafka::IncomingRecord> records = Receipts(absl::Now());
  aggregates.HandleBatch(records);
  for (const absl::Status& s : aggregates.HandleBatch(records)) ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Volume(aggregates), kComplaints);
  EXPECT_EQ(aggregates.events_applied(), kComplaints);
}

}  // namespace
}  // namespace complaints::analytics
