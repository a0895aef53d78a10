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

#include "lake_test_util.h"
#include "store/serving_store.h"
#include "stream/trade_event.h"
#include "stream_reference.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::Bar;
using testing::Expected;
using testing::ExpectSameBars;
using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;

std::string Stocklake(const std::string& args) { return StocklakeBinary() + " " + args + " 2>&1"; }

// Every intraday bar in the lake's default store, keyed like Expected.
std::map<std::pair<std::string, int64_t>, Bar> StoredBars(const std::string& lake,
                                                          const std::map<std::pair<std::string, int64_t>, Bar>& keys) {
  return testing::StoredBarsAt("sqlite:" + lake + "/_store/stocklake.sqlite", keys);
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

// Checks that the lake's stream caught up with all `published` records and its bars equal
// the reference over `input`.
void ExpectCaughtUpWithOnePass(const std::string& lake, const std::string& input, int64_t published) {
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
  EXPECT_EQ(consumed, published) << "every published record, dead letters included";
}

TEST(StreamService, AProcessorKilledAroundACommitResumesExactly) {
  for (const char* point : {"stream-before-commit@3", "stream-after-commit@3"}) {
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
    ExpectCaughtUpWithOnePass(lake, input, 40'000);
  }
}

TEST(StreamService, KilledAgainAndAgainAtEveryKindOfPointEndsAsOnePass) {
  // One processor killed over and over, each time at another point (before or after a
  // store commit, after the dead letters went out) and after another number of commits,
  // restarted each time; then run to the end.
  TempDir dir;
  const std::string lake = dir.Join("lake");
  const std::string input = PublishTrades(dir, lake, 40'000);
  const std::string stream = "stream --once --fetch-bytes 8000 --lake " + lake;
  const char* const points[] = {"stream-before-commit", "stream-after-dead-letters", "stream-after-commit"};
  int kills = 0;
  for (int round = 0; round < 12; ++round) {
    const std::string point = std::string(points[round % 3]) + "@" + std::to_string(1 + round % 4);
    const auto run = RunCommand("STOCKLAKE_CRASH_AT=" + point + " " + Stocklake(stream));
    if (run.exit_code == 0) break;  // caught up before reaching the point
    ++kills;
  }
  EXPECT_GE(kills, 10) << "the stream should outlast most of the kills";
  const auto last = RunCommand(Stocklake(stream));
  ASSERT_EQ(last.exit_code, 0) << last.output;
  ExpectCaughtUpWithOnePass(lake, input, 40'000);
}

TEST(StreamService, FinalWindowsLandInTheLakeAndOutliveTheStore) {
  TempDir dir;
  const std::string lake = dir.Join("lake");
  const std::string input = dir.Join("trades.jsonl");
  ASSERT_EQ(RunCommand("mkdir -p " + lake).exit_code, 0);
  // 30,000 events at 20 a second of event time: eight minutes per symbol, so most windows
  // close; the events start at 14:30Z and cross into the next UTC hour.
  ASSERT_EQ(RunCommand(Stocklake("generate-trades --out " + input +
                                 " --events 30000 --symbols 10 --seed 4 --rate 20 --late 0.01 --start "
                                 "2025-01-02T14:55:00Z"))
                .exit_code,
            0);
  ASSERT_EQ(RunCommand(Stocklake("publish --lake " + lake + " --topic trades --input " + input)).exit_code, 0);
  const auto run = RunCommand(Stocklake("stream --once --lake " + lake));
  ASSERT_EQ(run.exit_code, 0) << run.output;

  // The lake holds exactly the store's final windows, one file per UTC hour.
  int64_t late = 0, invalid = 0;
  const auto expected = Expected(input, &late, &invalid);
  const auto stored = StoredBars(lake, expected);
  const std::string table = testing::LakeTable(lake, "silver/intraday_bars");
  const auto counts =
      testing::DuckDb("SELECT count(*) AS n, count(DISTINCT window_start // 3600000) AS hours FROM " + table);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(testing::AsInt(counts[0]["hours"]), 2);
  auto store = OpenServingStore("sqlite:" + lake + "/_store/stocklake.sqlite");
  ASSERT_TRUE(store.ok());
  int64_t final_rows = 0;
  for (const auto& [key, bar] : stored) {
    IntradayBarsQuery query;
    query.symbol = key.first;
    query.from_ms = key.second;
    query.to_ms = key.second;
    auto row = (*store)->IntradayBars(query);
    ASSERT_TRUE(row.ok());
    final_rows += row->Find("final")->i32[0];
  }
  EXPECT_GT(final_rows, 0);
  EXPECT_LT(final_rows, static_cast<int64_t>(stored.size()));  // each symbol's last window stays open
  EXPECT_EQ(testing::AsInt(counts[0]["n"]), final_rows);
  const auto lake_rows = testing::DuckDb(
      "SELECT symbol, window_start, \"open\", high, low, \"close\", vwap, volume, trades FROM " + table);
  for (const auto& row : lake_rows) {
    const auto it = expected.find({row["symbol"].get<std::string>(), testing::AsInt(row["window_start"])});
    ASSERT_NE(it, expected.end()) << row.dump();
    EXPECT_EQ(row["open"].get<double>(), it->second.open);
    EXPECT_EQ(row["close"].get<double>(), it->second.close);
    EXPECT_EQ(row["high"].get<double>(), it->second.high);
    EXPECT_EQ(row["low"].get<double>(), it->second.low);
    EXPECT_NEAR(row["vwap"].get<double>(), it->second.vwap, it->second.vwap * 1e-12);
    EXPECT_EQ(testing::AsInt(row["volume"]), it->second.volume);
    EXPECT_EQ(testing::AsInt(row["trades"]), it->second.trades);
  }

  // A second pass changes nothing; the history stays when the store is gone.
  ASSERT_EQ(RunCommand(Stocklake("stream --once --lake " + lake)).exit_code, 0);
  EXPECT_EQ(testing::AsInt(testing::DuckDb("SELECT count(*) AS n FROM " + table)[0]["n"]), final_rows);
  store = Status::NotFound("closed");
  ASSERT_EQ(RunCommand("rm -rf " + lake + "/_store").exit_code, 0);
  EXPECT_EQ(testing::AsInt(testing::DuckDb("SELECT count(*) AS n FROM " + table)[0]["n"]), final_rows);
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
