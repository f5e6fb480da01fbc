#include "libs/kafka/consumer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/common/utf8.h"
#include "libs/kafka/consumer_metrics.h"
#include "libs/kafka/rdkafka_util.h"

namespace complaints::kafka {
namespace {

// Longer reasons are cut: the header travels with every dead letter.
constexpr size_t kMaxReasonBytes = 1024;
// How often a consumer with a subscribed topic missing looks for it again.
constexpr absl::Duration kMissingTopicCheck = absl::Seconds(2);

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
  for (const RdKafka::TopicPartition* tp : partitions)
    out.push_back({tp->topic(), tp->partition()});
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

// Through the C API: the C++ wrapper's topic_name() and headers() allocate and copy the topic
// and every header name and value once more before this copies them, six CloudEvents headers a
// record (a replay reads millions). Assigns into `record`'s strings, so that a record recycled
// from an earlier batch (Impl::NextBatch) reuses their buffers instead of allocating anew.
void FillRecord(const rd_kafka_message_t& raw, IncomingRecord* record) {
  record->topic.assign(rd_kafka_topic_name(raw.rkt));
  record->partition = raw.partition;
  record->offset = raw.offset;
  record->key.assign(raw.key != nullptr ? static_cast<const char*>(raw.key) : "",
                     raw.key != nullptr ? raw.key_len : 0);
  record->value.assign(raw.payload != nullptr ? static_cast<const char*>(raw.payload) : "",
                       raw.payload != nullptr ? raw.len : 0);
  size_t count = 0;
  rd_kafka_headers_t* headers = nullptr;
  // (const_cast: librdkafka parses the headers into the message on first use.)
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(&raw), &headers) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (; rd_kafka_header_get_all(headers, count, &name, &value, &size) ==
           RD_KAFKA_RESP_ERR_NO_ERROR;
         ++count) {
      if (count == record->headers.size()) record->headers.emplace_back();
      auto& [header_name, header_value] = record->headers[count];
      header_name.assign(name);
      header_value.assign(value != nullptr ? static_cast<const char*>(value) : "",
                          value != nullptr ? size : 0);
    }
  }
  record->headers.resize(count);
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const int64_t millis = rd_kafka_message_timestamp(&raw, &type);
  record->timestamp =
      type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? absl::UnixEpoch() : absl::FromUnixMillis(millis);
}

IncomingRecord ToRecord(RdKafka::Message& message) {
  IncomingRecord record;
  FillRecord(*static_cast<const rd_kafka_message_t*>(message.c_ptr()), &record);
  return record;
}

