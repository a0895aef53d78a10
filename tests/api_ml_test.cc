// The REST API's ML endpoints (predictions, backtests) end to end: a lake made by the
// real binary with ML tables committed through the lake's commit path, synced into the
// store, the server in-process over real HTTP; answers checked against the rows committed
// (computed here), exports, paging, and every refusal (400, 401, 403, 404).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api_test_util.h"
#include "lake/parquet_reader.h"
#include "lake/table_schemas.h"
#include "ml_lake_util.h"
#include "serve/tokens.h"
#include "store/store_sync.h"
#include "test_util.h"

namespace stocklake {
namespace {

using nlohmann::json;
using testing::RunningServer;
using testing::TempDir;

const std::vector<std::string> kTickers = {"AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG"};
const std::vector<std::string> kQuarters = {"2016Q4", "2017Q1", "2017Q2", "2017Q3"};

Table NewestPredictions() { return testing::MakePredictions(kTickers, "2017Q3", "alpha", 2, 2, false); }
Table ZetaPredictions() { return testing::MakePredictions(kTickers, "2017Q2", "zeta", 1, 3, true); }
Table Backtest1() { return testing::MakeBacktest("bt-1", kQuarters, 4); }

class ApiMlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    lake_ = dir_->Join("lake");
    auto gen = testing::RunCommand(testing::StocklakeBinary() + " generate --tickers 4 --days 90 --seed 3 --out " +
                                   dir_->Join("in"));
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    auto run = testing::RunCommand(testing::StocklakeBinary() + " run --quiet --input " + dir_->Join("in") +
                                   " --lake " + lake_);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    auto commit = [](std::string_view table, const std::string& partition, const Table& rows) {
      const Status st = testing::CommitMlPartition(lake_, std::string(table), partition, rows);
      ASSERT_TRUE(st.ok()) << st.ToString();
    };
    commit(kGoldPredictions, testing::PredictionsPartition("2017Q2", "alpha"),
           testing::MakePredictions(kTickers, "2017Q2", "alpha", 1, 1, true));
    commit(kGoldPredictions, testing::PredictionsPartition("2017Q3", "alpha"), NewestPredictions());
    commit(kGoldPredictions, testing::PredictionsPartition("2017Q2", "zeta"), ZetaPredictions());
    commit(kGoldBacktest, testing::BacktestPartition("bt-1"), Backtest1());
    commit(kGoldBacktest, testing::BacktestPartition("bt-2"), testing::MakeBacktest("bt-2", {"2017Q3"}, 8));
    SyncOptions sync;
    const Status synced = SyncStoreWithLake("sqlite:" + lake_ + "/_store/stocklake.sqlite", lake_, sync, nullptr);
    ASSERT_TRUE(synced.ok()) << synced.ToString();
    viewer_ = new std::string(*CreateToken(lake_, Role::kViewer, "vera", 0));
    analyst_ = new std::string(*CreateToken(lake_, Role::kAnalyst, "anna", 0));
    ServeOptions o;
    o.lake_dir = lake_;
    o.rate_limit = 0;
    o.web_dir = dir_->Join("web");
    server_ = new RunningServer(o);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete viewer_;
    delete analyst_;
    delete dir_;
  }

  static httplib::Result Get(const std::string& path, const std::string& token) {
    return testing::GetAs(server_->port(), path, token);
  }
  static json GetJson(const std::string& path) { return testing::GetJsonAs(server_->port(), path, *viewer_); }
  //! A refusal with `status` and `code` whose message mentions `words`.
  static void ExpectError(const std::string& path, const std::string& token, int status, const std::string& code,
                          const std::string& words = "") {
    SCOPED_TRACE(path);
    testing::ExpectApiError(Get(path, token), status, code, words);
  }

  //! `rows` (gold/predictions, in rank order) as the API's JSON rows.
  static json PredictionsJson(const Table& rows) {
    json out = json::array();
    for (size_t r = 0; r < rows.num_rows(); ++r) {
      const Column& label = *rows.Find("label");
      out.push_back({{"ticker", rows.Find("ticker")->StringAt(r)},
                     {"quarter", rows.Find("quarter")->StringAt(r)},
                     {"as_of_date", FormatDate(rows.Find("as_of_date")->i32[r])},
                     {"model", rows.Find("model")->StringAt(r)},
                     {"model_version", rows.Find("model_version")->i32[r]},
                     {"prediction", rows.Find("prediction")->f64[r]},
                     {"rank", rows.Find("rank")->i32[r]},
                     {"label", label.IsNull(r) ? json(nullptr) : json(label.f64[r])}});
    }
    return out;
  }

