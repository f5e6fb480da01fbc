#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/consumer.h"

namespace complaints::testsupport {

// Follows a whole topic, every partition from the beginning and outside any consumer group,
// handing each record to a callback once and keeping none: for suites that read hundreds of
// thousands of records (kafka::TopicReader keeps every record and re-checks them all on each
// wait). Survives a broker restart: librdkafka reconnects and resumes at its position.
class TopicTail {
 public:
  using Callback = std::function<void(const kafka::IncomingRecord&)>;

  static absl::StatusOr<std::unique_ptr<TopicTail>> Open(const std::string& bootstrap,
                                                         const std::string& topic);
  ~TopicTail();

  // Reads for up to `timeout`, handing every record to `callback`; returns how many.
  size_t Poll(const Callback& callback, absl::Duration timeout);
  // Reads until every partition's position has reached the end the broker reports (asked once,
  // at the start), or `timeout` passes. True when caught up.
  bool ReadToEnd(const Callback& callback, absl::Duration timeout);

  const std::string& topic() const { return topic_; }

 private:
  struct Impl;
  TopicTail(std::string topic, std::unique_ptr<Impl> impl);
  std::string topic_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace complaints::testsupport
