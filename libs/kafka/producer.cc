#include "libs/kafka/producer.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/kafka/rdkafka_util.h"

namespace complaints::kafka {
namespace {

// What one Publish call waits for. Delivery reports reach it through the message's opaque
// pointer, so concurrent callers never wait on each other's records.
class Completion {
 public:
  explicit Completion(size_t records) : deliveries_(records) {}

  void Begin() {
    std::lock_guard lock(mu_);
    ++pending_;
  }
  // `index` out of range: no record's delivery (a produce() that never queued anything).
  void Finish(absl::Status status, size_t index = SIZE_MAX, Delivery delivery = {}) {
    std::lock_guard lock(mu_);
    if (first_error_.ok()) first_error_ = std::move(status);
    if (index < deliveries_.size()) deliveries_[index] = delivery;
    // Notified under the lock: the waiter destroys this object as soon as it sees zero.
    if (--pending_ == 0) done_.notify_all();
  }
  absl::StatusOr<std::vector<Delivery>> Wait() {
    std::unique_lock lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
    if (!first_error_.ok()) return first_error_;
    return std::move(deliveries_);
  }

 private:
  std::mutex mu_;
  std::condition_variable done_;
  int64_t pending_ = 0;
  absl::Status first_error_;
  std::vector<Delivery> deliveries_;
};

// The opaque pointer of one record: its call's completion and its place in the call.
struct Slot {
  Completion* completion;
  size_t index;
};

}  // namespace

struct Producer::Impl final : public RdKafka::DeliveryReportCb {
  // Runs on the poller thread (or a Publish caller serving a full queue).
  void dr_cb(RdKafka::Message& message) override {
    const auto* slot = static_cast<const Slot*>(message.msg_opaque());
    if (slot == nullptr) return;
    Completion* completion = slot->completion;
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      completion->Finish(absl::OkStatus(), slot->index,
                         Delivery{message.partition(), message.offset()});
      return;
    }
    std::string what = absl::StrCat("delivery to ", message.topic_name());
    if (message.err() == RdKafka::ERR__FATAL) {
      std::string reason;
      producer->fatal_error(reason);
      absl::StrAppend(&what, " (", reason, ")");
    }
    completion->Finish(internal::KafkaError(message.err(), what));
  }

  absl::Status Send(const OutgoingRecord& record, Slot* slot) {
    Completion* completion = slot->completion;
    RdKafka::Headers* headers = RdKafka::Headers::create();
    if (!record.verbatim_headers) {
      for (const auto& [name, value] : ToHeaders(record.event)) headers->add(name, value);
    }
    for (const auto& [name, value] : record.extra_headers) headers->add(name, value);
    for (;;) {
      completion->Begin();
      const RdKafka::ErrorCode err = producer->produce(
          record.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(record.value.data()), record.value.size(),
          record.key.empty() ? nullptr : record.key.data(), record.key.size(),
          /*timestamp=*/0, headers, slot);
      if (err == RdKafka::ERR_NO_ERROR) return absl::OkStatus();  // librdkafka owns headers now
      completion->Finish(absl::OkStatus());
      if (err != RdKafka::ERR__QUEUE_FULL) {
        delete headers;
        return internal::KafkaError(err, absl::StrCat("produce to ", record.topic));
      }
      // The local queue is bounded; serving delivery reports makes room. It drains even while
      // the cluster is down, as queued records fail after message.timeout.ms.
      producer->poll(10);
    }
  }

  internal::EventLogger events;
  std::unique_ptr<RdKafka::Producer> producer;
  std::atomic<bool> stopping{false};
  std::thread poller;
};

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(const KafkaConfig& config,
                                                           Options options) {
  auto impl = std::make_unique<Impl>();
  impl->events.on_fatal = std::move(options.on_fatal);
  auto conf = internal::MakeConf(
      config, {{"linger.ms", "1"}, {"message.timeout.ms", "30000"}},
      {{"enable.idempotence", "true"}, {"acks", "all"}, {"partitioner", "murmur2_random"}},
      &impl->events);
  if (!conf.ok()) return conf.status();
  std::string error;
  if ((*conf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(impl.get()), error) !=
      RdKafka::Conf::CONF_OK) {
    return absl::InternalError(absl::StrCat("kafka dr_cb: ", error));
  }
  impl->producer.reset(RdKafka::Producer::create(conf->get(), error));
  if (impl->producer == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", error));
  }
  // Delivery reports are only dispatched by poll(): one thread serves them for every caller.
  impl->poller = std::thread([raw = impl.get()] {
    while (!raw->stopping.load(std::memory_order_relaxed)) raw->producer->poll(100);
  });
  return std::unique_ptr<Producer>(new Producer(std::move(impl)));
}

Producer::Producer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Producer::~Producer() {
  impl_->stopping = true;
  impl_->poller.join();
  if (absl::Status status = Flush(absl::Seconds(30)); !status.ok()) {
    common::ModuleLogger("kafka")->error("producer closed with records undelivered: {}",
                                         status.ToString());
  }
}

absl::StatusOr<std::vector<Delivery>> Producer::PublishWithOffsets(
    std::span<const OutgoingRecord> records) {
  Completion completion(records.size());
  std::vector<Slot> slots;
  slots.reserve(records.size());  // stable addresses: librdkafka holds pointers to them
  for (size_t i = 0; i < records.size(); ++i) {
    slots.push_back(Slot{&completion, i});
    absl::Status status = impl_->Send(records[i], &slots.back());
    if (!status.ok()) {
      // Later records are not sent: they could overtake the failed one on its partition.
      completion.Begin();
      completion.Finish(std::move(status));
      break;
    }
  }
  // Even after a failure, records already handed to librdkafka reference `completion`.
  return completion.Wait();
}

absl::Status Producer::Flush(absl::Duration timeout) {
  const RdKafka::ErrorCode err =
      impl_->producer->flush(static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (err == RdKafka::ERR__TIMED_OUT) {
    return absl::DeadlineExceededError(
        absl::StrCat("kafka flush: ", impl_->producer->outq_len(), " records still in flight"));
  }
  return internal::KafkaError(err, "kafka flush");
}

}  // namespace complaints::kafka
