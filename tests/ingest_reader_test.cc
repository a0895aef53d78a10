// Tests of the input readers against reference-job.md ("Input", "Field syntax"): every
// layout and every syntax rule, with expected values written out by hand.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "core/bar_batch.h"
#include "core/date.h"
#include "ingest/bar_reader.h"
#include "ingest/field_syntax.h"
#include "ingest/input_layout.h"
#include "ingest/ticker.h"
#include "test_util.h"

namespace stocklake {
namespace {

constexpr const char* kHugeHeader = "Date,Open,High,Low,Close,Volume,OpenInt\n";

struct ReadResult {
  BarBatch batch;
  ReadStats stats;
};

ReadResult Read(const std::string& content, const std::string& relative_path = "Stocks/abc.us.txt",
                uint32_t source_id = 7) {
  ReadResult r;
  const SourceFile file{"/nowhere/" + relative_path, relative_path, 0};
  Result<ReadStats> stats = ReadBars(content, file, source_id, &r.batch);
  EXPECT_TRUE(stats.ok()) << stats.status().ToString();
  if (stats.ok()) r.stats = *stats;
  return r;
}

Date D(const char* iso) {
  Date d = kNullDate;
  EXPECT_TRUE(ParseIsoDate(iso, 10, &d)) << iso;
  return d;
}

std::string TickerAt(const BarBatch& b, size_t row) {
  return b.ticker[row] == kNoTicker ? "<none>" : b.ticker_names[b.ticker[row]];
}

// One Huge-layout row around a price field under test.
ReadResult ReadOneHugeRow(const std::string& row) { return Read(std::string(kHugeHeader) + row + "\n"); }

TEST(InputLayoutTest, DetectsEachLayoutFromContent) {
  EXPECT_EQ(DetectLayout("Date,Open,High,Low,Close,Volume,OpenInt\n1"), InputLayout::kHugeStockMarket);
  EXPECT_EQ(DetectLayout("date,open,high,low,close,volume,Name\r\n"), InputLayout::kSp500);
  EXPECT_EQ(DetectLayout("Date,Open,High,Low,Close,Adj Close,Volume"), InputLayout::kYahooCsv);
  EXPECT_EQ(DetectLayout("  \n\t{\"chart\":{}}"), InputLayout::kYahooChartJson);
  EXPECT_EQ(DetectLayout("\xEF\xBB\xBF{}"), InputLayout::kYahooChartJson);
  // Case-insensitive, fields trimmed of spaces, BOM skipped.
  EXPECT_EQ(DetectLayout("\xEF\xBB\xBF DATE , open,HIGH,low ,Close,VOLUME, openint \n"), InputLayout::kHugeStockMarket);
  EXPECT_EQ(DetectLayout("date,open,high,low,close,adj close,volume\n"), InputLayout::kYahooCsv);
  // Field count, order and spelling matter; tabs are not spaces.
  EXPECT_EQ(DetectLayout("Date,Open,High,Low,Close,Volume,OpenInt,\n"), InputLayout::kUnrecognised);
  EXPECT_EQ(DetectLayout("Date,Open,High,Low,Close,Volume\n"), InputLayout::kUnrecognised);
  EXPECT_EQ(DetectLayout("Date,High,Open,Low,Close,Volume,OpenInt\n"), InputLayout::kUnrecognised);
  EXPECT_EQ(DetectLayout("Date,Open,High,Low,Close,Volume,\tOpenInt\n"), InputLayout::kUnrecognised);
  EXPECT_EQ(DetectLayout("Date,Open,High,Low,Close,AdjClose,Volume\n"), InputLayout::kUnrecognised);
  EXPECT_EQ(DetectLayout(""), InputLayout::kUnrecognised);
  EXPECT_EQ(DetectLayout("\nDate,Open,High,Low,Close,Volume,OpenInt\n"), InputLayout::kUnrecognised);
  EXPECT_EQ(InputLayoutName(InputLayout::kHugeStockMarket), "huge_stock_market");
  EXPECT_EQ(InputLayoutName(InputLayout::kYahooChartJson), "yahoo_chart_json");
}

TEST(TickerTest, AcceptsRealSymbolsAndNothingPathLike) {
  for (const char* t :
       {"A", "AAPL", "BRK-B", "BRK.B", "^GSPC", "EURUSD=X", "0700.HK", "AHT_PD", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"}) {
    EXPECT_TRUE(IsValidTicker(t)) << t;
  }
  for (const char* t : {"", ".", "..", ".A", "A..B", "A/B", "A\\B", "aapl", "A B", "A\tB",
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", "A,B", "A:B", "\xC3\x84"}) {
    EXPECT_FALSE(IsValidTicker(t)) << t;
  }
  EXPECT_FALSE(IsValidTicker(std::string("A\0B", 3)));
  EXPECT_EQ(TickerFromPath("Stocks/aapl.us.txt"), "AAPL");
  EXPECT_EQ(TickerFromPath("brk-b.us.txt"), "BRK-B");
  EXPECT_EQ(TickerFromPath("a/b.c/^gspc.csv"), "^GSPC");
  EXPECT_EQ(TickerFromPath("NoDot"), "NODOT");
  EXPECT_EQ(TickerFromPath("Stocks/.hidden.txt"), std::nullopt);
  EXPECT_EQ(TickerFromPath("Stocks/a b.us.txt"), std::nullopt);
}

TEST(BarReaderTest, ReadsHugeStockMarketRowsWithLineage) {
  const ReadResult r = Read(std::string(kHugeHeader) +
                                "2017-11-09,175.11,176.095,173.14,175.25,29533086,0\n"
                                "2017-11-10,175.11,175.38,174.27,174.67,25130494,0\n",
                            "Stocks/aapl.us.txt", 42);
  ASSERT_EQ(r.batch.size(), 2u);
  EXPECT_EQ(r.stats.layout, InputLayout::kHugeStockMarket);
  EXPECT_EQ(r.stats.rows_read, 2);
  EXPECT_EQ(r.stats.parse_errors, 0);
  EXPECT_TRUE(r.stats.warning.empty());
  EXPECT_EQ(TickerAt(r.batch, 0), "AAPL");
  EXPECT_EQ(r.batch.date[0], D("2017-11-09"));
  EXPECT_EQ(r.batch.open[0], 175.11);
  EXPECT_EQ(r.batch.high[0], 176.095);
  EXPECT_EQ(r.batch.low[0], 173.14);
  EXPECT_EQ(r.batch.close[0], 175.25);
  EXPECT_EQ(r.batch.adj_close[0], 175.25);  // no adjusted close in this layout
  EXPECT_EQ(r.batch.volume[0], 29533086);
  EXPECT_EQ(r.batch.source[1], 42u);
  EXPECT_EQ(r.batch.line[0], 2);
  EXPECT_EQ(r.batch.line[1], 3);
  EXPECT_EQ(r.batch.reason[0], RejectReason::kNone);
  EXPECT_EQ(r.batch.ticker_names.size(), 1u);
}

TEST(BarReaderTest, BomCrlfTrailingCrAndMissingFinalNewline) {
  const ReadResult r = Read(
      "\xEF\xBB\xBF"
      "Date,Open,High,Low,Close,Volume,OpenInt\r\n"
      "2017-11-09,1,2,0.5,1.5,100,0\r\n"
      "2017-11-10,1,2,0.5,1.5,200,0\r");
  ASSERT_EQ(r.batch.size(), 2u);
  EXPECT_EQ(r.stats.layout, InputLayout::kHugeStockMarket);
  EXPECT_EQ(r.batch.reason[0], RejectReason::kNone);
  EXPECT_EQ(r.batch.reason[1], RejectReason::kNone);
  EXPECT_EQ(r.batch.volume[1], 200);
  EXPECT_EQ(r.batch.line[1], 3);
  const ReadResult no_newline = Read(std::string(kHugeHeader) + "2017-11-10,1,2,0.5,1.5,7,0");
  ASSERT_EQ(no_newline.batch.size(), 1u);
  EXPECT_EQ(no_newline.batch.volume[0], 7);
}

TEST(BarReaderTest, BlankAndSpaceOnlyLinesAreNotRowsButCountAsLines) {
  const ReadResult r = Read(std::string(kHugeHeader) +
                            "\n"
                            "2017-11-09,1,2,0.5,1.5,100,0\n"
                            "   \n"
                            "\r\n"
                            "  \r\n"
                            "2017-11-10,1,2,0.5,1.5,200,0\n"
                            "\n");
  ASSERT_EQ(r.batch.size(), 2u);
  EXPECT_EQ(r.stats.rows_read, 2);
  EXPECT_EQ(r.batch.line[0], 3);
  EXPECT_EQ(r.batch.line[1], 7);
  // A tab is not a space: that line is a row, and it does not parse.
  const ReadResult tab = Read(std::string(kHugeHeader) + "\t\n");
  ASSERT_EQ(tab.batch.size(), 1u);
  EXPECT_EQ(tab.batch.reason[0], RejectReason::kParseError);
}

TEST(BarReaderTest, FieldsAreTrimmedOfSpacesOnly) {
  const ReadResult r = ReadOneHugeRow(" 2017-11-09 ,  1.5 ,2, 0.5,1.5 , 100 , 0 ");
  ASSERT_EQ(r.batch.size(), 1u);
  EXPECT_EQ(r.batch.reason[0], RejectReason::kNone);
  EXPECT_EQ(r.batch.open[0], 1.5);
  EXPECT_EQ(r.batch.volume[0], 100);
  EXPECT_EQ(ReadOneHugeRow("2017-11-09,\t1.5,2,0.5,1.5,100,0").batch.reason[0], RejectReason::kParseError);
}

TEST(BarReaderTest, WrongFieldCountIsParseErrorKeepingTickerAndDate) {
  for (const char* row : {"2017-11-09,1,2,0.5,1.5,100,0,", "2017-11-09,1,2,0.5,1.5,100,0,5",
                          "2017-11-09,1,2,0.5,1.5,100", "2017-11-09"}) {
    const ReadResult r = ReadOneHugeRow(row);
    ASSERT_EQ(r.batch.size(), 1u) << row;
    EXPECT_EQ(r.batch.reason[0], RejectReason::kParseError) << row;
    EXPECT_EQ(r.batch.date[0], D("2017-11-09")) << row;
    EXPECT_EQ(TickerAt(r.batch, 0), "ABC");
    EXPECT_EQ(r.batch.open[0], 0.0);
    EXPECT_EQ(r.batch.volume[0], 0);
    EXPECT_EQ(r.stats.parse_errors, 1);
  }
}

TEST(BarReaderTest, InvalidDatesAreParseErrorsWithNullDate) {
  for (const char* date : {"2019-02-30", "2023-02-29", "2017-13-01", "2017-00-10", "2017-4-01", "2017/04/01",
                           "17-04-01", "2017-04-01T00:00", ""}) {
    const ReadResult r = ReadOneHugeRow(std::string(date) + ",1,2,0.5,1.5,100,0");
    ASSERT_EQ(r.batch.size(), 1u);
    EXPECT_EQ(r.batch.reason[0], RejectReason::kParseError) << date;
    EXPECT_EQ(r.batch.date[0], kNullDate) << date;
    EXPECT_EQ(TickerAt(r.batch, 0), "ABC");
  }
  const ReadResult leap = ReadOneHugeRow("2024-02-29,1,2,0.5,1.5,100,0");
  EXPECT_EQ(leap.batch.reason[0], RejectReason::kNone);
}

TEST(BarReaderTest, PriceSyntax) {
  struct Case {
    const char* text;
    double value;
  };
  const double inf = std::numeric_limits<double>::infinity();
  for (const Case& c : std::initializer_list<Case>{{"1.", 1.0},
                                                   {".5", 0.5},
                                                   {"+3", 3.0},
                                                   {"-2.25", -2.25},
                                                   {"1.5e2", 150.0},
                                                   {"1E-2", 0.01},
                                                   {"2.5e+1", 25.0},
                                                   {"007", 7.0},
                                                   {"inf", inf},
                                                   {"-Inf", -inf},
                                                   {"+INFINITY", inf},
                                                   {"Infinity", inf},
                                                   {"1e400", inf},
                                                   {"-1e400", -inf},
                                                   {"1e-400", 0.0},
                                                   {"0", 0.0}}) {
    const ReadResult r = ReadOneHugeRow(std::string("2017-11-09,") + c.text + ",2,0.5,1.5,100,0");
    ASSERT_EQ(r.batch.size(), 1u);
    EXPECT_EQ(r.batch.reason[0], RejectReason::kNone) << c.text;
    EXPECT_EQ(r.batch.open[0], c.value) << c.text;
  }
  for (const char* nan_text : {"nan", "NaN", "-nan", "+NAN"}) {
    const ReadResult r = ReadOneHugeRow(std::string("2017-11-09,1,") + nan_text + ",0.5,1.5,100,0");
    EXPECT_EQ(r.batch.reason[0], RejectReason::kNone) << nan_text;
    EXPECT_TRUE(std::isnan(r.batch.high[0])) << nan_text;
  }
  for (const char* bad : {"",    ".",   "+",   "-",      "e5",      "1e",        "1e+", "1.2.3", "0x10", "1 2",
                          "--1", "+-1", "1,5", "nan(1)", "infinit", "infinityy", "1d",  "1f",    "null", "１"}) {
    const ReadResult r = ReadOneHugeRow(std::string("2017-11-09,1,2,") + bad + ",1.5,100,0");
    ASSERT_GE(r.batch.size(), 1u);
    EXPECT_EQ(r.batch.reason[0], RejectReason::kParseError) << "'" << bad << "'";
  }
}

TEST(BarReaderTest, VolumeAndOpenIntSyntax) {
  struct Case {
    const char* text;
    int64_t value;
  };
  for (const Case& c : std::initializer_list<Case>{{"9223372036854775807", std::numeric_limits<int64_t>::max()},
                                                   {"-9223372036854775808", std::numeric_limits<int64_t>::min()},
                                                   {"+5", 5},
                                                   {"-12", -12},
                                                   {"0", 0},
                                                   {"000123", 123}}) {
    const ReadResult r = ReadOneHugeRow(std::string("2017-11-09,1,2,0.5,1.5,") + c.text + ",0");
    EXPECT_EQ(r.batch.reason[0], RejectReason::kNone) << c.text;
    EXPECT_EQ(r.batch.volume[0], c.value) << c.text;
  }
  for (const char* bad : {"9223372036854775808", "-9223372036854775809", "99999999999999999999", "1000.0", "1e3", "",
                          "+", "12k", "0x10", "1 000"}) {
    EXPECT_EQ(ReadOneHugeRow(std::string("2017-11-09,1,2,0.5,1.5,") + bad + ",0").batch.reason[0],
              RejectReason::kParseError)
        << bad;
    // OpenInt must parse too, though it is not kept.
    EXPECT_EQ(ReadOneHugeRow(std::string("2017-11-09,1,2,0.5,1.5,100,") + bad).batch.reason[0],
              RejectReason::kParseError)
        << bad;
  }
}

TEST(BarReaderTest, ParsePriceAgreesWithStrtodOnRandomDecimals) {
  // strtod is the independent reference for the decimal forms both accept.
  uint64_t x = 12345;
  auto next = [&x]() { return x = x * 6364136223846793005ULL + 1442695040888963407ULL, x >> 33; };
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    if (next() % 4 == 0) text += next() % 2 ? '-' : '+';
    const int int_digits = static_cast<int>(next() % 12);
    for (int k = 0; k < int_digits; ++k) text += static_cast<char>('0' + next() % 10);
    const int frac_digits = static_cast<int>(next() % 20);
    if (frac_digits > 0 || int_digits == 0) text += '.';
    for (int k = 0; k < frac_digits; ++k) text += static_cast<char>('0' + next() % 10);
    if (int_digits == 0 && frac_digits == 0) text += '5';
    if (next() % 3 == 0) text += "e" + std::to_string(static_cast<int>(next() % 40) - 20);
    double ours = -1;
    ASSERT_TRUE(ParsePrice(text, &ours)) << text;
    EXPECT_EQ(ours, std::strtod(text.c_str(), nullptr)) << text;
  }
}

TEST(BarReaderTest, ParseInt64AgreesWithWideArithmetic) {
  uint64_t x = 99;
  auto next = [&x]() { return x = x * 6364136223846793005ULL + 1442695040888963407ULL, x >> 33; };
  for (int i = 0; i < 20000; ++i) {
    std::string text = next() % 2 ? "-" : "";
    const int digits = 1 + static_cast<int>(next() % 21);
    for (int k = 0; k < digits; ++k) text += static_cast<char>('0' + next() % 10);
    __int128 expected = 0;
    for (char c : text) {
      if (c != '-') expected = expected * 10 + (c - '0');
    }
    if (text[0] == '-') expected = -expected;
    const bool fits =
        expected >= std::numeric_limits<int64_t>::min() && expected <= std::numeric_limits<int64_t>::max();
    int64_t ours = 0;
    ASSERT_EQ(ParseInt64(text, &ours), fits) << text;
    if (fits) {
      EXPECT_EQ(ours, static_cast<int64_t>(expected)) << text;
    }
  }
}

TEST(BarReaderTest, Sp500TakesTickerFromNameAndCachesCodes) {
  BarBatch batch;
  batch.InternTicker("ZZZ");  // a batch that already holds tickers keeps their codes
  const SourceFile file{"/x/all_stocks_5yr.csv", "all_stocks_5yr.csv", 1};
  const std::string content =
      "date,open,high,low,close,volume,Name\n"
      "2013-02-08,15.07,15.12,14.63,14.75,8407500,AAL\n"
      "2013-02-08,67.7142,68.4014,66.8928,67.8542,158168416, aapl \n"
      "2013-02-11,14.89,15.01,14.26,14.46,8882000,AAL\n"
      "2013-02-11,,69.2771,67.6071,68.5614,129029425,AAPL\n"
      "2013-02-12,1,2,0.5,1.5,100,../etc\n"
      "2013-02-12,1,2,0.5,1.5,100,\n"
      "2013-02-13,1,2,0.5,1.5,100\n"
      "2013-02-14,1,2,0.5,1.5,100,zzz\n";
  Result<ReadStats> stats = ReadBars(content, file, 3, &batch);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->layout, InputLayout::kSp500);
  ASSERT_EQ(batch.size(), 8u);
  EXPECT_EQ(stats->rows_read, 8);
  EXPECT_EQ(stats->parse_errors, 4);
  EXPECT_EQ(TickerAt(batch, 0), "AAL");
  EXPECT_EQ(TickerAt(batch, 1), "AAPL");
  EXPECT_EQ(batch.ticker[0], batch.ticker[2]);
  EXPECT_EQ(batch.adj_close[1], 67.8542);
  EXPECT_EQ(batch.reason[3], RejectReason::kParseError);  // empty open
  EXPECT_EQ(TickerAt(batch, 3), "AAPL");
  EXPECT_EQ(batch.date[3], D("2013-02-11"));
  EXPECT_EQ(batch.reason[4], RejectReason::kParseError);  // a Name that is no valid ticker
  EXPECT_EQ(batch.ticker[4], kNoTicker);
  EXPECT_EQ(batch.date[4], D("2013-02-12"));
  EXPECT_EQ(batch.ticker[5], kNoTicker);
  EXPECT_EQ(batch.reason[6], RejectReason::kParseError);  // six fields
  EXPECT_EQ(batch.ticker[6], kNoTicker);
  EXPECT_EQ(batch.ticker[7], 0);  // ZZZ, already in the dictionary
  EXPECT_EQ(batch.reason[7], RejectReason::kNone);
  EXPECT_EQ(batch.ticker_names.size(), 3u);  // ZZZ, AAL, AAPL: each once
}

TEST(BarReaderTest, YahooCsvKeepsAdjCloseAndRejectsNull) {
  const ReadResult r = Read(
      "Date,Open,High,Low,Close,Adj Close,Volume\n"
      "2024-01-02,187.149994,188.440002,183.889999,185.639999,185.152283,82488700\n"
      "2024-01-03,null,null,null,null,null,null\n"
      "2024-01-04,182.149994,183.089996,180.880005,181.910004,null,71983600\n",
      "yahoo/MSFT.csv");
  EXPECT_EQ(r.stats.layout, InputLayout::kYahooCsv);
  ASSERT_EQ(r.batch.size(), 3u);
  EXPECT_EQ(TickerAt(r.batch, 0), "MSFT");
  EXPECT_EQ(r.batch.close[0], 185.639999);
  EXPECT_EQ(r.batch.adj_close[0], 185.152283);
  EXPECT_EQ(r.batch.volume[0], 82488700);
  EXPECT_EQ(r.batch.reason[1], RejectReason::kParseError);
  EXPECT_EQ(r.batch.date[1], D("2024-01-03"));
  EXPECT_EQ(r.batch.reason[2], RejectReason::kParseError);
  EXPECT_EQ(r.stats.parse_errors, 2);
}

TEST(BarReaderTest, PerTickerFileWithoutValidTickerRejectsRowsAndWarns) {
  const ReadResult r = Read(std::string(kHugeHeader) + "2017-11-09,1,2,0.5,1.5,100,0\n", "Stocks/bad name.us.txt");
  ASSERT_EQ(r.batch.size(), 1u);
  EXPECT_EQ(r.batch.reason[0], RejectReason::kParseError);
  EXPECT_EQ(r.batch.ticker[0], kNoTicker);
  EXPECT_EQ(r.batch.date[0], D("2017-11-09"));
  EXPECT_NE(r.stats.warning.find("bad name.us.txt"), std::string::npos);
}

TEST(BarReaderTest, UnrecognisedHeaderRejectsEveryNonBlankLineAfterTheFirst) {
  const ReadResult r = Read(
      "Ticker,Date,Price\n"
      "AAPL,2017-11-09,1\n"
      "\n"
      "   \n"
      "garbage\n"
      "Date,Open,High,Low,Close,Volume,OpenInt\n",
      "Stocks/xyz.us.txt", 5);
  EXPECT_EQ(r.stats.layout, InputLayout::kUnrecognised);
  ASSERT_EQ(r.batch.size(), 3u);
  EXPECT_EQ(r.stats.rows_read, 3);
  EXPECT_EQ(r.stats.unrecognised_rows, 3);
  EXPECT_EQ(r.stats.parse_errors, 0);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.batch.reason[i], RejectReason::kUnrecognisedHeader);
    EXPECT_EQ(TickerAt(r.batch, i), "XYZ");
    EXPECT_EQ(r.batch.date[i], kNullDate);
    EXPECT_EQ(r.batch.source[i], 5u);
  }
  EXPECT_EQ(r.batch.line[0], 2);
  EXPECT_EQ(r.batch.line[1], 5);
  EXPECT_EQ(r.batch.line[2], 6);
  EXPECT_NE(r.stats.warning.find("unrecognised header in Stocks/xyz.us.txt"), std::string::npos);
  EXPECT_NE(r.stats.warning.find("Ticker,Date,Price"), std::string::npos);

