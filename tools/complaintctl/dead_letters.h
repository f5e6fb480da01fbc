#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/ops.pb.h"
#include "libs/events/topics.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"

namespace complaints::complaintctl {

// Where a record sits on a topic.
struct Coordinates {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  auto operator<=>(const Coordinates&) const = default;
};
// "<topic>/<partition>/<offset>": the re-drive log's key.
std::string KeyOf(const Coordinates& at);

// A record of a `<topic>.dlq` topic, with what the consumer that gave up on it wrote in its
// dlq_* headers (libs/kafka/consumer.h).
struct DeadLetter {
  Coordinates at;      // on the dead-letter topic
  Coordinates origin;  // where it was first published
  std::string reason;
  std::string code;
  std::string group;
  std::string dead_lettered_at;  // dlq_time, RFC 3339
  std::string complaint_id;      // ce_subject, if any
  std::string type;              // ce_type, if any
  kafka::IncomingRecord record;
};

// InvalidArgument when the record lacks the headers every dead letter has (dlq_topic and its
// coordinates): a record put on a .dlq topic by something else, which cannot be re-driven.
absl::StatusOr<DeadLetter> ReadDeadLetter(const kafka::IncomingRecord& record);

// The copy to publish on the original topic: same key, value and headers minus the dlq_* ones,
// plus `redriven_from` (the dead letter's coordinates) so that it can be told from the first.
kafka::OutgoingRecord RedriveCopy(const DeadLetter& dead_letter);

// What the re-drive log says about each dead letter: its claims in log order.
class RedriveLedger {
 public:
  // Records of ops.redrives.v1 that do not parse are skipped (and counted).
  void Add(const kafka::IncomingRecord& record);

  enum class Status { kNotRedriven, kClaimed, kRedriven };
  Status StatusOf(const Coordinates& dead_letter) const;
  // The earliest claim of the dead letter in the log, which alone may re-publish it.
  std::optional<events::v1::DeadLetterRedrive> WinningClaim(const Coordinates& dead_letter) const;
  // Its DONE record, when the winning claim finished.
  std::optional<events::v1::DeadLetterRedrive> Done(const Coordinates& dead_letter) const;
  int unreadable() const { return unreadable_; }

 private:
  struct Entry {
    std::optional<events::v1::DeadLetterRedrive> first_claim;
    std::optional<events::v1::DeadLetterRedrive> done;
  };
  std::map<Coordinates, Entry> entries_;
  int unreadable_ = 0;
};

// The log records: a claim before re-publishing, and DONE after (with where the copy landed).
events::v1::DeadLetterRedrive Claim(const DeadLetter& dead_letter, const std::string& claim_id,
                                    const std::string& actor, const std::string& note,
                                    absl::Time now);
events::v1::DeadLetterRedrive Finished(events::v1::DeadLetterRedrive claim,
                                       const kafka::Delivery& copy, absl::Time now);
kafka::OutgoingRecord LogRecord(const events::v1::DeadLetterRedrive& entry);

}  // namespace complaints::complaintctl
