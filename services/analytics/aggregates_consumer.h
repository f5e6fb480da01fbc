#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/analytics/v1/analytics.pb.h"
#include "complaints/intake/v1/classifier_config.pb.h"
#include "libs/common/clock.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "libs/redis/redis_pool.h"
#include "services/analytics/aggregator.h"

namespace complaints::analytics {

struct AggregatesOptions {
  // How often the aggregates and their offsets are written to Redis (one key).
  absl::Duration snapshot_interval = absl::Seconds(10);
  std::string snapshot_key = "analytics:aggregates:snapshot";
  HotSpotOptions hot_spots;
  intake::v1::Taxonomy taxonomy;  // names and JR/T classes of the categories, for the report
  AggregatorTopics topics;        // the platform's; benchmarks use topics of their own
};

// The I/O around Aggregator: fed by its own consumer group (complaints-analytics-aggregates) in
// batches, it folds records in memory, publishes the hot spots they raise on
// analytics.hotspots.v1, and checkpoints the whole state with the next offset of every partition
// to Redis every `snapshot_interval` (never a Redis round trip per event). At start it loads the
// checkpoint and reads every partition it is given from the beginning, skipping what the
// checkpoint already holds (the group's committed offsets may be past the checkpoint).
// Thread-safe: queries come from gRPC and the dashboard while the consumer thread folds.
class AggregatesConsumer {
 public:
  AggregatesConsumer(redis::RedisPool* redis, kafka::Publisher* publisher,
                     const common::Clock* clock, AggregatesOptions options);

  // Reads the checkpoint; a missing or unreadable one leaves the aggregates empty (a replay
  // rebuilds them). Unavailable when Redis cannot be reached.
  absl::Status Load();
  absl::Status SaveSnapshot();

  // The consumer's hooks.
  std::vector<absl::Status> HandleBatch(const std::vector<kafka::IncomingRecord>& records);
  // Partitions given to this member for the first time are read again from their beginning.
  void OnAssigned(const std::vector<kafka::TopicPartition>& partitions);
  void set_consumer(kafka::Consumer* consumer) { consumer_ = consumer; }

  absl::StatusOr<analytics::v1::GetAggregatesResponse> Aggregates(
      const analytics::v1::GetAggregatesRequest& request) const;
  analytics::v1::GetBacklogResponse Backlog(const std::string& unit) const;
  analytics::v1::ListHotSpotsResponse HotSpots(int limit) const;
  std::vector<events::v1::SlaAlert> RecentAlerts() const;
  int64_t Now() const { return absl::ToUnixSeconds(clock_->Now()); }
  absl::StatusOr<analytics::v1::ExportMonthlyReportResponse> MonthlyReport(
      const analytics::v1::ExportMonthlyReportRequest& request) const;

  // The topics it reads (complaint-keyed, co-partitioned).
  static std::vector<std::string> Topics();

 private:
  void PublishPending();

  redis::RedisPool* redis_;
  kafka::Publisher* publisher_;
  const common::Clock* clock_;
  AggregatesOptions options_;
  kafka::Consumer* consumer_ = nullptr;

  mutable std::mutex mu_;
  Aggregator aggregator_;
  std::vector<events::v1::HotSpotAlert> pending_;  // raised, not yet published
  std::set<std::pair<std::string, int32_t>> rewound_;
  absl::Time last_snapshot_ = absl::Now();
};

}  // namespace complaints::analytics