// Owns a message of librdkafka's C API.
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

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
    // The eager protocol (Create): an assignment is the member's whole set, and a revocation
    // takes all of it.
    const std::vector<TopicPartition> changed = ToList(partitions);
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      lost_since.reset();
      LogRebalanceError("assign", client->assign(partitions));
      for (const TopicPartition& tp : changed) assigned.emplace(tp.topic, tp.partition);
      // A pause outlives the assignment; new partitions take the state the consumer is in now
      // (paused while a record is being retried, so nothing overtakes it).
      if (retrying) {
        client->pause(partitions);
      } else {
        client->resume(partitions);
      }
      if (changed.empty()) return;  // a member of a group with more members than partitions
      Log()->info("assigned {}", Describe(changed));
      if (options.on_assigned) options.on_assigned(changed);
      return;
    }
    if (err == RdKafka::ERR__REVOKE_PARTITIONS) {
      if (client->assignment_lost()) {
        Log()->warn("assignment lost (session timed out?): {}", Describe(changed));
        if (!lost_since.has_value()) lost_since = absl::Now();
      } else if (!changed.empty()) {
        Log()->info("revoked {}", Describe(changed));
      }
    } else {
      // librdkafka's contract for rebalance errors: drop the whole assignment and rejoin.
      Log()->error("rebalance failed: {}", RdKafka::err2str(err));
    }
    ++revocations;
    std::vector<TopicPartition> all;
    for (const auto& [topic, partition] : assigned) all.push_back({topic, partition});
    for (const TopicPartition& tp : all) metrics->Forget(tp.topic, tp.partition);
    if (options.on_revoked && !all.empty()) options.on_revoked(all);
    LogRebalanceError("unassign", client->unassign());
    assigned.clear();
    next_offsets.clear();
    deferred.clear();
    fetched.clear();
    held.clear();
  }

  static void LogRebalanceError(std::string_view step, RdKafka::ErrorCode code) {
    if (code == RdKafka::ERR_NO_ERROR) return;
    Log()->error("rebalance {} failed: {}", step, RdKafka::err2str(code));
  }

  void SetPaused(bool paused) {
    retrying = paused;
    PartitionList current;
    consumer->assignment(current.items);
    if (!paused) {
      // A deferred partition stays paused until it is rewound.
      std::erase_if(current.items, [this](RdKafka::TopicPartition* tp) {
        const bool keep_paused = deferred.contains({tp->topic(), tp->partition()});
        if (keep_paused) delete tp;
        return keep_paused;
      });
    }
    if (current.items.empty()) return;
    if (paused) {
      consumer->pause(current.items);
    } else {
      consumer->resume(current.items);
    }
  }

  // A record of the batch being handled, and how far it got.
  struct Slot {
    const IncomingRecord* record = nullptr;
    std::optional<absl::Status> rejected;  // set once the handler has rejected the record
    bool done = false;                     // its effect is done, or it is dead-lettered
    bool dropped = false;                  // its partition was revoked or is being replayed
  };

  // Processes a batch to the end: every record done, dead-lettered, or abandoned because the
  // consumer stops or its partition moved to another member (which will deliver it again) or is
  // being replayed.
  void HandleBatch(const std::vector<IncomingRecord>& batch, const BatchHandler& handler) {
    std::vector<Slot> slots(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) slots[i].record = &batch[i];
    const uint64_t epoch = revocations;
    std::map<PartitionKey, int64_t> stored;  // offsets stored so far, per partition
    absl::Duration backoff = std::min(options.retry_backoff, options.max_retry_backoff);
    bool outage = false;  // reported through on_retrying
    for (int attempt = 1;; ++attempt) {
      // The handler gets what it has not finished with yet: the whole batch the first time.
      std::vector<size_t> to_handle;
      for (size_t i = 0; i < slots.size(); ++i) {
        if (!slots[i].done && !slots[i].dropped && !slots[i].rejected) to_handle.push_back(i);
      }
      std::vector<absl::Status> statuses;
      if (to_handle.size() == batch.size()) {
        statuses = handler(batch);
      } else if (!to_handle.empty()) {
        std::vector<IncomingRecord> again;
        again.reserve(to_handle.size());
        for (size_t i : to_handle) again.push_back(batch[i]);
        statuses = handler(again);
      }
      if (statuses.size() != to_handle.size()) {
        // A bug in the handler: no status can be trusted to the right record.
        Log()->critical("batch handler returned {} statuses for {} records", statuses.size(),
                        to_handle.size());
        std::abort();
      }
      const Slot* failed = nullptr;  // the first record not done, for the log
      absl::Status failure;
      size_t not_done = 0;
      auto note = [&](const Slot& slot, absl::Status status) {
        if (not_done++ == 0) {
          failed = &slot;
          failure = std::move(status);
        }
      };
      for (size_t j = 0; j < to_handle.size(); ++j) {
        Slot& slot = slots[to_handle[j]];
        if (statuses[j].ok()) {
          slot.done = true;
        } else if (IsTransient(statuses[j])) {
          note(slot, std::move(statuses[j]));
        } else {
          slot.rejected = std::move(statuses[j]);
        }
      }
      // Rejected records (now, or earlier with a dead letter that failed): the handler is not
      // called for them again.
      for (Slot& slot : slots) {
        if (slot.done || slot.dropped || !slot.rejected) continue;
        if (absl::Status status = DeadLetter(*slot.record, *slot.rejected); status.ok()) {
          slot.done = true;
        } else {
          note(slot, std::move(status));
        }
      }
      StoreOffsets(slots, stored);
      if (not_done == 0) break;
      if (!outage && failure.code() != absl::StatusCode::kAborted) {
        outage = true;
        if (options.on_retrying) options.on_retrying(true);
      }
      Log()->warn("{}: attempt {} failed, retrying in {}{}: {}", Where(*failed->record), attempt,
                  absl::FormatDuration(backoff),
                  not_done > 1 ? absl::StrCat(" with ", not_done - 1, " more records") : "",
                  failure.ToString());
      // Pausing keeps consume() free of records while it serves rebalances during the wait.
      if (!retrying) SetPaused(true);
      if (!WaitBeforeRetry(slots, backoff, epoch)) break;
      backoff = std::min(backoff * 2, options.max_retry_backoff);
    }
    if (retrying) SetPaused(false);
    if (outage && options.on_retrying) options.on_retrying(false);
  }

  // Gives up the records of `record`'s partition: another member, or the replay, delivers them.
  static void DropPartition(std::vector<Slot>& slots, const IncomingRecord& record) {
    for (Slot& slot : slots) {
      if (slot.record->partition == record.partition && slot.record->topic == record.topic) {
        slot.dropped = true;
      }
    }
  }

  // Sleeps by calling consume(), which keeps the member alive in its group (max.poll.interval.ms)
  // and lets rebalances happen. Drops the records of partitions revoked since `epoch` (even if
  // assigned again: they are fetched again from their committed offsets) or being replayed;
  // false when the retry must be abandoned (nothing left to retry, or the consumer stops).
  bool WaitBeforeRetry(std::vector<Slot>& slots, absl::Duration backoff, uint64_t epoch) {
    const absl::Time deadline = absl::Now() + backoff;
    for (;;) {
      if (stop.load() || events.fatal()) return false;
      bool left = false;
      for (Slot& slot : slots) {
        if (slot.done || slot.dropped) continue;
        const IncomingRecord& record = *slot.record;
        if (RewindRequested({record.topic, record.partition})) {
          Log()->info("{}: partition is being replayed (or waits for a replay); the record comes "
                      "again", Where(record));
          DropPartition(slots, record);
        } else if (revocations != epoch || !assigned.contains({record.topic, record.partition})) {
          Log()->info("{}: partition revoked while retrying; its next owner will retry it",
                      Where(record));
          DropPartition(slots, record);
        } else {
          left = true;
        }
      }
      if (!left) return false;
      const absl::Duration remaining = deadline - absl::Now();
      if (remaining <= absl::ZeroDuration()) return true;
      const int wait_ms =
          static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(remaining), 1, 100));
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
    // Cut at a character boundary and made valid: the header is read as UTF-8 text by tools.
    const std::string valid = common::ToValidUtf8(
        std::string_view(reason.message().data(), reason.message().size()));
    const std::string message(common::TruncateUtf8(valid, kMaxReasonBytes));
    dead.extra_headers.insert(dead.extra_headers.end(),
                              {{"dlq_reason", message},
                               {"dlq_code", absl::StatusCodeToString(reason.code())},
                               {"dlq_topic", record.topic},
                               {"dlq_partition", absl::StrCat(record.partition)},
                               {"dlq_offset", absl::StrCat(record.offset)},
                               {"dlq_group", options.group_id},
                               {"dlq_time", FormatEventTime(absl::Now())}});
    if (absl::Status status = dead_letters->Publish(dead); !status.ok()) {
      // Whatever the cause, the record must not be skipped: the caller retries it.
      return absl::UnavailableError(
          absl::StrCat("dead-letter to ", dead.topic, ": ", status.ToString()));
    }
    metrics->CountDeadLetter(record.topic, absl::StatusCodeToString(reason.code()));
    Log()->warn("{}: dead-lettered: {}", Where(record), reason.ToString());
    return absl::OkStatus();
  }

  // Stores, per partition of the batch, the offset after its last record done before its first
  // record not done (if that moves it on): nothing is ever committed past a record not done.
  void StoreOffsets(const std::vector<Slot>& slots, std::map<PartitionKey, int64_t>& stored) {
    std::map<PartitionKey, int64_t> next;
    std::set<PartitionKey> blocked;
    // Keyed once per run of a partition's records (they come in runs), not per record.
    const IncomingRecord* run = nullptr;
    bool run_blocked = false;
    int64_t run_next = -1;  // -1: nothing of the run stored yet
    auto end_run = [&] {
      if (run != nullptr && run_next >= 0) next[PartitionKey(run->topic, run->partition)] = run_next;
    };
    for (const Slot& slot : slots) {
      if (slot.dropped) continue;
      const IncomingRecord& record = *slot.record;
      if (run == nullptr || record.partition != run->partition || record.topic != run->topic) {
        end_run();
        run = &record;
        run_next = -1;
        run_blocked = blocked.contains(PartitionKey(record.topic, record.partition));
      }
      if (run_blocked) continue;
      if (!slot.done) {
        run_blocked = true;
        blocked.insert(PartitionKey(record.topic, record.partition));
        // What the run stored before the block still counts.
        continue;
      }
      run_next = record.offset + 1;
    }
    end_run();
    PartitionList offsets;
    for (const auto& [key, offset] : next) {
      int64_t& known = stored.try_emplace(key, -1).first->second;
      if (known >= offset) continue;
      known = offset;
      offsets.items.push_back(RdKafka::TopicPartition::create(key.first, key.second, offset));
    }
    if (offsets.items.empty()) return;
    const RdKafka::ErrorCode err = consumer->offsets_store(offsets.items);
    for (const RdKafka::TopicPartition* tp : offsets.items) {
      const RdKafka::ErrorCode item_err = err != RdKafka::ERR_NO_ERROR ? err : tp->err();
      if (item_err != RdKafka::ERR_NO_ERROR) {
        // The partition has moved on to another member, which will deliver the records again.
        Log()->warn("{}[{}]@{}: offset not stored: {}", tp->topic(), tp->partition(),
                    tp->offset() - 1, RdKafka::err2str(item_err));
      }
    }
  }

  // Whether `tp` is to be read again from its beginning, or to be deferred until it is.
  bool RewindRequested(const TopicPartition& tp) {
    std::lock_guard lock(rewind_mu);
    return std::find(rewinds.begin(), rewinds.end(), tp) != rewinds.end() ||
           std::find(defers.begin(), defers.end(), tp) != defers.end();
  }

  // The requests queued in `queue` (rewinds or defers) for partitions still assigned, taken
  // under the lock; the records held here for those partitions are dropped.
  std::vector<TopicPartition> TakeRequests(std::vector<TopicPartition>& queue) {
    std::vector<TopicPartition> requested;
    {
      std::lock_guard lock(rewind_mu);
      requested.swap(queue);
    }
    std::erase_if(requested, [this](const TopicPartition& tp) {
      return !assigned.contains({tp.topic, tp.partition});
    });
    for (const TopicPartition& tp : requested) {
      std::erase_if(held, [&](const IncomingRecord& r) {
        return r.topic == tp.topic && r.partition == tp.partition;
      });
    }
    return requested;
  }

  // Pauses every partition whose deferral was asked for and that is still assigned, dropping
  // the records held for it (pause() purges what was prefetched).
  void ApplyDefers() {
    for (const TopicPartition& tp : TakeRequests(defers)) {
      PartitionList one;
      one.items.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition));
      consumer->pause(one.items);
      if (deferred.insert({tp.topic, tp.partition}).second) {
        Log()->info("{}[{}] deferred: read again from its beginning once what it waits for is "
                    "replayed", tp.topic, tp.partition);
      }
    }
  }

  // Seeks every requested partition still assigned back to its beginning. seek() purges what
  // was prefetched for the partition; records held here for it are dropped as well.
  void ApplyRewinds() {
    for (const TopicPartition& tp : TakeRequests(rewinds)) {
      if (deferred.erase({tp.topic, tp.partition}) > 0) {
        PartitionList one;
        one.items.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition));
        consumer->resume(one.items);
      }
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

  // Collects the next records to process into `handling`, at most `max_batch`: held ones first
  // (their partitions are still assigned), then what the client returns, waiting only for the
  // first one.
  absl::Status NextBatch(size_t max_batch) {
    // The last batch's records lend their buffers to this one's: a replay reads millions of
    // records, and each one's strings and headers were otherwise allocated and freed again.
    for (IncomingRecord& record : handling) {
      if (spare.size() < max_batch) spare.push_back(std::move(record));
    }
    handling.clear();
    fetched.clear();
    fetched.reserve(max_batch);
    while (!held.empty() && fetched.size() < max_batch) {
      IncomingRecord record = std::move(held.front());
      held.pop_front();
      if (assigned.contains({record.topic, record.partition})) {
        fetched.push_back(std::move(record));
      }
    }
    for (int timeout_ms = fetched.empty() ? 100 : 0; fetched.size() < max_batch; timeout_ms = 0) {
      // Rebalances served inside the poll drop the revoked partitions' records from `fetched`.
      // The C API, as in FillRecord: the C++ consume() allocates a wrapper per message.
      MessagePtr message(rd_kafka_consumer_poll(consumer->c_ptr(), timeout_ms));
      if (message == nullptr) break;  // timed out
      const rd_kafka_resp_err_t err = message->err;
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        fetched.push_back(Recycled());
        FillRecord(*message, &fetched.back());
        continue;
      }
      if (err == RD_KAFKA_RESP_ERR__FATAL) {
        return internal::KafkaError(static_cast<RdKafka::ErrorCode>(err), "kafka consumer");
      }
      const std::string errstr = rd_kafka_message_errstr(message.get());
      if (err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
          !OnClientError(static_cast<RdKafka::ErrorCode>(err), errstr)) {
        // Client-level conditions (unknown topic, broker down...) that librdkafka recovers from.
        Log()->warn("consume: {}", errstr);
      }
      break;
    }
    NoteNextOffsets(fetched);
    // A partition whose rewind could not start yet (seek needs consumption to have begun): its
    // records come again with the replay. A deferred one's, fetched before its pause, too.
    {
      std::lock_guard lock(rewind_mu);
      if (!rewinds.empty() || !deferred.empty()) {
        std::erase_if(fetched, [&](const IncomingRecord& r) {
          return std::find(rewinds.begin(), rewinds.end(), TopicPartition{r.topic, r.partition}) !=
                     rewinds.end() ||
                 deferred.contains({r.topic, r.partition});
        });
      }
    }
    // Handled from `handling`, so that a rebalance served while it is handled (a retry's wait
    // polls) empties only `fetched`.
    handling.swap(fetched);
    return absl::OkStatus();
  }

  IncomingRecord Recycled() {
    if (spare.empty()) return {};
    IncomingRecord record = std::move(spare.back());
    spare.pop_back();
    return record;
  }

  // The consumer lag's next offsets, once per run of a partition's records: records come in
  // runs of one partition, and a key per record cost a copy of the topic name and a map lookup.
  void NoteNextOffsets(const std::vector<IncomingRecord>& records) {
    for (size_t i = 0; i < records.size(); ++i) {
      const IncomingRecord& r = records[i];
      const bool last_of_run = i + 1 == records.size() || records[i + 1].partition != r.partition ||
                               records[i + 1].topic != r.topic;
      if (last_of_run) next_offsets[{r.topic, r.partition}] = r.offset + 1;
    }
  }

  bool Subscribed(const std::string& topic) const {
    return std::find(options.topics.begin(), options.topics.end(), topic) != options.topics.end();
  }

  // An error event of the client (event_cb, served inside consume() on this thread). A fetch
  // from a partition of a deleted topic fails with UNKNOWN_TOPIC_OR_PART every second or so,
  // and librdkafka 2.0 neither revokes the partition nor returns an error from consume(): this
  // is where a topic deleted under the consumer shows. True: dealt with (not logged again).
  bool OnClientError(RdKafka::ErrorCode err, const std::string& text) {
    if (err != RdKafka::ERR_UNKNOWN_TOPIC_OR_PART && err != RdKafka::ERR__UNKNOWN_TOPIC) {
      return false;
    }
    for (const std::string& topic : options.topics) {
      // "<topic> [<partition>]: topic does not exist (...)", or the topic named elsewhere.
      if (text.find(topic) == std::string::npos) continue;
      if (missing_topics.contains(topic)) return true;  // said once already
      if (TopicState(topic) == Presence::kMissing) {
        NoteMissing(topic, text);
        return true;
      }
    }
    return false;
  }

  enum class Presence { kExists, kMissing, kUnknown };
  // Whether the broker's metadata lists the topic with partitions; kUnknown when it could not
  // be asked (a broker restarting answers nothing, which is not "deleted").
  Presence TopicState(const std::string& topic) {
    std::string error;
    std::unique_ptr<RdKafka::Topic> handle(
        RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
    if (handle == nullptr) return Presence::kUnknown;
    RdKafka::Metadata* raw = nullptr;
    const RdKafka::ErrorCode err = consumer->metadata(false, handle.get(), &raw, 2000);
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    if (err != RdKafka::ERR_NO_ERROR) return Presence::kUnknown;
    for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
      if (t->topic() != topic) continue;
      if (t->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) return Presence::kMissing;
      if (t->err() == RdKafka::ERR_NO_ERROR && !t->partitions()->empty()) return Presence::kExists;
      return Presence::kUnknown;
    }
    return Presence::kMissing;
  }

  // A subscribed topic was deleted under the consumer: nothing of it can be read until it is
  // created again. Not a record's fault, so nothing is dead-lettered; the consumer goes on with
  // its other topics, reports the outage, and looks for the topic again.
  void NoteMissing(const std::string& topic, const std::string& reason) {
    if (!missing_topics.insert(topic).second) return;
    Log()->error("subscribed topic {} does not exist ({}): none of its records can be consumed "
                 "until it is created again (deploy/topics.conf, ensure_topics)",
                 topic, reason);
    next_missing_check = absl::Now() + kMissingTopicCheck;
    if (missing_topics.size() == 1 && options.on_topics_missing) options.on_topics_missing(true);
  }

  // While topics are missing, every kMissingTopicCheck: a topic that exists again is a new
  // topic, all of whose records are new. Its partitions stayed assigned to this member, with
  // the positions of the deleted topic; the fetcher would go on from there (and skip the new
  // topic's first records when it already has as many), so they are read from the beginning.
  void CheckMissing() {
    if (missing_topics.empty() || absl::Now() < next_missing_check) return;
    next_missing_check = absl::Now() + kMissingTopicCheck;
    for (auto it = missing_topics.begin(); it != missing_topics.end();) {
      if (TopicState(*it) != Presence::kExists) {
        ++it;
        continue;
      }
      std::vector<TopicPartition> partitions;
      for (const auto& [topic, partition] : assigned) {
        if (topic == *it) partitions.push_back({topic, partition});
      }
      Log()->warn("subscribed topic {} exists again: reading {} from the beginning", *it,
                  partitions.empty() ? "its partitions (none assigned here)" : Describe(partitions));
      if (!partitions.empty()) {
        std::lock_guard lock(rewind_mu);
        rewinds.insert(rewinds.end(), partitions.begin(), partitions.end());
      }
      it = missing_topics.erase(it);
    }
    if (missing_topics.empty() && options.on_topics_missing) options.on_topics_missing(false);
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
  std::unique_ptr<ConsumerMetrics> metrics;
  // Per partition, the offset after the last record taken from it (for the lag in /metrics).
  std::map<PartitionKey, int64_t> next_offsets;
  internal::EventLogger events;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  std::atomic<bool> stop{false};
  // Below: only touched on the consumer thread (Run and the callbacks it serves).
  std::set<PartitionKey> assigned;
  // Revocations so far: a retry started before one gives its records up (WaitBeforeRetry).
  uint64_t revocations = 0;
  bool retrying = false;
  // Subscribed topics found missing (NoteMissing), and when to look for them again.
  std::set<std::string> missing_topics;
  absl::Time next_missing_check = absl::InfinitePast();
  // When the assignment was lost and no assignment has come since (rebalance_cb).
  std::optional<absl::Time> lost_since;
  std::deque<IncomingRecord> held;
  // The batch NextBatch is collecting: a revocation drops its partitions' records at once, so a
  // partition revoked and assigned again meanwhile is not delivered twice out of order.
  std::vector<IncomingRecord> fetched;
  // The batch being handled, and records kept for their buffers (NextBatch).
  std::vector<IncomingRecord> handling;
  std::vector<IncomingRecord> spare;
  // Rewind and deferral requests from other threads, applied on the consumer thread between
  // records.
  std::mutex rewind_mu;
  std::vector<TopicPartition> rewinds;
  std::vector<TopicPartition> defers;
  // Partitions paused until they are rewound (Defer); consumer thread only.
  std::set<PartitionKey> deferred;
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
  impl->metrics = std::make_unique<ConsumerMetrics>(impl->options.group_id);
  Impl* raw = impl.get();
  impl->events.on_error = [raw](RdKafka::ErrorCode err, const std::string& text) {
    return raw->consumer != nullptr && raw->OnClientError(err, text);
  };
  internal::Settings defaults = {
      {"auto.offset.reset", "earliest"},
      {"max.poll.interval.ms", "300000"},
      // librdkafka 2.0 stops fetching a partition for a whole second (a fixed backoff before
      // 2.1's fetch.queue.backoff.ms) once the consumer's queue holds queued.min.messages
      // records or queued.max.messages.kbytes: a replay, which always reads behind, drained its
      // 100,000 records in half a second and then waited, idle, for the rest (a consumer that
      // did nothing read 165,000 records/s; with these, 644,000-774,000/s). So the queue is
      // bounded by bytes, and by enough of them to last more than that second.
      {"queued.min.messages", "1000000"},
      {"queued.max.messages.kbytes", "262144"}};
  for (const auto& [key, value] : impl->options.client_settings) defaults[key] = value;
  auto conf = internal::MakeConf(
      config, defaults,
      {{"group.id", impl->options.group_id},
       // Eager, not cooperative-sticky: a static member (group.instance.id) killed between
       // giving up partitions and the cooperative protocol's second rebalance, then restarted
       // under its id, gets its own partitions back without a rebalance, and the ones it gave
       // up are never assigned again (kafka_integration_test,
       // AStaticMemberKilledWhileGivingUpPartitionsLeavesNoneUnread). The eager protocol
       // assigns every partition in every generation.
       {"partition.assignment.strategy", "range"},
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
  return RunBatches(
      [&handler](const std::vector<IncomingRecord>& records) {
        std::vector<absl::Status> statuses;
        statuses.reserve(records.size());
        for (const IncomingRecord& record : records) statuses.push_back(handler(record));
        return statuses;
      },
      1);
}

absl::Status Consumer::RunBatches(const BatchHandler& handler, size_t max_batch) {
  max_batch = std::max<size_t>(max_batch, 1);
  absl::Status result;
  while (!impl_->stop.load()) {
    if (impl_->events.fatal()) {
      result = absl::InternalError("kafka consumer: fatal client error (see log)");
      break;
    }
    const absl::Duration lost_for =
        impl_->lost_since.has_value() ? absl::Now() - *impl_->lost_since : absl::ZeroDuration();
    if (impl_->options.lost_assignment_timeout > absl::ZeroDuration() &&
        lost_for > impl_->options.lost_assignment_timeout) {
      result = absl::UnavailableError(absl::StrCat(
          "kafka consumer: assignment lost ", absl::FormatDuration(lost_for),
          " ago and not given back; stopping so that a restart rejoins the group"));
      break;
    }
    impl_->ApplyDefers();
    impl_->ApplyRewinds();
    impl_->CheckMissing();
    if (absl::Status fetched = impl_->NextBatch(max_batch); !fetched.ok()) {
      result = fetched;
      break;
    }
    if (!impl_->handling.empty()) impl_->HandleBatch(impl_->handling, handler);
    impl_->metrics->ReportLag(*impl_->consumer, impl_->next_offsets);
  }
  impl_->Close();
  return result;
}

void Consumer::Stop() { impl_->stop.store(true); }

void Consumer::Rewind(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(impl_->rewind_mu);
  impl_->rewinds.insert(impl_->rewinds.end(), partitions.begin(), partitions.end());
}

void Consumer::Defer(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(impl_->rewind_mu);
  impl_->defers.insert(impl_->defers.end(), partitions.begin(), partitions.end());
}

absl::StatusOr<int64_t> Consumer::EndOffset(const TopicPartition& partition,
                                            absl::Duration timeout) {
  int64_t low = 0, high = 0;
  const RdKafka::ErrorCode err = impl_->consumer->query_watermark_offsets(
      partition.topic, partition.partition, &low, &high,
      static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (err != RdKafka::ERR_NO_ERROR) {
    return internal::KafkaError(err, absl::StrCat("end offset of ", partition.topic, "[",
                                                  partition.partition, "]"));
  }
  return high;
}

absl::StatusOr<int32_t> Consumer::PartitionCount(const std::string& topic,
                                                 absl::Duration timeout) {
  std::string error;
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(impl_->consumer.get(), topic, nullptr, error));
  if (handle == nullptr) return absl::InvalidArgumentError("topic " + topic + ": " + error);
  RdKafka::Metadata* raw = nullptr;
  const RdKafka::ErrorCode err = impl_->consumer->metadata(
      false, handle.get(), &raw, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (err != RdKafka::ERR_NO_ERROR) return internal::KafkaError(err, "metadata of " + topic);
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->topic() == topic && t->err() == RdKafka::ERR_NO_ERROR && !t->partitions()->empty()) {
      return static_cast<int32_t>(t->partitions()->size());
    }
  }
  return absl::UnavailableError("metadata of " + topic + ": no partitions known yet");
}

}  // namespace complaints::kafka
