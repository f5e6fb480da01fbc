#include "services/sla_timer/firing/firer.h"

#include <algorithm>

#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/metrics/metrics.h"

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
  auto publishers = Positive(config, "sla.publishers", options.publishers);
  if (!publishers.ok()) return publishers.status();
  auto in_flight = Positive(config, "sla.batches_in_flight", options.in_flight);
  if (!in_flight.ok()) return in_flight.status();
  options.batch = static_cast<int>(std::min<int64_t>(*batch, 100000));
  options.lease = absl::Milliseconds(*lease);
  options.max_idle = absl::Milliseconds(*idle);
  options.publishers = static_cast<int>(std::min<int64_t>(*publishers, 256));
  options.in_flight = static_cast<int>(std::min<int64_t>(*in_flight, 256));
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
  for (int round = 0; round < options_.max_batches; ++round) {
    auto batch = Claim(partition);
    if (!batch.ok()) return batch.status();
    if (batch->claimed == 0) break;
    auto published = Complete(*batch);
    if (!published.ok()) return published.status();
    fired += *published;
    if (batch->claimed < options_.batch) break;
  }
  return fired;
}

namespace {

// sla_alerts_fired_total and sla_alert_lateness_seconds in /metrics: how many alerts fired, and
// how long after their deadline (the timer's promise is milliseconds).
void CountFired(const std::vector<AlertFirer::Batch::Fired>& fired) {
  static auto& count = metrics::Registry::Default().AddCounter(
      "sla_alerts_fired_total", "SLA alerts published to sla.alerts.v1.", {"kind", "clock"});
  static auto& lateness = metrics::Registry::Default().AddHistogram(
      "sla_alert_lateness_seconds", "Real time from an alert's deadline to its firing.",
      {"kind"});
  for (const AlertFirer::Batch::Fired& alert : fired) {
    const std::string kind = events::v1::AlertKind_Name(alert.kind);
    count.With({kind, events::v1::Clock_Name(alert.clock)}).Increment();
    lateness.With({kind}).Observe(absl::ToDoubleSeconds(alert.lateness));
  }
}

}  // namespace

absl::StatusOr<AlertFirer::Batch> AlertFirer::Claim(int32_t partition) {
  Batch batch;
  batch.partition = partition;
  const absl::Time now = clock_->Now();
  auto items =
      store_->Claim(partition, now, now + ToClockDuration(*clock_, options_.lease), options_.batch);
  if (!items.ok()) return items.status();
  if (items->empty()) return batch;
  auto cases = store_->Lookup(*items);
  if (!cases.ok()) return cases.status();
  batch.claimed = static_cast<int>(items->size());
  batch.records.reserve(items->size());
  batch.acks.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    DueItem& item = (*items)[i];
    const std::optional<StoredCase>& stored = (*cases)[i];
    const ClockEntry* entry = nullptr;
    if (stored) {
      auto it = stored->clocks.clocks.find(item.key.clock);
      if (it != stored->clocks.clocks.end()) entry = &it->second;
    }
    // A stopped clock raises only what was due before it stopped (an acceptance applied after
    // its deadline still gets its breach; one at that very time met it). Unknown stop time:
    // InfinitePast, nothing.
    const auto fires = [&entry](absl::Time at) {
      return entry->running() || at < entry->stopped_at;
    };
    // Re-armed after the claim: the store has already dropped the item, or the acknowledgement
    // drops it now; nothing fires for an old deadline version.
    if (entry == nullptr || entry->version != item.key.version) {
      batch.acks.push_back({std::move(item), std::nullopt});
      continue;
    }
    events::v1::SlaAlert alert = MakeAlert(item.key, *entry, now);
    if (describe_) describe_(*stored, &alert);
    if (!fires(common::FromProtoTime(alert.fired_at()))) {
      batch.acks.push_back({std::move(item), std::nullopt});
      continue;
    }
    batch.records.push_back(ToAlertRecord(alert));
    batch.fired.push_back({alert.kind(), alert.clock(),
                           clock_->ToRealDuration(now - common::FromProtoTime(alert.due_at()))});
    std::optional<Firing> next = next_(*stored, *entry, item.key.kind, item.key.step);
    if (next && !fires(next->at)) next.reset();
    batch.acks.push_back({std::move(item), std::move(next)});
  }
  return batch;
}

absl::StatusOr<int> AlertFirer::Complete(const Batch& batch) {
  // Durable before acknowledged: a failure here leaves the items leased, to fire again later.
  if (!batch.records.empty()) {
    if (auto s = publisher_->Publish(batch.records); !s.ok()) return s;
  }
  if (auto s = store_->Acknowledge(batch.partition, batch.acks); !s.ok()) return s;
  CountFired(batch.fired);
  return static_cast<int>(batch.records.size());
}

void Poller::Start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  for (int32_t partition : owned_) StartLoop(partition);
}

void Poller::Stop() {
  std::vector<std::unique_ptr<Loop>> loops;
  {
    std::lock_guard lock(mu_);
    running_ = false;
    for (auto& [partition, loop] : loops_) loops.push_back(std::move(loop));
    loops_.clear();
    for (auto& loop : retired_) loops.push_back(std::move(loop));
    retired_.clear();
    for (auto& loop : loops) {
      loop->stop = true;
      loop->wake.notify_all();
      loop->queued.notify_all();
    }
  }
  for (auto& loop : loops) {
    for (auto& thread : loop->threads) thread.join();
  }
}

void Poller::Assign(const std::vector<int32_t>& partitions) {
  std::vector<std::thread> finished;
  {
    std::lock_guard lock(mu_);
    ReapLocked(finished);
    for (int32_t partition : partitions) {
      owned_.insert(partition);
      if (running_ && !loops_.contains(partition)) StartLoop(partition);
    }
  }
  for (auto& thread : finished) thread.join();
}

