// Tests of the synthetic dataset generator: determinism, realism of the valid rows, and
// that the bad rows cover every rejection kind of reference-job.md in the promised share.
// The cleaning checks are re-implemented here from the spec (src/process owns the real
// ones) so the test does not depend on another module.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/bar_batch.h"
#include "core/date.h"
#include "core/files.h"
#include "ingest/bar_reader.h"
#include "ingest/generator.h"
#include "ingest/source_files.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::TempDir;

struct Dataset {
  std::vector<SourceFile> files;
  std::vector<std::string> contents;
  BarBatch batch;
  int64_t parse_errors = 0;
};

Dataset ReadDataset(const std::string& dir) {
  Dataset d;
  Result<std::vector<SourceFile>> files = ListSourceFiles({dir});
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  if (!files.ok()) return d;
  d.files = *files;
  for (size_t i = 0; i < d.files.size(); ++i) {
    Result<std::string> content = ReadFileToString(d.files[i].absolute_path);
    EXPECT_TRUE(content.ok());
    d.contents.push_back(*content);
    Result<ReadStats> stats = ReadBars(d.contents.back(), d.files[i], static_cast<uint32_t>(i), &d.batch);
    EXPECT_TRUE(stats.ok());
    EXPECT_EQ(stats->layout, InputLayout::kHugeStockMarket) << d.files[i].relative_path;
    EXPECT_TRUE(stats->warning.empty()) << stats->warning;
    d.parse_errors += stats->parse_errors;
  }
  return d;
}

GenerateOptions Options(const std::string& dir, int tickers, int days, uint64_t seed, double bad) {
  GenerateOptions o;
  o.tickers = tickers;
  o.days = days;
  o.seed = seed;
  o.out_dir = dir;
  o.bad_row_fraction = bad;
  return o;
}

TEST(GeneratorTest, SameOptionsSameBytesWhateverTheThreadCount) {
  TempDir dir;
  GenerateOptions one = Options(dir.Join("one"), 9, 300, 5, 0.05);
  one.threads = 1;
  GenerateOptions two = one;
  two.out_dir = dir.Join("two");
  two.threads = 2;
  GenerateOptions other_seed = one;
  other_seed.out_dir = dir.Join("other");
  other_seed.seed = 6;
  Result<GenerateSummary> a = GenerateDataset(one);
  Result<GenerateSummary> b = GenerateDataset(two);
  Result<GenerateSummary> c = GenerateDataset(other_seed);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->files, 9);
  EXPECT_EQ(a->rows, b->rows);
  EXPECT_EQ(a->bytes, b->bytes);
  const Dataset da = ReadDataset(one.out_dir);
  const Dataset db = ReadDataset(two.out_dir);
  const Dataset dc = ReadDataset(other_seed.out_dir);
  ASSERT_EQ(da.files.size(), 9u);
  ASSERT_EQ(db.files.size(), 9u);
  int64_t bytes = 0;
  for (size_t i = 0; i < da.files.size(); ++i) {
    EXPECT_EQ(da.files[i].relative_path, db.files[i].relative_path);
    EXPECT_EQ(da.contents[i], db.contents[i]) << da.files[i].relative_path;
    bytes += static_cast<int64_t>(da.contents[i].size());
  }
  EXPECT_EQ(bytes, a->bytes);
  // Another seed: other tickers, other prices.
  std::set<std::string> names_a, names_c;
  for (const SourceFile& f : da.files) names_a.insert(f.relative_path);
  for (const SourceFile& f : dc.files) names_c.insert(f.relative_path);
  EXPECT_NE(names_a, names_c);
  EXPECT_NE(da.batch.close, dc.batch.close);
}

