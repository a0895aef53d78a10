// The quarterly ML application end to end through the stocklake binary: a planted signal
// the backtest must find, noise it must not, metrics recomputed naively from the
// backtest's own prediction rows, deterministic training, no look-ahead in training, the
// predictions table, and the bad-input exits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/date.h"
#include "lake_test_util.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::AsInt;
using testing::DuckDb;
using testing::LakeTable;
using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;
using testing::WriteTextFile;

// Business days from 2010-01-04 on.
std::vector<Date> TradingDays(int count) {
  std::vector<Date> days;
  for (Date d = DaysFromCivil(2010, 1, 4); static_cast<int>(days.size()) < count; ++d) {
    if (WeekdayMondayZero(d) < 5) days.push_back(d);
  }
  return days;
}

enum class Market { kPlantedSignal, kNoise };

// Writes `tickers` files in the Huge Stock Market Dataset layout. Planted signal: in each
// quarter a ticker is secretly "up" or "down"; an up ticker trades at three times its
// usual volume over the quarter's last 21 days and drifts up through the next quarter, a
// down one the reverse. Nothing but the volume gives the next quarter away. Noise: i.i.d.
// returns and volumes. Rows dated after `last_day` are left out.
void WriteMarket(const std::string& dir, Market market, int tickers, int days, uint32_t seed,
                 Date last_day = std::numeric_limits<Date>::max()) {
  const std::vector<Date> calendar = TradingDays(days);
  std::mt19937_64 random(seed);
  std::normal_distribution<double> noise(0.0, 0.012);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int t = 0; t < tickers; ++t) {
    char name[32];
    std::snprintf(name, sizeof name, "t%03d", t);
    std::string text = "Date,Open,High,Low,Close,Volume,OpenInt\n";
    double close = 20 + 80 * uniform(random);
    std::map<int32_t, int> state;  // quarter -> +1 / -1
    for (size_t i = 0; i < calendar.size(); ++i) {
      const Date d = calendar[i];
      const int32_t quarter = QuarterKey(d);
      if (!state.count(quarter)) state[quarter] = uniform(random) < 0.5 ? 1 : -1;
      double drift = 0;
      double volume = 1e6 * (0.8 + 0.4 * uniform(random));
      if (market == Market::kPlantedSignal) {
        const auto previous = state.find(PreviousQuarter(quarter));
        if (previous != state.end()) drift = 0.003 * previous->second;
        const bool last_month = i + 21 < calendar.size() ? QuarterKey(calendar[i + 21]) != quarter : true;
        if (last_month && state[quarter] > 0) volume *= 3;
      }
      const double open = close;
      close = close * std::exp(drift + noise(random));
      if (d > last_day) continue;
      char row[160];
      std::snprintf(row, sizeof row, "%s,%.4f,%.4f,%.4f,%.4f,%lld,0\n", FormatDate(d).c_str(), open,
                    std::max(open, close) * 1.01, std::min(open, close) * 0.99, close, static_cast<long long>(volume));
      text += row;
    }
    WriteTextFile(dir + "/Stocks/" + name + ".us.txt", text);
  }
}

std::string Stocklake(const std::string& args) { return StocklakeBinary() + " " + args + " 2>&1"; }

void RunLake(const std::string& input, const std::string& lake) {
  const auto run = RunCommand(Stocklake("run --quiet --store none --input " + input + " --lake " + lake));
  ASSERT_EQ(run.exit_code, 0) << run.output;
}

double AsDouble(const nlohmann::json& v) {
  if (v.is_null()) return NAN;
  return v.is_string() ? std::stod(v.get<std::string>()) : v.get<double>();
}

// Mean over quarters of a predictor's metric in the lake's (only) backtest.
double MeanMetric(const std::string& lake, const std::string& predictor, const std::string& metric) {
  const auto rows = DuckDb("SELECT avg(" + metric + ") AS m FROM " + LakeTable(lake, "gold/backtest") +
                           " WHERE predictor = '" + predictor + "'");
  return AsDouble(rows.at(0).at("m"));
}

