// The topic names the pipeline's stages talk through, and the partitioner that maps a
// message key (a ticker) to a partition exactly as Kafka's clients do, so a ticker lands
// in the same partition on the embedded file log and on a Kafka cluster.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace stocklake {

//! Bars as read from the inputs (one BarBatch per record, or one JSON bar per record).
inline constexpr std::string_view kRawTopic = "raw-stock-data";
//! Bars that passed cleaning and validation.
inline constexpr std::string_view kProcessedTopic = "processed-stock-data";
//! Rejected rows with their reason and lineage.
inline constexpr std::string_view kRejectsTopic = "stock-rejects";

//! Kafka's murmur2 hash (Java `Utils.murmur2`, librdkafka `rd_murmur2`) of `key`, as the
//! signed 32-bit value Java returns.
int32_t KafkaMurmur2(std::string_view key);

//! Kafka's default partitioner for keyed messages: (murmur2(key) & 0x7fffffff) % partitions
//! (Java's default partitioner and librdkafka's "murmur2_random"). Requires partitions > 0.
int PartitionForKey(std::string_view key, int partitions);

//! Every partition of a topic with `partitions` partitions: 0 .. partitions-1.
inline std::vector<int> AllPartitions(int partitions) {
  std::vector<int> all;
  for (int p = 0; p < partitions; ++p) all.push_back(p);
  return all;
}

}  // namespace stocklake
