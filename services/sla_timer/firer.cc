#include "services/sla_timer/firer.h"

#include <algorithm>

#include "libs/common/logging.h"

namespace complaints::sla_timer {
namespace {

absl::StatusOr<int64_t> Positive(const common::Config& config, const char* key, int64_t fallback) {
  auto value = config.GetInt(key, fallback);
  if (!value.ok()) return value.status();
  if (*value <= 0) {
    return absl::InvalidArgumentError(std::string("config ") + key + ": must be positive");
  }
  return value;
}

}  // namespace

absl::StatusOr<FiringOptions> FiringOptions::FromConfig(const common::Config& config) {
  FiringOptions options;
  auto batch = Positive(config, "sla.fire_batch", options.batch);
  if (!batch.ok()) return batch.status();
  auto lease = Positive(config, "sla.lease_ms", absl::ToInt64Milliseconds(options.lease));
  if (!lease.ok()) return lease.status();
  auto idle = Positive(config, "sla.max_idle_ms", absl::ToInt64Milliseconds(options.max_idle));
  if (!idle.ok()) return idle.status();
  options.batch = static_cast<int>(std::min<int64_t>(*batch, 100000));
  options.lease = absl::Milliseconds(*lease);
  options.max_idle = absl::Milliseconds(*idle);
  return options;
}

absl::Duration ToClockDuration(const common::Clock& clock, absl::Duration real) {
  const absl::Duration probe = absl::Hours(1);
  const absl::Duration probe_real = clock.ToRealDuration(probe);
  if (probe_real <= absl::ZeroDuration()) return real;
  return real * absl::FDivDuration(probe, probe_real);
}

absl::StatusOr<int> AlertFirer::FireDue(int32_t partition) {
  int fired = 0;
  const absl::Duration lease = ToClockDuration(*clock_, options_.lease);
  for (int round = 0; round < options_.max_batches; ++round) {
    const absl::Time now = clock_->Now();
    auto items = store_->Claim(partition, now, now + lease, options_.batch);
    if (!items.ok()) return items.status();
    if (items->empty()) break;
    auto entries = store_->Lookup(*items);
    if (!entries.ok()) return entries.status();

    std::vector<kafka::OutgoingRecord> records;
    std::vector<Acknowledgement> acks;
    for (size_t i = 0; i < items->size(); ++i) {
      const DueItem& item = (*items)[i];
      const std::optional<ClockEntry>& entry = (*entries)[i];
      // Stopped or re-armed after the claim: the store has already dropped the item, or the
      // acknowledgement drops it now; either way nothing fires for an old deadline version.
      if (!entry || !entry->running() || entry->version != item.key.version) {
        acks.push_back({item, std::nullopt});
        continue;
      }
      records.push_back(ToAlertRecord(MakeAlert(item.key, *entry, now)));
      acks.push_back({item, NextFiring(*entry, item.key.kind, item.key.step, policy_)});
    }
    // Durable before acknowledged: a failure here leaves the items leased, to fire again later.
    if (!records.empty()) {
      if (auto s = publisher_->Publish(records); !s.ok()) return s;
    }
    if (auto s = store_->Acknowledge(partition, acks); !s.ok()) return s;
    fired += static_cast<int>(records.size());
    if (static_cast<int>(items->size()) < options_.batch) break;
  }
  return fired;
}

void Poller::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Poller::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Poller::Assign(const std::vector<int32_t>& partitions) {
  {
    std::lock_guard lock(mu_);
    owned_.insert(partitions.begin(), partitions.end());
    changed_ = true;
  }
  wake_.notify_all();
}

void Poller::Revoke(const std::vector<int32_t>& partitions) {
  std::lock_guard lock(mu_);
  for (int32_t p : partitions) owned_.erase(p);
  // A pass in progress finishes its current batch; the lease covers the new owner meanwhile.
}

void Poller::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    const std::set<int32_t> partitions = owned_;
    changed_ = false;
    lock.unlock();
    const absl::Duration sleep = Pass(partitions);
    lock.lock();
    wake_.wait_for(lock, absl::ToChronoMilliseconds(sleep), [this] { return stop_ || changed_; });
  }
}

absl::Duration Poller::Pass(const std::set<int32_t>& partitions) {
  absl::Time next = absl::InfiniteFuture();
  bool failed = false;  // one partition's trouble (its leader is down...) must not stop the others
  for (int32_t partition : partitions) {
    auto fired = firer_->FireDue(partition);
    if (!fired.ok()) {
      spdlog::warn("firing alerts of partition {}: {}", partition, fired.status().ToString());
      failed = true;
      continue;
    }
    if (*fired > 0) spdlog::info("partition {}: {} alert(s) fired", partition, *fired);
    auto due = store_->NextDue(partition);
    if (!due.ok()) {
      spdlog::warn("next deadline of partition {}: {}", partition, due.status().ToString());
      failed = true;
      continue;
    }
    if (due->has_value()) next = std::min(next, **due);
  }
  if (failed) return options_.error_backoff;
  if (next == absl::InfiniteFuture()) return options_.max_idle;
  const absl::Duration wait = clock_->ToRealDuration(next - clock_->Now());
  return std::clamp(wait, absl::ZeroDuration(), options_.max_idle);
}

}  // namespace complaints::sla_timer