TEST(MlJobs, BacktestFindsAPlantedSignalThatMomentumMisses) {
  TempDir dir;
  WriteMarket(dir.Join("in"), Market::kPlantedSignal, 120, 1300, 11);
  RunLake(dir.Join("in"), dir.Join("lake"));
  const auto backtest = RunCommand(
      Stocklake("backtest --store none --rounds 60 --lake " + dir.Join("lake") + " --from 2011Q3 --to 2014Q4"));
  ASSERT_EQ(backtest.exit_code, 0) << backtest.output;
  EXPECT_NE(backtest.output.find("rank ICIR"), std::string::npos) << backtest.output;
  EXPECT_NE(backtest.output.find("backtest 2012Q1 ["), std::string::npos) << "progress lines: " << backtest.output;
  const double model = MeanMetric(dir.Join("lake"), "model", "rank_ic");
  const double baseline = MeanMetric(dir.Join("lake"), "baseline", "rank_ic");
  EXPECT_GT(model, 0.4) << backtest.output;
  EXPECT_GT(model, baseline + 0.3) << backtest.output;
  EXPECT_GT(MeanMetric(dir.Join("lake"), "model", "top_bottom_spread"), 0.1);
  EXPECT_EQ(AsInt(DuckDb("SELECT count(DISTINCT quarter) AS n FROM " + LakeTable(dir.Join("lake"), "gold/backtest"))
                      .at(0)
                      .at("n")),
            14);
}

TEST(MlJobs, BacktestFindsNothingInNoise) {
  TempDir dir;
  WriteMarket(dir.Join("in"), Market::kNoise, 150, 1300, 12);
  RunLake(dir.Join("in"), dir.Join("lake"));
  const auto backtest = RunCommand(
      Stocklake("backtest --quiet --store none --rounds 60 --lake " + dir.Join("lake") + " --from 2011Q3 --to 2014Q4"));
  ASSERT_EQ(backtest.exit_code, 0) << backtest.output;
  EXPECT_EQ(backtest.output.find("backtest 2012Q1 ["), std::string::npos) << "--quiet prints no progress";
  // 150 tickers: one quarter's rank IC has a standard error near 0.08, the mean of 14
  // near 0.02.
  EXPECT_LT(std::abs(MeanMetric(dir.Join("lake"), "model", "rank_ic")), 0.08) << backtest.output;
}

// Pearson correlation, from deviations about the mean.
long double Pearson(const std::vector<long double>& x, const std::vector<long double>& y) {
  const size_t n = x.size();
  long double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) mx += x[i], my += y[i];
  mx /= n, my /= n;
  long double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

// Average ranks by brute force: 1 + the values below + half the other equal values.
std::vector<long double> Ranks(const std::vector<long double>& x) {
  std::vector<long double> r(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    long double below = 0, equal = 0;
    for (size_t j = 0; j < x.size(); ++j) below += x[j] < x[i], equal += (j != i && x[j] == x[i]);
    r[i] = 1 + below + equal / 2;
  }
  return r;
}

