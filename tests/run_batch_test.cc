// End-to-end tests of `stocklake run`: the real binary on fixtures and generated data,
// every table read back by DuckDB (an independent Parquet reader and SQL engine) and
// checked against the spec's definitions recomputed in SQL.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "lake/table_schemas.h"
#include "lake_test_util.h"
#include "log/file_log.h"
#include "log/topics.h"
#include "pg_harness.h"
#include "store/serving_store.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::AsInt;
using testing::DuckDb;
using testing::ExpectSameLakes;
using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;

testing::CommandResult Stocklake(const std::string& args) { return RunCommand(StocklakeBinary() + " " + args); }

// Checks every table of `lake` against its definition recomputed from silver/bars in SQL.
void ExpectTablesMatchDefinitions(const std::string& lake) {
  const std::string bars = testing::LakeTable(lake, "silver/bars");
  // One row per (ticker, date), upper-case tickers.
  auto dup = DuckDb(
      "SELECT count(*) AS n, count(DISTINCT (ticker, date)) AS d, "
      "sum(CASE WHEN ticker <> upper(ticker) THEN 1 ELSE 0 END) AS lower FROM " +
      bars);
  EXPECT_EQ(AsInt(dup[0]["n"]), AsInt(dup[0]["d"]));
  EXPECT_EQ(AsInt(dup[0]["lower"]), 0);

  const std::string window = "PARTITION BY ticker ORDER BY date";
  auto rolling = [&](const std::string& fn, const std::string& col, int n) {
    return fn + "(" + col + ") OVER (" + window + " ROWS " + std::to_string(n - 1) + " PRECEDING)";
  };
  const std::string expected =
      "WITH s AS (SELECT ticker, date, close, volume, row_number() OVER (" + window +
      ") - 1 AS n, "
      "lag(close) OVER (" +
      window + ") AS prev FROM " + bars +
      "), "
      "l AS (SELECT *, ln(close / prev) AS lr FROM s), "
      "e AS (SELECT ticker, date, n, close / prev - 1 AS r1, lr, "
      "CASE WHEN n >= 19 THEN " +
      rolling("avg", "close", 20) +
      " END AS sma20, "
      "CASE WHEN n >= 49 THEN " +
      rolling("avg", "close", 50) +
      " END AS sma50, "
      "CASE WHEN n >= 199 THEN " +
      rolling("avg", "close", 200) +
      " END AS sma200, "
      "CASE WHEN n >= 19 THEN " +
      rolling("stddev_pop", "close", 20) +
      " END AS sd20, "
      "CASE WHEN n >= 20 THEN " +
      rolling("stddev_samp", "lr", 20) +
      " * sqrt(252) END AS vol20, "
      "sum(CASE WHEN close > prev THEN volume WHEN close < prev THEN -volume ELSE 0 END) OVER (" +
      window + ") AS obv FROM l) ";
  // Mismatches beyond 1e-8 relative to `scale` (the value itself unless given). DuckDB's
  // own rounding sits near 1e-12; the exact 1e-9 bound is tested against a long double
  // reference in process_indicators_test.
  auto near = [](const std::string& got, const std::string& want, std::string scale = "") {
    if (scale.empty()) scale = want;
    return "sum(CASE WHEN (" + got + " IS NULL) <> (" + want + " IS NULL) OR abs((" + got + ") - (" + want +
           ")) > 1e-8 * greatest(abs(" + scale + "), 1e-300) THEN 1 ELSE 0 END)";
  };
  auto checks =
      DuckDb(expected + "SELECT count(*) AS rows, count(i.ticker) AS joined, " + near("i.return_1d", "e.r1") +
             " AS r1, " + near("i.log_return_1d", "e.lr") + " AS lr, " + near("i.sma_20", "e.sma20") + " AS sma20, " +
             near("i.sma_50", "e.sma50") + " AS sma50, " + near("i.sma_200", "e.sma200") + " AS sma200, " +
             near("i.bb_middle", "e.sma20") + " AS bbm, " + near("i.bb_upper", "e.sma20 + 2 * e.sd20") + " AS bbu, " +
             near("i.bb_lower", "e.sma20 - 2 * e.sd20") + " AS bbl, " + near("i.volatility_20", "e.vol20") +
             " AS vol, " + "sum(CASE WHEN i.obv <> e.obv THEN 1 ELSE 0 END) AS obv, " +
             near("i.macd_hist", "i.macd - i.macd_signal", "i.close") + " AS hist, " +
             "sum(CASE WHEN (i.ema_12 IS NULL) <> (e.n < 11) OR (i.ema_26 IS NULL) <> (e.n < 25) "
             "OR (i.macd_signal IS NULL) <> (e.n < 33) OR (i.rsi_14 IS NULL) <> (e.n < 14) "
             "OR (i.atr_14 IS NULL) <> (e.n < 14) THEN 1 ELSE 0 END) AS defined_from, "
             "sum(CASE WHEN i.rsi_14 < 0 OR i.rsi_14 > 100 OR isnan(i.rsi_14) THEN 1 ELSE 0 END) AS rsi_range "
             "FROM e LEFT JOIN " +
             testing::LakeTable(lake, "gold/indicators") + " i USING (ticker, date)");
  ASSERT_EQ(checks.size(), 1u);
  const auto& c = checks[0];
  EXPECT_EQ(AsInt(c["rows"]), AsInt(c["joined"]));
  for (const char* k : {"r1", "lr", "sma20", "sma50", "sma200", "bbm", "bbu", "bbl", "vol", "obv", "hist",
                        "defined_from", "rsi_range"}) {
    EXPECT_EQ(AsInt(c[k]), 0) << k << " mismatches in " << lake;
  }
  auto count = DuckDb("SELECT (SELECT count(*) FROM " + testing::LakeTable(lake, "gold/indicators") +
                      ") AS i, (SELECT count(*) FROM " + bars + ") AS b");
  EXPECT_EQ(AsInt(count[0]["i"]), AsInt(count[0]["b"]));

  const std::pair<const char*, const char*> periods[] = {{"gold/bars_weekly", "isoyear(date), week(date)"},
                                                         {"gold/bars_monthly", "year(date), month(date)"},
                                                         {"gold/bars_quarterly", "year(date), quarter(date)"}};
  for (const auto& [table, key] : periods) {
    const std::string want =
        "WITH g AS (SELECT ticker, min(date) AS ps, max(date) AS pe, arg_min(open, date) AS o, max(high) AS h, "
        "min(low) AS l, arg_max(close, date) AS c, arg_max(adj_close, date) AS ac, sum(volume) AS v, "
        "count(*) AS td FROM " +
        bars + " GROUP BY ticker, " + key +
        "), "
        "r AS (SELECT *, c / lag(c) OVER (PARTITION BY ticker ORDER BY ps) - 1 AS ret FROM g) ";
    auto p = DuckDb(want +
                    "SELECT count(*) AS rows, count(r.ticker) AS want_rows, count(p.ticker) AS got_rows, "
                    "sum(CASE WHEN p.period_end <> r.pe OR p.open <> r.o OR p.high <> r.h OR p.low <> r.l "
                    "OR p.close <> r.c OR p.adj_close <> r.ac OR p.volume <> r.v OR p.trading_days <> r.td "
                    "THEN 1 ELSE 0 END) AS bad, " +
                    near("p.\"return\"", "r.ret") + " AS bad_return FROM r FULL OUTER JOIN " +
                    testing::LakeTable(lake, table) + " p ON p.ticker = r.ticker AND p.period_start = r.ps");
    EXPECT_EQ(AsInt(p[0]["rows"]), AsInt(p[0]["want_rows"])) << table;
    EXPECT_EQ(AsInt(p[0]["rows"]), AsInt(p[0]["got_rows"])) << table;
    EXPECT_EQ(AsInt(p[0]["bad"]), 0) << table;
    EXPECT_EQ(AsInt(p[0]["bad_return"]), 0) << table;
  }

  // gold/ml_features: one row per ticker and calendar quarter with rows, at its last
  // trading date; a spec feature (ret_3m), an extra (ma_5) and the label recomputed here
  // (every feature is checked against a reference in process_quarter_features_test and
  // process_alpha_features_test).
  auto f = DuckDb(
      "WITH s AS (SELECT ticker, date, close, row_number() OVER w - 1 AS n, lag(close, 63) OVER w AS c63, "
      "avg(close) OVER (w ROWS 4 PRECEDING) AS avg5, year(date) * 10 + quarter(date) AS q, "
      "max(date) OVER (PARTITION BY ticker, year(date), quarter(date)) AS last FROM " +
      bars +
      " WINDOW w AS (PARTITION BY ticker ORDER BY date)), "
      "a AS (SELECT *, lead(close) OVER w AS next_close, lead(q) OVER w AS next_q FROM s WHERE date = last "
      "WINDOW w AS (PARTITION BY ticker ORDER BY date)), "
      "r AS (SELECT ticker, (q // 10)::VARCHAR || 'Q' || (q % 10)::VARCHAR AS quarter, date AS as_of, "
      "last_day(make_date(q // 10, (q % 10) * 3, 1)) AS q_end, "
      "CASE WHEN n >= 63 THEN close / c63 - 1 END AS ret_3m, CASE WHEN n >= 4 THEN avg5 / close END AS ma_5, "
      "CASE WHEN next_q = CASE WHEN q % 10 = 4 THEN q + 7 ELSE q + 1 END THEN next_close / close - 1 END "
      "AS label FROM a) "
      "SELECT count(*) AS rows, count(r.ticker) AS want_rows, count(g.ticker) AS got_rows, "
      "sum(CASE WHEN g.as_of_date <> r.as_of OR g.quarter_end <> r.q_end THEN 1 ELSE 0 END) AS bad_dates, " +
      near("g.ret_3m", "r.ret_3m") + " AS ret_3m, " + near("g.ma_5", "r.ma_5") + " AS ma_5, " +
      near("g.label", "r.label") + " AS label FROM r FULL OUTER JOIN " + testing::LakeTable(lake, "gold/ml_features") +
      " g USING (ticker, quarter)");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(AsInt(f[0]["rows"]), AsInt(f[0]["want_rows"]));
  EXPECT_EQ(AsInt(f[0]["rows"]), AsInt(f[0]["got_rows"]));
  for (const char* k : {"bad_dates", "ret_3m", "ma_5", "label"}) {
    EXPECT_EQ(AsInt(f[0][k]), 0) << k << " mismatches in gold/ml_features of " << lake;
  }
}

