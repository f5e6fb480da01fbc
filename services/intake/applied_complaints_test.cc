#include "services/intake/applied_complaints.h"

#include "gtest/gtest.h"

namespace complaints::intake {
namespace {

TEST(AppliedComplaintsTest, AComplaintIsTakenOnceUnderTheEpochItWasAppliedIn) {
  AppliedComplaints applied(8);
  applied.Add({"CMP1", "CMP2"}, 3);
  EXPECT_TRUE(applied.Take("CMP1", 3));
  EXPECT_FALSE(applied.Take("CMP1", 3));  // once
  EXPECT_FALSE(applied.Take("CMP2", 4));  // a replay was asked for since: not trusted
  EXPECT_FALSE(applied.Take("CMP2", 3));  // and forgotten
  EXPECT_FALSE(applied.Take("CMP3", 3));
  EXPECT_EQ(applied.size(), 0u);
}

TEST(AppliedComplaintsTest, TheOldestAreForgottenBeyondTheCapacity) {
  AppliedComplaints applied(2);
  applied.Add({"CMP1", "CMP2", "CMP3"}, 0);
  EXPECT_EQ(applied.size(), 2u);
  EXPECT_FALSE(applied.Take("CMP1", 0));
  EXPECT_TRUE(applied.Take("CMP2", 0));
  EXPECT_TRUE(applied.Take("CMP3", 0));
}

}  // namespace
}  // namespace complaints::intake