  const ReadResult no_ticker = Read("x\ny\n", "..weird.txt");
  ASSERT_EQ(no_ticker.batch.size(), 1u);
  EXPECT_EQ(no_ticker.batch.ticker[0], kNoTicker);

  const ReadResult empty = Read("", "Stocks/e.us.txt");
  EXPECT_EQ(empty.batch.size(), 0u);
  EXPECT_EQ(empty.stats.layout, InputLayout::kUnrecognised);
  EXPECT_FALSE(empty.stats.warning.empty());

  const ReadResult header_only = Read(kHugeHeader);
  EXPECT_EQ(header_only.batch.size(), 0u);
  EXPECT_EQ(header_only.stats.layout, InputLayout::kHugeStockMarket);
  EXPECT_TRUE(header_only.stats.warning.empty());
}

// 2024-01-02 23:30:00 UTC and 2024-01-03 02:00:00 UTC.
constexpr int64_t kLateJan2 = 1704238200;
constexpr int64_t kEarlyJan3 = 1704247200;

std::string ChartJson(const std::string& symbol, int64_t gmtoffset, const std::string& timestamps,
                      const std::string& quote, const std::string& adjclose) {
  return "{\"chart\":{\"result\":[{\"meta\":{\"symbol\":\"" + symbol + "\",\"gmtoffset\":" + std::to_string(gmtoffset) +
         "},\"timestamp\":[" + timestamps + "],\"indicators\":{\"quote\":[{" + quote + "}]" +
         (adjclose.empty() ? "" : ",\"adjclose\":[{\"adjclose\":[" + adjclose + "]}]") + "}}],\"error\":null}}";
}

