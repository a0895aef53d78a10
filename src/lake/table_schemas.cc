#include "lake/table_schemas.h"

#include <string>

#include "process/indicators.h"

namespace stocklake {

namespace {

Table MakeTable(std::initializer_list<Column> columns) {
  Table t;
  t.columns.assign(columns.begin(), columns.end());
  return t;
}

}  // namespace

const std::vector<std::string_view>& AllTableNames() {
  static const std::vector<std::string_view> kNames = {kSilverBars,      kGoldIndicators,    kGoldBarsWeekly,
                                                       kGoldBarsMonthly, kGoldBarsQuarterly, kRejects,
                                                       kBarsLineage,     kRejectsLineage};
  return kNames;
}

Table EmptyTableFor(std::string_view name) {
  using T = ColumnType;
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
  return Table{};
}

}  // namespace stocklake
