#include "tools/complaintctl/dead_letters.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/proto_time.h"
#include "libs/kafka/cloud_event.h"

namespace complaints::complaintctl {
namespace {

using events::v1::DeadLetterRedrive;
using kafka::FindHeader;

Coordinates DeadLetterAt(const DeadLetterRedrive& entry) {
  return {entry.dead_letter_topic(), entry.dead_letter_partition(), entry.dead_letter_offset()};
}

}  // namespace

std::string KeyOf(const Coordinates& at) {
  return absl::StrCat(at.topic, "/", at.partition, "/", at.offset);
}

absl::StatusOr<DeadLetter> ReadDeadLetter(const kafka::IncomingRecord& record) {
  DeadLetter dead;
  dead.at = {record.topic, record.partition, record.offset};
  const std::optional<std::string> topic = FindHeader(record.headers, "dlq_topic");
  const std::optional<std::string> partition = FindHeader(record.headers, "dlq_partition");
  const std::optional<std::string> offset = FindHeader(record.headers, "dlq_offset");
  if (!topic || topic->empty() || !partition || !offset ||
      !absl::SimpleAtoi(*partition, &dead.origin.partition) ||
      !absl::SimpleAtoi(*offset, &dead.origin.offset)) {
    return absl::InvalidArgumentError(absl::StrCat(
        KeyOf(dead.at), " is not a dead letter: it lacks the dlq_topic, dlq_partition and "
                        "dlq_offset headers a consumer writes"));
  }
  dead.origin.topic = *topic;
  dead.reason = FindHeader(record.headers, "dlq_reason").value_or("");
  dead.code = FindHeader(record.headers, "dlq_code").value_or("");
  dead.group = FindHeader(record.headers, "dlq_group").value_or("");
  dead.dead_lettered_at = FindHeader(record.headers, "dlq_time").value_or("");
  dead.complaint_id = FindHeader(record.headers, "ce_subject").value_or("");
  dead.type = FindHeader(record.headers, "ce_type").value_or("");
  dead.record = record;
  return dead;
}

kafka::OutgoingRecord RedriveCopy(const DeadLetter& dead_letter) {
  kafka::OutgoingRecord copy;
  copy.topic = dead_letter.origin.topic;
  copy.key = dead_letter.record.key;
  copy.value = dead_letter.record.value;
  copy.verbatim_headers = true;
  for (const auto& header : dead_letter.record.headers) {
    if (!header.first.starts_with("dlq_") && header.first != "redriven_from") {
      copy.extra_headers.push_back(header);
    }
  }
  copy.extra_headers.emplace_back("redriven_from", KeyOf(dead_letter.at));
  return copy;
}

void RedriveLedger::Add(const kafka::IncomingRecord& record) {
  DeadLetterRedrive entry;
  if (!entry.ParseFromString(record.value) || entry.dead_letter_topic().empty()) {
    ++unreadable_;
    return;
  }
  Entry& known = entries_[DeadLetterAt(entry)];
  switch (entry.phase()) {
    case DeadLetterRedrive::CLAIMED:
      if (!known.first_claim) known.first_claim = std::move(entry);
      break;
    case DeadLetterRedrive::DONE:
      // Only the winning claim re-publishes, so only its DONE counts.
      if (known.first_claim && known.first_claim->claim_id() == entry.claim_id()) {
        known.done = std::move(entry);
      }
      break;
    default:
      ++unreadable_;
  }
}

RedriveLedger::Status RedriveLedger::StatusOf(const Coordinates& dead_letter) const {
  const auto it = entries_.find(dead_letter);
  if (it == entries_.end() || !it->second.first_claim) return Status::kNotRedriven;
  return it->second.done ? Status::kRedriven : Status::kClaimed;
}

std::optional<DeadLetterRedrive> RedriveLedger::WinningClaim(const Coordinates& dead_letter) const {
  const auto it = entries_.find(dead_letter);
  return it == entries_.end() ? std::nullopt : it->second.first_claim;
}

std::optional<DeadLetterRedrive> RedriveLedger::Done(const Coordinates& dead_letter) const {
  const auto it = entries_.find(dead_letter);
  return it == entries_.end() ? std::nullopt : it->second.done;
}

DeadLetterRedrive Claim(const DeadLetter& dead_letter, const std::string& claim_id,
                        const std::string& actor, const std::string& note,
                        absl::Time now) {
  DeadLetterRedrive claim;
  claim.set_phase(DeadLetterRedrive::CLAIMED);
  claim.set_claim_id(claim_id);
  claim.set_dead_letter_topic(dead_letter.at.topic);
  claim.set_dead_letter_partition(dead_letter.at.partition);
  claim.set_dead_letter_offset(dead_letter.at.offset);
  claim.set_topic(dead_letter.origin.topic);
  claim.set_partition(dead_letter.origin.partition);
  claim.set_offset(dead_letter.origin.offset);
  claim.set_dead_letter_reason(dead_letter.reason);
  claim.set_dead_letter_group(dead_letter.group);
  claim.set_complaint_id(dead_letter.complaint_id);
  claim.set_actor(actor);
  claim.set_note(note);
  *claim.mutable_at() = common::ToProtoTime(now);
  return claim;
}

DeadLetterRedrive Finished(DeadLetterRedrive claim, const kafka::Delivery& copy, absl::Time now) {
  claim.set_phase(DeadLetterRedrive::DONE);
  claim.set_redriven_partition(copy.partition);
  claim.set_redriven_offset(copy.offset);
  *claim.mutable_at() = common::ToProtoTime(now);
  return claim;
}

kafka::OutgoingRecord LogRecord(const DeadLetterRedrive& entry) {
  kafka::OutgoingRecord record;
  record.topic = events::kRedrivesTopic;
  record.key = KeyOf(DeadLetterAt(entry));
  entry.SerializeToString(&record.value);
  record.event.id = absl::StrCat(entry.claim_id(), "-",
                                 DeadLetterRedrive::Phase_Name(entry.phase()));
  record.event.type = "complaints.events.v1.DeadLetterRedrive";
  record.event.source = "/complaints/complaintctl";
  record.event.subject = entry.complaint_id();
  record.event.time = common::FromProtoTime(entry.at());
  return record;
}

}  // namespace complaints::complaintctl