TEST(BarReaderTest, YahooChartJsonShiftsDatesByGmtOffset) {
  const std::string ts = std::to_string(kLateJan2) + "," + std::to_string(kEarlyJan3);
  const std::string quote =
      "\"open\":[10,11.5],\"high\":[12,13],\"low\":[9,10.25],\"close\":[11,12.5],\"volume\":[1000,2000]";
  // East of Greenwich the late-evening instant is already the next day...
  const ReadResult east = Read(ChartJson("ibm", 3600, ts, quote, "10.5,12.0"), "yahoo/ibm.json", 9);
  EXPECT_EQ(east.stats.layout, InputLayout::kYahooChartJson);
  ASSERT_EQ(east.batch.size(), 2u);
  EXPECT_EQ(east.batch.date[0], D("2024-01-03"));
  EXPECT_EQ(east.batch.date[1], D("2024-01-03"));
  EXPECT_EQ(TickerAt(east.batch, 0), "IBM");
  EXPECT_EQ(east.batch.open[0], 10.0);
  EXPECT_EQ(east.batch.low[1], 10.25);
  EXPECT_EQ(east.batch.close[1], 12.5);
  EXPECT_EQ(east.batch.adj_close[0], 10.5);
  EXPECT_EQ(east.batch.volume[1], 2000);
  EXPECT_EQ(east.batch.line[0], 1);
  EXPECT_EQ(east.batch.line[1], 2);
  EXPECT_EQ(east.batch.source[0], 9u);
  // ...and west of it the early-morning one is still the previous day.
  const ReadResult west = Read(ChartJson("IBM", -18000, ts, quote, ""), "yahoo/ibm.json");
  ASSERT_EQ(west.batch.size(), 2u);
  EXPECT_EQ(west.batch.date[0], D("2024-01-02"));
  EXPECT_EQ(west.batch.date[1], D("2024-01-02"));
  EXPECT_EQ(west.batch.adj_close[1], 12.5);  // no adjclose: adj_close = close
  EXPECT_EQ(west.stats.parse_errors, 0);
}

