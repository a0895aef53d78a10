// `stocklake stream` end to end on the embedded log and SQLite: the intraday bars equal an
// independent implementation of stream.md over the published records, every late and
// invalid record is dead-lettered, and a processor killed before or after a commit then
// restarted ends exactly where one uninterrupted pass ends; its checkpoints record the
// log's end it saw, so the lag it left is known without the log.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "store/serving_store.h"
#include "stream/trade_event.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;

constexpr int64_t kWindowMs = 60'000, kLatenessMs = 60'000;

struct Bar {
  double open = 0, high = 0, low = 0, close = 0, vwap = 0;
  int64_t volume = 0, trades = 0;
  int64_t open_ts = 0, close_ts = 0;
  long double notional = 0;
};

// stream.md applied naively, record by record in file order (each symbol's records keep
// that order in their partition). Returns (symbol, window_start) -> bar; counts the rest.
std::map<std::pair<std::string, int64_t>, Bar> Expected(const std::string& path, int64_t* late, int64_t* invalid) {
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

std::string Stocklake(const std::string& args) { return StocklakeBinary() + " " + args + " 2>&1"; }

// Every intraday bar in the lake's default store, keyed like Expected.
std::map<std::pair<std::string, int64_t>, Bar> StoredBars(const std::string& lake,
                                                          const std::map<std::pair<std::string, int64_t>, Bar>& keys) {
  std::map<std::pair<std::string, int64_t>, Bar> out;
  auto store = OpenServingStore("sqlite:" + lake + "/_store/stocklake.sqlite");
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

// The store's totals over the stream's checkpoints.
StreamProgress StreamProgressOf(const std::string& lake) {
  auto store = OpenServingStore("sqlite:" + lake + "/_store/stocklake.sqlite");
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return {};
  auto progress = (*store)->LoadStreamProgress();
  EXPECT_TRUE(progress.ok()) << progress.status().ToString();
  return progress.ok() ? *progress : StreamProgress{};
}

void ExpectSameBars(const std::map<std::pair<std::string, int64_t>, Bar>& expected,
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

// Generates and publishes a trade stream into a new lake; returns the input's path.
std::string PublishTrades(const TempDir& dir, const std::string& lake, int events) {
  const std::string input = dir.Join("trades.jsonl");
  EXPECT_EQ(RunCommand("mkdir -p " + lake).exit_code, 0);
  auto gen = RunCommand(Stocklake("generate-trades --out " + input + " --events " + std::to_string(events) +
                                  " --symbols 30 --seed 5 --late 0.02 --bad 0.02"));
  EXPECT_EQ(gen.exit_code, 0) << gen.output;
  auto pub = RunCommand(Stocklake("publish --lake " + lake + " --topic trades --input " + input));
  EXPECT_EQ(pub.exit_code, 0) << pub.output;
  return input;
}

TEST(StreamService, BarsEqualTheSpecAndEveryRejectIsDeadLettered) {
  TempDir dir;
  const std::string lake = dir.Join("lake");
  const std::string input = PublishTrades(dir, lake, 50'000);
  const auto run = RunCommand(Stocklake("stream --once --lake " + lake));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  int64_t late = 0, invalid = 0;
  const auto expected = Expected(input, &late, &invalid);
  ExpectSameBars(expected, StoredBars(lake, expected));
  EXPECT_NE(run.output.find(std::to_string(late) + " late, " + std::to_string(invalid) + " invalid"), std::string::npos)
      << run.output;
  const auto dlq = RunCommand(StocklakeBinary() + " topic cat --lake " + lake + " --topic trades-dlq 2>/dev/null");
  int64_t lines = 0, late_lines = 0;
  std::istringstream text(dlq.output);
  std::string line;
  while (std::getline(text, line)) {
    const auto j = nlohmann::json::parse(line);
    ++lines;
    late_lines += j.at("reason") == "late";
  }
  EXPECT_EQ(lines, late + invalid);
  EXPECT_EQ(late_lines, late);
}

TEST(StreamService, AProcessorKilledAroundACommitResumesExactly) {
  for (const char* point : {"stream-before-third-commit", "stream-after-third-commit"}) {
    SCOPED_TRACE(point);
    TempDir dir;
    const std::string lake = dir.Join("lake");
    const std::string input = PublishTrades(dir, lake, 40'000);
    const std::string stream = "stream --once --fetch-bytes 20000 --lake " + lake;
    const auto killed = RunCommand("STOCKLAKE_CRASH_AT=" + std::string(point) + " " + Stocklake(stream));
    EXPECT_NE(killed.exit_code, 0) << killed.output;
    // The checkpoints say how far behind the log's end the killed processor was.
    EXPECT_GT(StreamProgressOf(lake).lag_records, 0);
    const auto resumed = RunCommand(Stocklake(stream));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    int64_t late = 0, invalid = 0;
    const auto expected = Expected(input, &late, &invalid);
    ExpectSameBars(expected, StoredBars(lake, expected));
    const StreamProgress caught_up = StreamProgressOf(lake);
    EXPECT_EQ(caught_up.lag_records, 0);
    EXPECT_GT(caught_up.last_commit_ms, 0);
    auto store = OpenServingStore("sqlite:" + lake + "/_store/stocklake.sqlite");
    ASSERT_TRUE(store.ok());
    auto checkpoints = (*store)->LoadStreamCheckpoints("trades");
    ASSERT_TRUE(checkpoints.ok()) << checkpoints.status().ToString();
    int64_t consumed = 0;
    for (const auto& [partition, checkpoint] : *checkpoints) {
      EXPECT_EQ(checkpoint.log_end_offset, checkpoint.next_offset) << "partition " << partition;
      consumed += checkpoint.next_offset;
    }
    EXPECT_EQ(consumed, 40'000) << "every published record, dead letters included";
  }
}

TEST(StreamService, BadOptionsExitTwo) {
  TempDir dir;
  for (const std::string& args : {"stream --once --lake " + dir.Join("lake") + " --window 5x",
                                  "stream --once --lake " + dir.Join("lake") + " --store none"}) {
    const auto result = RunCommand(Stocklake(args));
    EXPECT_EQ(result.exit_code, 2) << args << "\n" << result.output;
  }
}

}  // namespace
}  // namespace stocklake
