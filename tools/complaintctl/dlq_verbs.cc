// The verbs about dead letters: dlq list, dlq redrive.
//
// A re-drive is at most once per dead letter, even with two operators at once: the CLI first
// publishes a claim to ops.redrives.v1 (one partition), then reads that log up to its own claim;
// only when its claim is the earliest for that dead letter does it re-publish the record, and
// then it logs DONE with where the copy landed. A crash between claim and copy leaves the dead
// letter claimed but not re-driven: `dlq list` shows it, and it is not re-driven twice.
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "libs/common/ids.h"
#include "libs/common/proto_time.h"
#include "libs/kafka/kafka_config.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_reader.h"
#include "tools/complaintctl/dead_letters.h"
#include "tools/complaintctl/verb.h"

namespace complaints::complaintctl {
namespace {

constexpr absl::Duration kReadTimeout = absl::Seconds(30);
constexpr size_t kMaxNote = 500;

// Every record of `topic`, read to its end.
absl::StatusOr<std::vector<kafka::IncomingRecord>> ReadAll(const Invocation& run,
                                                           const std::string& topic) {
  auto reader = kafka::TopicReader::Open(run.endpoints.kafka, topic);
  if (!reader.ok()) return reader.status();
  if (!(*reader)->ReadToEnd(kReadTimeout)) {
    return absl::DeadlineExceededError("could not read " + topic + " to its end in 30 s");
  }
  return (*reader)->Seen([](const kafka::IncomingRecord&) { return true; });
}

absl::StatusOr<RedriveLedger> ReadLedger(const Invocation& run) {
  auto records = ReadAll(run, events::kRedrivesTopic);
  if (!records.ok()) return records.status();
  RedriveLedger ledger;
  for (const kafka::IncomingRecord& record : *records) ledger.Add(record);
  return ledger;
}

std::string StatusText(RedriveLedger::Status status) {
  switch (status) {
    case RedriveLedger::Status::kNotRedriven: return "dead";
    case RedriveLedger::Status::kClaimed: return "claimed";
    case RedriveLedger::Status::kRedriven: return "redriven";
  }
  return "?";
}

// "<topic>" or "<topic>.dlq" -> the dead-letter topic.
std::string DeadLetterTopic(const std::string& topic) {
  return topic.ends_with(".dlq") ? topic : topic + ".dlq";
}

int List(const Invocation& run) {
  const std::string topic = DeadLetterTopic(run.args.positional[0]);
  auto records = ReadAll(run, topic);
  if (!records.ok()) return run.Fail("reading " + topic, records.status());
  auto ledger = ReadLedger(run);
  if (!ledger.ok()) return run.Fail("reading the re-drive log", ledger.status());
  const bool pending_only = run.args.Has("pending");
  int shown = 0;
  for (const kafka::IncomingRecord& record : *records) {
    auto dead = ReadDeadLetter(record);
    if (!dead.ok()) {
      std::fprintf(run.out, "%s/%d/%lld  unreadable: %s\n", topic.c_str(), record.partition,
                   static_cast<long long>(record.offset), dead.status().message().data());
      continue;
    }
    const RedriveLedger::Status status = ledger->StatusOf(dead->at);
    if (pending_only && status != RedriveLedger::Status::kNotRedriven) continue;
    std::fprintf(run.out, "%d:%lld  %-8s  from %s  at %s  by %s\n", dead->at.partition,
                 static_cast<long long>(dead->at.offset), StatusText(status).c_str(),
                 KeyOf(dead->origin).c_str(), dead->dead_lettered_at.c_str(),
                 dead->group.empty() ? "-" : dead->group.c_str());
    std::fprintf(run.out, "    complaint %s  type %s\n",
                 dead->complaint_id.empty() ? "-" : dead->complaint_id.c_str(),
                 dead->type.empty() ? "-" : dead->type.c_str());
    std::fprintf(run.out, "    %s: %s\n", dead->code.c_str(), dead->reason.c_str());
    ++shown;
  }
  std::fprintf(run.out, "%d dead letter(s) listed on %s\n", shown, topic.c_str());
  return 0;
}

// "3:1402" -> partition 3, offset 1402.
bool ParseAt(const std::string& text, int32_t* partition, int64_t* offset) {
  const std::vector<std::string> parts = absl::StrSplit(text, ':');
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], partition) &&
         absl::SimpleAtoi(parts[1], offset) && *partition >= 0 && *offset >= 0;
}

