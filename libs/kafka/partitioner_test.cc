#include "libs/kafka/partitioner.h"

#include "gtest/gtest.h"

namespace complaints::kafka {
namespace {

// The vectors of Kafka's own UtilsTest.testMurmur2.
TEST(PartitionerTest, Murmur2MatchesTheJavaClient) {
  EXPECT_EQ(Murmur2("21"), -973932308);
  EXPECT_EQ(Murmur2("foobar"), -790332482);
  EXPECT_EQ(Murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(Murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(Murmur2("abc"), 479470107);
}

TEST(PartitionerTest, PartitionIsThePositiveHashModuloTheCount) {
  EXPECT_EQ(PartitionForKey("21", 6), static_cast<int32_t>((-973932308 & 0x7fffffff) % 6));
  for (int32_t count : {1, 6, 7}) {
    const int32_t p = PartitionForKey("complaint-42", count);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, count);
  }
}

}  // namespace
}  // namespace complaints::kafka