TEST(MlJobs, BacktestMetricsMatchANaiveRecomputationOfItsPredictions) {
  TempDir dir;
  WriteMarket(dir.Join("in"), Market::kPlantedSignal, 60, 1100, 13);
  RunLake(dir.Join("in"), dir.Join("lake"));
  const auto backtest = RunCommand(Stocklake("backtest --quiet --store none --rounds 30 --window 4 --lake " +
                                             dir.Join("lake") + " --from 2011Q2 --to 2013Q4"));
  ASSERT_EQ(backtest.exit_code, 0) << backtest.output;
  const std::string lake = dir.Join("lake");
  const auto rows = DuckDb("SELECT quarter, ticker, prediction, baseline, label FROM " +
                           LakeTable(lake, "gold/backtest_predictions") + " ORDER BY quarter, ticker");
  const auto metrics = DuckDb("SELECT * FROM " + LakeTable(lake, "gold/backtest") + " ORDER BY quarter, predictor");
  ASSERT_FALSE(metrics.empty());
  size_t checked = 0;
  for (const auto& m : metrics) {
    const std::string quarter = m.at("quarter"), predictor = m.at("predictor");
    // (ticker order is the stable order the spec's decile ranks break ties by)
    std::vector<long double> p, l;
    for (const auto& r : rows) {
      if (r.at("quarter") != quarter || r.at("label").is_null()) continue;
      const auto& value = predictor == "model" ? r.at("prediction") : r.at("baseline");
      if (value.is_null()) continue;
      p.push_back(AsDouble(value));
      l.push_back(AsDouble(r.at("label")));
    }
    const size_t n = p.size();
    ASSERT_EQ(AsInt(m.at("count")), static_cast<int64_t>(n)) << quarter << " " << predictor;
    if (n < 10) continue;
    EXPECT_NEAR(AsDouble(m.at("ic")), static_cast<double>(Pearson(p, l)), 1e-9);
    EXPECT_NEAR(AsDouble(m.at("rank_ic")), static_cast<double>(Pearson(Ranks(p), Ranks(l))), 1e-9);
    long double hits = 0, signed_rows = 0, squares = 0;
    for (size_t i = 0; i < n; ++i) {
      squares += (p[i] - l[i]) * (p[i] - l[i]);
      if (l[i] == 0) continue;
      ++signed_rows;
      hits += (p[i] > 0) - (p[i] < 0) == (l[i] > 0) - (l[i] < 0);
    }
    EXPECT_NEAR(AsDouble(m.at("hit_rate")), static_cast<double>(hits / signed_rows), 1e-12);
    EXPECT_NEAR(AsDouble(m.at("rmse")), static_cast<double>(std::sqrt(squares / n)), 1e-9);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
    long double top = 0, bottom = 0, top_n = 0, bottom_n = 0;
    for (size_t k = 0; k < n; ++k) {
      const size_t decile = 10 * k / n;  // rank k+1: floor(10 * (rank - 1) / count)
      if (decile == 9) top += l[order[k]], ++top_n;
      if (decile == 0) bottom += l[order[k]], ++bottom_n;
    }
    EXPECT_NEAR(AsDouble(m.at("top_bottom_spread")), static_cast<double>(top / top_n - bottom / bottom_n), 1e-9);
    ++checked;
  }
  EXPECT_GE(checked, 10u);
}

