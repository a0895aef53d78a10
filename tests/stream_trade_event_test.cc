// Trade event parsing (stream/trade_event.h) against stream.md "Trade events": every
// field rule and its boundaries, both ts forms, and the RFC 3339 conversions.
#include <gtest/gtest.h>

#include <string>

#include "stream/trade_event.h"

namespace stocklake {
namespace {

// A valid record with one field's JSON text replaced ("" drops the field).
std::string Record(const std::string& symbol = "\"AAPL\"", const std::string& price = "187.15",
                   const std::string& size = "100", const std::string& ts = "\"2025-01-02T14:30:00.123Z\"") {
  std::string out = "{";
  auto add = [&out](const char* name, const std::string& value) {
    if (value.empty()) return;
    if (out.size() > 1) out += ", ";
    out += std::string("\"") + name + "\": " + value;
  };
  add("symbol", symbol);
  add("price", price);
  add("size", size);
  add("ts", ts);
  return out + "}";
}

int64_t Ts(const std::string& text) {
  int64_t ms = 0;
  EXPECT_TRUE(ParseRfc3339Millis(text, &ms)) << text;
  return ms;
}

bool ParsesTs(const std::string& text) {
  int64_t ms;
  return ParseRfc3339Millis(text, &ms);
}

// The error of an invalid record, which must name `field`.
void ExpectInvalid(const std::string& record, const std::string& field) {
  auto event = ParseTradeEvent(record);
  ASSERT_FALSE(event.ok()) << record;
  EXPECT_TRUE(event.status().IsInvalidArgument()) << event.status().ToString();
  EXPECT_NE(event.status().message().find(field), std::string::npos) << record << " -> " << event.status().message();
}

TEST(TradeEventTest, ParsesTheSpecExample) {
  auto event = ParseTradeEvent(R"({"symbol": "AAPL", "price": 187.15, "size": 100, "ts": "2025-01-02T14:30:00.123Z"})");
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->symbol, "AAPL");
  EXPECT_EQ(event->price, 187.15);
  EXPECT_EQ(event->size, 100);
  EXPECT_EQ(event->ts_ms, 1735828200123);
}

TEST(TradeEventTest, ExtraFieldsAndFieldOrderDoNotMatter) {
  auto event = ParseTradeEvent(
      R"({"venue": "XNAS", "ts": 1735828200000, "size": 5, "nested": {"a": [1, 2]}, "price": 1, "symbol": "msft"})");
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->symbol, "MSFT");
  EXPECT_EQ(event->price, 1.0);
  EXPECT_EQ(event->size, 5);
  EXPECT_EQ(event->ts_ms, 1735828200000);
}

TEST(TradeEventTest, SymbolIsTrimmedAndUpperCased) {
  for (const char* symbol : {"\" aapl \"", "\"\\taapl\\n\"", "\"Aapl\"", "\"AAPL\""}) {
    auto event = ParseTradeEvent(Record(symbol));
    ASSERT_TRUE(event.ok()) << symbol << ": " << event.status().ToString();
    EXPECT_EQ(event->symbol, "AAPL");
  }
  for (const char* symbol : {"\"brk.b\"", "\"BRK-B\"", "\"^gspc\"", "\"eurusd=x\"", "\"0700.hk\"", "\"A_B\""}) {
    EXPECT_TRUE(ParseTradeEvent(Record(symbol)).ok()) << symbol;
  }
  EXPECT_TRUE(ParseTradeEvent(Record("\"" + std::string(32, 'A') + "\"")).ok());
}

TEST(TradeEventTest, InvalidSymbols) {
  ExpectInvalid(Record(""), "symbol");
  for (const char* symbol : {"\"\"", "\"   \"", "\"AA PL\"", "\".AAPL\"", "\"A..B\"", "\"A/B\"", "\"A\\u00e9\"", "42",
                             "null", "true", "[\"AAPL\"]", "{\"s\": \"AAPL\"}"}) {
    ExpectInvalid(Record(symbol), "symbol");
  }
  ExpectInvalid(Record("\"" + std::string(33, 'A') + "\""), "symbol");
  ExpectInvalid(Record("\"  " + std::string(33, 'a') + "  \""), "symbol");
}

