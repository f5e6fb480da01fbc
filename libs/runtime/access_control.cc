#include "libs/runtime/access_control.h"

#include <algorithm>
#include <random>
#include <vector>

#include "absl/strings/str_format.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/metrics/metrics.h"

namespace complaints::runtime {
namespace {

metrics::Counter& DroppedAuditRecords() {
  static auto& family = metrics::Registry::Default().AddCounter(
      "access_audit_dropped_total",
      "Access audit records dropped because the queue to Kafka was full.", {});
  return family.With({});
}

// Audit records have no cause to derive an id from but the call itself: a random id per call.
std::string RandomId() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return absl::StrFormat("%016x%016x", random(), random());
}

}  // namespace

absl::StatusOr<std::string> LedgerCaseUnitResolver::UnitOf(const std::string& complaint_id) {
  auto stored = store_.Load(complaint_id);
  if (!stored.ok()) return stored.status();
  if (stored->revision == 0 || stored->record.case_().unit().empty()) {
    return absl::NotFoundError("no case");
  }
  return stored->record.case_().unit();
}

events::v1::AccessAudited AuditEvent(const grpcutil::AccessRecord& record,
                                     const std::string& service, absl::Time time) {
  events::v1::AccessAudited event;
  event.set_complaint_id(record.complaint_id);
  event.set_principal(record.principal);
  event.set_role(record.role);
  event.set_method(record.method);
  event.set_change(record.change);
  event.set_allowed(record.allowed);
  event.set_reason(record.reason);
  event.set_unit(record.unit);
  event.set_service(service);
  *event.mutable_time() = common::ToProtoTime(time);
  return event;
}

AuditPublisher::AuditPublisher(kafka::Publisher* publisher, const common::Clock* clock,
                               std::string service, size_t capacity)
    : publisher_(publisher),
      clock_(clock),
      service_(std::move(service)),
      capacity_(capacity),
      thread_([this] { Run(); }) {}

AuditPublisher::~AuditPublisher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void AuditPublisher::Record(const grpcutil::AccessRecord& record) {
  const absl::Time now = clock_->Now();
  kafka::OutgoingRecord out =
      events::ToRecord(kAccessAuditTopic, record.complaint_id,
                       AuditEvent(record, service_, now), RandomId(),
                       "/complaints/" + service_, record.complaint_id, now);
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= capacity_) {
      queue_.pop_front();
      DroppedAuditRecords().Increment();
      common::ModuleLogger("authz")->error("access audit queue full: dropped the oldest record");
    }
    queue_.push_back(std::move(out));
  }
  wake_.notify_one();
}

void AuditPublisher::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  absl::Time give_up = absl::InfiniteFuture();
  for (;;) {
    std::vector<kafka::OutgoingRecord> batch;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      if (stop_ && give_up == absl::InfiniteFuture()) give_up = absl::Now() + absl::Seconds(10);
      while (!queue_.empty() && batch.size() < 500) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    const absl::Status status = publisher_->Publish(batch);
    if (status.ok()) {
      backoff = absl::Milliseconds(100);
      continue;
    }
    common::ModuleLogger("authz")->warn("access audit: cannot publish {} records ({}); retrying",
                                        batch.size(), std::string(status.message()));
    if (absl::Now() >= give_up) {
      common::ModuleLogger("authz")->error("access audit: {} records lost at shutdown", batch.size());
      continue;
    }
    {
      std::lock_guard lock(mu_);
      for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace complaints::runtime
