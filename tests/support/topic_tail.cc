#include "tests/support/topic_tail.h"

#include <librdkafka/rdkafkacpp.h>

#include <map>

#include "libs/kafka/kafka_config.h"

namespace complaints::testsupport {

namespace {

// The broker restarts under a fault suite's feet: connection errors are expected and librdkafka
// recovers from them by itself, so they are not printed.
class QuietEvents : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event&) override {}
};

QuietEvents quiet_events;

}  // namespace

struct TopicTail::Impl {
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  std::vector<int32_t> partitions;
  std::map<int32_t, int64_t> next_offset;  // per partition: the offset of the next record
};

absl::StatusOr<std::unique_ptr<TopicTail>> TopicTail::Open(const std::string& bootstrap,
                                                           const std::string& topic) {
  auto impl = std::make_unique<Impl>();
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, error);
  conf->set("group.id", "topic-tail", error);  // required by the API; the group is never joined
  conf->set("enable.auto.commit", "false", error);
  conf->set("enable.partition.eof", "false", error);
  conf->set("event_cb", &quiet_events, error);
  // The process's credentials (COMPLAINTS_KAFKA_CREDENTIALS_FILE), as every client of the
  // secured broker needs them.
  auto credentials = kafka::KafkaConfig().Credentials();
  if (!credentials.ok()) return credentials.status();
  for (const auto& [key, value] : *credentials) conf->set(key, value, error);
  impl->consumer.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!impl->consumer) return absl::InvalidArgumentError("topic tail: " + error);

  RdKafka::Metadata* raw_metadata = nullptr;
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(impl->consumer.get(), topic, nullptr, error));
  const RdKafka::ErrorCode err =
      impl->consumer->metadata(false, handle.get(), &raw_metadata, 10000);
  std::unique_ptr<RdKafka::Metadata> metadata(raw_metadata);
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError("metadata of " + topic + ": " + RdKafka::err2str(err));
  }
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto* t : *metadata->topics()) {
    for (const auto* p : *t->partitions()) {
      impl->partitions.push_back(p->id());
      impl->next_offset[p->id()] = 0;
      partitions.push_back(
          RdKafka::TopicPartition::create(topic, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  if (partitions.empty()) return absl::NotFoundError("no partitions for topic " + topic);
  impl->consumer->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  return std::unique_ptr<TopicTail>(new TopicTail(topic, std::move(impl)));
}

TopicTail::TopicTail(std::string topic, std::unique_ptr<Impl> impl)
    : topic_(std::move(topic)), impl_(std::move(impl)) {}

TopicTail::~TopicTail() { impl_->consumer->close(); }

size_t TopicTail::Poll(const Callback& callback, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  size_t count = 0;
  do {
    const int wait_ms =
        static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
    std::unique_ptr<RdKafka::Message> message(impl_->consumer->consume(std::min(wait_ms, 100)));
    if (message->err() != RdKafka::ERR_NO_ERROR) continue;
    kafka::IncomingRecord record;
    record.topic = message->topic_name();
    record.partition = message->partition();
    record.offset = message->offset();
    if (message->key() != nullptr) record.key = *message->key();
    record.value.assign(static_cast<const char*>(message->payload()), message->len());
    const RdKafka::MessageTimestamp ts = message->timestamp();
    if (ts.type != RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE) {
      record.timestamp = absl::FromUnixMillis(ts.timestamp);
    }
    if (const RdKafka::Headers* headers = message->headers()) {
      for (const auto& h : headers->get_all()) {
        record.headers.emplace_back(
            h.key(), std::string(static_cast<const char*>(h.value()), h.value_size()));
      }
    }
    impl_->next_offset[record.partition] = record.offset + 1;
    callback(record);
    ++count;
  } while (absl::Now() < deadline);
  return count;
}

bool TopicTail::ReadToEnd(const Callback& callback, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::map<int32_t, int64_t> end;
  for (int32_t partition : impl_->partitions) {
    int64_t low = 0, high = 0;
    for (;;) {
      const RdKafka::ErrorCode err =
          impl_->consumer->query_watermark_offsets(topic_, partition, &low, &high, 5000);
      if (err == RdKafka::ERR_NO_ERROR) break;
      if (absl::Now() >= deadline) return false;
      absl::SleepFor(absl::Milliseconds(200));
    }
    end[partition] = high;
  }
  auto caught_up = [&] {
    for (const auto& [partition, high] : end) {
      // An empty partition, or one whose records before `high` were all read. Transaction
      // markers would leave a gap; the services do not use transactions.
      if (high > 0 && impl_->next_offset[partition] < high) return false;
    }
    return true;
  };
  while (!caught_up()) {
    if (absl::Now() >= deadline) return false;
    Poll(callback, absl::Milliseconds(200));
  }
  return true;
}

}  // namespace complaints::testsupport