TEST(GeneratorTest, CleanDatasetIsRealistic) {
  TempDir dir;
  const int tickers = 30, days = 1000;
  Result<GenerateSummary> summary = GenerateDataset(Options(dir.path(), tickers, days, 11, 0.0));
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->bad_rows, 0);
  const Dataset d = ReadDataset(dir.path());
  ASSERT_EQ(d.files.size(), static_cast<size_t>(tickers));
  EXPECT_EQ(d.parse_errors, 0);
  EXPECT_EQ(static_cast<int64_t>(d.batch.size()), summary->rows);
  // Weekends and about 0.3% of days are missing, nothing else.
  EXPECT_LT(summary->rows, int64_t{tickers} * days);
  EXPECT_GT(summary->rows, int64_t{tickers} * days * 99 / 100);

  int etfs = 0;
  for (size_t i = 0; i < d.files.size(); ++i) {
    const std::string& rel = d.files[i].relative_path;
    ASSERT_TRUE(rel.rfind("Stocks/", 0) == 0 || rel.rfind("ETFs/", 0) == 0) << rel;
    EXPECT_EQ(rel.substr(rel.size() - 7), ".us.txt");
    etfs += rel.rfind("ETFs/", 0) == 0;
    EXPECT_EQ(d.contents[i].rfind("Date,Open,High,Low,Close,Volume,OpenInt\n", 0), 0u);
    // Prices printed with exactly 4 decimals, OpenInt 0: "...,12.3456,...,123,0".
    const std::string first_row = d.contents[i].substr(41, d.contents[i].find('\n', 41) - 41);
    int commas = 0;
    for (size_t k = 0; k < first_row.size(); ++k) {
      if (first_row[k] == ',') {
        ++commas;
        if (commas >= 2 && commas <= 5) {
          EXPECT_EQ(first_row[k - 5], '.') << first_row;
        }
      }
    }
    EXPECT_EQ(first_row.substr(first_row.size() - 2), ",0");
  }
  EXPECT_GE(etfs, 1);
  EXPECT_LE(etfs, tickers / 2);

  const Date end = DaysFromCivil(2017, 11, 10);
  double sum_sq = 0;
  int64_t returns = 0, jumps = 0;
  std::map<int32_t, int64_t> rows_per_ticker;
  for (size_t i = 0; i < d.batch.size(); ++i) {
    ASSERT_EQ(d.batch.reason[i], RejectReason::kNone);
    const double o = d.batch.open[i], h = d.batch.high[i], l = d.batch.low[i], c = d.batch.close[i];
    ASSERT_GT(l, 0);
    ASSERT_GE(h, std::max(o, c));
    ASSERT_LE(l, std::min(o, c));
    ASSERT_GT(d.batch.volume[i], 0);
    ASSERT_LT(WeekdayMondayZero(d.batch.date[i]), 5);
    ASSERT_LE(d.batch.date[i], end);
    ++rows_per_ticker[d.batch.ticker[i]];
    if (i > 0 && d.batch.source[i] == d.batch.source[i - 1]) {
      ASSERT_GT(d.batch.date[i], d.batch.date[i - 1]);
      const double r = std::log(c / d.batch.close[i - 1]);
      if (r < std::log(0.6) || r > std::log(5.0)) {
        ++jumps;  // a split (or the reverse split that keeps prices above 1)
      } else {
        sum_sq += r * r;
        ++returns;
      }
    }
  }
  EXPECT_EQ(rows_per_ticker.size(), static_cast<size_t>(tickers));
  const double daily_vol = std::sqrt(sum_sq / static_cast<double>(returns));
  EXPECT_GT(daily_vol, 0.012);
  EXPECT_LT(daily_vol, 0.03);
  EXPECT_GE(jumps, 3);  // expected ~20 splits in 30,000 days
  // Every file ends on the fixed end date unless that day happened to be dropped.
  int ending_on_end = 0;
  for (size_t i = 0; i < d.batch.size(); ++i) ending_on_end += d.batch.date[i] == end;
  EXPECT_GE(ending_on_end, tickers - 2);
}

// reference-job.md "Cleaning", checks 2..5 (check 1 is the reader's), then duplicates.
RejectReason CleaningReason(const BarBatch& b, size_t i) {
  if (b.reason[i] != RejectReason::kNone) return b.reason[i];
  const double o = b.open[i], h = b.high[i], l = b.low[i], c = b.close[i];
  for (double p : {o, h, l, c, b.adj_close[i]}) {
    if (!std::isfinite(p) || p <= 0) return RejectReason::kBadPrice;
  }
  if (h < std::max({o, c, l}) || l > std::min({o, c, h})) return RejectReason::kHighLowInconsistent;
  if (b.volume[i] < 0) return RejectReason::kNegativeVolume;
  if (b.volume[i] == 0) return RejectReason::kZeroVolume;
  return RejectReason::kNone;
}

std::string LineOf(const std::string& content, int64_t line) {
  size_t pos = 0;
  for (int64_t k = 1; k < line; ++k) pos = content.find('\n', pos) + 1;
  return content.substr(pos, content.find('\n', pos) - pos);
}

