#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
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
// Thread-safe: queries come from gRPC and the dashboard while the records are folded.
//
// Two stages, so that a replay uses both cores: HandleBatch decodes (validates and parses) a
// batch on the consumer's thread and hands it to a fold thread of its own, which folds it while
// the consumer fetches and decodes the next. A bad record is rejected by HandleBatch itself. A
// query waits for the batches handed before it to be folded, so it sees every record whose
// batch HandleBatch has returned.
class AggregatesConsumer {
 public:
  AggregatesConsumer(redis::RedisPool* redis, kafka::Publisher* publisher,
                     const common::Clock* clock, AggregatesOptions options);
  // Folds what was handed, then stops the fold thread.
  ~AggregatesConsumer();
  AggregatesConsumer(const AggregatesConsumer&) = delete;
  AggregatesConsumer& operator=(const AggregatesConsumer&) = delete;

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

  // Records folded so far (those HandleBatch has returned, once their batches are folded).
  int64_t events_applied() const;

 private:
  struct DecodedBatch {
    std::vector<DecodedRecord> records;  // the first `size` are this batch's; the rest reused
    size_t size = 0;
  };
  // At most this many batches decoded and not yet folded: the consumer waits beyond it.
  static constexpr size_t kQueuedBatches = 2;

  void PublishPending();
  std::unique_ptr<DecodedBatch> TakeFreeBatch();
  void FoldLoop();
  // Under mu_: waits until the batches handed before the call are folded.
  void WaitFolded(std::unique_lock<std::mutex>& lock) const;

  redis::RedisPool* redis_;
  kafka::Publisher* publisher_;
  const common::Clock* clock_;
  AggregatesOptions options_;
  kafka::Consumer* consumer_ = nullptr;

  // The consumer thread's: per partition, the offset after the last record handed to the fold
  // (from the checkpoint at Load): a record below it is skipped before it is decoded.
  std::map<std::pair<std::string, int32_t>, int64_t> handed_offsets_;

  mutable std::mutex mu_;
  mutable std::condition_variable folded_cv_;
  uint64_t folded_ = 0;                // batches folded (under mu_)
  std::atomic<uint64_t> handed_{0};    // batches handed to the fold
  Aggregator aggregator_;
  std::vector<events::v1::HotSpotAlert> pending_;  // raised, not yet published
  std::set<std::pair<std::string, int32_t>> rewound_;
  absl::Time last_snapshot_ = absl::Now();

  // The fold stage's queue.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<DecodedBatch>> queued_;  // decoded, to fold, in order
  std::vector<std::unique_ptr<DecodedBatch>> free_;   // folded, to reuse
  size_t batches_ = 0;                                // made so far
  bool stopping_ = false;
  std::thread fold_thread_;  // last: started once the rest is initialised
};

}  // namespace complaints::analytics
