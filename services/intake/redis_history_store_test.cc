// Runs against the real Redis at 127.0.0.1:$REDIS_PORT (default 6379), shared with other suites:
// every key carries a random prefix and is deleted afterwards; nothing is flushed.
#include "services/intake/redis_history_store.h"

#include "gtest/gtest.h"
#include "libs/testing/scratch_redis.h"

namespace complaints::intake {
namespace {

intake::v1::HistoryEntry Entry(const std::string& complaint_id) {
  intake::v1::HistoryEntry entry;
  entry.set_complaint_id(complaint_id);
  entry.set_category("cards.fees");
  return entry;
}

class RedisHistoryStoreTest : public ::testing::Test {
 protected:
  int64_t Ttl(const std::string& key) {
    auto redis = scratch_.pool().Acquire();
    EXPECT_TRUE(redis.ok()) << redis.status();
    auto reply = (*redis)->Command({"TTL", key});
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? reply->integer : -3;
  }

  testing::ScratchRedis scratch_{"intake", 2};
  RedisHistoryStore store_{&scratch_.pool(), scratch_.prefix(), absl::Hours(24 * 90),
                           absl::Hours(24 * 150)};
};

// A batch of case changes (a replay hands hundreds over at once) lands in order: the last word
// on a complaint wins, each field kept apart, and the status expires with its retention.
TEST_F(RedisHistoryStoreTest, CaseStatusesOfABatchApplyInOrderAndMeetTheHistoryInLoad) {
  ASSERT_TRUE(store_.RecordMany({{"customer-1", Entry("C1")}, {"customer-1", Entry("C2")}}).ok());
  ASSERT_TRUE(store_
                  .SetCaseStatuses({{.complaint_id = "C1", .level = events::v1::LEVEL_MAJOR},
                                    {.complaint_id = "C1", .closed = true},
                                    {.complaint_id = "C2", .closed = true},
                                    {.complaint_id = "C2", .closed = false},  // reopened
                                    {.complaint_id = "C3", .closed = true}})  // not yet received
                  .ok());
  auto past = store_.Load("customer-1");
  ASSERT_TRUE(past.ok()) << past.status();
  ASSERT_EQ(past->size(), 2u);
  for (const PastComplaint& p : *past) {
    ASSERT_TRUE(p.has_status) << p.entry.complaint_id();
    if (p.entry.complaint_id() == "C1") {
      EXPECT_TRUE(p.status.closed());
      EXPECT_EQ(p.status.level(), events::v1::LEVEL_MAJOR);
    } else {
      EXPECT_FALSE(p.status.closed());
    }
  }
  const int64_t ttl = Ttl(scratch_.prefix() + "case:C3");
  EXPECT_GT(ttl, 24 * 149 * 3600);
  EXPECT_LE(ttl, 24 * 150 * 3600);
}

}  // namespace
}  // namespace complaints::intake
