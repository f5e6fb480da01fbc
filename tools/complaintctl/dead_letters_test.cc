#include "tools/complaintctl/dead_letters.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace complaints::complaintctl {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

kafka::IncomingRecord DeadRecord(int64_t offset) {
  return {.topic = "complaints.received.v1.dlq",
          .partition = 2,
          .offset = offset,
          .key = "c-1",
          .value = "payload",
          .headers = {{"ce_id", "e-1"},
                      {"ce_subject", "c-1"},
                      {"ce_type", "complaints.events.v1.ComplaintReceived"},
                      {"dlq_reason", "redis: OOM"},
                      {"dlq_code", "FAILED_PRECONDITION"},
                      {"dlq_topic", "complaints.received.v1"},
                      {"dlq_partition", "2"},
                      {"dlq_offset", "77"},
                      {"dlq_group", "complaints-routing"},
                      {"dlq_time", "2026-12-01T10:00:00.000Z"}}};
}

TEST(ReadDeadLetterTest, ReadsWhereItCameFromAndWhy) {
  auto dead = ReadDeadLetter(DeadRecord(5));
  ASSERT_TRUE(dead.ok()) << dead.status();
  EXPECT_EQ(KeyOf(dead->at), "complaints.received.v1.dlq/2/5");
  EXPECT_EQ(KeyOf(dead->origin), "complaints.received.v1/2/77");
  EXPECT_EQ(dead->reason, "redis: OOM");
  EXPECT_EQ(dead->group, "complaints-routing");
  EXPECT_EQ(dead->complaint_id, "c-1");
}

TEST(ReadDeadLetterTest, RefusesARecordWithoutItsOrigin) {
  kafka::IncomingRecord record = DeadRecord(5);
  std::erase_if(record.headers, [](const auto& h) { return h.first == "dlq_offset"; });
  auto dead = ReadDeadLetter(record);
  ASSERT_FALSE(dead.ok());
  EXPECT_THAT(dead.status().message(), HasSubstr("is not a dead letter"));
}

TEST(RedriveCopyTest, KeepsTheRecordWithoutDeadLetterHeadersAndSaysWhereFrom) {
  auto dead = ReadDeadLetter(DeadRecord(5));
  ASSERT_TRUE(dead.ok());
  const kafka::OutgoingRecord copy = RedriveCopy(*dead);
  EXPECT_EQ(copy.topic, "complaints.received.v1");
  EXPECT_EQ(copy.key, "c-1");
  EXPECT_EQ(copy.value, "payload");
  EXPECT_TRUE(copy.verbatim_headers);
  EXPECT_THAT(copy.extra_headers, Contains(Pair("ce_id", "e-1")));
  EXPECT_THAT(copy.extra_headers, Contains(Pair("redriven_from", "complaints.received.v1.dlq/2/5")));
  for (const auto& header : copy.extra_headers) EXPECT_THAT(header.first, Not(HasSubstr("dlq_")));
}

kafka::IncomingRecord Logged(const events::v1::DeadLetterRedrive& entry) {
  const kafka::OutgoingRecord out = LogRecord(entry);
  kafka::IncomingRecord record;
  record.topic = out.topic;
  record.key = out.key;
  record.value = out.value;
  return record;
}

TEST(RedriveLedgerTest, OnlyTheEarliestClaimWinsAndOnlyItsDoneCounts) {
  auto dead = ReadDeadLetter(DeadRecord(5));
  ASSERT_TRUE(dead.ok());
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  const auto first = Claim(*dead, "claim-a", "alice", "Redis memory raised", now);
  const auto second = Claim(*dead, "claim-b", "bob", "same fix", now);
  RedriveLedger ledger;
  EXPECT_EQ(ledger.StatusOf(dead->at), RedriveLedger::Status::kNotRedriven);
  ledger.Add(Logged(first));
  ledger.Add(Logged(second));
  EXPECT_EQ(ledger.StatusOf(dead->at), RedriveLedger::Status::kClaimed);
  ASSERT_TRUE(ledger.WinningClaim(dead->at).has_value());
  EXPECT_EQ(ledger.WinningClaim(dead->at)->claim_id(), "claim-a");

  ledger.Add(Logged(Finished(second, {.partition = 2, .offset = 90}, now)));  // the loser's
  EXPECT_EQ(ledger.StatusOf(dead->at), RedriveLedger::Status::kClaimed);
  ledger.Add(Logged(Finished(first, {.partition = 2, .offset = 91}, now)));
  EXPECT_EQ(ledger.StatusOf(dead->at), RedriveLedger::Status::kRedriven);
  EXPECT_EQ(ledger.Done(dead->at)->redriven_offset(), 91);

  // Another dead letter of the same topic is untouched.
  EXPECT_EQ(ledger.StatusOf({"complaints.received.v1.dlq", 2, 6}),
            RedriveLedger::Status::kNotRedriven);
}

TEST(RedriveLedgerTest, SkipsRecordsItCannotRead) {
  RedriveLedger ledger;
  kafka::IncomingRecord garbage;
  garbage.topic = events::kRedrivesTopic;
  garbage.value = "not a protobuf \xff";
  ledger.Add(garbage);
  EXPECT_EQ(ledger.unreadable(), 1);
}

TEST(LogRecordTest, IsKeyedByTheDeadLetterAndNamesTheComplaint) {
  auto dead = ReadDeadLetter(DeadRecord(5));
  ASSERT_TRUE(dead.ok());
  const kafka::OutgoingRecord record =
      LogRecord(Claim(*dead, "claim-a", "alice", "fix", absl::FromUnixSeconds(1'800'000'000)));
  EXPECT_EQ(record.topic, "ops.redrives.v1");
  EXPECT_EQ(record.key, "complaints.received.v1.dlq/2/5");
  EXPECT_EQ(record.event.subject, "c-1");
  EXPECT_EQ(record.event.id, "claim-a-CLAIMED");
}

}  // namespace
}  // namespace complaints::complaintctl
