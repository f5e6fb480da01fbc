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
      aggregator_(options_.hot_spots, options_.topics) {}

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
  std::lock_guard lock(mu_);
  if (auto restored = aggregator_.Restore(snapshot); !restored.ok()) {
    spdlog::warn("aggregates: {}; replaying every partition", std::string(restored.message()));
    aggregator_ = Aggregator(options_.hot_spots, options_.topics);
    return absl::OkStatus();
  }
  spdlog::info("aggregates: checkpoint of {} complaints, {} events loaded",
                      aggregator_.complaints(), aggregator_.events_applied());
  return absl::OkStatus();
}

absl::Status AggregatesConsumer::SaveSnapshot() {
  std::string bytes;
  {
    std::lock_guard lock(mu_);
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
  std::vector<absl::Status> statuses;
  statuses.reserve(records.size());
  {
    std::lock_guard lock(mu_);
    for (const auto& record : records) statuses.push_back(aggregator_.Apply(record, &pending_));
  }
  PublishPending();
  if (absl::Now() - last_snapshot_ >= options_.snapshot_interval) {
    last_snapshot_ = absl::Now();
    if (auto saved = SaveSnapshot(); !saved.ok()) {
      // The next interval tries again; until then a restart replays a little more.
      spdlog::warn("aggregates checkpoint not written: {}", std::string(saved.message()));
    }
  }
  return statuses;
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
  std::lock_guard lock(mu_);
  return aggregator_.Aggregates(request);
}

analytics::v1::GetBacklogResponse AggregatesConsumer::Backlog(const std::string& unit) const {
  const int64_t now = absl::ToUnixSeconds(clock_->Now());
  std::lock_guard lock(mu_);
  return aggregator_.Backlog(unit, now);
}

analytics::v1::ListHotSpotsResponse AggregatesConsumer::HotSpots(int limit) const {
  analytics::v1::ListHotSpotsResponse response;
  std::vector<events::v1::HotSpotAlert> alerts;
  {
    std::lock_guard lock(mu_);
    alerts = aggregator_.HotSpots(limit <= 0 ? 100 : limit);
  }
  for (auto& alert : alerts) *response.add_hot_spots() = std::move(alert);
  return response;
}

std::vector<events::v1::SlaAlert> AggregatesConsumer::RecentAlerts() const {
  std::lock_guard lock(mu_);
  return aggregator_.RecentAlerts();
}

absl::StatusOr<analytics::v1::ExportMonthlyReportResponse> AggregatesConsumer::MonthlyReport(
    const analytics::v1::ExportMonthlyReportRequest& request) const {
  absl::StatusOr<analytics::MonthlyReport> report;
  {
    std::lock_guard lock(mu_);
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