TEST(BarReaderTest, YahooChartJsonNullsAreParseErrors) {
  const std::string ts = std::to_string(kEarlyJan3) + ",null," + std::to_string(kEarlyJan3 + 86400) + "," +
                         std::to_string(kEarlyJan3 + 2 * 86400) + "," + std::to_string(kEarlyJan3 + 3 * 86400);
  const std::string quote =
      "\"open\":[1,1,null,1,1],\"high\":[2,2,2,2,2],\"low\":[0.5,0.5,0.5,0.5,0.5],"
      "\"close\":[1.5,1.5,1.5,1.5,1.5],\"volume\":[10,10,10,10.5]";
  const ReadResult r = Read(ChartJson("SPY", 0, ts, quote, "1.4,1.4,1.4,null,1.4"), "spy.json");
  ASSERT_EQ(r.batch.size(), 5u);
  EXPECT_EQ(r.stats.rows_read, 5);
  EXPECT_EQ(r.batch.reason[0], RejectReason::kNone);
  EXPECT_EQ(r.batch.reason[1], RejectReason::kParseError);  // null timestamp
  EXPECT_EQ(r.batch.date[1], kNullDate);
  EXPECT_EQ(r.batch.reason[2], RejectReason::kParseError);  // null open
  EXPECT_EQ(r.batch.date[2], D("2024-01-04"));
  EXPECT_EQ(TickerAt(r.batch, 2), "SPY");
  EXPECT_EQ(r.batch.reason[3], RejectReason::kParseError);  // null adjclose, non-integer volume
  EXPECT_EQ(r.batch.reason[4], RejectReason::kParseError);  // volume array too short
  EXPECT_EQ(r.batch.line[4], 5);
  EXPECT_EQ(r.stats.parse_errors, 4);
}

