#include "libs/runtime/rebuild_guard.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/kafka/partitioner.h"

namespace complaints::runtime {
namespace {

constexpr const char* kReady = StateReadiness::kReady;
constexpr const char* kReplaying = StateReadiness::kReplaying;
constexpr absl::Duration kKafkaTimeout = absl::Seconds(5);
constexpr absl::Duration kFirstAssignmentGrace = absl::Seconds(10);

const std::shared_ptr<spdlog::logger>& Log() {
  static const auto logger = common::ModuleLogger("rebuild");
  return logger;
}

std::string Describe(const std::pair<std::string, int32_t>& partition) {
  return absl::StrCat(partition.first, "[", partition.second, "]");
}

}  // namespace

RebuildGuard::RebuildGuard(redis::RedisPool* pool, Options options)
    : pool_(pool),
      options_(std::move(options)),
      readiness_(pool, options_.marker_prefix, options_.topics,
                 [this](const std::string& topic) { return PartitionCount(topic); }) {}

absl::StatusOr<int32_t> RebuildGuard::PartitionCount(const std::string& topic) {
  {
    std::lock_guard lock(mu_);
    if (auto it = partition_counts_.find(topic); it != partition_counts_.end()) return it->second;
  }
  kafka::Consumer* consumer = consumer_.load();
  if (consumer == nullptr) return absl::UnavailableError("starting: partitions not known yet");
  auto count = consumer->PartitionCount(topic, kKafkaTimeout);
  if (!count.ok()) return count.status();
  std::lock_guard lock(mu_);
  partition_counts_[topic] = *count;
  return count;
}

RebuildGuard::~RebuildGuard() { Stop(); }

void RebuildGuard::Stop() {
  if (checker_) checker_->Stop();
}

void RebuildGuard::Install(kafka::ConsumerOptions& options) {
  auto assigned = std::move(options.on_assigned);
  auto revoked = std::move(options.on_revoked);
  options.on_assigned = [this, assigned](const std::vector<kafka::TopicPartition>& partitions) {
    {
      std::lock_guard lock(mu_);
      for (const auto& tp : partitions) assigned_.insert({tp.topic, tp.partition});
    }
    if (assigned) assigned(partitions);
  };
  options.on_revoked = [this, revoked](const std::vector<kafka::TopicPartition>& partitions) {
    bool stopped_replaying = false;
    {
      // A replay cut short here is taken up again by the next owner (the marker still says
      // replaying, which it does not own).
      std::lock_guard lock(mu_);
      const bool was_replaying = !replaying_.empty() || !deferred_.empty();
      for (const auto& tp : partitions) {
        assigned_.erase({tp.topic, tp.partition});
        replaying_.erase({tp.topic, tp.partition});
        deferred_.erase({tp.topic, tp.partition});
      }
      stopped_replaying = was_replaying && replaying_.empty() && deferred_.empty();
    }
    if (stopped_replaying) SetOutage(false);
    if (revoked) revoked(partitions);
  };
}

void RebuildGuard::SetOutage(bool outage) {
  if (outage_.exchange(outage) != outage && report_) report_(outage);
}

void RebuildGuard::Attach(kafka::Consumer* consumer) {
  consumer_.store(consumer);
  // Not serving until the first check has found this member's partitions complete: a request
  // answered before would meet markers not yet read, or a replay about to start.
  attached_at_ = absl::Now();
  SetOutage(true);
  checker_ = std::make_unique<PeriodicTask>(options_.check_interval, [this] { CheckAssigned(); });
}

bool RebuildGuard::NeedsReplay(const Partition& partition, const std::string& marker) {
  if (marker == kReady) return false;
  std::lock_guard lock(mu_);
  if (marker.empty()) {
    // Lost again, possibly in the middle of our own replay: what it rebuilt is gone too.
    replaying_.erase(partition);
    return true;
  }
  return !replaying_.contains(partition);  // a replay this member does not own was cut short
}

bool RebuildGuard::StartReplay(const Partition& partition) {
  // Asked for because a marker is missing or stale: Redis may have lost state. Counted first,
  // before any record of the replay is handled (replays_started()).
  replays_started_.fetch_add(1);
  kafka::Consumer* consumer = consumer_.load();
  if (consumer == nullptr) return false;
  {
    std::lock_guard lock(mu_);
    if (replaying_.contains(partition)) return true;
    // Revoked meanwhile (the idle check works from a copy): its new owner replays it.
    if (!assigned_.contains(partition)) return false;
  }
  const std::optional<bool> waits = WaitsForAnother(partition, consumer);
  if (!waits.has_value()) return false;
  if (*waits) return true;
  auto end = consumer->EndOffset({partition.first, partition.second}, kKafkaTimeout);
  if (!end.ok()) {
    Log()->warn("{}: cannot start its replay: {}", Describe(partition), end.status().ToString());
    return false;
  }
  auto redis = pool_->Acquire();
  if (!redis.ok()) return false;
  const std::string marker = *end == 0 ? kReady : absl::StrCat(kReplaying, *end);
  if (!(*redis)->Command({"SET", readiness_.MarkerKey(partition.first, partition.second), marker}).ok()) {
    return false;
  }
  if (*end == 0) {
    // Nothing to replay: an empty partition is complete. One deferred until now is resumed.
    bool was_deferred = false;
    {
      std::lock_guard lock(mu_);
      was_deferred = deferred_.erase(partition) > 0;
    }
    if (was_deferred) consumer->Rewind({{partition.first, partition.second}});
    return true;
  }
  {
    std::lock_guard lock(mu_);
    if (!assigned_.contains(partition)) return false;  // revoked while the end was read
    replaying_[partition] = *end;
    deferred_.erase(partition);  // the rewind below resumes it
  }
  SetOutage(true);
  Log()->warn("state of {} is not in Redis: replaying it from its beginning to offset {}",
              Describe(partition), *end);
  consumer->Rewind({{partition.first, partition.second}});
  return true;
}

std::optional<bool> RebuildGuard::WaitsForAnother(const Partition& partition,
                                                  kafka::Consumer* consumer) {
  auto after = options_.replay_after.find(partition.first);
  if (after == options_.replay_after.end()) return false;
  const Partition first(after->second, partition.second);
  auto marker = readiness_.ReadMarkers({first});
  if (!marker.ok()) return std::nullopt;
  if ((*marker)[0] == kReady) return false;
  bool newly_deferred = false;
  {
    std::lock_guard lock(mu_);
    if (!assigned_.contains(partition)) return std::nullopt;
    newly_deferred = deferred_.insert(partition).second;
  }
  SetOutage(true);
  if (newly_deferred) {
    consumer->Defer({{partition.first, partition.second}});
    Log()->warn("state of {} is not in Redis: its replay waits for {}'s", Describe(partition),
                Describe(first));
  }
  return true;
}

void RebuildGuard::Finished(const Partition& partition, int64_t offset) {
  int64_t end = 0;
  {
    std::lock_guard lock(mu_);
    auto it = replaying_.find(partition);
    if (it == replaying_.end() || offset + 1 < it->second) return;
    end = it->second;
  }
  auto redis = pool_->Acquire();
  if (!redis.ok() ||
      !(*redis)->Command({"SET", readiness_.MarkerKey(partition.first, partition.second), kReady}).ok()) {
    return;  // tried again after the next record; the partition stays unready meanwhile
  }
  bool all_done = false;
  {
    std::lock_guard lock(mu_);
    replaying_.erase(partition);
    all_done = replaying_.empty() && deferred_.empty();
  }
  Log()->info("state of {} rebuilt (replayed to offset {})", Describe(partition), end);
  if (all_done) SetOutage(false);
}

void RebuildGuard::CheckAssigned() {
  std::vector<Partition> partitions;
  {
    std::lock_guard lock(mu_);
    partitions.assign(assigned_.begin(), assigned_.end());
  }
  auto markers = readiness_.ReadMarkers(partitions);
  if (!markers.ok()) return;  // Redis down: the consumer's own checks fail and retry
  bool complete = true;
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (NeedsReplay(partitions[i], (*markers)[i])) {
      complete = false;
      StartReplay(partitions[i]);
    }
  }
  {
    std::lock_guard lock(mu_);
    // Only replays of partitions this member still owns count; a stale one is forgotten.
    std::erase_if(replaying_, [this](const auto& entry) { return !assigned_.contains(entry.first); });
    std::erase_if(deferred_, [this](const Partition& p) { return !assigned_.contains(p); });
    complete = complete && replaying_.empty() && deferred_.empty();
  }
  // A member may own no partition at all (more instances than partitions): it serves once the
  // group has had time to assign it some.
  if (complete && (!partitions.empty() || absl::Now() - attached_at_ > kFirstAssignmentGrace)) {
    SetOutage(false);
  }
}

