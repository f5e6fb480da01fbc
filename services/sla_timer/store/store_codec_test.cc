#include "services/sla_timer/store/store_codec.h"

#include <random>

#include "complaints/sla/v1/clock_state.pb.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/common/proto_time.h"

namespace complaints::sla_timer {
namespace {

const absl::Time kT0 = absl::FromUnixMillis(1764115200123);

ClockEntry Entry(ClockKind clock, ClockEntry::State state, absl::Time due, int64_t version,
                 absl::Time armed_at, std::string unit) {
  return {clock, state, due, version, armed_at, std::move(unit)};
}

TEST(StoreCodecTest, MembersRoundTrip) {
  const std::string standard = common::ComplaintIdFor("ivr", "call-1");
  for (const std::string& id : {standard, std::string("CMP1"), std::string("weird|id"),
                                std::string("CMP0123456789abcdef0123"),  // lower case: kept
                                std::string("\x01\x02 binary\xff")}) {
    for (int step : {0, 1, 255}) {
      const AlertKey key{id, events::v1::CLOCK_REGULATORY, (int64_t{1} << 48) - 1,
                         events::v1::ALERT_KIND_ESCALATION, step};
      auto member = EncodeMember(key);
      ASSERT_TRUE(member.ok()) << member.status();
      auto back = DecodeMember(*member);
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(*back, key);
    }
  }
}

// Every clock of this build fits the member's four clock bits, the promise clock (7) too.
TEST(StoreCodecTest, EveryClockRoundTrips) {
  for (int clock = events::v1::Clock_MIN + 1; clock <= events::v1::Clock_MAX; ++clock) {
    const AlertKey key{"CMP1", static_cast<ClockKind>(clock), 42, events::v1::ALERT_KIND_WARNING,
                       1};
    auto member = EncodeMember(key);
    ASSERT_TRUE(member.ok()) << clock << ": " << member.status();
    auto back = DecodeMember(*member);
    ASSERT_TRUE(back.ok()) << clock << ": " << back.status();
    EXPECT_EQ(*back, key);
  }
  EXPECT_EQ(events::v1::Clock_MAX, events::v1::CLOCK_PROMISE);
}

TEST(StoreCodecTest, StandardIdsArePackedIntoTenBytes) {
  const std::string id = "CMP0123456789ABCDEF0123";
  auto member = EncodeMember({id, events::v1::CLOCK_ACCEPT, 42, events::v1::ALERT_KIND_BREACH, 0});
  ASSERT_TRUE(member.ok());
  EXPECT_EQ(member->size(), kMemberHeadSize + 10);
  EXPECT_EQ(*member, std::string("\x15\x00\x00\x00\x00\x00\x00\x2a", 8) +
                         "\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23");
  EXPECT_EQ(member->substr(kMemberHeadSize), PackComplaintId(id));
  EXPECT_EQ(PackComplaintId("CMP1"), "CMP1");
  auto raw = EncodeMember({"CMP1", events::v1::CLOCK_ACCEPT, 42, events::v1::ALERT_KIND_BREACH, 0});
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, std::string("\x14\x00\x00\x00\x00\x00\x00\x2a", 8) + "CMP1");
}

TEST(StoreCodecTest, MembersThatDoNotFitAreRejected) {
  const AlertKey ok{"CMP1", events::v1::CLOCK_ACCEPT, 1, events::v1::ALERT_KIND_BREACH, 0};
  AlertKey bad = ok;
  bad.step = 256;
  EXPECT_EQ(EncodeMember(bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = ok;
  bad.step = -1;
  EXPECT_EQ(EncodeMember(bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = ok;
  bad.version = int64_t{1} << 48;
  EXPECT_EQ(EncodeMember(bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = ok;
  bad.complaint_id.clear();
  EXPECT_EQ(EncodeMember(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StoreCodecTest, MalformedMembersAreDataLoss) {
  const std::string head("\x14\x00\x00\x00\x00\x00\x00\x2a", 8);
  for (const std::string& bad :
       {std::string(), head, std::string("\xe4") + head.substr(1) + "CMP1",  // clock 14
        std::string("\x1e") + head.substr(1) + "CMP1",                       // kind 7
        std::string("\x15") + head.substr(1) + "short"}) {                   // packed, 5 bytes
    EXPECT_EQ(DecodeMember(bad).status().code(), absl::StatusCode::kDataLoss);
  }
}

TEST(StoreCodecTest, CasesRoundTrip) {
  StoredCase stored;
  stored.clocks.last_offset = 123456789;
  stored.clocks.assignment_sequence = 3;
  stored.clocks.clocks[events::v1::CLOCK_ACCEPT] =
      Entry(events::v1::CLOCK_ACCEPT, ClockEntry::State::kStopped, kT0 + absl::Hours(4), 7, kT0,
            "BJ-0101");
  stored.clocks.clocks[events::v1::CLOCK_RESOLUTION] =
      Entry(events::v1::CLOCK_RESOLUTION, ClockEntry::State::kRunning, kT0 + absl::Hours(168), 7,
            kT0, "BJ-0101");
  stored.clocks.clocks[events::v1::CLOCK_REGULATORY] =
      Entry(events::v1::CLOCK_REGULATORY, ClockEntry::State::kRunning, kT0 - absl::Hours(1), 9,
            kT0 + absl::Minutes(5), "odd|unit");
  stored.policy_state = std::string("\x00opaque\xff", 8);
  const std::vector<PendingRef> pending = {
      {std::string("\x42\x00\x00\x00\x00\x00\x00\x07", 8), 29401920, 3},
      {std::string("\x52\x01\x00\x00\x00\x00\x00\x09", 8), 1, 65535}};

  for (const auto& refs : {std::vector<PendingRef>{}, pending}) {
    for (const auto& worklist :
         {std::optional<WorklistRef>(), std::optional(WorklistRef{"BJ-0101", 20418, 7})}) {
      auto value = EncodeCaseValue(stored, refs, true, worklist);
      ASSERT_TRUE(value.ok()) << value.status();
      auto back = DecodeCaseValue(*value);
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(back->stored, stored);
      EXPECT_EQ(back->pending, refs);
      EXPECT_EQ(back->worklist, worklist);
    }
  }
  // Format 1, written before worklists, is the same without the worklist byte.
  std::string format1 = *EncodeCaseValue(stored, pending);
  format1[0] = 1;
  format1.erase(8 + kPendingSize * pending.size(), 1);
  auto old = DecodeCaseValue(format1);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->stored, stored);
  EXPECT_EQ(old->pending, pending);
  EXPECT_EQ(old->worklist, std::nullopt);
  EXPECT_EQ(
      EncodeCaseValue(stored, {}, true, WorklistRef{std::string(256, 'u'), 1, 1}).status().code(),
      absl::StatusCode::kInvalidArgument);
  // A fresh complaint: nothing applied yet, no clocks.
  auto empty = DecodeCaseValue(*EncodeCaseValue(StoredCase{}));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->stored, StoredCase{});
}

TEST(StoreCodecTest, ThreeClocksOfOneEventAreSmall) {
  StoredCase stored;
  stored.clocks.last_offset = 123456789;
  stored.clocks.assignment_sequence = 1;
  for (auto [clock, hours] : {std::pair{events::v1::CLOCK_FIRST_CONTACT, 24},
                              std::pair{events::v1::CLOCK_RESOLUTION, 168},
                              std::pair{events::v1::CLOCK_REGULATORY, 360}}) {
    stored.clocks.clocks[clock] = Entry(clock, ClockEntry::State::kRunning,
                                        kT0 + absl::Hours(hours), 123456789, kT0, "BJ-0101");
  }
  auto body = EncodeCaseBody(1, stored.clocks.clocks);
  ASSERT_TRUE(body.ok());
  EXPECT_LE(body->size(), 45u);
}

TEST(StoreCodecTest, PolicyStatesAreDeflatedWhenThatIsSmaller) {
  std::string repetitive;
  for (int i = 0; i < 40; ++i) repetitive += "clock " + std::to_string(i % 4) + " BR-0101 ";
  std::string random_bytes;
  std::mt19937 random(7);
  for (int i = 0; i < 300; ++i) random_bytes.push_back(static_cast<char>(random()));
  for (const std::string& state :
       {std::string(), std::string("short"), repetitive, random_bytes, std::string(100000, 'x')}) {
    for (bool compress : {false, true}) {
      const std::string stored = EncodePolicyState(state, compress);
      auto back = DecodePolicyState(stored);
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(*back, state);
      if (state.empty()) {
        EXPECT_TRUE(stored.empty());
      } else {
        EXPECT_LE(stored.size(), state.size() + 1);
      }
    }
  }
  EXPECT_LT(EncodePolicyState(repetitive, true).size(), repetitive.size() / 4);
  EXPECT_EQ(EncodePolicyState(repetitive, false), std::string(1, '\0') + repetitive);

  // Through a whole value.
  StoredCase stored;
  stored.policy_state = repetitive;
  auto value = EncodeCaseValue(stored);
  ASSERT_TRUE(value.ok());
  EXPECT_LT(value->size(), repetitive.size() / 2);
  EXPECT_EQ(DecodeCaseValue(*value)->stored.policy_state, repetitive);

  // Damaged: data loss, never a wrong state.
  std::string broken = EncodePolicyState(repetitive, true);
  broken.resize(broken.size() / 2);
  EXPECT_EQ(DecodePolicyState(broken).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodePolicyState(std::string("\x07"
                                          "abc"))
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

// An SlaCaseState as the policy engine writes one: four clocks, ACCEPT stopped.
std::string EngineLikeState(const std::string& unit, int64_t version, absl::Time at) {
  sla::v1::SlaCaseState state;
  state.set_applied_version(version + 3);
  state.set_phase(sla::v1::CASE_PHASE_OPEN);
  state.set_unit(unit);
  state.set_level(events::v1::LEVEL_ORDINARY);
  state.set_category("loan.collection");
  state.set_assignment_sequence(1);
  *state.mutable_received_at() = common::ToProtoTime(at - absl::Minutes(2));
  int n = 0;
  for (auto clock : {events::v1::CLOCK_ACCEPT, events::v1::CLOCK_FIRST_CONTACT,
                     events::v1::CLOCK_RESOLUTION, events::v1::CLOCK_REGULATORY}) {
    sla::v1::ClockState* c = state.add_clocks();
    c->set_clock(clock);
    c->set_status(n == 0 ? sla::v1::CLOCK_STATUS_STOPPED : sla::v1::CLOCK_STATUS_RUNNING);
    c->set_version(version);
    c->set_unit(unit);
    *c->mutable_due_at() = common::ToProtoTime(at + absl::Hours(7 * ++n));
    *c->mutable_started_at() = common::ToProtoTime(at);
    c->mutable_span()->set_working_days(n);
    c->add_warn_at(0.5);
    c->add_warn_at(0.8);
    c->add_escalation()->set_working_hours(2);
    c->add_escalation()->set_working_hours(4);
    c->add_escalation()->set_working_days(1);
    c->set_rule("base");
  }
  return state.SerializeAsString();
}

TEST(StoreCodecTest, EngineStatesUseThePresetDictionary) {
  const std::string state = EngineLikeState("SZ-0417", 987654321, kT0 + absl::Hours(5));
  const std::string stored = EncodePolicyState(state, true);
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(stored[0], 2);  // deflate with dictionary 1
  EXPECT_LT(stored.size(), state.size() / 3) << state.size();
  EXPECT_EQ(*DecodePolicyState(stored), state);
}

TEST(StoreCodecTest, OffsetsAreSixBytes) {
  EXPECT_EQ(*EncodeOffset(-1), std::string(6, '\0'));
  EXPECT_EQ(*EncodeOffset(0), std::string("\0\0\0\0\0\x01", 6));
  EXPECT_EQ(EncodeOffset(-2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeOffset((int64_t{1} << 48) - 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(StoreCodecTest, WorklistMembersKeepEveryId) {
  const std::string standard = "CMP0123456789ABCDEF0123";
  EXPECT_EQ(EncodeWorklistMember(standard).size(), 11u);
  for (const std::string& id : {standard, std::string("other-1"), std::string("ten-bytes!")}) {
    EXPECT_EQ(*DecodeWorklistMember(EncodeWorklistMember(id)), id);
  }
  for (const std::string& bad :
       {std::string(), std::string("\x01short", 6), std::string("\x02x")}) {
    EXPECT_EQ(DecodeWorklistMember(bad).status().code(), absl::StatusCode::kDataLoss);
  }
}

TEST(StoreCodecTest, MalformedCasesAreDataLoss) {
  StoredCase stored;
  stored.clocks.clocks[events::v1::CLOCK_ACCEPT] =
      Entry(events::v1::CLOCK_ACCEPT, ClockEntry::State::kRunning, kT0, 1, kT0, "U");
  const std::string good = *EncodeCaseValue(stored);
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_EQ(DecodeCaseValue(good.substr(0, cut)).status().code(), absl::StatusCode::kDataLoss)
        << cut;
  }
  std::string wrong_format = good;
  wrong_format[0] = 3;
  EXPECT_EQ(DecodeCaseValue(wrong_format).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace complaints::sla_timer
