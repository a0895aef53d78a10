#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/byte_stream_split.h"

namespace stocklake {
namespace {

// The definition, byte by byte, as an independent reference.
std::string ReferenceSplit(const std::string& values, size_t count, size_t width) {
  std::string out(values.size(), '\0');
  for (size_t i = 0; i < count; ++i) {
    for (size_t b = 0; b < width; ++b) out[b * count + i] = values[i * width + b];
  }
  return out;
}

TEST(ByteStreamSplitTest, MatchesTheDefinitionAndInverts) {
  std::mt19937 rng(5);
  for (size_t width : {1u, 2u, 3u, 4u, 8u, 12u}) {
    for (size_t count : {0u, 1u, 3u, 4u, 7u, 8u, 9u, 15u, 16u, 17u, 1000u, 4099u}) {
      std::string values(count * width, '\0');
      for (char& c : values) c = static_cast<char>(rng());
      std::string split(values.size(), '\0'), joined(values.size(), '\0');
      SplitByteStreams(values.data(), split.data(), count, width);
      EXPECT_EQ(split, ReferenceSplit(values, count, width)) << "width " << width << " count " << count;
      JoinByteStreams(split.data(), joined.data(), count, width);
      EXPECT_EQ(joined, values) << "width " << width << " count " << count;
    }
  }
}

}  // namespace
}  // namespace stocklake