// Re-drives one dead letter unless the log shows it claimed; prints what happened.
absl::Status RedriveOne(const Invocation& run, kafka::Producer& producer, const DeadLetter& dead,
                        const std::string& actor, const std::string& note) {
  const std::string claim_id = common::DeterministicId(
      {KeyOf(dead.at), actor, absl::StrCat(getpid()), absl::FormatTime(absl::Now())});
  const events::v1::DeadLetterRedrive claim = Claim(dead, claim_id, actor, note, absl::Now());
  auto claimed = producer.PublishWithOffsets(std::vector{LogRecord(claim)});
  if (!claimed.ok()) return claimed.status();
  // Read the log until our own claim: every claim before it is now known.
  auto reader = kafka::TopicReader::Open(run.endpoints.kafka, events::kRedrivesTopic);
  if (!reader.ok()) return reader.status();
  const int64_t claim_offset = claimed->front().offset;
  if (!(*reader)->WaitFor([&](const kafka::IncomingRecord& r) { return r.offset >= claim_offset; },
                          kReadTimeout)) {
    return absl::DeadlineExceededError("our claim did not appear on " +
                                       std::string(events::kRedrivesTopic));
  }
  RedriveLedger ledger;
  for (const auto& record : (*reader)->Seen([&](const kafka::IncomingRecord& r) {
         return r.offset <= claim_offset;
       })) {
    ledger.Add(record);
  }
  const auto winner = ledger.WinningClaim(dead.at);
  if (!winner || winner->claim_id() != claim_id) {
    std::fprintf(run.out, "%d:%lld  already claimed by %s at %s: not sent again\n",
                 dead.at.partition, static_cast<long long>(dead.at.offset),
                 winner ? winner->actor().c_str() : "?",
                 winner ? absl::FormatTime(common::FromProtoTime(winner->at())).c_str() : "?");
    return absl::OkStatus();
  }
  auto copied = producer.PublishWithOffsets(std::vector{RedriveCopy(dead)});
  if (!copied.ok()) {
    return absl::Status(copied.status().code(),
                        absl::StrCat("claimed but not re-published (it stays claimed; publish "
                                     "it by hand if it must go): ",
                                     copied.status().message()));
  }
  auto done = producer.PublishWithOffsets(
      std::vector{LogRecord(Finished(claim, copied->front(), absl::Now()))});
  if (!done.ok()) return done.status();
  std::fprintf(run.out, "%d:%lld  re-driven to %s/%d/%lld\n", dead.at.partition,
               static_cast<long long>(dead.at.offset), dead.origin.topic.c_str(),
               copied->front().partition, static_cast<long long>(copied->front().offset));
  return absl::OkStatus();
}