std::map<RebuildGuard::Partition, absl::Status> RebuildGuard::HoldUnready(
    const std::vector<kafka::IncomingRecord>& records) {
  std::vector<Partition> partitions;
  for (const auto& r : records) {
    Partition p(r.topic, r.partition);
    if (std::find(partitions.begin(), partitions.end(), p) == partitions.end()) {
      partitions.push_back(std::move(p));
    }
  }
  std::map<Partition, absl::Status> held;  // partitions whose records must not be handled now
  auto markers = readiness_.ReadMarkers(partitions);
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (!markers.ok()) {
      held[partitions[i]] = markers.status();
    } else if (NeedsReplay(partitions[i], (*markers)[i])) {
      // Not on half a state: these records come again with the replay (or are retried).
      held[partitions[i]] = absl::UnavailableError(
          absl::StrCat("state of ", Describe(partitions[i]), " is being rebuilt"));
      StartReplay(partitions[i]);
    }
  }
  return held;
}

kafka::BatchHandler RebuildGuard::Wrap(kafka::RecordHandler handler) {
  return [this, handler = std::move(handler)](const std::vector<kafka::IncomingRecord>& records) {
    std::map<Partition, absl::Status> held = HoldUnready(records);
    std::vector<absl::Status> statuses;
    statuses.reserve(records.size());
    for (const auto& record : records) {
      const Partition p(record.topic, record.partition);
      if (auto it = held.find(p); it != held.end()) {
        statuses.push_back(it->second);
        continue;
      }
      absl::Status status = handler(record);
      if (kafka::IsTransient(status)) {
        held[p] = status;  // later records of the partition wait for this one
      } else {
        Finished(p, record.offset);
      }
      statuses.push_back(std::move(status));
    }
    return statuses;
  };
}

