#include "libs/common/proto_time.h"

#include "gtest/gtest.h"

namespace complaints::common {
namespace {

TEST(ProtoTimeTest, RoundTripsWithNanoseconds) {
  const absl::Time t = absl::FromUnixNanos(1764115200123456789);
  const auto proto = ToProtoTime(t);
  EXPECT_EQ(proto.seconds(), 1764115200);
  EXPECT_EQ(proto.nanos(), 123456789);
  EXPECT_EQ(FromProtoTime(proto), t);
}

TEST(ProtoTimeTest, NanosStayPositiveBeforeTheEpoch) {
  const auto proto = ToProtoTime(absl::FromUnixMillis(-1500));
  EXPECT_EQ(proto.seconds(), -2);
  EXPECT_EQ(proto.nanos(), 500000000);
}

}  // namespace
}  // namespace complaints::common
