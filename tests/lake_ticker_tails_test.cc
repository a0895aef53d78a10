// ReplaceTickerTails: the newest rows of the replaced tickers give way to their
// replacements, every other row stays, and the result is ordered by (ticker, key).
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "lake/ticker_tails.h"

namespace stocklake {
namespace {

using Row = std::tuple<std::string, int32_t, double>;

Table Rows(const std::vector<Row>& rows, bool string_key = false) {
  Table t;
  t.columns = {{"ticker", ColumnType::kString, false},
               {"period_start", string_key ? ColumnType::kString : ColumnType::kDate, false},
               {"close", ColumnType::kDouble, true}};
  StringColumnBuilder tickers(&t.columns[0]);
  StringColumnBuilder keys(&t.columns[1]);
  for (const auto& [ticker, key, close] : rows) {
    tickers.Append(ticker);
    if (string_key) {
      keys.Append(std::to_string(key / 10) + "Q" + std::to_string(key % 10));
    } else {
      t.columns[1].AppendInt32(key);
    }
    if (close < 0) {
      t.columns[2].AppendNull();
    } else {
      t.columns[2].AppendDouble(close);
    }
  }
  return t;
}

std::vector<std::string> Render(const Table& t) {
  std::vector<std::string> out;
  for (size_t r = 0; r < t.num_rows(); ++r) {
    std::string key = t.columns[1].type == ColumnType::kString ? std::string(t.columns[1].StringAt(r))
                                                               : std::to_string(t.columns[1].i32[r]);
    std::string close = t.columns[2].IsNull(r) ? "null" : std::to_string(t.columns[2].f64[r]);
    out.push_back(std::string(t.columns[0].StringAt(r)) + "/" + key + "/" + close);
  }
  return out;
}

TEST(ReplaceTickerTails, ReplacesFromEachTickersFirstNewKeyAndKeepsTheRest) {
  const Table held = Rows({{"B", 10, 1}, {"A", 10, 2}, {"A", 20, 3}, {"A", 30, 4}, {"B", 20, -1}, {"C", 5, 6}});
  // A's rows from 20 on and B's from 30 on give way; C keeps its rows; D is new.
  const Table replacement = Rows({{"A", 20, 30}, {"D", 1, 40}, {"B", 30, 50}, {"A", 40, -1}});
  auto out = ReplaceTickerTails(held, replacement, "period_start");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Render(*out), (std::vector<std::string>{"A/10/2.000000", "A/20/30.000000", "A/40/null", "B/10/1.000000",
                                                    "B/20/null", "B/30/50.000000", "C/5/6.000000", "D/1/40.000000"}));
}

TEST(ReplaceTickerTails, QuarterKeysSortAsTime) {
  const Table held = Rows({{"A", 20163, 1}, {"A", 20164, 2}, {"A", 20171, 3}}, true);
  const Table replacement = Rows({{"A", 20171, 4}, {"A", 20164, 5}}, true);
  auto out = ReplaceTickerTails(held, replacement, "period_start");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Render(*out), (std::vector<std::string>{"A/2016Q3/1.000000", "A/2016Q4/5.000000", "A/2017Q1/4.000000"}));
}

TEST(ReplaceTickerTails, RefusesOtherSchemasAndMissingKeys) {
  const Table held = Rows({{"A", 1, 1}});
  Table other = Rows({{"A", 1, 1}});
  other.columns[2].name = "open";
  EXPECT_TRUE(ReplaceTickerTails(held, other, "period_start").status().IsInvalidArgument());
  EXPECT_TRUE(ReplaceTickerTails(held, held, "quarter").status().IsInvalidArgument());
}

}  // namespace
}  // namespace stocklake
