#include "lake/table_schemas.h"

#include <string>

#include "process/indicators.h"
#include "process/quarter_features.h"
#include "process/ticker_state.h"

namespace stocklake {

namespace {

Table MakeTable(std::initializer_list<Column> columns) {
  Table t;
  t.columns.assign(columns.begin(), columns.end());
  return t;
}

}  // namespace

const std::vector<std::string_view>& AllTableNames() {
  static const std::vector<std::string_view> kNames = {
      kSilverBars, kGoldIndicators, kGoldBarsWeekly, kGoldBarsMonthly,    kGoldBarsQuarterly, kGoldMlFeatures,
      kRejects,    kBarsLineage,    kRejectsLineage, kTickerStateScalars, kTickerStateTail,   kTickerStateQuarters};
  return kNames;
}

const std::vector<std::string_view>& MlTableNames() {
  static const std::vector<std::string_view> kNames = {kGoldPredictions, kGoldBacktest, kGoldBacktestPredictions};
  return kNames;
}

const std::vector<std::string_view>& UnbucketedTableNames() {
  static const std::vector<std::string_view> kNames = {kGoldPredictions, kGoldBacktest, kGoldBacktestPredictions,
                                                       kSilverIntradayBars};
  return kNames;
}

Table EmptyTableFor(std::string_view name) {
  using T = ColumnType;
  if (name == kSilverIntradayBars) {
    return MakeTable({{"symbol", T::kString, false},
                      {"window_start", T::kInt64, false},
                      {"window_end", T::kInt64, false},
                      {"open", T::kDouble, false},
                      {"high", T::kDouble, false},
                      {"low", T::kDouble, false},
                      {"close", T::kDouble, false},
                      {"vwap", T::kDouble, false},
                      {"volume", T::kInt64, false},
                      {"trades", T::kInt64, false}});
  }
  if (name == kSilverBars) {
    return MakeTable({{"ticker", T::kString, false},
                      {"date", T::kDate, false},
                      {"open", T::kDouble, false},
                      {"high", T::kDouble, false},
                      {"low", T::kDouble, false},
                      {"close", T::kDouble, false},
                      {"adj_close", T::kDouble, false},
                      {"volume", T::kInt64, false}});
  }
  if (name == kGoldIndicators) {
    Table t = MakeTable({{"ticker", T::kString, false}, {"date", T::kDate, false}, {"close", T::kDouble, false}});
    for (std::string_view c : IndicatorNames())  // the kernels' columns, in their order
      t.columns.emplace_back(std::string(c), T::kDouble, true);
    t.columns.emplace_back("obv", T::kInt64, false);
    return t;
  }
  if (name == kGoldBarsWeekly || name == kGoldBarsMonthly || name == kGoldBarsQuarterly) {
    return MakeTable({{"ticker", T::kString, false},
                      {"period_start", T::kDate, false},
                      {"period_end", T::kDate, false},
                      {"open", T::kDouble, false},
                      {"high", T::kDouble, false},
                      {"low", T::kDouble, false},
                      {"close", T::kDouble, false},
                      {"adj_close", T::kDouble, false},
                      {"volume", T::kInt64, false},
                      {"trading_days", T::kInt32, false},
                      {"return", T::kDouble, true}});
  }
  if (name == kGoldMlFeatures) {
    Table t = MakeTable({{"ticker", T::kString, false},
                         {"quarter", T::kString, false},
                         {"quarter_end", T::kDate, false},
                         {"as_of_date", T::kDate, false}});
    for (std::string_view c : QuarterFeatureColumnNames())  // the spec's features, label, the extras
      t.columns.emplace_back(std::string(c), T::kDouble, true);
    return t;
  }
  if (name == kGoldPredictions) {
    return MakeTable({{"ticker", T::kString, false},
                      {"quarter", T::kString, false},
                      {"as_of_date", T::kDate, false},
                      {"model", T::kString, false},
                      {"model_version", T::kInt32, false},
                      {"prediction", T::kDouble, false},
                      {"rank", T::kInt32, false},
                      {"label", T::kDouble, true}});
  }
  if (name == kGoldBacktestPredictions) {
    return MakeTable({{"backtest_id", T::kString, false},
                      {"ticker", T::kString, false},
                      {"quarter", T::kString, false},
                      {"prediction", T::kDouble, false},
                      {"baseline", T::kDouble, true},
                      {"label", T::kDouble, true}});
  }
  if (name == kGoldBacktest) {
    return MakeTable({{"backtest_id", T::kString, false},
                      {"quarter", T::kString, false},
                      {"predictor", T::kString, false},
                      {"ic", T::kDouble, true},
                      {"rank_ic", T::kDouble, true},
                      {"hit_rate", T::kDouble, true},
                      {"top_bottom_spread", T::kDouble, true},
                      {"rmse", T::kDouble, true},
                      {"count", T::kInt64, false}});
  }
  if (name == kRejects) {
    return MakeTable({{"source_file", T::kString, false},
                      {"line", T::kInt64, false},
                      {"ticker", T::kString, true},
                      {"date", T::kDate, true},
                      {"reason", T::kString, false}});
  }
  if (name == kBarsLineage || name == kRejectsLineage) {
    return MakeTable({{"source", T::kInt32, false}, {"line", T::kInt64, false}});
  }
  if (name == kTickerStateScalars) return EmptyTickerStateTables().scalars;
  if (name == kTickerStateTail) return EmptyTickerStateTables().tail;
  if (name == kTickerStateQuarters) return EmptyTickerStateTables().quarters;
  return Table{};
}

}  // namespace stocklake
