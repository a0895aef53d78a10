#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "log/bar_codec.h"

namespace stocklake {
namespace {

// Doubles compared bit for bit, so NaN payloads and -0.0 must survive too.
bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void ExpectSameBatch(const BarBatch& a, const BarBatch& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.ticker_names, b.ticker_names);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a.ticker[i], b.ticker[i]) << "row " << i;
    ASSERT_EQ(a.date[i], b.date[i]) << "row " << i;
    ASSERT_TRUE(SameBits(a.open[i], b.open[i])) << "row " << i;
    ASSERT_TRUE(SameBits(a.high[i], b.high[i])) << "row " << i;
    ASSERT_TRUE(SameBits(a.low[i], b.low[i])) << "row " << i;
    ASSERT_TRUE(SameBits(a.close[i], b.close[i])) << "row " << i;
    ASSERT_TRUE(SameBits(a.adj_close[i], b.adj_close[i])) << "row " << i;
    ASSERT_EQ(a.volume[i], b.volume[i]) << "row " << i;
    ASSERT_EQ(a.source[i], b.source[i]) << "row " << i;
    ASSERT_EQ(a.line[i], b.line[i]) << "row " << i;
    ASSERT_EQ(a.reason[i], b.reason[i]) << "row " << i;
  }
}

TEST(BarCodec, RoundTripsEveryColumnAndSpecialValue) {
  BarBatch batch;
  const int32_t aapl = batch.InternTicker("AAPL");
  const int32_t brk = batch.InternTicker("BRK-B");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  batch.Append(aapl, 19724, 1.5, 2.5, 1.0, 2.0, 1.9, 123456789012LL, 7, 2, RejectReason::kNone);
  batch.Append(kNoTicker, kNullDate, nan, inf, -inf, -0.0, 0.0, -5, 0xFFFFFFFFu, INT64_MAX, RejectReason::kParseError);
  batch.Append(brk, -719468, 1e-300, 1e300, 5e-324, 3.0, 3.0, INT64_MIN, 0, -1, RejectReason::kUnrecognisedHeader);
  batch.Append(aapl, INT32_MAX, 10, 11, 9, 10.5, 10.5, 0, 1, 4, RejectReason::kDuplicate);
  for (BarEncoding encoding : {BarEncoding::kPlain, BarEncoding::kCompressed}) {
    const std::string encoded = EncodeBarBatch(batch, encoding);
    EXPECT_EQ(static_cast<uint8_t>(encoded[0]), kBarBatchMagic);
    if (encoding == BarEncoding::kPlain) {
      // 10 header bytes, two names with 4-byte lengths, 69 bytes per row.
      EXPECT_EQ(encoded.size(), 10u + (4 + 4) + (4 + 5) + 4 * 69u);
    }
    auto decoded = DecodeBarRecord(encoded, 99);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ExpectSameBatch(batch, *decoded);
    EXPECT_TRUE(std::isnan(decoded->open[1]));
  }
}

TEST(BarCodec, RoundTripsEmptyAndLargeBatches) {
  BarBatch empty;
  auto decoded_empty = DecodeBarRecord(EncodeBarBatch(empty), 0);
  ASSERT_TRUE(decoded_empty.ok());
  EXPECT_TRUE(decoded_empty->empty());

  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> price(0.01, 5000);
  BarBatch big;
  for (int t = 0; t < 500; ++t) big.InternTicker("T" + std::to_string(t));
  for (int i = 0; i < 100000; ++i) {
    const auto code = static_cast<int32_t>(rng() % 501) - 1;  // includes kNoTicker
    big.Append(code, static_cast<Date>(rng() % 20000), price(rng), price(rng), price(rng), price(rng), price(rng),
               static_cast<int64_t>(rng()), static_cast<uint32_t>(rng()), i + 2,
               static_cast<RejectReason>(rng() % kRejectReasonCount));
  }
  auto decoded = DecodeBarRecord(EncodeBarBatch(big), 0);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSameBatch(big, *decoded);
}