TEST(GeneratorTest, BadRowsCoverEveryRejectionKindInTheRequestedShare) {
  TempDir dir;
  const double fraction = 0.1;
  Result<GenerateSummary> summary = GenerateDataset(Options(dir.path(), 20, 500, 3, fraction));
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  const Dataset d = ReadDataset(dir.path());
  ASSERT_EQ(static_cast<int64_t>(d.batch.size()), summary->rows);

  std::map<std::string, int64_t> kinds;
  std::map<std::pair<int32_t, Date>, int64_t> accepted_per_day;
  int64_t rejected = 0;
  for (size_t i = 0; i < d.batch.size(); ++i) {
    const RejectReason why = CleaningReason(d.batch, i);
    if (why == RejectReason::kNone) {
      ++accepted_per_day[{d.batch.ticker[i], d.batch.date[i]}];
      continue;
    }
    ++rejected;
    const std::string line = LineOf(d.contents[d.batch.source[i]], d.batch.line[i]);
    const std::string date_field = line.substr(0, line.find(','));
    int commas = 0;
    for (char ch : line) commas += ch == ',';
    switch (why) {
      case RejectReason::kParseError:
        if (d.batch.date[i] == kNullDate) {
          const bool iso_shaped = date_field.size() == 10 && date_field[4] == '-' && date_field[7] == '-';
          ++kinds[iso_shaped ? "impossible_date" : "unparsable_date"];
        } else {
          ++kinds[commas != 6 ? "wrong_field_count" : "bad_number"];
        }
        break;
      case RejectReason::kBadPrice: {
        const bool finite = std::isfinite(d.batch.open[i]) && std::isfinite(d.batch.high[i]) &&
                            std::isfinite(d.batch.low[i]) && std::isfinite(d.batch.close[i]);
        ++kinds[finite ? "non_positive_price" : "non_finite_price"];
        break;
      }
      default: ++kinds[std::string(RejectReasonName(why))];
    }
  }
  int64_t duplicates = 0;
  for (const auto& [key, count] : accepted_per_day) duplicates += count - 1;
  kinds["duplicate"] = duplicates;

  EXPECT_EQ(rejected + duplicates, summary->bad_rows);
  const double share = static_cast<double>(summary->bad_rows) / static_cast<double>(summary->rows);
  EXPECT_GT(share, fraction * 0.7);
  EXPECT_LT(share, fraction * 1.3);
  for (const char* kind :
       {"unparsable_date", "impossible_date", "bad_number", "wrong_field_count", "non_finite_price",
        "non_positive_price", "high_low_inconsistent", "negative_volume", "zero_volume", "duplicate"}) {
    EXPECT_GE(kinds[kind], summary->bad_rows / 40) << kind;  // ~1/10 of the bad rows each
  }
  int64_t blank_lines = 0;
  for (const std::string& content : d.contents) {
    for (size_t p = content.find('\n'); p != std::string::npos; p = content.find('\n', p + 1)) {
      const size_t next = content.find('\n', p + 1);
      if (next == std::string::npos) break;
      const std::string line = content.substr(p + 1, next - p - 1);
      blank_lines += line.find_first_not_of(' ') == std::string::npos;
    }
  }
  EXPECT_GT(blank_lines, 0);
}

TEST(GeneratorTest, DuckDbReadsTheSameRowsAsOurReader) {
  // DuckDB's CSV reader is an independent check of both the files and our reader.
  TempDir dir;
  Result<GenerateSummary> summary = GenerateDataset(Options(dir.path(), 6, 250, 21, 0.0));
  ASSERT_TRUE(summary.ok());
  const Dataset d = ReadDataset(dir.path());
  int64_t volume = 0;
  double close = 0;
  for (size_t i = 0; i < d.batch.size(); ++i) {
    volume += d.batch.volume[i];
    close += d.batch.close[i];
  }
  const std::string sql =
      "SELECT count(*) AS n, sum(Volume) AS v, sum(Close) AS c, min(Date)::VARCHAR AS first "
      "FROM read_csv('" +
      dir.path() +
      "/*/*.txt', header = true, "
      "columns = {'Date': 'DATE', 'Open': 'DOUBLE', 'High': 'DOUBLE', 'Low': 'DOUBLE', "
      "'Close': 'DOUBLE', 'Volume': 'BIGINT', 'OpenInt': 'BIGINT'})";
  const testing::CommandResult r =
      testing::RunCommand("node " + std::string(STOCKLAKE_SOURCE_DIR) + "/tests/node/duckdb_query.mjs \"" + sql + "\"");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"n\":\"" + std::to_string(d.batch.size()) + "\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"v\":\"" + std::to_string(volume) + "\""), std::string::npos) << r.output;
  const size_t c_at = r.output.find("\"c\":");
  ASSERT_NE(c_at, std::string::npos) << r.output;
  EXPECT_NEAR(std::strtod(r.output.c_str() + c_at + 4, nullptr), close, 1e-9 * close) << r.output;
  Date first = *std::min_element(d.batch.date.begin(), d.batch.date.end());
  EXPECT_NE(r.output.find("\"first\":\"" + FormatDate(first) + "\""), std::string::npos) << r.output;
}

TEST(GeneratorTest, RejectsOptionsOutOfRange) {
  TempDir dir;
  EXPECT_TRUE(GenerateDataset(Options("", 1, 1, 1, 0)).status().IsInvalidArgument());
  EXPECT_TRUE(GenerateDataset(Options(dir.path(), 0, 10, 1, 0)).status().IsInvalidArgument());
  EXPECT_TRUE(GenerateDataset(Options(dir.path(), 1, 0, 1, 0)).status().IsInvalidArgument());
  EXPECT_TRUE(GenerateDataset(Options(dir.path(), 1, 10, 1, 1.5)).status().IsInvalidArgument());
  EXPECT_TRUE(GenerateDataset(Options(dir.path(), 1, 10, 1, std::nan(""))).status().IsInvalidArgument());
  testing::WriteTextFile(dir.Join("file"), "x");
  EXPECT_FALSE(GenerateDataset(Options(dir.Join("file"), 1, 10, 1, 0)).ok());
}

}  // namespace
}  // namespace stocklake
