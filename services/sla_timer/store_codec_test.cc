#include "services/sla_timer/store_codec.h"

#include "gtest/gtest.h"

namespace complaints::sla_timer {
namespace {

const absl::Time kT0 = absl::FromUnixMillis(1764115200123);

TEST(StoreCodecTest, EntriesRoundTrip) {
  for (auto state : {ClockEntry::State::kRunning, ClockEntry::State::kStopped}) {
    for (const std::string unit : {"BJ-0101", "", "odd|unit|name"}) {
      const ClockEntry e{events::v1::CLOCK_REGULATORY, state, kT0 + absl::Hours(360), 4711,
                         kT0, unit};
      auto back = DecodeEntry(events::v1::CLOCK_REGULATORY, EncodeEntry(e));
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(*back, e);
    }
  }
  EXPECT_EQ(EncodeEntry({events::v1::CLOCK_ACCEPT, ClockEntry::State::kRunning,
                         absl::FromUnixMillis(2000), 7, absl::FromUnixMillis(1000), "U"}),
            "R|2000|7|1000|U");
}

TEST(StoreCodecTest, MalformedEntriesAreDataLoss) {
  for (const char* bad : {"", "R", "X|1|2|3|u", "R|x|2|3|u", "R|1|2|u", "R|1||3|u"}) {
    EXPECT_EQ(DecodeEntry(events::v1::CLOCK_ACCEPT, bad).status().code(),
              absl::StatusCode::kDataLoss)
        << bad;
  }
}

TEST(StoreCodecTest, MembersRoundTrip) {
  for (const std::string id : {"CMP0123456789ABCDEF0123", "weird|id"}) {
    const AlertKey key{id, events::v1::CLOCK_RESOLUTION, 123456789012,
                       events::v1::ALERT_KIND_ESCALATION, 2};
    auto back = DecodeMember(EncodeMember(key));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, key);
  }
  EXPECT_EQ(EncodeMember({"CMP1", events::v1::CLOCK_ACCEPT, 42, events::v1::ALERT_KIND_BREACH, 0}),
            "CMP1|1|42|2|0");
}

TEST(StoreCodecTest, MalformedMembersAreDataLoss) {
  for (const char* bad : {"", "CMP1", "CMP1|1|42|2", "|1|42|2|0", "CMP1|99|42|2|0",
                          "CMP1|1|x|2|0", "CMP1|1|42|9|0"}) {
    EXPECT_EQ(DecodeMember(bad).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

}  // namespace
}  // namespace complaints::sla_timer