TEST(BarCodec, RejectsDamagedBinary) {
  BarBatch batch;
  batch.Append(batch.InternTicker("MSFT"), 100, 1, 2, 0.5, 1.5, 1.5, 10, 1, 2, RejectReason::kNone);
  const std::string good = EncodeBarBatch(batch, BarEncoding::kPlain);
  EXPECT_TRUE(DecodeBarRecord(good.substr(0, good.size() - 1), 0).status().IsCorruption());
  EXPECT_TRUE(DecodeBarRecord(good + "x", 0).status().IsCorruption());
  EXPECT_TRUE(DecodeBarRecord(good.substr(0, 5), 0).status().IsCorruption());
  std::string bad_version = good;
  bad_version[1] = 9;
  EXPECT_TRUE(DecodeBarRecord(bad_version, 0).status().IsCorruption());
  // Ticker code column starts after the header (10) and the one name (4 + 4).
  std::string bad_code = good;
  const int32_t code = 5;
  std::memcpy(bad_code.data() + 18, &code, 4);
  EXPECT_TRUE(DecodeBarRecord(bad_code, 0).status().IsCorruption());
  std::string bad_reason = good;
  bad_reason.back() = 42;
  EXPECT_TRUE(DecodeBarRecord(bad_reason, 0).status().IsCorruption());
  std::string huge_dictionary = good;
  const uint32_t names = 0xFFFFFFFFu;
  std::memcpy(huge_dictionary.data() + 6, &names, 4);
  EXPECT_TRUE(DecodeBarRecord(huge_dictionary, 0).status().IsCorruption());
}

TEST(BarCodec, CompressedEncodingIsSmallerAndRejectsDamage) {
  BarBatch batch;
  const int32_t code = batch.InternTicker("AAPL");
  double price = 150;
  for (int i = 0; i < 4096; ++i) {
    price *= 1.0 + ((i * 7919) % 200 - 100) / 10000.0;
    batch.Append(code, 17000 + i, price, price * 1.01, price * 0.99, price, price, 1000000 + i * 37, 3, i + 2,
                 RejectReason::kNone);
  }
  const std::string plain = EncodeBarBatch(batch, BarEncoding::kPlain);
  const std::string compressed = EncodeBarBatch(batch);
  EXPECT_LT(compressed.size() * 3, plain.size() * 2);  // at least a third smaller
  auto back = DecodeBarRecord(compressed, 0);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(EncodeBarBatch(*back, BarEncoding::kPlain), plain);  // every column, bit for bit
  EXPECT_TRUE(DecodeBarRecord(compressed.substr(0, compressed.size() - 3), 0).status().IsCorruption());
  std::string flipped = compressed;
  flipped[compressed.size() / 2] ^= 0x5A;
  auto damaged = DecodeBarRecord(flipped, 0);
  // zstd frames carry no checksum by default: a flipped byte may still decode, but then
  // never into a batch that breaks its invariants.
  if (damaged.ok()) {
    EXPECT_EQ(damaged->size(), batch.size());
  } else {
    EXPECT_TRUE(damaged.status().IsCorruption());
  }
}

TEST(BarCodec, DecodesValidJsonBar) {
  std::string source;
  auto r =
      DecodeBarRecord(R"({"ticker":"aapl","date":"2024-01-02","open":187.15,"high":188.44,"low":183.89,"close":185.64,)"
                      R"("adj_close":185.4,"volume":82488700,"source":"feed-7","line":12})",
                      31, &source);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const BarBatch& b = *r;
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(b.ticker[0], 0);
  EXPECT_EQ(b.ticker_names[0], "AAPL");
  EXPECT_EQ(b.date[0], 19724);  // 2024-01-02: 54 years incl. 13 leap days = 19723 days to 2024-01-01
  EXPECT_EQ(b.open[0], 187.15);
  EXPECT_EQ(b.high[0], 188.44);
  EXPECT_EQ(b.low[0], 183.89);
  EXPECT_EQ(b.close[0], 185.64);
  EXPECT_EQ(b.adj_close[0], 185.4);
  EXPECT_EQ(b.volume[0], 82488700);
  EXPECT_EQ(b.source[0], 31u);
  EXPECT_EQ(b.line[0], 12);
  EXPECT_EQ(b.reason[0], RejectReason::kNone);
  EXPECT_EQ(source, "feed-7");
}