TEST(TradeEventTest, PriceMustBeAFinitePositiveNumber) {
  for (const char* price : {"187.15", "1", "0.0001", "5e-324", "1e308", "18446744073709551615", "1E2"}) {
    EXPECT_TRUE(ParseTradeEvent(Record("\"A\"", price)).ok()) << price;
  }
  EXPECT_EQ(ParseTradeEvent(Record("\"A\"", "18446744073709551615"))->price, 18446744073709551615.0);
  for (const char* price : {"", "0", "0.0", "-0.0", "-0", "-1", "-187.15", "-5e-324", "\"187.15\"", "\"NaN\"",
                            "\"Infinity\"", "null", "true", "[1]", "{}"}) {
    ExpectInvalid(Record("\"A\"", price), "price");
  }
}

TEST(TradeEventTest, NanAndInfinityAreNotJson) {
  for (const char* price : {"NaN", "Infinity", "-Infinity", "1e999"}) {
    auto event = ParseTradeEvent(Record("\"A\"", price));
    ASSERT_FALSE(event.ok()) << price;
    EXPECT_TRUE(event.status().IsInvalidArgument());
  }
}

TEST(TradeEventTest, SizeMustBeAPositiveInt64) {
  EXPECT_EQ(ParseTradeEvent(Record("\"A\"", "1", "1"))->size, 1);
  EXPECT_EQ(ParseTradeEvent(Record("\"A\"", "1", "9223372036854775807"))->size, INT64_MAX);
  for (const char* size : {"", "0", "-0", "-1", "-9223372036854775808", "9223372036854775808", "18446744073709551615",
                           "\"100\"", "null", "false", "[100]"}) {
    ExpectInvalid(Record("\"A\"", "1", size), "size");
  }
}

TEST(TradeEventTest, AFloatSizeIsNotAnIntegerAndTheErrorSaysSo) {
  for (const char* size : {"100.0", "1e2", "1E2", "100.5", "1.0e2", "-1.0"}) {
    auto event = ParseTradeEvent(Record("\"A\"", "1", size));
    ASSERT_FALSE(event.ok()) << size;
    EXPECT_NE(event.status().message().find("not an integer"), std::string::npos) << event.status().message();
  }
}

TEST(TradeEventTest, TsAsIntegerMilliseconds) {
  EXPECT_EQ(ParseTradeEvent(Record("\"A\"", "1", "1", "0"))->ts_ms, 0);
  EXPECT_EQ(ParseTradeEvent(Record("\"A\"", "1", "1", "-1"))->ts_ms, -1);
  EXPECT_EQ(ParseTradeEvent(Record("\"A\"", "1", "1", "253402300799999"))->ts_ms, 253402300799999);
  EXPECT_EQ(ParseTradeEvent(Record("\"A\"", "1", "1", "-62167219200000"))->ts_ms, -62167219200000);
  for (const char* ts : {"253402300800000", "-62167219200001", "9223372036854775807", "18446744073709551615",
                         "1735828200000.0", "1735828200000.5", "1.7358282e12", "null", "true", "[]", "{}", ""}) {
    ExpectInvalid(Record("\"A\"", "1", "1", ts), "ts");
  }
}

TEST(TradeEventTest, TsAsRfc3339) {
  EXPECT_EQ(ParseTradeEvent(Record("\"A\"", "1", "1", "\"2025-01-02T14:30:00Z\""))->ts_ms, 1735828200000);
  EXPECT_EQ(ParseTradeEvent(Record("\"A\"", "1", "1", "\"2025-01-02T09:30:00-05:00\""))->ts_ms, 1735828200000);
  for (const char* ts : {"\"2025-01-02\"", "\"2025-01-02T14:30:00\"", "\"1735828200000\"", "\"\"", "\"now\""}) {
    ExpectInvalid(Record("\"A\"", "1", "1", ts), "ts");
  }
}