// The serving store at `store_url` holds as many rows per table as the lake (row-level
// equality of the store is serving_store_test's business; this checks the run wires it).
void ExpectStoreMatchesLake(const std::string& store_url, const std::string& lake) {
  auto store = OpenServingStore(store_url);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (std::string_view table :
       {kSilverBars, kGoldIndicators, kGoldBarsWeekly, kGoldBarsMonthly, kGoldBarsQuarterly, kRejects}) {
    auto rows = (*store)->ScanTable(table);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    auto count = DuckDb("SELECT count(*) AS n FROM " + testing::LakeTable(lake, std::string(table)));
    EXPECT_EQ(static_cast<int64_t>(rows->num_rows()), AsInt(count[0]["n"])) << table;
  }
}

TEST(RunBatchTest, MixedFixtureAccountsForEveryRow) {
  TempDir dir;
  const std::string lake = dir.Join("lake");
  auto run = Stocklake("run --input " + testing::FixturePath("run/mixed") + " --lake " + lake);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("25 read = 8 accepted + 15 rejected + 2 duplicates"), std::string::npos) << run.output;

  auto silver = DuckDb("SELECT ticker, CAST(date AS VARCHAR) AS date, open, high, low, close, adj_close, volume FROM " +
                       testing::LakeTable(lake, "silver/bars") + " ORDER BY ticker, date");
  ASSERT_EQ(silver.size(), 8u) << silver.dump();
  const std::vector<std::tuple<std::string, std::string, double, double, double, double, double, int64_t>> want = {
      {"ABC", "2020-01-02", 50, 51, 49, 50.5, 50.5, 3000},        // the S&P file comes later: it wins
      {"ABC", "2020-01-03", 10.6, 11.6, 10.1, 11.1, 11.1, 1300},  // line 12 displaces line 3
      {"ABC", "2020-01-13", 0.5, 1.0, 0.25, 0.5, 0.5, 10},        // .5, 1., 5e-1 parse
      {"MSFT", "2020-01-02", 158.78, 160.73, 158.33, 160.62, 155.93, 22622100},
      {"NVDA", "2020-01-02", 59.69, 59.98, 59.18, 59.98, 59.73, 23753600},
      {"NVDA", "2020-01-03", 58.78, 59.46, 58.52, 59.02, 58.77, 20538000},
      {"XYZ", "2020-01-02", 100, 101, 99, 100.5, 100.5, 5000},
      {"XYZ", "2020-01-03", 100.5, 102, 100, 101, 101, 4000}};
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& [ticker, date, o, h, l, c, adj, v] = want[i];
    EXPECT_EQ(silver[i]["ticker"], ticker);
    EXPECT_EQ(silver[i]["date"], date);
    EXPECT_DOUBLE_EQ(silver[i]["open"].get<double>(), o);
    EXPECT_DOUBLE_EQ(silver[i]["high"].get<double>(), h);
    EXPECT_DOUBLE_EQ(silver[i]["low"].get<double>(), l);
    EXPECT_DOUBLE_EQ(silver[i]["close"].get<double>(), c);
    EXPECT_DOUBLE_EQ(silver[i]["adj_close"].get<double>(), adj);
    EXPECT_EQ(AsInt(silver[i]["volume"]), v);
  }

  auto rejects = DuckDb(
      "SELECT source_file, line, coalesce(ticker, '<null>') AS ticker, "
      "coalesce(CAST(date AS VARCHAR), '<null>') AS date, reason FROM " +
      testing::LakeTable(lake, "rejects") + " ORDER BY source_file, line");
  const std::vector<std::tuple<std::string, int64_t, std::string, std::string, std::string>> want_rejects = {
      {"Stocks/abc.us.txt", 2, "ABC", "2020-01-02", "duplicate"},
      {"Stocks/abc.us.txt", 3, "ABC", "2020-01-03", "duplicate"},
      {"Stocks/abc.us.txt", 5, "ABC", "2020-01-06", "zero_volume"},
      {"Stocks/abc.us.txt", 6, "ABC", "2020-01-07", "negative_volume"},
      {"Stocks/abc.us.txt", 7, "ABC", "2020-01-08", "high_low_inconsistent"},
      {"Stocks/abc.us.txt", 8, "ABC", "2020-01-09", "bad_price"},
      {"Stocks/abc.us.txt", 9, "ABC", "<null>", "parse_error"},       // 2020-02-30 is no real day
      {"Stocks/abc.us.txt", 10, "ABC", "2020-01-10", "parse_error"},  // volume 100.0
      {"Stocks/abc.us.txt", 11, "ABC", "*", "parse_error"},           // six fields
      {"notes/readme.txt", 2, "README", "<null>", "unrecognised_header"},
      {"notes/readme.txt", 4, "README", "<null>", "unrecognised_header"},
      {"sp500/all_stocks_5yr.csv", 5, "XYZ", "2020-01-06", "bad_price"},
      {"sp500/all_stocks_5yr.csv", 6, "<null>", "*", "parse_error"},  // empty Name
      {"sp500/all_stocks_5yr.csv", 7, "<null>", "*", "parse_error"},  // six fields
      {"yahoo/MSFT.csv", 3, "MSFT", "2020-01-03", "bad_price"},       // adj close -1
      {"yahoo/MSFT.csv", 4, "MSFT", "2020-01-06", "parse_error"},     // null fields
      {"yahoo/nvda.json", 3, "NVDA", "2020-01-06", "parse_error"}};   // null open
  ASSERT_EQ(rejects.size(), want_rejects.size()) << rejects.dump(1);
  for (size_t i = 0; i < want_rejects.size(); ++i) {
    const auto& [file, line, ticker, date, reason] = want_rejects[i];
    EXPECT_EQ(rejects[i]["source_file"], file) << i;
    EXPECT_EQ(AsInt(rejects[i]["line"]), line) << i;
    EXPECT_EQ(rejects[i]["ticker"], ticker) << file << ":" << line;
    if (date != "*") {
      EXPECT_EQ(rejects[i]["date"], date) << file << ":" << line;
    }
    EXPECT_EQ(rejects[i]["reason"], reason) << file << ":" << line;
  }

  // Types as the spec names them, seen by an independent reader.
  auto types = DuckDb("SELECT typeof(ticker) AS t, typeof(date) AS d, typeof(close) AS c, typeof(volume) AS v FROM " +
                      testing::LakeTable(lake, "silver/bars") + " LIMIT 1");
  EXPECT_EQ(types[0]["t"], "VARCHAR");
  EXPECT_EQ(types[0]["d"], "DATE");
  EXPECT_EQ(types[0]["c"], "DOUBLE");
  EXPECT_EQ(types[0]["v"], "BIGINT");
  auto ptypes = DuckDb("SELECT typeof(trading_days) AS td, typeof(\"return\") AS r, typeof(period_start) AS ps FROM " +
                       testing::LakeTable(lake, "gold/bars_weekly") + " LIMIT 1");
  EXPECT_EQ(ptypes[0]["td"], "INTEGER");
  EXPECT_EQ(ptypes[0]["r"], "DOUBLE");
  EXPECT_EQ(ptypes[0]["ps"], "DATE");
  auto rtypes =
      DuckDb("SELECT typeof(line) AS l, typeof(date) AS d FROM " + testing::LakeTable(lake, "rejects") + " LIMIT 1");
  EXPECT_EQ(rtypes[0]["l"], "BIGINT");
  EXPECT_EQ(rtypes[0]["d"], "DATE");
  ExpectTablesMatchDefinitions(lake);
}