TEST(BarCodec, JsonDefaultsAdjCloseAndLineAndAcceptsIntegersAsPrices) {
  auto r = DecodeBarRecord(R"(  {"volume":5,"close":3,"low":2,"high":4,"open":3,"date":"2000-02-29","ticker":"X"})", 4);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->reason[0], RejectReason::kNone);
  EXPECT_EQ(r->adj_close[0], 3.0);
  EXPECT_EQ(r->line[0], 0);
  EXPECT_EQ(r->date[0], 11016);  // 30 years incl. 7 leap days = 10957 to 2000-01-01, + 59
}

struct InvalidCase {
  const char* json;
  bool ticker_known;
  bool date_known;
};

TEST(BarCodec, InvalidJsonBarsBecomeParseErrorRows) {
  const InvalidCase cases[] = {
      {R"({"ticker":"A","date":"2024-01-02","open":1,"high":1,"low":1,"close":1})", true, true},  // no volume
      {R"({"ticker":"A","date":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":1000.0})", true, true},
      {R"({"ticker":"A","date":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":9223372036854775808})", true,
       true},
      {R"({"ticker":"A","date":"2024-01-02","open":"1","high":1,"low":1,"close":1,"volume":1})", true, true},
      {R"({"ticker":"A","date":"2024-01-02","open":1,"high":null,"low":1,"close":1,"volume":1})", true, true},
      {R"({"ticker":"A","date":"2024-01-02","open":1,"high":1,"low":1,"close":1,"adj_close":null,"volume":1})", true,
       true},
      {R"({"ticker":"A","date":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":1,"line":"x"})", true, true},
      {R"({"ticker":"A","date":"2023-02-29","open":1,"high":1,"low":1,"close":1,"volume":1})", true, false},
      {R"({"ticker":"A","date":20240102,"open":1,"high":1,"low":1,"close":1,"volume":1})", true, false},
      {R"({"date":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":1})", false, true},
      {R"({"ticker":"","date":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":1})", false, true},
      {R"({"ticker":7,"date":"x","open":1,"high":1,"low":1,"close":1,"volume":1})", false, false},
      {R"({})", false, false},
  };
  for (const auto& c : cases) {
    auto r = DecodeBarRecord(c.json, 3);
    ASSERT_TRUE(r.ok()) << c.json << ": " << r.status().ToString();
    ASSERT_EQ(r->size(), 1u) << c.json;
    EXPECT_EQ(r->reason[0], RejectReason::kParseError) << c.json;
    EXPECT_EQ(r->source[0], 3u) << c.json;
    if (c.ticker_known) {
      ASSERT_NE(r->ticker[0], kNoTicker) << c.json;
      EXPECT_EQ(r->ticker_names[static_cast<size_t>(r->ticker[0])], "A") << c.json;
    } else {
      EXPECT_EQ(r->ticker[0], kNoTicker) << c.json;
    }
    if (c.date_known) {
      EXPECT_EQ(r->date[0], 19724) << c.json;
    } else {
      EXPECT_EQ(r->date[0], kNullDate) << c.json;
    }
  }
}

TEST(BarCodec, UndecodableBytesAreCorruption) {
  for (const std::string& bad : {std::string(), std::string("   "), std::string("hello"), std::string("[1,2]"),
                                 std::string("{\"ticker\":"), std::string("{} trailing"), std::string("\"AAPL\"")}) {
    auto r = DecodeBarRecord(bad, 0);
    EXPECT_TRUE(r.status().IsCorruption()) << "'" << bad << "' gave " << r.status().ToString();
    EXPECT_FALSE(r.status().message().empty());
  }
}

}  // namespace
}  // namespace stocklake