kafka::BatchHandler RebuildGuard::WrapBatch(kafka::BatchHandler handler) {
  return [this, handler = std::move(handler)](const std::vector<kafka::IncomingRecord>& records) {
    std::map<Partition, absl::Status> held = HoldUnready(records);
    std::vector<absl::Status> handled;
    size_t handed = records.size();
    if (held.empty()) {
      handled = handler(records);  // the usual case: every partition ready, nothing copied
    } else {
      std::vector<kafka::IncomingRecord> batch;
      for (const kafka::IncomingRecord& record : records) {
        if (!held.contains(Partition(record.topic, record.partition))) batch.push_back(record);
      }
      handed = batch.size();
      if (!batch.empty()) handled = handler(batch);
    }
    if (handled.size() != handed) {
      handled.assign(handed, absl::InternalError("batch handler answered the wrong count"));
    }
    std::vector<absl::Status> statuses(records.size());
    size_t next = 0;
    std::map<Partition, int64_t> done_up_to;  // last offset done, by partition
    for (size_t i = 0; i < records.size(); ++i) {
      const Partition p(records[i].topic, records[i].partition);
      if (auto it = held.find(p); it != held.end()) {
        statuses[i] = it->second;
        continue;
      }
      absl::Status status = std::move(handled[next++]);
      if (kafka::IsTransient(status)) {
        held[p] = status;  // later records of the partition are retried after this one
      } else {
        done_up_to[p] = records[i].offset;
      }
      statuses[i] = std::move(status);
    }
    for (const auto& [partition, offset] : done_up_to) Finished(partition, offset);
    return statuses;
  };
}

}  // namespace complaints::runtime
