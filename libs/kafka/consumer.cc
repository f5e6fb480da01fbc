#include "libs/kafka/consumer.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/kafka/rdkafka_util.h"

namespace complaints::kafka {
namespace {

// Longer reasons are cut: the header travels with every dead letter.
constexpr size_t kMaxReasonBytes = 1024;

const std::shared_ptr<spdlog::logger>& Log() {
  static const auto logger = common::ModuleLogger("kafka");
  return logger;
}

using PartitionKey = std::pair<std::string, int32_t>;

// Owns librdkafka partition lists, which are vectors of raw pointers.
struct PartitionList {
  ~PartitionList() { RdKafka::TopicPartition::destroy(items); }
  std::vector<RdKafka::TopicPartition*> items;
};

std::vector<TopicPartition> ToList(const std::vector<RdKafka::TopicPartition*>& partitions) {
  std::vector<TopicPartition> out;
  out.reserve(partitions.size());
  for (const RdKafka::TopicPartition* tp : partitions) out.push_back({tp->topic(), tp->partition()});
  return out;
}

std::string Describe(const std::vector<TopicPartition>& partitions) {
  std::string out;
  for (const TopicPartition& tp : partitions) {
    absl::StrAppend(&out, out.empty() ? "" : " ", tp.topic, "[", tp.partition, "]");
  }
  return out;
}

std::string Where(const IncomingRecord& record) {
  return absl::StrCat(record.topic, "[", record.partition, "]@", record.offset);
}

IncomingRecord ToRecord(RdKafka::Message& message) {
  IncomingRecord record;
  record.topic = message.topic_name();
  record.partition = message.partition();
  record.offset = message.offset();
  if (message.key_pointer() != nullptr) {
    record.key.assign(static_cast<const char*>(message.key_pointer()), message.key_len());
  }
  if (message.payload() != nullptr) {
    record.value.assign(static_cast<const char*>(message.payload()), message.len());
  }
  if (const RdKafka::Headers* headers = message.headers(); headers != nullptr) {
    for (const RdKafka::Headers::Header& header : headers->get_all()) {
      record.headers.emplace_back(
          header.key(), header.value() == nullptr
                            ? std::string()
                            : std::string(header.value_string(), header.value_size()));
    }
  }
  if (const RdKafka::MessageTimestamp ts = message.timestamp();
      ts.type != RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE) {
    record.timestamp = absl::FromUnixMillis(ts.timestamp);
  }
  return record;
}

}  // namespace

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

struct Consumer::Impl final : public RdKafka::RebalanceCb {
  // Runs inside consume(), on the thread that calls Run.
  void rebalance_cb(RdKafka::KafkaConsumer* client, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const bool cooperative = client->rebalance_protocol() == "COOPERATIVE";
    const std::vector<TopicPartition> changed = ToList(partitions);
    // The cooperative protocol calls back with empty lists too; users are not told of those.
    const bool notify = !changed.empty();
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      if (cooperative) {
        LogRebalanceError("assign", client->incremental_assign(partitions));
      } else {
        LogRebalanceError("assign", client->assign(partitions));
      }
      for (const TopicPartition& tp : changed) assigned.emplace(tp.topic, tp.partition);
      // A pause outlives the assignment; new partitions take the state the consumer is in now
      // (paused while a record is being retried, so nothing overtakes it).
      if (retrying) {
        client->pause(partitions);
      } else {
        client->resume(partitions);
      }
      if (notify) Log()->info("assigned {}", Describe(changed));
      if (notify && options.on_assigned) options.on_assigned(changed);
    } else if (err == RdKafka::ERR__REVOKE_PARTITIONS) {
      if (client->assignment_lost()) {
        Log()->warn("assignment lost (session timed out?): {}", Describe(changed));
      } else if (notify) {
        Log()->info("revoked {}", Describe(changed));
      }
      if (notify && options.on_revoked) options.on_revoked(changed);
      if (cooperative) {
        LogRebalanceError("unassign", client->incremental_unassign(partitions));
        for (const TopicPartition& tp : changed) assigned.erase({tp.topic, tp.partition});
      } else {
        LogRebalanceError("unassign", client->unassign());
        assigned.clear();
      }
    } else {
      // librdkafka's contract for rebalance errors: drop the whole assignment and rejoin.
      Log()->error("rebalance failed: {}", RdKafka::err2str(err));
      std::vector<TopicPartition> all;
      for (const auto& [topic, partition] : assigned) all.push_back({topic, partition});
      if (options.on_revoked && !all.empty()) options.on_revoked(all);
      LogRebalanceError("unassign", client->unassign());
      assigned.clear();
    }
  }

