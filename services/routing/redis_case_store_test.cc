// Runs against the real Redis at 127.0.0.1:$REDIS_PORT (default 6379), shared with other suites:
// every key carries a random prefix and is deleted afterwards; nothing is flushed.
#include "services/routing/redis_case_store.h"

#include "gtest/gtest.h"
#include "libs/testing/scratch_redis.h"

namespace complaints::routing {
namespace {

routing::v1::CaseRecord Record(const std::string& complaint_id) {
  routing::v1::CaseRecord record;
  record.mutable_case_()->set_complaint_id(complaint_id);
  record.mutable_case_()->set_unit("BJ-0101");
  record.mutable_case_()->set_state(routing::v1::CASE_STATE_ACCEPTED);
  record.mutable_case_()->set_assignment_sequence(2);
  record.set_applied_offset(42);
  record.add_applied_event_ids("e1");
  record.add_applied_event_ids("e2");
  return record;
}

class RedisCaseStoreTest : public ::testing::Test {
 protected:
  testing::ScratchRedis scratch_{"routing", 2};
  RedisCaseStore store_{&scratch_.pool(), scratch_.prefix()};
};

TEST_F(RedisCaseStoreTest, UnknownComplaintHasNoRecord) {
  auto record = store_.Get("CMP-NONE");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_FALSE(record->has_value());
}

TEST_F(RedisCaseStoreTest, PutThenGetRoundTrips) {
  ASSERT_TRUE(store_.Put(Record("CMP1")).ok());
  auto record = store_.Get("CMP1");
  ASSERT_TRUE(record.ok()) << record.status();
  ASSERT_TRUE(record->has_value());
  EXPECT_EQ((*record)->SerializeAsString(), Record("CMP1").SerializeAsString());

  routing::v1::CaseRecord resolved = Record("CMP1");
  resolved.mutable_case_()->set_state(routing::v1::CASE_STATE_RESOLVED);
  ASSERT_TRUE(store_.Put(resolved).ok());  // overwrites
  EXPECT_EQ((*store_.Get("CMP1"))->case_().state(), routing::v1::CASE_STATE_RESOLVED);
  EXPECT_FALSE(store_.Get("CMP2")->has_value());
}

TEST_F(RedisCaseStoreTest, UnparsableValueIsDataLoss) {
  auto redis = scratch_.pool().Acquire();
  ASSERT_TRUE(redis.ok()) << redis.status();
  ASSERT_TRUE((*redis)->Command({"SET", scratch_.prefix() + "case:CMP1", "\xff\xff"}).ok());
  auto record = store_.Get("CMP1");
  EXPECT_EQ(record.status().code(), absl::StatusCode::kDataLoss) << record.status();
}

}  // namespace
}  // namespace complaints::routing
