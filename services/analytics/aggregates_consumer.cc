#include "services/analytics/aggregates_consumer.h"

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "services/analytics/monthly_report.h"

namespace complaints::analytics {
namespace {

constexpr char kSource[] = "/complaints/analytics";

}  // namespace

AggregatesConsumer::AggregatesConsumer(redis::RedisPool* redis, kafka::Publisher* publisher,
                                       const common::Clock* clock, AggregatesOptions options)
    : redis_(redis),
      publisher_(publisher),
      clock_(clock),
      options_(std::move(options)),
      aggregator_(options_.hot_spots, options_.topics),
      fold_thread_([this] { FoldLoop(); }) {}

AggregatesConsumer::~AggregatesConsumer() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  fold_thread_.join();
}

std::vector<std::string> AggregatesConsumer::Topics() {
  return {events::kReceivedTopic, events::kCaseTopic, events::kSlaAlertsTopic};
}

absl::Status AggregatesConsumer::Load() {
  auto lease = redis_->Acquire();
  if (!lease.ok()) return lease.status();
  auto reply = (*lease)->Command({"GET", options_.snapshot_key});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) {
    spdlog::info("aggregates: no checkpoint in Redis; replaying every partition");
    return absl::OkStatus();
  }
  analytics::v1::AggregatesSnapshot snapshot;
  if (!snapshot.ParseFromString(reply->str)) {
    spdlog::warn("aggregates: checkpoint does not parse; replaying every partition");
    return absl::OkStatus();
  }
  std::unique_lock lock(mu_);
  WaitFolded(lock);
  if (auto restored = aggregator_.Restore(snapshot); !restored.ok()) {
    spdlog::warn("aggregates: {}; replaying every partition", std::string(restored.message()));
    aggregator_ = Aggregator(options_.hot_spots, options_.topics);
    handed_offsets_.clear();
    return absl::OkStatus();
  }
  handed_offsets_ = aggregator_.offsets();
  spdlog::info("aggregates: checkpoint of {} complaints, {} events loaded",
                      aggregator_.complaints(), aggregator_.events_applied());
  return absl::OkStatus();
}

absl::Status AggregatesConsumer::SaveSnapshot() {
  std::string bytes;
  {
    std::unique_lock lock(mu_);
    WaitFolded(lock);
    if (!aggregator_.Snapshot().SerializeToString(&bytes)) {
      return absl::InternalError("aggregates checkpoint does not serialize");
    }
  }
  auto lease = redis_->Acquire();
  if (!lease.ok()) return lease.status();
  auto reply = (*lease)->Command({"SET", options_.snapshot_key, bytes});
  if (!reply.ok()) return reply.status();
  return absl::OkStatus();
}

void AggregatesConsumer::OnAssigned(const std::vector<kafka::TopicPartition>& partitions) {
  std::vector<kafka::TopicPartition> rewind;
  {
    std::lock_guard lock(mu_);
    for (const auto& tp : partitions) {
      if (rewound_.insert({tp.topic, tp.partition}).second) rewind.push_back(tp);
    }
  }
  if (!rewind.empty() && consumer_ != nullptr) consumer_->Rewind(rewind);
}

std::vector<absl::Status> AggregatesConsumer::HandleBatch(
    const std::vector<kafka::IncomingRecord>& records) {
  std::vector<absl::Status> statuses(records.size());
  std::unique_ptr<DecodedBatch> batch = TakeFreeBatch();
  int64_t* handed = nullptr;  // handed_offsets_'s entry for the current run of a partition
  for (size_t i = 0; i < records.size(); ++i) {
    const kafka::IncomingRecord& record = records[i];
    if (handed == nullptr || record.partition != records[i - 1].partition ||
        record.topic != records[i - 1].topic) {
      handed = &handed_offsets_.try_emplace({record.topic, record.partition}, 0).first->second;
    }
    // Folded already, or below the checkpoint: nothing to do (and a bad one was dead-lettered).
    if (record.offset < *handed) continue;
    if (batch->size == batch->records.size()) batch->records.emplace_back();
    statuses[i] = DecodeRecord(record, options_.topics, &batch->records[batch->size]);
    if (!statuses[i].ok()) continue;  // dead-lettered, and tried again if that fails
    ++batch->size;
    *handed = record.offset + 1;
  }
  {
    std::lock_guard lock(queue_mu_);
    queued_.push_back(std::move(batch));
    handed_.fetch_add(1);
  }
  queue_cv_.notify_all();
  if (absl::Now() - last_snapshot_ >= options_.snapshot_interval) {
    last_snapshot_ = absl::Now();
    if (auto saved = SaveSnapshot(); !saved.ok()) {
      // The next interval tries again; until then a restart replays a little more.
      spdlog::warn("aggregates checkpoint not written: {}", std::string(saved.message()));
    }
  }
  return statuses;
}

