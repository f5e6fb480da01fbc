// Runs against the real Redis at 127.0.0.1:$REDIS_PORT (default 6379), shared with other suites:
// every key carries a random prefix and is deleted afterwards; nothing is flushed.
#include "services/followup/redis_followup_store.h"

#include <set>

#include "gtest/gtest.h"
#include "libs/testing/scratch_redis.h"

namespace complaints::followup {
namespace {

events::v1::FollowUpTask Task(const std::string& id, int attempt) {
  events::v1::FollowUpTask task;
  task.set_task_id(id);
  task.set_complaint_id("CMP1");
  task.set_attempt(attempt);
  task.set_unit("BJ-0101");
  return task;
}

class RedisFollowUpStoreTest : public ::testing::Test {
 protected:
  testing::ScratchRedis scratch_{"followup", 2};
  RedisFollowUpStore store_{&scratch_.pool(), scratch_.prefix()};
};

TEST_F(RedisFollowUpStoreTest, UnknownComplaintHasAnEmptyState) {
  auto state = store_.Get("CMP1");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->level, events::v1::LEVEL_UNSPECIFIED);
  EXPECT_FALSE(state->open_task.has_value());
  EXPECT_TRUE(state->outcomes.empty());
  EXPECT_FALSE(*store_.Seen("CMP1", "e1"));
}

TEST_F(RedisFollowUpStoreTest, AppliesEachEventOnce) {
  CaseChange level;
  level.level = events::v1::LEVEL_MAJOR;
  level.urgency = events::v1::URGENCY_VERY_URGENT;
  level.reopen_count = 2;
  level.contact.emplace();
  level.contact->set_preferred_channel(events::v1::CHANNEL_ONLINE);
  level.contact->set_holidays_ok(true);
  EXPECT_TRUE(*store_.Apply("CMP1", "e1", level));
  CaseChange open;
  open.task = CaseChange::Task::kOpen;
  open.open = Task("t1", 1);
  EXPECT_TRUE(*store_.Apply("CMP1", "e2", open));
  EXPECT_TRUE(*store_.Seen("CMP1", "e2"));

  auto state = store_.Get("CMP1");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->level, events::v1::LEVEL_MAJOR);
  EXPECT_EQ(state->urgency, events::v1::URGENCY_VERY_URGENT);
  EXPECT_EQ(state->reopen_count, 2);
  ASSERT_TRUE(state->contact.has_value());  // kept by the later events that carry none
  EXPECT_EQ(state->contact->preferred_channel(), events::v1::CHANNEL_ONLINE);
  EXPECT_TRUE(state->contact->holidays_ok());
  ASSERT_TRUE(state->open_task.has_value());
  EXPECT_EQ(state->open_task->task_id(), "t1");
  EXPECT_EQ(state->open_task->unit(), "BJ-0101");

  CaseChange clear;
  clear.task = CaseChange::Task::kClear;
  EXPECT_TRUE(*store_.Apply("CMP1", "e3", clear));
  EXPECT_FALSE(store_.Get("CMP1")->open_task.has_value());
  EXPECT_EQ(store_.Get("CMP1")->past_tasks, std::set<std::string>{"t1"});
  EXPECT_FALSE(*store_.Apply("CMP1", "e2", open));  // a duplicate changes nothing
  EXPECT_FALSE(store_.Get("CMP1")->open_task.has_value());
}

TEST_F(RedisFollowUpStoreTest, FirstOutcomeWinsAndTheOpenTaskAdvancesOnlyFromTheExpectedOne) {
  CaseChange open;
  open.task = CaseChange::Task::kOpen;
  open.open = Task("t1", 1);
  ASSERT_TRUE(*store_.Apply("CMP1", "e1", open));

  const RecordedOutcome unreachable{followup::v1::OUTCOME_UNREACHABLE, "retry_scheduled"};
  auto claimed = store_.ClaimOutcome("CMP1", "t1", unreachable);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(*claimed, unreachable);
  EXPECT_EQ(*store_.ClaimOutcome("CMP1", "t1", {followup::v1::OUTCOME_SATISFIED, "closed"}),
            unreachable);

  ASSERT_TRUE(store_.AdvanceOpenTask("CMP1", "t1", Task("t2", 2)).ok());
  ASSERT_TRUE(store_.AdvanceOpenTask("CMP1", "t1", std::nullopt).ok());  // stale: no effect
  auto state = store_.Get("CMP1");
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_TRUE(state->open_task.has_value());
  EXPECT_EQ(state->open_task->task_id(), "t2");
  EXPECT_EQ(state->open_task->attempt(), 2);
  ASSERT_EQ(state->outcomes.size(), 1u);
  EXPECT_EQ(state->outcomes.at("t1"), unreachable);

  EXPECT_EQ(state->past_tasks, std::set<std::string>{"t1"});

  ASSERT_TRUE(store_.AdvanceOpenTask("CMP1", "t2", std::nullopt).ok());
  EXPECT_FALSE(store_.Get("CMP1")->open_task.has_value());
  EXPECT_EQ(store_.Get("CMP1")->past_tasks, (std::set<std::string>{"t1", "t2"}));
}

}  // namespace
}  // namespace complaints::followup
