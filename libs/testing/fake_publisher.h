#pragma once

#include <mutex>
#include <vector>

#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"

namespace complaints::testing {

// Records what service logic publishes; can be told to fail, as a broker that is down would.
// Every record lands on partition 0 at its index in published(), so offsets only grow.
class FakePublisher final : public kafka::Publisher {
 public:
  absl::StatusOr<std::vector<kafka::Delivery>> PublishWithOffsets(
      std::span<const kafka::OutgoingRecord> records) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (!fail_with_.ok()) return fail_with_;
    std::vector<kafka::Delivery> deliveries;
    for (const auto& record : records) {
      deliveries.push_back({0, static_cast<int64_t>(published_.size())});
      published_.push_back(record);
    }
    return deliveries;
  }

  void FailWith(absl::Status status) {
    std::lock_guard lock(mu_);
    fail_with_ = std::move(status);
  }
  // How many times Publish was called (a batch is one call).
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<kafka::OutgoingRecord> published() const {
    std::lock_guard lock(mu_);
    return published_;
  }
  std::vector<kafka::OutgoingRecord> PublishedTo(const std::string& topic) const {
    std::lock_guard lock(mu_);
    std::vector<kafka::OutgoingRecord> out;
    for (const auto& r : published_) {
      if (r.topic == topic) out.push_back(r);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  absl::Status fail_with_;
  int calls_ = 0;
  std::vector<kafka::OutgoingRecord> published_;
};

// The record a consumer would hand to a handler after `record` went through Kafka.
inline kafka::IncomingRecord AsIncoming(const kafka::OutgoingRecord& record, int32_t partition = 0,
                                        int64_t offset = 0) {
  kafka::IncomingRecord in;
  in.topic = record.topic;
  in.partition = partition;
  in.offset = offset;
  in.key = record.key;
  in.value = record.value;
  in.headers = kafka::ToHeaders(record.event);
  in.headers.insert(in.headers.end(), record.extra_headers.begin(), record.extra_headers.end());
  return in;
}

}  // namespace complaints::testing