TEST(MlJobs, TrainRegistersADeterministicModelAndWritesRankedPredictions) {
  TempDir dir;
  WriteMarket(dir.Join("in"), Market::kPlantedSignal, 50, 1000, 14);
  RunLake(dir.Join("in"), dir.Join("lake"));
  const std::string lake = dir.Join("lake");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const auto train = RunCommand(Stocklake("train --store none --rounds 40 --lake " + lake + " --quarter 2013Q2"));
    ASSERT_EQ(train.exit_code, 0) << train.output;
    EXPECT_NE(train.output.find("version " + std::to_string(attempt)), std::string::npos) << train.output;
  }
  const auto v1 =
      nlohmann::json::parse(RunCommand("cat " + lake + "/_stocklake/models/quarterly/versions/1/version.json").output);
  const auto v2 =
      nlohmann::json::parse(RunCommand("cat " + lake + "/_stocklake/models/quarterly/versions/2/version.json").output);
  EXPECT_EQ(v1.at("model_sha256"), v2.at("model_sha256")) << "same inputs, seed and threads: the same model";
  EXPECT_EQ(v1.at("train_last_quarter"), "2013Q1");
  EXPECT_EQ(v1.at("quarter"), "2013Q2");
  EXPECT_FALSE(v1.at("feature_files").empty());

  // One quarter, one model: the second training replaced the first one's rows.
  const auto predictions = DuckDb(
      "SELECT count(*) AS n, min(rank) AS lo, max(rank) AS hi, count(DISTINCT rank) AS d, "
      "max(model_version) AS v, count(label) AS labelled FROM " +
      LakeTable(lake, "gold/predictions"));
  const int64_t tickers =
      AsInt(DuckDb("SELECT count(*) AS n FROM " + LakeTable(lake, "gold/ml_features") + " WHERE quarter = '2013Q2'")
                .at(0)
                .at("n"));
  EXPECT_EQ(AsInt(predictions.at(0).at("n")), tickers);
  EXPECT_EQ(AsInt(predictions.at(0).at("lo")), 1);
  EXPECT_EQ(AsInt(predictions.at(0).at("hi")), tickers);
  EXPECT_EQ(AsInt(predictions.at(0).at("d")), tickers);
  EXPECT_EQ(AsInt(predictions.at(0).at("v")), 2);
  EXPECT_EQ(AsInt(predictions.at(0).at("labelled")), tickers) << "2013Q2's labels are realised in this lake";
  const auto order = DuckDb(
      "SELECT count(*) AS bad FROM (SELECT prediction, lead(prediction) OVER (ORDER BY rank) AS "
      "next FROM " +
      LakeTable(lake, "gold/predictions") + ") WHERE next > prediction");
  EXPECT_EQ(AsInt(order.at(0).at("bad")), 0) << "rank 1 is the highest prediction";

  // predict with the first version of the model replaces the quarter's rows again.
  const auto predict =
      RunCommand(Stocklake("predict --store none --lake " + lake + " --quarter 2013Q2 --model quarterly:1"));
  ASSERT_EQ(predict.exit_code, 0) << predict.output;
  const auto after =
      DuckDb("SELECT count(*) AS n, max(model_version) AS v FROM " + LakeTable(lake, "gold/predictions"));
  EXPECT_EQ(AsInt(after.at(0).at("n")), tickers);
  EXPECT_EQ(AsInt(after.at(0).at("v")), 1);
}

TEST(MlJobs, TrainingAtTIgnoresEveryRowAfterT) {
  TempDir dir;
  WriteMarket(dir.Join("full"), Market::kPlantedSignal, 40, 1100, 15);
  WriteMarket(dir.Join("cut"), Market::kPlantedSignal, 40, 1100, 15, QuarterEndDate(20123));
  RunLake(dir.Join("full"), dir.Join("full_lake"));
  RunLake(dir.Join("cut"), dir.Join("cut_lake"));
  for (const char* lake : {"full_lake", "cut_lake"}) {
    const auto train = RunCommand(
        Stocklake(std::string("train --store none --rounds 30 --lake ") + dir.Join(lake) + " --quarter 2012Q3"));
    ASSERT_EQ(train.exit_code, 0) << train.output;
  }
  const std::string query = "SELECT ticker, prediction, rank FROM %s ORDER BY ticker";
  auto read = [&](const std::string& lake) {
    return DuckDb("SELECT ticker, prediction, rank FROM " + LakeTable(dir.Join(lake), "gold/predictions") +
                  " ORDER BY ticker");
  };
  const auto full = read("full_lake"), cut = read("cut_lake");
  ASSERT_FALSE(full.empty());
  EXPECT_EQ(full, cut) << "rows dated after 2012Q3 changed the model made at its end";
  auto hash = [&](const std::string& lake) {
    return nlohmann::json::parse(
               RunCommand("cat " + dir.Join(lake) + "/_stocklake/models/quarterly/versions/1/version.json").output)
        .at("model_sha256");
  };
  EXPECT_EQ(hash("full_lake"), hash("cut_lake"));
}

