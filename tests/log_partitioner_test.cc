// The partitioner must agree with Kafka's clients, so the expected values here come from
// Kafka's own test suites (UtilsTest.testMurmur2, librdkafka's rd_murmur2 unit test and
// the Java-generated samples in kafkajs), never from this implementation.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "log/topics.h"

namespace stocklake {
namespace {

const std::vector<std::pair<std::string, int32_t>>& KafkaVectors() {
  static const std::vector<std::pair<std::string, int32_t>> vectors = {
      // org.apache.kafka.common.utils.UtilsTest
      {"21", -973932308},
      {"foobar", -790332482},
      {"a-little-bit-long-string", -985981536},
      {"a-little-bit-longer-string", -1486304829},
      {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
      {"abc", 479470107},
      // librdkafka rdmurmur2.c unit test (0xd067cf64, ...)
      {"kafka", static_cast<int32_t>(0xd067cf64u)},
      {"giberish123456789", static_cast<int32_t>(0x8f552b0cu)},
      {"1234", static_cast<int32_t>(0x9fc97b14u)},
      {"234", static_cast<int32_t>(0xe7c009cau)},
      {"34", static_cast<int32_t>(0x873930dau)},
      {"4", static_cast<int32_t>(0x5a4b5ca1u)},
      {"PreAmbleWillBeRemoved,ThePrePartThatIs", static_cast<int32_t>(0x78424f1cu)},
      {"reAmbleWillBeRemoved,ThePrePartThatIs", static_cast<int32_t>(0x4a62b377u)},
      {"eAmbleWillBeRemoved,ThePrePartThatIs", static_cast<int32_t>(0xe0e4e09eu)},
      {"AmbleWillBeRemoved,ThePrePartThatIs", static_cast<int32_t>(0x62b8b43fu)},
      {"", static_cast<int32_t>(0x106e08d9u)},
      // Java Utils.murmur2 samples (kafkajs defaultJava partitioner test data)
      {"0", 971027396},
      {"1", -1993445489},
      {"128", -326012175},
      {"2187", -1508407203},
      {"16384", -325739742},
      {"12", 126087238},
      {"123", -267702483},
      {"12345", -1188365604},
  };
  return vectors;
}

TEST(KafkaMurmur2, MatchesKafkaTestVectors) {
  for (const auto& [key, expected] : KafkaVectors()) {
    EXPECT_EQ(KafkaMurmur2(key), expected) << "key '" << key << "'";
  }
}

TEST(PartitionForKey, IsPositiveHashModuloPartitions) {
  for (const auto& [key, hash] : KafkaVectors()) {
    const auto positive = static_cast<uint32_t>(hash) & 0x7fffffffu;
    for (int partitions : {1, 2, 3, 7, 12, 100}) {
      EXPECT_EQ(PartitionForKey(key, partitions), static_cast<int>(positive % static_cast<uint32_t>(partitions)))
          << "key '" << key << "' over " << partitions << " partitions";
    }
  }
  // Hand-worked case: murmur2("21") = -973932308 = 0xC5F2_1E6C; & 0x7fffffff = 1173551340.
  EXPECT_EQ(PartitionForKey("21", 10), 0);
  EXPECT_EQ(PartitionForKey("21", 7), 1173551340 % 7);
}

TEST(PartitionForKey, SpreadsTickersAndStaysInRange) {
  std::vector<int> hits(8, 0);
  for (int i = 0; i < 4000; ++i) {
    const int p = PartitionForKey("T" + std::to_string(i), 8);
    ASSERT_GE(p, 0);
    ASSERT_LT(p, 8);
    ++hits[static_cast<size_t>(p)];
  }
  for (int h : hits) EXPECT_GT(h, 350);  // 500 expected each
}

}  // namespace
}  // namespace stocklake
