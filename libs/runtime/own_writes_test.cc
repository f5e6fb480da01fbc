#include "libs/runtime/own_writes.h"

#include <thread>

#include "gtest/gtest.h"

namespace complaints::runtime {
namespace {

TEST(OwnWritesTest, AComplaintIsTakenOnceUnderTheEpochItWasAppliedIn) {
  OwnWrites applied(8);
  applied.Add({"CMP1", "CMP2"}, 3);
  EXPECT_TRUE(applied.Take("CMP1", 3));
  EXPECT_FALSE(applied.Take("CMP1", 3));  // once
  EXPECT_FALSE(applied.Take("CMP2", 4));  // a replay was asked for since: not trusted
  EXPECT_FALSE(applied.Take("CMP2", 3));  // and forgotten
  EXPECT_FALSE(applied.Take("CMP3", 3));
  EXPECT_EQ(applied.size(), 0u);
}

TEST(OwnWritesTest, TheOldestAreForgottenBeyondTheCapacity) {
  OwnWrites applied(2);
  applied.Add({"CMP1", "CMP2", "CMP3"}, 0);
  EXPECT_EQ(applied.size(), 2u);
  EXPECT_FALSE(applied.Take("CMP1", 0));
  EXPECT_TRUE(applied.Take("CMP2", 0));
  EXPECT_TRUE(applied.Take("CMP3", 0));
}

// The broker hands a record to the replay consumer as it acknowledges it to intake, so the
// consumer meets it before the submission has marked it: it waits for the outcome.
TEST(OwnWritesTest, AnExpectedComplaintIsWaitedForUntilItsPublisherHasAppliedIt) {
  OwnWrites applied(8);
  applied.Expect({"CMP1"});
  std::thread publisher([&] {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (applied.waiting() == 0 && absl::Now() < give_up) std::this_thread::yield();
    applied.Add({"CMP1"}, 2);
  });
  EXPECT_TRUE(applied.Take("CMP1", 2, absl::Seconds(30)));
  publisher.join();
}

TEST(OwnWritesTest, AnExpectedComplaintWhosePublishFailedIsNotTrusted) {
  OwnWrites applied(8);
  applied.Expect({"CMP1", "CMP2"});
  std::thread publisher([&] {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (applied.waiting() == 0 && absl::Now() < give_up) std::this_thread::yield();
    applied.Forget({"CMP1", "CMP2"});
  });
  EXPECT_FALSE(applied.Take("CMP1", 0, absl::Seconds(30)));
  publisher.join();
  EXPECT_FALSE(applied.Take("CMP2", 0));
  // No outcome within the wait: the consumer does the work itself.
  applied.Expect({"CMP3"});
  EXPECT_FALSE(applied.Take("CMP3", 0, absl::Milliseconds(10)));
}

}  // namespace
}  // namespace complaints::runtime