  static void LogRebalanceError(std::string_view step, RdKafka::Error* error) {
    if (error == nullptr) return;
    Log()->error("rebalance {} failed: {}", step, error->str());
    delete error;
  }
  static void LogRebalanceError(std::string_view step, RdKafka::ErrorCode code) {
    if (code == RdKafka::ERR_NO_ERROR) return;
    Log()->error("rebalance {} failed: {}", step, RdKafka::err2str(code));
  }

  void SetPaused(bool paused) {
    retrying = paused;
    PartitionList current;
    consumer->assignment(current.items);
    if (current.items.empty()) return;
    if (paused) {
      consumer->pause(current.items);
    } else {
      consumer->resume(current.items);
    }
  }

  // Processes one record to the end: done, dead-lettered, or abandoned because the consumer
  // stops or the partition moved to another member (which will deliver it again).
  void Handle(const IncomingRecord& record, const RecordHandler& handler) {
    std::optional<absl::Status> rejected;  // set once the handler has rejected the record
    absl::Duration backoff = std::min(options.retry_backoff, options.max_retry_backoff);
    for (int attempt = 1;; ++attempt) {
      absl::Status status = rejected ? DeadLetter(record, *rejected) : handler(record);
      if (!rejected && !status.ok() && !IsTransient(status)) {
        rejected = status;
        status = DeadLetter(record, status);
      }
      if (status.ok()) {
        StoreOffset(record);
        break;
      }
      Log()->warn("{}: attempt {} failed, retrying in {}: {}", Where(record), attempt,
                  absl::FormatDuration(backoff), status.ToString());
      // Pausing keeps consume() free of records while it serves rebalances during the wait.
      if (!retrying) SetPaused(true);
      if (!WaitBeforeRetry(record, backoff)) break;
      backoff = std::min(backoff * 2, options.max_retry_backoff);
    }
    if (retrying) SetPaused(false);
  }