std::unique_ptr<AggregatesConsumer::DecodedBatch> AggregatesConsumer::TakeFreeBatch() {
  std::unique_lock lock(queue_mu_);
  queue_cv_.wait(lock, [&] { return queued_.size() < kQueuedBatches; });
  if (free_.empty()) {
    // The fold holds one, the queue at most kQueuedBatches, the caller this one.
    if (batches_ < kQueuedBatches + 2) {
      ++batches_;
      return std::make_unique<DecodedBatch>();
    }
    queue_cv_.wait(lock, [&] { return !free_.empty(); });
  }
  std::unique_ptr<DecodedBatch> batch = std::move(free_.back());
  free_.pop_back();
  return batch;
}

void AggregatesConsumer::FoldLoop() {
  for (;;) {
    std::unique_ptr<DecodedBatch> batch;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queued_.empty(); });
      if (queued_.empty()) return;  // stopping, and everything folded
      batch = std::move(queued_.front());
      queued_.pop_front();
    }
    queue_cv_.notify_all();  // room in the queue
    {
      std::lock_guard lock(mu_);
      for (size_t i = 0; i < batch->size; ++i) aggregator_.Fold(batch->records[i], &pending_);
      ++folded_;
    }
    folded_cv_.notify_all();
    PublishPending();
    batch->size = 0;
    {
      std::lock_guard lock(queue_mu_);
      free_.push_back(std::move(batch));
    }
    queue_cv_.notify_all();
  }
}

void AggregatesConsumer::WaitFolded(std::unique_lock<std::mutex>& lock) const {
  const uint64_t handed = handed_.load();
  folded_cv_.wait(lock, [&] { return folded_ >= handed; });
}

int64_t AggregatesConsumer::events_applied() const {
  std::unique_lock lock(mu_);
  WaitFolded(lock);
  return aggregator_.events_applied();
}

void AggregatesConsumer::PublishPending() {
  std::vector<events::v1::HotSpotAlert> alerts;
  {
    std::lock_guard lock(mu_);
    alerts.swap(pending_);
  }
  if (alerts.empty()) return;
  std::vector<kafka::OutgoingRecord> records;
  for (const auto& alert : alerts) {
    records.push_back(events::ToRecord(events::kHotSpotsTopic, alert.key(), alert,
                                       alert.alert_id(), kSource, "",
                                       common::FromProtoTime(alert.raised_at())));
  }
  if (auto published = publisher_->Publish(records); !published.ok()) {
    spdlog::warn("{} hot spot(s) not published yet: {}", alerts.size(),
                        std::string(published.message()));
    std::lock_guard lock(mu_);
    pending_.insert(pending_.begin(), alerts.begin(), alerts.end());
    return;
  }
  for (const auto& alert : alerts) {
    spdlog::info("hot spot {} raised: {} {} ({} complaints)", alert.alert_id(),
                        alert.dimension(), alert.key(), alert.observed());
  }
}

absl::StatusOr<analytics::v1::GetAggregatesResponse> AggregatesConsumer::Aggregates(
    const analytics::v1::GetAggregatesRequest& request) const {
  std::unique_lock lock(mu_);
  WaitFolded(lock);
  return aggregator_.Aggregates(request);
}

analytics::v1::GetBacklogResponse AggregatesConsumer::Backlog(const std::string& unit) const {
  const int64_t now = absl::ToUnixSeconds(clock_->Now());
  std::unique_lock lock(mu_);
  WaitFolded(lock);
  return aggregator_.Backlog(unit, now);
}

analytics::v1::ListHotSpotsResponse AggregatesConsumer::HotSpots(int limit) const {
  analytics::v1::ListHotSpotsResponse response;
  std::vector<events::v1::HotSpotAlert> alerts;
  {
    std::unique_lock lock(mu_);
    WaitFolded(lock);
    alerts = aggregator_.HotSpots(limit <= 0 ? 100 : limit);
  }
  for (auto& alert : alerts) *response.add_hot_spots() = std::move(alert);
  return response;
}

std::vector<events::v1::SlaAlert> AggregatesConsumer::RecentAlerts() const {
  std::unique_lock lock(mu_);
  WaitFolded(lock);
  return aggregator_.RecentAlerts();
}

absl::StatusOr<analytics::v1::ExportMonthlyReportResponse> AggregatesConsumer::MonthlyReport(
    const analytics::v1::ExportMonthlyReportRequest& request) const {
  absl::StatusOr<analytics::MonthlyReport> report;
  {
    std::unique_lock lock(mu_);
    WaitFolded(lock);
    report = BuildMonthlyReport(aggregator_, request.month(), options_.taxonomy);
  }
  if (!report.ok()) return report.status();
  analytics::v1::ExportMonthlyReportResponse response;
  if (request.format() == analytics::v1::REPORT_FORMAT_HTML) {
    response.set_content(RenderHtml(*report));
    response.set_content_type("text/html; charset=utf-8");
    response.set_filename("complaints-" + request.month() + ".html");
  } else {
    response.set_content(RenderCsv(*report));
    response.set_content_type("text/csv; charset=utf-8");
    response.set_filename("complaints-" + request.month() + ".csv");
  }
  return response;
}

}  // namespace complaints::analytics
