#include "libs/runtime/state_readiness.h"

#include "absl/strings/str_cat.h"
#include "libs/kafka/partitioner.h"

namespace complaints::runtime {

std::string StateReadiness::MarkerKey(const std::string& topic, int32_t partition) const {
  return absl::StrCat(marker_prefix_, "rebuild:", topic, ":", partition);
}

absl::StatusOr<std::vector<std::string>> StateReadiness::ReadMarkers(
    const std::vector<Partition>& partitions) const {
  std::vector<std::string> markers(partitions.size());
  if (partitions.empty()) return markers;
  std::vector<std::string> argv = {"MGET"};
  for (const auto& p : partitions) argv.push_back(MarkerKey(p.first, p.second));
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command(argv);
  if (!reply.ok()) return reply.status();
  for (size_t i = 0; i < partitions.size() && i < reply->elements.size(); ++i) {
    markers[i] = reply->elements[i].str;
  }
  return markers;
}

absl::Status StateReadiness::CheckPartitions(const std::vector<Partition>& partitions) const {
  auto markers = ReadMarkers(partitions);
  if (!markers.ok()) return markers.status();
  for (size_t i = 0; i < partitions.size(); ++i) {
    if ((*markers)[i] != kReady) {
      return absl::UnavailableError(absl::StrCat("state of ", partitions[i].first, "[",
                                                 partitions[i].second,
                                                 "] is being rebuilt from Kafka; retry shortly"));
    }
  }
  return absl::OkStatus();
}

absl::Status StateReadiness::CheckReady(std::string_view key) const {
  if (topics_.empty()) return absl::OkStatus();
  auto count = partition_count_(topics_.front());
  if (!count.ok()) return absl::UnavailableError(std::string(count.status().message()));
  const int32_t partition = kafka::PartitionForKey(key, *count);
  std::vector<Partition> partitions;
  for (const std::string& topic : topics_) partitions.emplace_back(topic, partition);
  return CheckPartitions(partitions);
}

absl::Status StateReadiness::CheckAllReady() const {
  std::vector<Partition> partitions;
  for (const std::string& topic : topics_) {
    auto count = partition_count_(topic);
    if (!count.ok()) return absl::UnavailableError(std::string(count.status().message()));
    for (int32_t p = 0; p < *count; ++p) partitions.emplace_back(topic, p);
  }
  return CheckPartitions(partitions);
}

}  // namespace complaints::runtime
