// A partition's records through the speed layer's kernel: dead letters for late and
// invalid records, redeliveries skipped, and a restart from a checkpoint at any record
// ending where one uninterrupted pass ends.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "stream/partition_processor.h"
#include "stream/trade_event.h"

namespace stocklake {
namespace {

constexpr int64_t kWindowMs = 60'000;
constexpr int64_t kLatenessMs = 30'000;

// A stream of one partition: three symbols, out-of-order and late events, every few
// records an invalid one.
std::vector<LogRecord> Records(int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> jitter(-40'000, 5'000);
  const char* symbols[] = {"AAA", "BBB", "C.D"};
  std::vector<LogRecord> out;
  int64_t clock = 1'735'828'200'000;  // 2025-01-02T14:30:00Z
  for (int i = 0; i < count; ++i) {
    clock += 700;
    const std::string symbol = symbols[i % 3];
    std::string value;
    if (i % 11 == 5) {
      value = i % 2 ? "{\"symbol\": \"" + symbol + "\", \"price\": -1, \"size\": 5, \"ts\": 1}" : "not json";
    } else {
      const int64_t ts = clock + jitter(rng) - (i % 17 == 3 ? 200'000 : 0);  // some far behind: late
      value =
          nlohmann::json{{"symbol", symbol}, {"price", 10 + (i % 23) * 0.25}, {"size", 1 + i % 7}, {"ts", ts}}.dump();
    }
    out.push_back({static_cast<int64_t>(100 + i), symbol, value});
  }
  return out;
}

using Bars = std::map<std::pair<std::string, int64_t>, WindowBar>;

void Collect(PartitionProcessor* p, Bars* bars) {
  for (WindowBar& bar : p->windows().TakeChanges()) (*bars)[{bar.symbol, bar.window_start_ms}] = bar;
}

TEST(PartitionProcessor, DeadLettersCarryTheRecordItsPlaceAndTheReason) {
  const std::vector<LogRecord> records = Records(300, 1);
  PartitionProcessor p(4, kWindowMs, kLatenessMs, 100);
  std::vector<DeadLetter> dlq;
  p.Apply(records, 0, &dlq);
  EXPECT_EQ(p.next_offset(), 400);
  EXPECT_EQ(p.counts().accepted + p.counts().late + p.counts().invalid, 300);
  EXPECT_GT(p.counts().late, 0);
  EXPECT_GT(p.counts().invalid, 0);
  ASSERT_EQ(static_cast<int64_t>(dlq.size()), p.counts().late + p.counts().invalid);
  for (const DeadLetter& d : dlq) {
    const auto j = nlohmann::json::parse(d.value);
    const int64_t offset = j.at("offset");
    const LogRecord& original = records.at(static_cast<size_t>(offset - 100));
    EXPECT_EQ(j.at("record"), original.value);
    EXPECT_EQ(j.at("partition"), 4);
    EXPECT_EQ(d.key, original.key);
    if (j.at("reason") == "late") {
      const int64_t ts = ParseTradeEvent(original.value)->ts_ms;
      const int64_t watermark = j.at("watermark_ms");
      EXPECT_LE((ts >= 0 ? ts / kWindowMs : (ts - kWindowMs + 1) / kWindowMs) * kWindowMs + kWindowMs, watermark);
      EXPECT_EQ(j.at("watermark"), FormatRfc3339Millis(watermark));
    } else {
      EXPECT_EQ(j.at("reason"), "invalid");
      EXPECT_FALSE(ParseTradeEvent(original.value).ok());
      EXPECT_FALSE(j.at("error").get<std::string>().empty());
    }
  }
}

TEST(PartitionProcessor, RedeliveredRecordsChangeNothing) {
  const std::vector<LogRecord> records = Records(200, 2);
  PartitionProcessor p(0, kWindowMs, kLatenessMs, 100);
  std::vector<DeadLetter> dlq;
  p.Apply(records, 0, &dlq);
  Bars bars;
  Collect(&p, &bars);
  const size_t letters = dlq.size();
  p.Apply(records, 0, &dlq);  // the whole batch again, as after a crash before the commit
  EXPECT_EQ(dlq.size(), letters);
  EXPECT_EQ(p.counts().skipped, 200);
  EXPECT_TRUE(p.windows().TakeChanges().empty());
}

TEST(PartitionProcessor, ARestartFromAnyCheckpointEndsWhereOnePassEnds) {
  const std::vector<LogRecord> records = Records(240, 3);
  PartitionProcessor whole(2, kWindowMs, kLatenessMs, 100);
  std::vector<DeadLetter> whole_dlq;
  whole.Apply(records, 0, &whole_dlq);
  Bars expected;
  Collect(&whole, &expected);

  for (size_t cut : {0u, 1u, 37u, 120u, 239u}) {
    SCOPED_TRACE(cut);
    PartitionProcessor first(2, kWindowMs, kLatenessMs, 100);
    std::vector<DeadLetter> dlq;
    first.Apply(std::span(records).first(cut), 0, &dlq);
    Bars bars;
    Collect(&first, &bars);
    auto resumed =
        PartitionProcessor::Restore(2, first.next_offset(), first.windows().Serialize(), kWindowMs, kLatenessMs);
    ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
    // The log redelivers from an older offset: the overlap is skipped.
    resumed->Apply(std::span(records).subspan(cut / 2), 0, &dlq);
    Collect(&*resumed, &bars);
    EXPECT_EQ(bars, expected);
    ASSERT_EQ(dlq.size(), whole_dlq.size());
    for (size_t i = 0; i < dlq.size(); ++i) EXPECT_EQ(dlq[i].value, whole_dlq[i].value);
  }
}

TEST(PartitionProcessor, ACheckpointOfOtherWindowsIsRefused) {
  PartitionProcessor p(1, kWindowMs, kLatenessMs);
  auto other = PartitionProcessor::Restore(1, 5, p.windows().Serialize(), 5 * kWindowMs, kLatenessMs);
  ASSERT_FALSE(other.ok());
  EXPECT_TRUE(other.status().IsInvalidArgument()) << other.status().ToString();
  EXPECT_FALSE(PartitionProcessor::Restore(1, 5, "garbage", kWindowMs, kLatenessMs).ok());
}

}  // namespace
}  // namespace stocklake