TEST(BarReaderTest, JsonThatIsNotAChartIsOneUnrecognisedRow) {
  for (const char* body :
       {"{\"foo\":1}", "{\"chart\":{\"result\":[{\"meta\":{}}]}}", "{\"chart\":",
        "{\"chart\":{\"result\":null,\"error\":{\"code\":\"Not Found\",\"description\":\"No data found\"}}}"}) {
    const ReadResult r = Read(body, "yahoo/qqq.json");
    EXPECT_EQ(r.stats.layout, InputLayout::kUnrecognised) << body;
    ASSERT_EQ(r.batch.size(), 1u) << body;
    EXPECT_EQ(r.stats.rows_read, 1);
    EXPECT_EQ(r.stats.unrecognised_rows, 1);
    EXPECT_EQ(r.batch.reason[0], RejectReason::kUnrecognisedHeader);
    EXPECT_EQ(r.batch.line[0], 1);
    EXPECT_EQ(TickerAt(r.batch, 0), "QQQ");
    EXPECT_NE(r.stats.warning.find("yahoo/qqq.json"), std::string::npos);
  }
  EXPECT_NE(Read("{\"chart\":{\"result\":null,\"error\":{\"description\":\"No data found\"}}}")
                .stats.warning.find("No data found"),
            std::string::npos);
  // A chart without timestamps is an empty range: no rows, nothing to warn about.
  const ReadResult empty = Read(
      "{\"chart\":{\"result\":[{\"meta\":{\"symbol\":\"X\",\"gmtoffset\":0},"
      "\"indicators\":{\"quote\":[{}]}}]}}");
  EXPECT_EQ(empty.batch.size(), 0u);
  EXPECT_TRUE(empty.stats.warning.empty());
  // An invalid symbol: entries are parse errors without a ticker.
  const ReadResult bad_symbol = Read(ChartJson("../x", 0, "1704247200",
                                               "\"open\":[1],\"high\":[2],\"low\":[0.5],"
                                               "\"close\":[1],\"volume\":[5]",
                                               ""));
  ASSERT_EQ(bad_symbol.batch.size(), 1u);
  EXPECT_EQ(bad_symbol.batch.reason[0], RejectReason::kParseError);
  EXPECT_EQ(bad_symbol.batch.ticker[0], kNoTicker);
  EXPECT_FALSE(bad_symbol.stats.warning.empty());
}