TEST(RunBatchTest, GeneratedDataMatchesDefinitionsAndRerunChangesNothing) {
  TempDir dir;
  const std::string data = dir.Join("data"), lake = dir.Join("lake");
  auto gen = Stocklake("generate --tickers 12 --days 400 --seed 11 --bad-rows 0.02 --out " + data);
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  auto first = Stocklake("run --input " + data + " --lake " + lake);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ExpectTablesMatchDefinitions(lake);

  // rows read = accepted + rejected + duplicates, and the tables hold exactly those.
  auto counts = DuckDb("SELECT (SELECT count(*) FROM " + testing::LakeTable(lake, "silver/bars") +
                       ") AS accepted, (SELECT count(*) FROM " + testing::LakeTable(lake, "rejects") + ") AS rejected");
  const int64_t accepted = AsInt(counts[0]["accepted"]), rejected = AsInt(counts[0]["rejected"]);
  EXPECT_NE(first.output.find(" accepted + "), std::string::npos);
  const std::string identity_prefix = std::to_string(accepted) + " accepted + ";
  EXPECT_NE(first.output.find(identity_prefix), std::string::npos) << first.output;
  EXPECT_GT(rejected, 0);

  const std::string current = lake + "/_stocklake/CURRENT";
  std::ifstream in(current);
  std::string before((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto second = Stocklake("run --input " + data + " --lake " + lake);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("nothing new"), std::string::npos) << second.output;
  std::ifstream in2(current);
  std::string after((std::istreambuf_iterator<char>(in2)), std::istreambuf_iterator<char>());
  EXPECT_EQ(before, after);
}

TEST(RunBatchTest, AppendingLaterDaysEqualsAFullRerun) {
  TempDir dir;
  const std::string data = dir.Join("data"), early = dir.Join("early"), late = dir.Join("late");
  ASSERT_EQ(Stocklake("generate --tickers 8 --days 300 --seed 5 --bad-rows 0.03 --out " + data).exit_code, 0);
  testing::SplitDataset(data, early, late, 0.7);
  const std::string incremental = dir.Join("incremental"), full = dir.Join("full");
  auto a = Stocklake("run --input " + early + " --lake " + incremental);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  auto b = Stocklake("run --input " + late + " --lake " + incremental);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  auto c = Stocklake("run --input " + early + " --input " + late + " --lake " + full);
  ASSERT_EQ(c.exit_code, 0) << c.output;
  ExpectSameLakes(incremental, full);
  ExpectTablesMatchDefinitions(incremental);
}

// Any producer may publish one JSON object per bar to the raw topic; such bars flow
// into the lake like file rows, and a bar that does not fit is rejected, not lost.
TEST(RunBatchTest, JsonBarsFromOtherProducersReachTheLake) {
  TempDir dir;
  const std::string lake = dir.Join("lake");
  {
    auto log = OpenFileLog(lake + "/_log");
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    const std::string raw(kRawTopic);
    ASSERT_TRUE((*log)->EnsureTopic(raw, 16).ok());
    const std::pair<std::string, std::string> bars[] = {
        {"QQQ", R"({"ticker":"qqq","date":"2024-01-02","open":400,"high":402,"low":399,"close":401,"volume":1000})"},
        {"QQQ",
         R"({"ticker":"QQQ","date":"2024-01-03","open":401,"high":405,"low":400,"close":404,"adj_close":403.5,"volume":2000})"},
        {"QQQ", R"({"ticker":"QQQ","date":"2024-01-04","open":"x","high":405,"low":400,"close":404,"volume":2000})"},
        {"QQQ", "not json at all"}};
    for (const auto& [key, value] : bars) {
      ASSERT_TRUE((*log)->Produce(raw, PartitionForKey(key, 16), key, value).ok());
    }
    ASSERT_TRUE((*log)->Flush().ok());
  }
  auto run = Stocklake("run --input " + testing::FixturePath("run/mixed/yahoo/MSFT.csv") + " --lake " + lake);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // 3 rows of MSFT.csv (1 accepted, 2 rejected) and 4 records from the other producer.
  EXPECT_NE(run.output.find("7 read = 3 accepted + 4 rejected + 0 duplicates"), std::string::npos) << run.output;
  auto silver = DuckDb("SELECT CAST(date AS VARCHAR) AS date, close, adj_close, volume FROM " +
                       testing::LakeTable(lake, "silver/bars") + " WHERE ticker = 'QQQ' ORDER BY date");
  ASSERT_EQ(silver.size(), 2u) << silver.dump();
  EXPECT_EQ(silver[0]["date"], "2024-01-02");
  EXPECT_DOUBLE_EQ(silver[0]["adj_close"].get<double>(), 401);
  EXPECT_DOUBLE_EQ(silver[1]["adj_close"].get<double>(), 403.5);
  auto rejects = DuckDb("SELECT source_file, line, coalesce(ticker, '<null>') AS ticker, reason FROM " +
                        testing::LakeTable(lake, "rejects") + " WHERE source_file = 'raw-stock-data' ORDER BY line");
  ASSERT_EQ(rejects.size(), 2u) << rejects.dump();
  EXPECT_EQ(rejects[0]["ticker"], "QQQ");
  EXPECT_EQ(rejects[0]["reason"], "parse_error");
  EXPECT_EQ(rejects[1]["ticker"], "<null>");  // undecodable bytes: nothing known but the offset
  EXPECT_EQ(rejects[1]["reason"], "parse_error");
  EXPECT_LT(AsInt(rejects[0]["line"]), AsInt(rejects[1]["line"]));
}

TEST(RunBatchTest, LoadsPostgreSqlWhenAsked) {
  auto& pg = testing::PgServer::Shared();
  ASSERT_TRUE(pg.running()) << pg.error();
  const std::string url = pg.CreateDatabase();
  ASSERT_FALSE(url.empty()) << pg.error();
  TempDir dir;
  const std::string data = dir.Join("data"), lake = dir.Join("lake");
  ASSERT_EQ(Stocklake("generate --tickers 6 --days 260 --seed 2 --bad-rows 0.02 --out " + data).exit_code, 0);
  auto run = Stocklake("run --input " + data + " --lake " + lake + " --store '" + url + "'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("store      postgresql://"), std::string::npos) << run.output;
  ExpectStoreMatchesLake(url, lake);
  EXPECT_FALSE(std::filesystem::exists(lake + "/_store"));  // no SQLite when PostgreSQL is named
}

TEST(RunBatchTest, BadUsageExitsTwoAndWritesNothing) {
  TempDir dir;
  const std::string lake = dir.Join("lake");
  auto missing = Stocklake("run --input " + dir.Join("does-not-exist") + " --lake " + lake);
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("does-not-exist"), std::string::npos) << missing.output;
  EXPECT_FALSE(std::filesystem::exists(lake));

  auto no_lake = Stocklake("run --input " + testing::FixturePath("run/mixed"));
  EXPECT_EQ(no_lake.exit_code, 2) << no_lake.output;
  auto bad_option = Stocklake("run --input " + testing::FixturePath("run/mixed") + " --lake " + lake + " --frobnicate");
  EXPECT_EQ(bad_option.exit_code, 2) << bad_option.output;
  auto bad_log = Stocklake("run --input " + testing::FixturePath("run/mixed") + " --lake " + lake + " --log ftp://x");
  EXPECT_EQ(bad_log.exit_code, 2) << bad_log.output;
  auto bad_store =
      Stocklake("run --input " + testing::FixturePath("run/mixed") + " --lake " + lake + " --store mysql://x");
  EXPECT_EQ(bad_store.exit_code, 2) << bad_store.output;
  EXPECT_FALSE(std::filesystem::exists(lake));
  auto no_command = Stocklake("");
  EXPECT_EQ(no_command.exit_code, 2) << no_command.output;
}

TEST(RunBatchTest, VersionNamesTheProgramAndExitsZero) {
  auto version = Stocklake("--version");
  EXPECT_EQ(version.exit_code, 0) << version.output;
  EXPECT_EQ(version.output.rfind("stocklake ", 0), 0u) << version.output;
  EXPECT_NE(version.output.find('.'), std::string::npos) << version.output;
}

// A crash at each named point of a run (the process dies by SIGKILL there), then a
// rerun: the lake must equal a clean run's, and the log must not hold the crashed
// attempt's rows twice.
TEST(RunBatchTest, CrashAtEveryCommitPointCompletesOnRerun) {
  TempDir dir;
  const std::string data = dir.Join("data"), clean = dir.Join("clean");
  ASSERT_EQ(Stocklake("generate --tickers 10 --days 300 --seed 4 --bad-rows 0.02 --out " + data).exit_code, 0);
  ASSERT_EQ(Stocklake("run --input " + data + " --lake " + clean).exit_code, 0);
  for (const char* point :
       {"ingest-registered", "ingest-half-produced", "ingest-flushed", "after-ingest", "clean-half-produced",
        "clean-flushed", "lake-files-written", "lake-committed", "store-bucket-committed"}) {
    const std::string lake = dir.Join(std::string("crash-") + point);
    auto crashed = RunCommand("STOCKLAKE_CRASH_AT=" + std::string(point) + " " + StocklakeBinary() + " run --input " +
                              data + " --lake " + lake);
    EXPECT_EQ(crashed.exit_code, 128 + SIGKILL) << point << ": " << crashed.output;
    auto rerun = Stocklake("run --input " + data + " --lake " + lake);
    ASSERT_EQ(rerun.exit_code, 0) << point << ": " << rerun.output;
    SCOPED_TRACE(point);
    // The rerun's summary still accounts for every row it commits.
    long long read = -1, accepted = -1, rejected = -1, duplicates = -1;
    const auto at = rerun.output.find("rows ");
    ASSERT_NE(at, std::string::npos) << rerun.output;
    ASSERT_EQ(std::sscanf(rerun.output.c_str() + at, "rows %lld read = %lld accepted + %lld rejected + %lld duplicates",
                          &read, &accepted, &rejected, &duplicates),
              4)
        << rerun.output;
    EXPECT_EQ(read, accepted + rejected + duplicates) << rerun.output;
    ExpectSameLakes(lake, clean);
    ExpectStoreMatchesLake("sqlite:" + lake + "/_store/stocklake.sqlite", lake);
  }
}

// The same for a run that appends days to a lake (the buckets continue from their saved
// states, lake_append.h): killed at each point of its commit path, then rerun, the lake
// and store equal those of uninterrupted runs.
TEST(RunBatchTest, AnAppendKilledAtEveryCommitPointCompletesOnRerun) {
  TempDir dir;
  const std::string data = dir.Join("data"), early = dir.Join("early"), late = dir.Join("late");
  const std::string clean = dir.Join("clean");
  ASSERT_EQ(Stocklake("generate --tickers 8 --days 300 --seed 6 --bad-rows 0.02 --out " + data).exit_code, 0);
  testing::SplitDataset(data, early, late, 0.8);
  ASSERT_EQ(Stocklake("run --input " + early + " --lake " + clean).exit_code, 0);
  const auto appended = Stocklake("run --input " + late + " --lake " + clean);
  ASSERT_EQ(appended.exit_code, 0) << appended.output;
  ASSERT_NE(appended.output.find(" 0 recomputed"), std::string::npos) << appended.output;
  for (const char* point :
       {"lake-append-half-written", "lake-files-written", "lake-committed", "store-bucket-committed"}) {
    SCOPED_TRACE(point);
    const std::string lake = dir.Join(std::string("crash-") + point);
    ASSERT_EQ(Stocklake("run --input " + early + " --lake " + lake).exit_code, 0);
    auto crashed = RunCommand("STOCKLAKE_CRASH_AT=" + std::string(point) + " " + StocklakeBinary() + " run --input " +
                              late + " --lake " + lake);
    EXPECT_EQ(crashed.exit_code, 128 + SIGKILL) << crashed.output;
    auto rerun = Stocklake("run --input " + late + " --lake " + lake);
    ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
    ExpectSameLakes(lake, clean, /*require_rows=*/true);
    ExpectStoreMatchesLake("sqlite:" + lake + "/_store/stocklake.sqlite", lake);
  }
}

// kill -9 at several points of a run, then a rerun: the lake must equal a clean run's.
TEST(RunBatchTest, KilledRunsCompleteOnRerun) {
  TempDir dir;
  const std::string data = dir.Join("data"), clean = dir.Join("clean");
  ASSERT_EQ(Stocklake("generate --tickers 60 --days 2000 --seed 9 --bad-rows 0.01 --out " + data).exit_code, 0);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(Stocklake("run --input " + data + " --lake " + clean).exit_code, 0);
  const auto clean_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();

  for (double fraction : {0.15, 0.4, 0.65, 0.9}) {
    const std::string lake = dir.Join("crash-" + std::to_string(static_cast<int>(fraction * 100)));
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const std::string bin = StocklakeBinary();
      execl(bin.c_str(), bin.c_str(), "run", "--input", data.c_str(), "--lake", lake.c_str(), "--quiet",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(clean_ms * fraction)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    auto rerun = Stocklake("run --input " + data + " --lake " + lake);
    ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
    ExpectSameLakes(lake, clean);
  }
}

}  // namespace
}  // namespace stocklake