int Redrive(const Invocation& run) {
  const std::string topic = DeadLetterTopic(run.args.positional[0]);
  std::set<std::pair<int32_t, int64_t>> chosen;
  for (const std::string& at : run.args.All("at")) {
    int32_t partition = 0;
    int64_t offset = 0;
    if (!ParseAt(at, &partition, &offset)) {
      std::fprintf(run.err,
                   "complaintctl: --at \"%s\" is not PARTITION:OFFSET (as `dlq list` prints)\n",
                   at.c_str());
      return 2;
    }
    chosen.insert({partition, offset});
  }
  const bool all = run.args.Has("all-pending");
  if (chosen.empty() == !all) {
    std::fprintf(run.err, "complaintctl: give either --at PARTITION:OFFSET (repeatable) or "
                          "--all-pending\n");
    return 2;
  }
  const std::string note = run.args.Get("note");
  if (note.empty() || note.size() > kMaxNote) {
    std::fprintf(run.err, "complaintctl: --note is required (at most %zu bytes): say what was "
                          "fixed, for the complaint's timeline\n", kMaxNote);
    return 2;
  }
  const std::string actor = run.args.Get("actor", std::getenv("USER") ? std::getenv("USER") : "");
  if (actor.empty()) {
    std::fprintf(run.err, "complaintctl: --actor NAME is required (USER is not set)\n");
    return 2;
  }

  auto records = ReadAll(run, topic);
  if (!records.ok()) return run.Fail("reading " + topic, records.status());
  auto ledger = ReadLedger(run);
  if (!ledger.ok()) return run.Fail("reading the re-drive log", ledger.status());
  kafka::KafkaConfig config;
  config.bootstrap_servers = run.endpoints.kafka;
  auto producer = kafka::Producer::Create(config);
  if (!producer.ok()) return run.Fail("connecting to Kafka", producer.status());

  int redriven = 0;
  int failures = 0;
  for (const kafka::IncomingRecord& record : *records) {
    const bool picked = chosen.erase({record.partition, record.offset}) > 0;
    if (!picked && !all) continue;
    auto dead = ReadDeadLetter(record);
    if (!dead.ok()) {
      std::fprintf(run.err, "complaintctl: %s\n", dead.status().message().data());
      ++failures;
      continue;
    }
    // --all-pending takes what the log shows as never claimed; a dead letter named with --at
    // always goes through a claim, which alone decides (another operator may be racing).
    if (!picked && ledger->StatusOf(dead->at) != RedriveLedger::Status::kNotRedriven) continue;
    if (const absl::Status status = RedriveOne(run, **producer, *dead, actor, note); !status.ok()) {
      run.Fail(absl::StrCat("re-driving ", KeyOf(dead->at)), status);
      ++failures;
      continue;
    }
    ++redriven;
  }
  for (const auto& [partition, offset] : chosen) {
    std::fprintf(run.err, "complaintctl: %s has no record at %d:%lld (see `complaintctl dlq list "
                          "%s`)\n", topic.c_str(), partition, static_cast<long long>(offset),
                 run.args.positional[0].c_str());
    ++failures;
  }
  std::fprintf(run.out, "%d re-driven, %d failed\n", redriven, failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace

std::vector<Verb> DeadLetterVerbs() {
  return {
      {{.words = "dlq list",
        .positional = "<topic>",
        .min_positional = 1,
        .max_positional = 1,
        .summary = "List a topic's dead letters with why each was set aside.",
        .details = "<topic> is the original topic (e.g. complaints.received.v1) or its .dlq.\n"
                   "Each line: PARTITION:OFFSET on the .dlq topic (what `dlq redrive --at` "
                   "takes), its state\n(dead, claimed, redriven), where it came from, when, by "
                   "which consumer group, and the reason.",
        .flags = {{"pending", "", "only those not yet re-driven"}}},
       List},
      {{.words = "dlq redrive",
        .positional = "<topic>",
        .min_positional = 1,
        .max_positional = 1,
        .summary = "After a fix, send chosen dead letters back to their topic, each at most once.",
        .details = "The copy keeps the record's key, value and headers (without the dlq_* ones) "
                   "and gains\nredriven_from. Every consumer group of the topic sees it again; "
                   "the services are idempotent\nper event id, so only the group that gave up on "
                   "it acts. Each re-drive is logged on ops.redrives.v1\n(who, when, "
                   "why), and analytics shows it on the complaint's timeline (`complaintctl show`).",
        .flags = {{"at", "PARTITION:OFFSET", "a dead letter, as `dlq list` prints it", true},
                  {"all-pending", "", "every dead letter not yet re-driven"},
                  {"note", "TEXT", "what was fixed (required, at most 500 bytes)"},
                  {"actor", "NAME", "who re-drives (default: $USER)"}}},
       Redrive},
  };
}

}  // namespace complaints::complaintctl
