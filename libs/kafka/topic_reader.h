#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/kafka_config.h"

namespace complaints::kafka {

// Reads a whole topic, every partition from the beginning, outside any consumer group: for tests
// and tools that look at what the services published, and for a service that rebuilds a small
// registry from a topic (routing's rules versions).
class TopicReader {
 public:
  static absl::StatusOr<std::unique_ptr<TopicReader>> Open(const std::string& bootstrap,
                                                           const std::string& topic);
  // With a service's client settings (security and the rest of `config.extra`).
  static absl::StatusOr<std::unique_ptr<TopicReader>> Open(const KafkaConfig& config,
                                                           const std::string& topic);
  ~TopicReader();

  // Records read so far plus any that arrive, until `predicate` holds for one of them (returned)
  // or `timeout` passes (nullopt).
  std::optional<IncomingRecord> WaitFor(
      const std::function<bool(const IncomingRecord&)>& predicate, absl::Duration timeout);
  // Reads until every partition is read up to its end as of this call (its high watermark), so
  // that everything durable before the call has been seen; false if `timeout` passes first.
  bool ReadToEnd(absl::Duration timeout);
  // Every record read so far that satisfies `predicate`.
  std::vector<IncomingRecord> Seen(
      const std::function<bool(const IncomingRecord&)>& predicate) const;
  // Every record read so far that satisfies `predicate`, after reading for `settle` more.
  std::vector<IncomingRecord> All(
      const std::function<bool(const IncomingRecord&)>& predicate, absl::Duration settle);

 private:
  void PollOnce(int timeout_ms);

  struct Impl;
  explicit TopicReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::vector<IncomingRecord> seen_;
};

// Predicate: the record's ce_subject (the complaint id) is `complaint_id`.
std::function<bool(const IncomingRecord&)> AboutComplaint(const std::string& complaint_id);

}  // namespace complaints::kafka