TEST(BarReaderTest, ReadsFixtureFilesFromDisk) {
  BarBatch batch;
  uint32_t id = 0;
  int64_t rows = 0;
  for (const char* rel :
       {"Stocks/aapl.us.txt", "ETFs/spy.us.txt", "all_stocks_sample.csv", "yahoo/msft.csv", "yahoo/ibm.json"}) {
    const SourceFile file{testing::FixturePath(std::string("ingest/") + rel), rel, 0};
    Result<ReadStats> stats = ReadBarsFromFile(file, id++, &batch);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_TRUE(stats->warning.empty()) << stats->warning;
    rows += stats->rows_read;
  }
  EXPECT_EQ(rows, 3 + 2 + 4 + 3 + 3);
  ASSERT_EQ(batch.size(), static_cast<size_t>(rows));
  EXPECT_EQ(batch.ticker_names, (std::vector<std::string>{"AAPL", "SPY", "AAL", "MSFT", "IBM"}));
  EXPECT_EQ(batch.source.back(), 4u);
  EXPECT_EQ(batch.date.back(), D("2024-01-04"));  // 09:30 New York time
  EXPECT_EQ(batch.adj_close.back(), 156.27);

  const SourceFile missing{"/nonexistent/stocklake/x.csv", "x.csv", 0};
  Result<ReadStats> error = ReadBarsFromFile(missing, 0, &batch);
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.status().message().find("x.csv"), std::string::npos);
}

}  // namespace
}  // namespace stocklake