  static TempDir* dir_;
  static std::string lake_;
  static std::string* viewer_;
  static std::string* analyst_;
  static RunningServer* server_;
};

TempDir* ApiMlTest::dir_ = nullptr;
std::string ApiMlTest::lake_;
std::string* ApiMlTest::viewer_ = nullptr;
std::string* ApiMlTest::analyst_ = nullptr;
RunningServer* ApiMlTest::server_ = nullptr;

TEST_F(ApiMlTest, PredictionsDefaultToTheNewestQuarterAndPageByRank) {
  const json newest = GetJson("/api/v1/predictions");
  EXPECT_EQ(newest["data"], PredictionsJson(NewestPredictions()));
  EXPECT_TRUE(newest["next_cursor"].is_null());

  EXPECT_EQ(GetJson("/api/v1/predictions?model=zeta")["data"], PredictionsJson(ZetaPredictions()))
      << "the newest quarter of the model asked for";
  EXPECT_EQ(GetJson("/api/v1/predictions?quarter=2017q2&model=zeta")["data"], PredictionsJson(ZetaPredictions()));
  EXPECT_EQ(GetJson("/api/v1/predictions?quarter=2017Q2")["data"][0]["model"], "alpha")
      << "the quarter's first model by name";

  // Pages of 3 reassemble the quarter, in rank order.
  json all = json::array();
  std::string path = "/api/v1/predictions?model=zeta&limit=3";
  for (int pages = 0; pages < 10; ++pages) {
    const json page = GetJson(path);
    for (const json& row : page["data"]) all.push_back(row);
    if (page["next_cursor"].is_null()) break;
    path = "/api/v1/predictions?limit=3&cursor=" + page["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(all, PredictionsJson(ZetaPredictions()));

  const json sets = GetJson("/api/v1/predictions/quarters");
  EXPECT_EQ(sets["data"], json::parse(R"([
    {"quarter": "2017Q3", "model": "alpha", "model_version": 2, "rows": 7},
    {"quarter": "2017Q2", "model": "alpha", "model_version": 1, "rows": 7},
    {"quarter": "2017Q2", "model": "zeta", "model_version": 1, "rows": 7}])"));
}

TEST_F(ApiMlTest, PredictionsExportAsCsvAndParquetForAnalysts) {
  const std::string path = "/api/v1/predictions?quarter=2017Q2&model=zeta";
  auto csv = Get(path + "&format=csv", *analyst_);
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200) << csv->body;
  std::istringstream lines(csv->body);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line.substr(0, line.find_last_not_of('\r') + 1),
            "ticker,quarter,as_of_date,model,model_version,prediction,rank,label");
  const Table zeta = ZetaPredictions();
  for (size_t r = 0; std::getline(lines, line); ++r) {
    if (line.empty() || line == "\r") continue;
    ASSERT_LT(r, zeta.num_rows());
    EXPECT_TRUE(line.starts_with(std::string(zeta.Find("ticker")->StringAt(r)) + ",2017Q2,")) << line;
  }

  auto pq = Get(path + "&format=parquet", *analyst_);
  ASSERT_TRUE(pq);
  ASSERT_EQ(pq->status, 200);
  auto table = DecodeParquet(pq->body, "response");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  ASSERT_EQ(table->num_rows(), zeta.num_rows());
  for (size_t r = 0; r < zeta.num_rows(); ++r) {
    EXPECT_EQ(table->Find("ticker")->StringAt(r), zeta.Find("ticker")->StringAt(r));
    EXPECT_EQ(table->Find("prediction")->f64[r], zeta.Find("prediction")->f64[r]);
    EXPECT_EQ(table->Find("label")->f64[r], zeta.Find("label")->f64[r]);
  }
  ExpectError(path + "&format=csv", *viewer_, 403, "forbidden");
}

TEST_F(ApiMlTest, PredictionRefusals) {
  ExpectError("/api/v1/predictions?quarter=2017Q5", *viewer_, 400, "bad_request", "YYYYQn");
  ExpectError("/api/v1/predictions?quarter=17Q1", *viewer_, 400, "bad_request", "YYYYQn");
  ExpectError("/api/v1/predictions?model=../etc", *viewer_, 400, "bad_request", "model");
  ExpectError("/api/v1/predictions?modle=zeta", *viewer_, 400, "bad_request");
  ExpectError("/api/v1/predictions?model=nobody", *viewer_, 404, "not_found", "model nobody");
  ExpectError("/api/v1/predictions?quarter=2001Q1", *viewer_, 404, "not_found", "quarter 2001Q1");
  ExpectError("/api/v1/predictions?cursor=bm90LWEtY3Vyc29y", *viewer_, 400, "bad_request");
  const json page = GetJson("/api/v1/predictions?model=zeta&limit=2");
  ASSERT_TRUE(page["next_cursor"].is_string());
  ExpectError("/api/v1/predictions?model=alpha&cursor=" + page["next_cursor"].get<std::string>(), *viewer_, 400,
              "bad_request", "cursor");
  ExpectError("/api/v1/predictions", "", 401, "unauthorized");
}

