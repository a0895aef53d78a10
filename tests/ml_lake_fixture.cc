// ml_lake_fixture LAKE: commits ML tables into a lake made by `stocklake run` (through the
// lake's own commit path, ml_lake_util.h) and syncs the lake's default serving store, so
// the dashboard's browser test can show a model view before the train and backtest
// commands exist. Predictions of the lake's tickers for 2019Q3 (labelled) and 2019Q4 by
// "momentum-xgb"; backtests bt-20230101 (older, 3 quarters) and bt-20240101 (6 quarters).
#include <cstdio>

#include "lake/table_schemas.h"
#include "ml_lake_util.h"
#include "store/store_sync.h"

namespace {

using namespace stocklake;

Status Fill(const std::string& lake) {
  const std::vector<std::string> tickers = testing::LakeTickers(lake);
  if (tickers.empty()) return Status::InvalidArgument(lake + " has no silver/bars tickers: run stocklake run first");
  const std::string model = "momentum-xgb";
  SL_RETURN_IF_ERROR(testing::CommitMlPartition(lake, std::string(kGoldPredictions),
                                                testing::PredictionsPartition("2019Q3", model),
                                                testing::MakePredictions(tickers, "2019Q3", model, 1, 31, true)));
  SL_RETURN_IF_ERROR(testing::CommitMlPartition(lake, std::string(kGoldPredictions),
                                                testing::PredictionsPartition("2019Q4", model),
                                                testing::MakePredictions(tickers, "2019Q4", model, 2, 32, false)));
  const std::vector<std::pair<std::string, std::vector<std::string>>> backtests = {
      {"bt-20230101", {"2018Q1", "2018Q2", "2018Q3"}},
      {"bt-20240101", {"2018Q2", "2018Q3", "2018Q4", "2019Q1", "2019Q2", "2019Q3"}}};
  uint32_t seed = 40;
  for (const auto& [id, quarters] : backtests) {
    SL_RETURN_IF_ERROR(testing::CommitMlPartition(lake, std::string(kGoldBacktest), testing::BacktestPartition(id),
                                                  testing::MakeBacktest(id, quarters, ++seed)));
    SL_RETURN_IF_ERROR(testing::CommitMlPartition(lake, std::string(kGoldBacktestPredictions),
                                                  testing::BacktestPartition(id),
                                                  testing::MakeBacktestPredictions(id, tickers, quarters, ++seed)));
  }
  SyncStats stats;
  SL_RETURN_IF_ERROR(SyncStoreWithLake("sqlite:" + lake + "/_store/stocklake.sqlite", lake, SyncOptions{}, &stats));
  std::printf("committed and synced %d ML partitions (%lld rows)\n", stats.partitions_loaded,
              static_cast<long long>(stats.ml_rows_loaded));
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ml_lake_fixture LAKE\n");
    return 2;
  }
  const Status st = Fill(argv[1]);
  if (!st.ok()) {
    std::fprintf(stderr, "ml_lake_fixture: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
