// Runs against the real Redis at 127.0.0.1:$REDIS_PORT (default 6379), shared with other suites:
// every key carries a random prefix and is deleted afterwards; nothing is flushed.
#include "services/analytics/redis_analytics_store.h"

#include "gtest/gtest.h"
#include "libs/testing/scratch_redis.h"

namespace complaints::analytics {
namespace {

Observation Make(const std::string& complaint_id, const std::string& event_id,
                 const std::string& kind, const std::string& category = "",
                 const std::string& unit = "") {
  Observation o;
  o.complaint_id = complaint_id;
  o.entry.set_event_id(event_id);
  o.entry.set_kind(kind);
  o.entry.set_summary(kind + " " + event_id);
  o.category = category;
  o.unit = unit;
  return o;
}

class RedisAnalyticsStoreTest : public ::testing::Test {
 protected:
  testing::ScratchRedis scratch_{"analytics", 2};
  RedisAnalyticsStore store_{&scratch_.pool(), scratch_.prefix()};
};

TEST_F(RedisAnalyticsStoreTest, EmptyForUnknownComplaintsAndCounters) {
  auto timeline = store_.Timeline("CMP-NONE");
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  EXPECT_TRUE(timeline->empty());
  auto counts = store_.Counts();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_TRUE(counts->by_event_type().empty());
}

TEST_F(RedisAnalyticsStoreTest, RecordsEachEventOnceInArrivalOrder) {
  EXPECT_TRUE(*store_.Record(Make("CMP1", "e1", "received", "fees")));
  EXPECT_TRUE(*store_.Record(Make("CMP1", "e2", "assignment", "", "BJ-0101")));
  EXPECT_FALSE(*store_.Record(Make("CMP1", "e1", "received", "fees")));  // duplicate
  EXPECT_TRUE(*store_.Record(Make("CMP2", "e1", "received", "fees")));   // another complaint
  EXPECT_TRUE(*store_.Record(Make("CMP1", "e3", "case.resolved")));

  auto timeline = store_.Timeline("CMP1");
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  ASSERT_EQ(timeline->size(), 3u);
  EXPECT_EQ((*timeline)[0].summary(), "received e1");
  EXPECT_EQ((*timeline)[1].summary(), "assignment e2");
  EXPECT_EQ((*timeline)[2].kind(), "case.resolved");

  auto counts = store_.Counts();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->by_event_type().at("received"), 2);
  EXPECT_EQ(counts->by_event_type().at("assignment"), 1);
  EXPECT_EQ(counts->by_event_type().at("case.resolved"), 1);
  EXPECT_EQ(counts->by_category().at("fees"), 2);
  EXPECT_EQ(counts->by_category().size(), 1u);
  EXPECT_EQ(counts->by_unit().at("BJ-0101"), 1);
}

TEST_F(RedisAnalyticsStoreTest, ABatchIsRecordedInOrderWithAResultEach) {
  const auto results = store_.RecordAll({Make("CMP1", "e1", "received", "fees"),
                                         Make("CMP1", "e2", "assignment", "", "BJ-0101"),
                                         Make("CMP1", "e1", "received", "fees"),  // duplicate
                                         Make("CMP2", "e1", "received", "loans")});
  ASSERT_EQ(results.size(), 4u);
  for (const auto& result : results) ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(*results[0]);
  EXPECT_TRUE(*results[1]);
  EXPECT_FALSE(*results[2]);
  EXPECT_TRUE(*results[3]);
  auto timeline = store_.Timeline("CMP1");
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  ASSERT_EQ(timeline->size(), 2u);
  EXPECT_EQ((*timeline)[0].summary(), "received e1");
  EXPECT_EQ((*timeline)[1].summary(), "assignment e2");
  auto counts = store_.Counts();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->by_event_type().at("received"), 2);
  EXPECT_EQ(counts->by_category().at("fees"), 1);
  EXPECT_EQ(counts->by_category().at("loans"), 1);
}

}  // namespace
}  // namespace complaints::analytics