  // Sleeps by calling consume(), which keeps the member alive in its group (max.poll.interval.ms)
  // and lets rebalances happen. False when the retry must be abandoned.
  bool WaitBeforeRetry(const IncomingRecord& record, absl::Duration backoff) {
    const absl::Time deadline = absl::Now() + backoff;
    for (;;) {
      if (stop.load() || events.fatal()) return false;
      if (RewindRequested({record.topic, record.partition})) {
        Log()->info("{}: partition is being replayed; the record comes again", Where(record));
        return false;
      }
      if (!assigned.contains({record.topic, record.partition})) {
        Log()->info("{}: partition revoked while retrying; its new owner will retry it",
                    Where(record));
        return false;
      }
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return true;
      const int wait_ms =
          static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(left), 1, 100));
      std::unique_ptr<RdKafka::Message> message(consumer->consume(wait_ms));
      if (message->err() == RdKafka::ERR_NO_ERROR) {
        // Pausing purges prefetched records, so this is not expected; keeping it for later is
        // still correct, as its partition is paused and resumes after it.
        held.push_back(ToRecord(*message));
      }
    }
  }

  absl::Status DeadLetter(const IncomingRecord& record, const absl::Status& reason) {
    OutgoingRecord dead;
    dead.topic = absl::StrCat(record.topic, ".dlq");
    dead.key = record.key;
    dead.value = record.value;
    dead.verbatim_headers = true;
    // A record replayed from a DLQ carries an earlier verdict; only the latest one is kept.
    for (const auto& header : record.headers) {
      if (!header.first.starts_with("dlq_")) dead.extra_headers.push_back(header);
    }
    const absl::string_view message = reason.message();
    dead.extra_headers.insert(
        dead.extra_headers.end(),
        {{"dlq_reason", std::string(message.substr(0, kMaxReasonBytes))},
         {"dlq_code", absl::StatusCodeToString(reason.code())},
         {"dlq_topic", record.topic},
         {"dlq_partition", absl::StrCat(record.partition)},
         {"dlq_offset", absl::StrCat(record.offset)},
         {"dlq_group", options.group_id},
         {"dlq_time", FormatEventTime(absl::Now())}});
    if (absl::Status status = dead_letters->Publish(dead); !status.ok()) {
      // Whatever the cause, the record must not be skipped: the caller retries it.
      return absl::UnavailableError(absl::StrCat("dead-letter to ", dead.topic, ": ",
                                                 status.ToString()));
    }
    Log()->warn("{}: dead-lettered: {}", Where(record), reason.ToString());
    return absl::OkStatus();
  }

  void StoreOffset(const IncomingRecord& record) {
    PartitionList offsets;
    offsets.items.push_back(
        RdKafka::TopicPartition::create(record.topic, record.partition, record.offset + 1));
    RdKafka::ErrorCode err = consumer->offsets_store(offsets.items);
    if (err == RdKafka::ERR_NO_ERROR) err = offsets.items.front()->err();
    if (err != RdKafka::ERR_NO_ERROR) {
      // The partition has moved on to another member, which will deliver the record again.
      Log()->warn("{}: offset not stored: {}", Where(record), RdKafka::err2str(err));
    }
  }

  bool RewindRequested(const TopicPartition& tp) {
    std::lock_guard lock(rewind_mu);
    return std::find(rewinds.begin(), rewinds.end(), tp) != rewinds.end();
  }

  // Seeks every requested partition still assigned back to its beginning. seek() purges what
  // was prefetched for the partition; records held here for it are dropped as well.
  void ApplyRewinds() {
    std::vector<TopicPartition> requested;
    {
      std::lock_guard lock(rewind_mu);
      requested.swap(rewinds);
    }
    for (const TopicPartition& tp : requested) {
      if (!assigned.contains({tp.topic, tp.partition})) continue;
      std::erase_if(held, [&](const IncomingRecord& r) {
        return r.topic == tp.topic && r.partition == tp.partition;
      });
      std::unique_ptr<RdKafka::TopicPartition> start(RdKafka::TopicPartition::create(
          tp.topic, tp.partition, RdKafka::Topic::OFFSET_BEGINNING));
      if (const RdKafka::ErrorCode err = consumer->seek(*start, 10000);
          err != RdKafka::ERR_NO_ERROR) {
        Log()->error("rewind {}[{}] failed: {}", tp.topic, tp.partition, RdKafka::err2str(err));
        std::lock_guard lock(rewind_mu);
        rewinds.push_back(tp);  // tried again before the next record
        continue;
      }
      Log()->warn("replaying {}[{}] from its beginning", tp.topic, tp.partition);
    }
  }

  // The next record to process, if any: held ones first (their partitions are still assigned).
  absl::StatusOr<std::optional<IncomingRecord>> Next() {
    while (!held.empty()) {
      IncomingRecord record = std::move(held.front());
      held.pop_front();
      if (assigned.contains({record.topic, record.partition})) return record;
    }
    std::unique_ptr<RdKafka::Message> message(consumer->consume(100));
    switch (message->err()) {
      case RdKafka::ERR_NO_ERROR:
        return ToRecord(*message);
      case RdKafka::ERR__TIMED_OUT:
      case RdKafka::ERR__PARTITION_EOF:
        return std::nullopt;
      case RdKafka::ERR__FATAL:
        return internal::KafkaError(message->err(), "kafka consumer");
      default:
        // Client-level conditions (unknown topic, broker down...) that librdkafka recovers from.
        Log()->warn("consume: {}", message->errstr());
        return std::nullopt;
    }
  }

  void Close() {
    // Stored offsets would otherwise wait for the next auto commit, which close() does not do
    // for partitions it does not revoke.
    const RdKafka::ErrorCode err = consumer->commitSync();
    if (err != RdKafka::ERR_NO_ERROR && err != RdKafka::ERR__NO_OFFSET) {
      Log()->warn("final commit failed: {}", RdKafka::err2str(err));
    }
    if (const RdKafka::ErrorCode closed = consumer->close(); closed != RdKafka::ERR_NO_ERROR) {
      Log()->warn("close: {}", RdKafka::err2str(closed));
    }
  }

  ConsumerOptions options;
  Publisher* dead_letters = nullptr;
  internal::EventLogger events;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  std::atomic<bool> stop{false};
  // Below: only touched on the consumer thread (Run and the callbacks it serves).
  std::set<PartitionKey> assigned;
  bool retrying = false;
  std::deque<IncomingRecord> held;
  // Rewind requests from other threads, applied on the consumer thread between records.
  std::mutex rewind_mu;
  std::vector<TopicPartition> rewinds;
};

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(const KafkaConfig& config,
                                                           ConsumerOptions options,
                                                           Publisher* dead_letters) {
  if (options.group_id.empty()) return absl::InvalidArgumentError("consumer: empty group_id");
  if (options.topics.empty()) return absl::InvalidArgumentError("consumer: no topics");
  if (dead_letters == nullptr) return absl::InvalidArgumentError("consumer: no dead_letters");
  if (options.retry_backoff <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("consumer: retry_backoff must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->dead_letters = dead_letters;
  auto conf = internal::MakeConf(config,
                                 {{"auto.offset.reset", "earliest"},
                                  {"max.poll.interval.ms", "300000"}},
                                 {{"group.id", impl->options.group_id},
                                  {"partition.assignment.strategy", "cooperative-sticky"},
                                  {"enable.auto.offset.store", "false"},
                                  {"enable.auto.commit", "true"}},
                                 &impl->events);
  if (!conf.ok()) return conf.status();
  std::string error;
  if ((*conf)->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(impl.get()), error) !=
      RdKafka::Conf::CONF_OK) {
    return absl::InternalError(absl::StrCat("kafka rebalance_cb: ", error));
  }
  impl->consumer.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
  if (impl->consumer == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", error));
  }
  if (const RdKafka::ErrorCode err = impl->consumer->subscribe(impl->options.topics);
      err != RdKafka::ERR_NO_ERROR) {
    return internal::KafkaError(err, "kafka subscribe");
  }
  return std::unique_ptr<Consumer>(new Consumer(std::move(impl)));
}

Consumer::Consumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Consumer::~Consumer() {
  if (!impl_->consumer->closed()) impl_->Close();
}

absl::Status Consumer::Run(const RecordHandler& handler) {
  absl::Status result;
  while (!impl_->stop.load()) {
    if (impl_->events.fatal()) {
      result = absl::InternalError("kafka consumer: fatal client error (see log)");
      break;
    }
    impl_->ApplyRewinds();
    absl::StatusOr<std::optional<IncomingRecord>> next = impl_->Next();
    if (!next.ok()) {
      result = next.status();
      break;
    }
    if (!next->has_value()) continue;
    // A partition whose rewind could not start yet (seek needs consumption to have begun):
    // its records come again with the replay.
    if (impl_->RewindRequested({(*next)->topic, (*next)->partition})) continue;
    impl_->Handle(**next, handler);
  }
  impl_->Close();
  return result;
}

void Consumer::Stop() { impl_->stop.store(true); }

void Consumer::Rewind(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(impl_->rewind_mu);
  impl_->rewinds.insert(impl_->rewinds.end(), partitions.begin(), partitions.end());
}

}  // namespace complaints::kafka