TEST(Rfc3339Test, ZoneForms) {
  const int64_t utc = 1735828200000;  // 2025-01-02T14:30:00Z
  EXPECT_EQ(Ts("2025-01-02T14:30:00Z"), utc);
  EXPECT_EQ(Ts("2025-01-02t14:30:00z"), utc);
  EXPECT_EQ(Ts("2025-01-02T14:30:00+00:00"), utc);
  EXPECT_EQ(Ts("2025-01-02T14:30:00-00:00"), utc);
  EXPECT_EQ(Ts("2025-01-02T20:00:00+05:30"), utc);
  EXPECT_EQ(Ts("2025-01-02T09:30:00-05:00"), utc);
  EXPECT_EQ(Ts("2025-01-03T14:29:00+23:59"), utc);
  EXPECT_EQ(Ts("2025-01-01T14:31:00-23:59"), utc);
  // The offset moves the date across midnight, month and year ends.
  EXPECT_EQ(Ts("2025-01-01T00:30:00+01:00"), Ts("2024-12-31T23:30:00Z"));
  EXPECT_EQ(Ts("2024-12-31T23:30:00-01:00"), Ts("2025-01-01T00:30:00Z"));
  for (const char* text : {"2025-01-02T14:30:00", "2025-01-02T14:30:00+0500", "2025-01-02T14:30:00+05",
                           "2025-01-02T14:30:00+5:00", "2025-01-02T14:30:00+24:00", "2025-01-02T14:30:00+05:60",
                           "2025-01-02T14:30:00 Z", "2025-01-02T14:30:00ZZ", "2025-01-02T14:30:00Z ",
                           "2025-01-02T14:30:00UTC", "2025-01-02T14:30:00+05:30:00", "2025-01-02T14:30:00*05:00"}) {
    EXPECT_FALSE(ParsesTs(text)) << text;
  }
}

TEST(Rfc3339Test, FractionsOfOneToNineDigitsTruncateToTheMillisecond) {
  const int64_t base = Ts("2025-01-02T14:30:00Z");
  EXPECT_EQ(Ts("2025-01-02T14:30:00.9Z"), base + 900);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.98Z"), base + 980);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.987Z"), base + 987);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.9876Z"), base + 987);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.98765Z"), base + 987);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.987654Z"), base + 987);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.9876543Z"), base + 987);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.98765432Z"), base + 987);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.999999999Z"), base + 999);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.000999999Z"), base);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.0Z"), base);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.123456789012Z"), base + 123);
  EXPECT_EQ(Ts("2025-01-02T14:30:00.5+01:00"), base - 3'600'000 + 500);
  // Before the epoch truncation is still of the fraction as written (toward the past).
  EXPECT_EQ(Ts("1969-12-31T23:59:59.9999Z"), -1);
  for (const char* text : {"2025-01-02T14:30:00.Z", "2025-01-02T14:30:00,5Z", "2025-01-02T14:30:00.5.5Z",
                           "2025-01-02T14:30:00.-5Z", "2025-01-02T14:30.5Z"}) {
    EXPECT_FALSE(ParsesTs(text)) << text;
  }
}