//! Mean of the non-null `metric` values of `predictor` in `t`.
double MeanOf(const Table& t, const char* predictor, const char* metric) {
  double sum = 0;
  int n = 0;
  for (size_t r = 0; r < t.num_rows(); ++r) {
    if (t.Find("predictor")->StringAt(r) != predictor || t.Find(metric)->IsNull(r)) continue;
    sum += t.Find(metric)->f64[r];
    ++n;
  }
  return sum / n;
}

TEST_F(ApiMlTest, BacktestsListNewestFirstWithPerQuarterMetrics) {
  const json list = GetJson("/api/v1/backtests");
  ASSERT_EQ(list["data"].size(), 2u);
  EXPECT_EQ(list["data"][0]["backtest_id"], "bt-2");
  const json& bt1 = list["data"][1];
  EXPECT_EQ(bt1["backtest_id"], "bt-1");
  EXPECT_EQ(bt1["first_quarter"], "2016Q4");
  EXPECT_EQ(bt1["last_quarter"], "2017Q3");
  EXPECT_EQ(bt1["quarters"], 4);
  const Table rows = Backtest1();
  EXPECT_DOUBLE_EQ(bt1["summary"]["model"]["mean_ic"].get<double>(), MeanOf(rows, "model", "ic"));
  EXPECT_DOUBLE_EQ(bt1["summary"]["baseline"]["mean_rank_ic"].get<double>(), MeanOf(rows, "baseline", "rank_ic"));
  EXPECT_DOUBLE_EQ(bt1["summary"]["model"]["mean_hit_rate"].get<double>(), MeanOf(rows, "model", "hit_rate"));
  EXPECT_EQ(bt1["summary"]["baseline"]["quarters"], 4);
  EXPECT_TRUE(list["data"][0]["summary"]["model"]["icir"].is_null()) << "one quarter has no ICIR";

  const json one = GetJson("/api/v1/backtests/bt-1");
  EXPECT_EQ(one["summary"], bt1["summary"]);
  ASSERT_EQ(one["by_quarter"].size(), kQuarters.size());
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    const size_t q = r / 2;
    const std::string predictor(rows.Find("predictor")->StringAt(r));
    const json& m = one["by_quarter"][q][predictor];
    EXPECT_EQ(one["by_quarter"][q]["quarter"], kQuarters[q]);
    for (const char* metric : {"ic", "rank_ic", "hit_rate", "top_bottom_spread", "rmse"}) {
      const Column& c = *rows.Find(metric);
      EXPECT_EQ(m[metric], c.IsNull(r) ? json(nullptr) : json(c.f64[r])) << kQuarters[q] << " " << predictor;
    }
    EXPECT_EQ(m["count"], rows.Find("count")->i64[r]);
  }
  EXPECT_TRUE(one["by_quarter"][1]["baseline"]["ic"].is_null());
  ExpectError("/api/v1/backtests/bt-9", *viewer_, 404, "not_found", "no backtest bt-9");
  ExpectError("/api/v1/backtests?x=1", *viewer_, 400, "bad_request");
}

TEST_F(ApiMlTest, OpenApiDescribesTheMlRoutes) {
  auto r = Get("/api/v1/openapi.json", "");
  ASSERT_TRUE(r);
  const json doc = json::parse(r->body);
  for (const char* path : {"/api/v1/predictions", "/api/v1/predictions/quarters", "/api/v1/backtests",
                           "/api/v1/backtests/{backtest_id}"}) {
    ASSERT_TRUE(doc["paths"].contains(path)) << path;
    EXPECT_EQ(doc["paths"][path]["get"]["x-minimum-role"], "viewer") << path;
    EXPECT_TRUE(doc["paths"][path]["get"]["responses"]["200"]["content"].contains("application/json")) << path;
  }
  EXPECT_TRUE(doc["paths"]["/api/v1/predictions"]["get"]["responses"]["200"]["content"].contains("text/csv"));
  EXPECT_TRUE(doc["components"]["schemas"]["Prediction"]["properties"].contains("rank"));
}

}  // namespace
}  // namespace stocklake
