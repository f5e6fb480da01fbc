#include "libs/kafka/topic_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <map>

#include "libs/kafka/rdkafka_util.h"


namespace complaints::kafka {

struct TopicReader::Impl {
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
};

absl::StatusOr<std::unique_ptr<TopicReader>> TopicReader::Open(const std::string& bootstrap,
                                                                const std::string& topic) {
  KafkaConfig config;
  config.bootstrap_servers = bootstrap;
  config.client_id = "topic-reader";
  return Open(config, topic);
}

absl::StatusOr<std::unique_ptr<TopicReader>> TopicReader::Open(const KafkaConfig& config,
                                                                const std::string& topic) {
  auto impl = std::make_unique<Impl>();
  std::string error;
  // group.id is required by the API; the group is never joined.
  auto conf = internal::MakeConf(config, {},
                                 {{"group.id", "topic-reader"}, {"enable.auto.commit", "false"}},
                                 nullptr);
  if (!conf.ok()) return conf.status();
  impl->consumer.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
  if (!impl->consumer) return absl::InvalidArgumentError("topic reader: " + error);

  RdKafka::Metadata* raw_metadata = nullptr;
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(impl->consumer.get(), topic, nullptr, error));
  const RdKafka::ErrorCode err = impl->consumer->metadata(false, handle.get(), &raw_metadata, 10000);
  std::unique_ptr<RdKafka::Metadata> metadata(raw_metadata);
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError("metadata of " + topic + ": " + RdKafka::err2str(err));
  }
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto* t : *metadata->topics()) {
    for (const auto* p : *t->partitions()) {
      partitions.push_back(
          RdKafka::TopicPartition::create(topic, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  if (partitions.empty()) return absl::NotFoundError("no partitions for topic " + topic);
  impl->consumer->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  return std::unique_ptr<TopicReader>(new TopicReader(std::move(impl)));
}

TopicReader::TopicReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TopicReader::~TopicReader() { impl_->consumer->close(); }

void TopicReader::PollOnce(int timeout_ms) {
  std::unique_ptr<RdKafka::Message> message(impl_->consumer->consume(timeout_ms));
  if (message->err() != RdKafka::ERR_NO_ERROR) return;
  IncomingRecord record;
  record.topic = message->topic_name();
  record.partition = message->partition();
  record.offset = message->offset();
  if (message->key() != nullptr) record.key = *message->key();
  record.value.assign(static_cast<const char*>(message->payload()), message->len());
  if (const RdKafka::Headers* headers = message->headers()) {
    for (const auto& h : headers->get_all()) {
      record.headers.emplace_back(h.key(), std::string(static_cast<const char*>(h.value()),
                                                       h.value_size()));
    }
  }
  seen_.push_back(std::move(record));
}

std::optional<IncomingRecord> TopicReader::WaitFor(
    const std::function<bool(const IncomingRecord&)>& predicate, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  size_t checked = 0;
  for (;;) {
    for (; checked < seen_.size(); ++checked) {
      if (predicate(seen_[checked])) return seen_[checked];
    }
    if (absl::Now() >= deadline) return std::nullopt;
    PollOnce(100);
  }
}

std::vector<IncomingRecord> TopicReader::All(
    const std::function<bool(const IncomingRecord&)>& predicate, absl::Duration settle) {
  const absl::Time deadline = absl::Now() + settle;
  while (absl::Now() < deadline) PollOnce(100);
  std::vector<IncomingRecord> out;
  for (const auto& r : seen_) {
    if (predicate(r)) out.push_back(r);
  }
  return out;
}

bool TopicReader::ReadToEnd(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<RdKafka::TopicPartition*> partitions;
  if (impl_->consumer->assignment(partitions) != RdKafka::ERR_NO_ERROR) return false;
  std::map<std::pair<std::string, int32_t>, int64_t> ends;
  bool ok = true;
  for (const auto* p : partitions) {
    int64_t low = 0, high = 0;
    const int wait_ms = static_cast<int>(
        std::max<int64_t>(1, absl::ToInt64Milliseconds(deadline - absl::Now())));
    if (impl_->consumer->query_watermark_offsets(p->topic(), p->partition(), &low, &high,
                                                 wait_ms) != RdKafka::ERR_NO_ERROR) {
      ok = false;
      break;
    }
    ends[{p->topic(), p->partition()}] = high > low ? high : 0;  // 0: nothing left to read
  }
  RdKafka::TopicPartition::destroy(partitions);
  if (!ok) return false;
  // The next offset to read, per partition, from what was read (the consumer's own position is
  // unknown until a partition's first fetch).
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  size_t counted = 0;
  auto caught_up = [&] {
    for (; counted < seen_.size(); ++counted) {
      const auto& r = seen_[counted];
      auto& n = next[{r.topic, r.partition}];
      n = std::max(n, r.offset + 1);
    }
    for (const auto& [partition, end] : ends) {
      if (next[partition] < end) return false;
    }
    return true;
  };
  while (!caught_up()) {
    if (absl::Now() >= deadline) return false;
    PollOnce(100);
  }
  return true;
}

std::vector<IncomingRecord> TopicReader::Seen(
    const std::function<bool(const IncomingRecord&)>& predicate) const {
  std::vector<IncomingRecord> out;
  for (const auto& r : seen_) {
    if (predicate(r)) out.push_back(r);
  }
  return out;
}

std::function<bool(const IncomingRecord&)> AboutComplaint(const std::string& complaint_id) {
  return [complaint_id](const IncomingRecord& r) {
    return FindHeader(r.headers, "ce_subject") == complaint_id;
  };
}

}  // namespace complaints::kafka