void Poller::StateRestored(int32_t partition) {
  std::lock_guard lock(mu_);
  if (auto it = loops_.find(partition); it != loops_.end()) it->second->restored = true;
}

void Poller::Revoke(const std::vector<int32_t>& partitions) {
  std::vector<std::thread> finished;
  {
    std::lock_guard lock(mu_);
    for (int32_t partition : partitions) {
      owned_.erase(partition);
      auto it = loops_.find(partition);
      if (it == loops_.end()) continue;
      it->second->stop = true;
      it->second->wake.notify_all();
      it->second->queued.notify_all();
      retired_.push_back(std::move(it->second));
      loops_.erase(it);
    }
    ReapLocked(finished);
  }
  for (auto& thread : finished) thread.join();
}

void Poller::StartLoop(int32_t partition) {
  auto loop = std::make_unique<Loop>();
  loop->partition = partition;
  Loop* raw = loop.get();
  const int publishers = std::max(1, options_.publishers);
  loop->running = 1 + publishers;
  loop->threads.emplace_back([this, raw] { Run(raw); });
  for (int i = 0; i < publishers; ++i) loop->threads.emplace_back([this, raw] { Publish(raw); });
  loops_[partition] = std::move(loop);
}

void Poller::ReapLocked(std::vector<std::thread>& finished) {
  // A retired loop goes once all its threads have returned (they are joined outside the lock).
  std::erase_if(retired_, [&](std::unique_ptr<Loop>& loop) {
    if (loop->running > 0) return false;
    for (auto& thread : loop->threads) finished.push_back(std::move(thread));
    return true;
  });
}

void Poller::Run(Loop* loop) {
  std::unique_lock lock(mu_);
  while (!loop->stop) {
    lock.unlock();
    const absl::Duration sleep = Pass(loop);
    lock.lock();
    loop->wake.wait_for(lock, absl::ToChronoMilliseconds(sleep), [loop] { return loop->stop; });
  }
  --loop->running;
}

absl::Duration Poller::Pass(Loop* loop) {
  const int32_t partition = loop->partition;
  if (on_state_missing_ && absl::Now() - loop->marker_checked >= options_.marker_check) {
    loop->marker_checked = absl::Now();
    {
      std::lock_guard lock(mu_);
      if (loop->restored) loop->missing_reported = false;
      loop->restored = false;
    }
    auto missing = store_->UnmarkedPartitions({partition});
    if (!missing.ok()) {
      spdlog::warn("marker of partition {}: {}", partition, missing.status().ToString());
    } else if (missing->empty()) {
      loop->missing_reported = false;
    } else if (!loop->missing_reported) {
      loop->missing_reported = true;
      spdlog::warn("partition {}: its SLA state is missing from the store; rebuilding it",
                   partition);
      on_state_missing_(partition);
    }
  }
  {
    std::lock_guard lock(mu_);
    if (loop->failed) {
      loop->failed = false;
      return options_.error_backoff;
    }
  }
  for (int round = 0; round < options_.max_batches; ++round) {
    {
      // Back-pressure: no more claims while the publishers are behind.
      std::unique_lock lock(mu_);
      loop->wake.wait(lock, [&] {
        return loop->stop || loop->failed ||
               static_cast<int>(loop->queue.size()) < std::max(1, options_.in_flight);
      });
      if (loop->stop || loop->failed) return absl::ZeroDuration();
    }
    auto batch = firer_->Claim(partition);
    if (!batch.ok()) {
      // This partition's trouble stops no other.
      spdlog::warn("claiming alerts of partition {}: {}", partition, batch.status().ToString());
      return options_.error_backoff;
    }
    if (batch->claimed == 0) break;
    const bool full = batch->claimed >= options_.batch;
    {
      std::lock_guard lock(mu_);
      loop->queue.push_back(*std::move(batch));
    }
    loop->queued.notify_one();
    if (!full) break;
  }
  auto due = store_->NextDue(partition);
  if (!due.ok()) {
    spdlog::warn("next deadline of partition {}: {}", partition, due.status().ToString());
    return options_.error_backoff;
  }
  if (!due->has_value()) return options_.max_idle;
  const absl::Duration wait = clock_->ToRealDuration(**due - clock_->Now());
  return std::clamp(wait, absl::ZeroDuration(), options_.max_idle);
}

void Poller::Publish(Loop* loop) {
  std::unique_lock lock(mu_);
  for (;;) {
    loop->queued.wait(lock, [loop] { return loop->stop || !loop->queue.empty(); });
    if (loop->queue.empty()) break;  // stopped, and nothing claimed is left behind
    // Everything queued goes in one publish.
    AlertFirer::Batch batch = std::move(loop->queue.front());
    loop->queue.pop_front();
    while (!loop->queue.empty()) {
      AlertFirer::Batch& more = loop->queue.front();
      batch.claimed += more.claimed;
      std::move(more.records.begin(), more.records.end(), std::back_inserter(batch.records));
      std::move(more.acks.begin(), more.acks.end(), std::back_inserter(batch.acks));
      loop->queue.pop_front();
    }
    loop->wake.notify_all();  // room for the loop to claim
    lock.unlock();
    auto published = firer_->Complete(batch);
    if (!published.ok()) {
      // Still leased: fired again once the lease runs out, with the same ids.
      spdlog::warn("publishing alerts of partition {}: {}", loop->partition,
                   published.status().ToString());
    } else if (*published > 0) {
      spdlog::debug("partition {}: {} alert(s) fired", loop->partition, *published);
    }
    lock.lock();
    if (!published.ok()) loop->failed = true;
  }
  --loop->running;
}

}  // namespace complaints::sla_timer
