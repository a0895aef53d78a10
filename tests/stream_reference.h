// An independent implementation of ../shared/spec/stream.md for the stream tests: the
// windows that a record-by-record reading of the published file gives, and the intraday
// bars a store holds, compared field by field (prices exact, vwap within 1e-12).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "store/serving_store.h"
#include "stream/trade_event.h"

namespace stocklake::testing {

constexpr int64_t kWindowMs = 60'000, kLatenessMs = 60'000;

struct Bar {
  double open = 0, high = 0, low = 0, close = 0, vwap = 0;
  int64_t volume = 0, trades = 0;
  int64_t open_ts = 0, close_ts = 0;
  long double notional = 0;
};

// stream.md applied naively, record by record in file order (each symbol's records keep
// that order in their partition). Returns (symbol, window_start) -> bar; counts the rest.
inline std::map<std::pair<std::string, int64_t>, Bar> Expected(const std::string& path, int64_t* late,
                                                               int64_t* invalid) {
  std::map<std::pair<std::string, int64_t>, Bar> bars;
  std::map<std::string, int64_t> max_ts;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto event = ParseTradeEvent(line);  // validity rules: tested on their own
    if (!event.ok()) {
      ++*invalid;
      continue;
    }
    const int64_t start =
        (event->ts_ms >= 0 ? event->ts_ms / kWindowMs : (event->ts_ms + 1) / kWindowMs - 1) * kWindowMs;
    auto seen = max_ts.find(event->symbol);
    const bool is_late = seen != max_ts.end() && start + kWindowMs <= seen->second - kLatenessMs;
    max_ts[event->symbol] = seen == max_ts.end() ? event->ts_ms : std::max(seen->second, event->ts_ms);
    if (is_late) {
      ++*late;
      continue;
    }
    auto [it, fresh] = bars.try_emplace({event->symbol, start});
    Bar& b = it->second;
    if (fresh || event->ts_ms < b.open_ts) b.open = event->price, b.open_ts = event->ts_ms;
    if (fresh || event->ts_ms >= b.close_ts) b.close = event->price, b.close_ts = event->ts_ms;
    b.high = fresh ? event->price : std::max(b.high, event->price);
    b.low = fresh ? event->price : std::min(b.low, event->price);
    b.volume += event->size;
    b.trades += 1;
    b.notional += static_cast<long double>(event->price) * event->size;
    b.vwap = static_cast<double>(b.notional / b.volume);
  }
  return bars;
}

// Every intraday bar of the symbols of `keys` in the store at `store_url`, keyed like
// Expected.
inline std::map<std::pair<std::string, int64_t>, Bar> StoredBarsAt(
    const std::string& store_url, const std::map<std::pair<std::string, int64_t>, Bar>& keys) {
  std::map<std::pair<std::string, int64_t>, Bar> out;
  auto store = OpenServingStore(store_url);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return out;
  std::set<std::string> symbols;
  for (const auto& [key, bar] : keys) symbols.insert(key.first);
  for (const std::string& symbol : symbols) {
    IntradayBarsQuery query;
    query.symbol = symbol;
    query.limit = 1'000'000;
    auto t = (*store)->IntradayBars(query);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    if (!t.ok()) continue;
    for (size_t r = 0; r < t->num_rows(); ++r) {
      Bar b;
      b.open = t->Find("open")->f64[r];
      b.high = t->Find("high")->f64[r];
      b.low = t->Find("low")->f64[r];
      b.close = t->Find("close")->f64[r];
      b.vwap = t->Find("vwap")->f64[r];
      b.volume = t->Find("volume")->i64[r];
      b.trades = t->Find("trades")->i64[r];
      out[{symbol, t->Find("window_start")->i64[r]}] = b;
    }
  }
  return out;
}

inline void ExpectSameBars(const std::map<std::pair<std::string, int64_t>, Bar>& expected,
                           const std::map<std::pair<std::string, int64_t>, Bar>& actual) {
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [key, e] : expected) {
    SCOPED_TRACE(key.first + " " + std::to_string(key.second));
    const auto it = actual.find(key);
    ASSERT_NE(it, actual.end());
    const Bar& a = it->second;
    EXPECT_EQ(a.open, e.open);
    EXPECT_EQ(a.close, e.close);
    EXPECT_EQ(a.high, e.high);
    EXPECT_EQ(a.low, e.low);
    EXPECT_EQ(a.volume, e.volume);
    EXPECT_EQ(a.trades, e.trades);
    EXPECT_NEAR(a.vwap, e.vwap, std::abs(e.vwap) * 1e-12);
  }
}

}  // namespace stocklake::testing