TEST(MlJobs, ARunThatRealisesLabelsFillsThemIntoEarlierPredictions) {
  TempDir dir;
  WriteMarket(dir.Join("cut"), Market::kNoise, 20, 900, 17, QuarterEndDate(20123));
  WriteMarket(dir.Join("full"), Market::kNoise, 20, 900, 17);
  const std::string lake = dir.Join("lake");
  RunLake(dir.Join("cut"), lake);
  const auto train = RunCommand(Stocklake("train --store none --rounds 10 --lake " + lake + " --quarter 2012Q3"));
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const std::string labelled =
      "SELECT count(*) AS n, count(label) AS labelled FROM " + LakeTable(lake, "gold/predictions");
  EXPECT_EQ(AsInt(DuckDb(labelled).at(0).at("labelled")), 0) << "2012Q4 is not in the lake yet";

  const auto run = RunCommand(Stocklake("run --store none --input " + dir.Join("full") + " --lake " + lake));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("20 realised labels filled"), std::string::npos) << run.output;
  const auto after = DuckDb(labelled).at(0);
  EXPECT_EQ(AsInt(after.at("labelled")), 20);
  EXPECT_EQ(AsInt(after.at("n")), 20);
  const auto mismatches =
      DuckDb("SELECT count(*) AS n FROM " + LakeTable(lake, "gold/predictions") + " p JOIN " +
             LakeTable(lake, "gold/ml_features") + " f USING (ticker, quarter) WHERE p.label IS DISTINCT FROM f.label");
  EXPECT_EQ(AsInt(mismatches.at(0).at("n")), 0);
}

TEST(MlJobs, BadInputExitsTwoWithAClearMessage) {
  TempDir dir;
  WriteMarket(dir.Join("in"), Market::kNoise, 12, 400, 16);
  RunLake(dir.Join("in"), dir.Join("lake"));
  const std::string lake = dir.Join("lake");
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {"train --store none --lake " + lake + " --quarter 2030Q1", "2030Q1 has no feature rows"},
      {"train --store none --lake " + lake + " --quarter 2010Q1", "no quarter before 2010Q1"},
      {"train --store none --lake " + lake + " --quarter 2011-03", "not a quarter"},
      {"train --store none --lake " + dir.Join("nowhere") + " --quarter 2011Q1", "no lake at"},
      {"predict --store none --lake " + lake + " --quarter 2011Q1 --model nosuchmodel", "no model registry"},
      {"backtest --store none --lake " + lake + " --from 2012Q1 --to 2011Q1", "before --from"},
      {"backtest --store none --lake " + lake + " --from 2030Q1 --to 2030Q2", "could be modelled"},
  };
  for (const Case& c : cases) {
    const auto result = RunCommand(Stocklake(c.args));
    EXPECT_EQ(result.exit_code, 2) << c.args << "\n" << result.output;
    EXPECT_NE(result.output.find(c.message), std::string::npos) << c.args << "\n" << result.output;
  }
  // A lake whose every row was rejected has the features table but no feature rows.
  WriteTextFile(dir.Join("bad/Stocks/bad.us.txt"), "Date,Open,High,Low,Close,Volume,OpenInt\nnot-a-date,1,1,1,1,1,0\n");
  RunLake(dir.Join("bad"), dir.Join("bad_lake"));
  const auto empty = RunCommand(Stocklake("train --store none --lake " + dir.Join("bad_lake") + " --quarter 2011Q1"));
  EXPECT_EQ(empty.exit_code, 2) << empty.output;
  EXPECT_NE(empty.output.find("no feature rows"), std::string::npos) << empty.output;

  // None of these registered anything.
  EXPECT_NE(RunCommand("test -e " + lake + "/_stocklake/models/quarterly/versions/1").exit_code, 0);

  const auto train = RunCommand(Stocklake("train --store none --rounds 5 --lake " + lake + " --quarter 2011Q1"));
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const Case unknown_models[] = {
      {"predict --store none --lake " + lake + " --quarter 2011Q1 --model nosuchmodel", "quarterly"},
      {"predict --store none --lake " + lake + " --quarter 2011Q1 --model quarterly:7", "no version 7; versions: 1"},
      {"predict --store none --lake " + lake + " --quarter 2011Q1 --model quarterly@champion", "champion"},
  };
  for (const Case& c : unknown_models) {
    const auto result = RunCommand(Stocklake(c.args));
    EXPECT_EQ(result.exit_code, 2) << c.args << "\n" << result.output;
    EXPECT_NE(result.output.find(c.message), std::string::npos) << c.args << "\n" << result.output;
  }
}

}  // namespace
}  // namespace stocklake