TEST(Rfc3339Test, CalendarAndClockRanges) {
  EXPECT_EQ(Ts("2024-02-29T00:00:00Z"), Ts("2024-02-28T00:00:00Z") + 86'400'000);
  EXPECT_EQ(Ts("2000-02-29T12:00:00Z"), 951825600000);
  EXPECT_TRUE(ParsesTs("2400-02-29T00:00:00Z"));
  EXPECT_EQ(Ts("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Ts("0000-01-01T00:00:00Z"), -62167219200000);
  EXPECT_EQ(Ts("9999-12-31T23:59:59.999Z"), 253402300799999);
  EXPECT_EQ(Ts("2025-12-31T23:59:59Z") + 1000, Ts("2026-01-01T00:00:00Z"));
  for (const char* text : {"2025-02-29T00:00:00Z",
                           "1900-02-29T00:00:00Z",
                           "2100-02-29T00:00:00Z",
                           "2025-04-31T00:00:00Z",
                           "2025-00-01T00:00:00Z",
                           "2025-13-01T00:00:00Z",
                           "2025-01-00T00:00:00Z",
                           "2025-01-32T00:00:00Z",
                           "2025-01-02T24:00:00Z",
                           "2025-01-02T23:60:00Z",
                           "2025-01-02T23:59:60Z",
                           "2025-1-02T14:30:00Z",
                           "25-01-02T14:30:00Z",
                           "2025-01-02 14:30:00Z",
                           "2025-01-02X14:30:00Z",
                           "2025/01/02T14:30:00Z",
                           "+2025-01-02T14:30:00Z",
                           "2025-01-02T14:30Z",
                           "2025-01-02T1:30:00Z",
                           "",
                           "Z"}) {
    EXPECT_FALSE(ParsesTs(text)) << text;
  }
}

TEST(Rfc3339Test, RangeEdgesThroughOffsetsAreRejectedByTheEvent) {
  // 0000-01-01T00:00:00+01:00 is a valid timestamp, but an hour before year 0 in UTC.
  EXPECT_EQ(Ts("0000-01-01T00:00:00+01:00"), -62167219200000 - 3'600'000);
  ExpectInvalid(Record("\"A\"", "1", "1", "\"0000-01-01T00:00:00+01:00\""), "ts");
  ExpectInvalid(Record("\"A\"", "1", "1", "\"9999-12-31T23:59:59-00:01\""), "ts");
  EXPECT_TRUE(ParseTradeEvent(Record("\"A\"", "1", "1", "\"9999-12-31T23:59:59+00:01\"")).ok());
}

TEST(Rfc3339Test, FormatRoundTrips) {
  EXPECT_EQ(FormatRfc3339Millis(1735828200123), "2025-01-02T14:30:00.123Z");
  EXPECT_EQ(FormatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Millis(951825600000), "2000-02-29T12:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Millis(-62167219200000), "0000-01-01T00:00:00.000Z");
  for (int64_t ms : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{86'399'999}, int64_t{-86'400'001},
                     int64_t{1709164800000}, int64_t{253402300799999}, int64_t{-62167219200000}}) {
    EXPECT_EQ(Ts(FormatRfc3339Millis(ms)), ms) << ms;
  }
}

TEST(TradeEventTest, NotJsonOrNotAnObject) {
  for (const char* record : {"", " ", "{", "{\"symbol\": \"A\"", "not json", "{'symbol': 'A'}",
                             R"({"symbol": "A", "price": 1, "size": 1, "ts": 0} trailing)",
                             R"({"symbol": "A", "price": 1, "size": 1, "ts": 0,})", "\xff\xfe"}) {
    auto event = ParseTradeEvent(record);
    ASSERT_FALSE(event.ok()) << record;
    EXPECT_NE(event.status().message().find("not JSON"), std::string::npos) << event.status().message();
  }
  for (const char* record : {"[]", "[{\"symbol\": \"A\"}]", "\"AAPL\"", "42", "null", "true"}) {
    auto event = ParseTradeEvent(record);
    ASSERT_FALSE(event.ok()) << record;
    EXPECT_NE(event.status().message().find("object"), std::string::npos) << event.status().message();
  }
}

TEST(TradeEventTest, MissingFieldsAreNamed) {
  ExpectInvalid("{}", "symbol");
  ExpectInvalid(Record("\"A\"", ""), "price");
  ExpectInvalid(Record("\"A\"", "1", ""), "size");
  ExpectInvalid(Record("\"A\"", "1", "1", ""), "ts");
  ExpectInvalid(R"({"Symbol": "A", "price": 1, "size": 1, "ts": 0})", "symbol");  // keys are case-sensitive
}

TEST(TradeRecordKeyTest, NormalisedSymbolOrEmpty) {
  EXPECT_EQ(TradeRecordKey(Record("\" aapl \"")), "AAPL");
  EXPECT_EQ(TradeRecordKey(Record("\"BRK.B\"", "-1", "1.5", "null")), "BRK.B");  // the rest need not be valid
  EXPECT_EQ(TradeRecordKey(R"({"symbol": "msft"})"), "MSFT");
  for (const char* record : {"", "not json", "[\"AAPL\"]", "{}", R"({"symbol": 42})", R"({"symbol": "AA PL"})",
                             R"({"symbol": ""})", R"({"symbol": "AAPL")"}) {
    EXPECT_EQ(TradeRecordKey(record), "") << record;
  }
}

}  // namespace
}  // namespace stocklake
