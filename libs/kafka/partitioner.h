#pragma once

#include <cstdint>
#include <string_view>

namespace complaints::kafka {

// Kafka's murmur2 hash of a record key (org.apache.kafka.common.utils.Utils.murmur2), as the Java
// client and librdkafka's murmur2 partitioners compute it.
int32_t Murmur2(std::string_view key);

// The partition the producer (partitioner murmur2_random) sends a record with this non-empty
// key to: (murmur2 & 0x7fffffff) % partition_count. For finding which partition's state holds
// a complaint without asking Kafka.
int32_t PartitionForKey(std::string_view key, int32_t partition_count);

}  // namespace complaints::kafka
