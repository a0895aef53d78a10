// Gold rows; see gold_rows.h.
#include "lake/gold_rows.h"

#include <cmath>

namespace stocklake {

void AppendIndicatorRows(const Indicators& ind, const DailySeries& s, int32_t ticker_code, Table* t) {
  const size_t n = s.size();
  auto& cols = t->columns;
  for (size_t i = 0; i < n; ++i) cols[0].AppendCode(ticker_code);
  cols[1].i32.insert(cols[1].i32.end(), s.date.begin(), s.date.end());
  cols[2].f64.insert(cols[2].f64.end(), s.close.begin(), s.close.end());
  for (size_t k = 0; k < ind.columns.size(); ++k) {
    Column& c = cols[3 + k];
    const IndicatorColumn& src = ind.columns[k];
    const size_t defined_from = std::min(src.first_defined, n);
    c.f64.insert(c.f64.end(), src.values.begin(), src.values.begin() + static_cast<std::ptrdiff_t>(n));
    c.valid.resize(c.f64.size() - n, 1);
    c.valid.insert(c.valid.end(), defined_from, 0);
    c.valid.insert(c.valid.end(), n - defined_from, 1);
  }
  Column& obv = cols[3 + ind.columns.size()];
  obv.i64.insert(obv.i64.end(), ind.obv.begin(), ind.obv.begin() + static_cast<std::ptrdiff_t>(n));
}

void AppendPeriodBarRows(const PeriodBars& p, int32_t ticker_code, Table* t) {
  auto& cols = t->columns;
  const size_t n = p.size();
  for (size_t i = 0; i < n; ++i) cols[0].AppendCode(ticker_code);
  cols[1].i32.insert(cols[1].i32.end(), p.period_start.begin(), p.period_start.end());
  cols[2].i32.insert(cols[2].i32.end(), p.period_end.begin(), p.period_end.end());
  cols[3].f64.insert(cols[3].f64.end(), p.open.begin(), p.open.end());
  cols[4].f64.insert(cols[4].f64.end(), p.high.begin(), p.high.end());
  cols[5].f64.insert(cols[5].f64.end(), p.low.begin(), p.low.end());
  cols[6].f64.insert(cols[6].f64.end(), p.close.begin(), p.close.end());
  cols[7].f64.insert(cols[7].f64.end(), p.adj_close.begin(), p.adj_close.end());
  cols[8].i64.insert(cols[8].i64.end(), p.volume.begin(), p.volume.end());
  cols[9].i32.insert(cols[9].i32.end(), p.trading_days.begin(), p.trading_days.end());
  Column& ret = cols[10];
  ret.f64.insert(ret.f64.end(), p.period_return.begin(), p.period_return.end());
  ret.valid.resize(ret.f64.size() - n, 1);
  ret.valid.insert(ret.valid.end(), p.has_return.begin(), p.has_return.end());
}

void AppendQuarterFeatureRows(const QuarterFeatures& features, int32_t ticker_code, StringColumnBuilder* quarter_names,
                              Table* table) {
  auto& cols = table->columns;
  const size_t n = features.size();
  for (size_t q = 0; q < n; ++q) {
    cols[0].AppendCode(ticker_code);
    quarter_names->Append(FormatQuarter(features.quarter[q]));
  }
  cols[2].i32.insert(cols[2].i32.end(), features.quarter_end.begin(), features.quarter_end.end());
  cols[3].i32.insert(cols[3].i32.end(), features.as_of_date.begin(), features.as_of_date.end());
  for (size_t k = 0; k < features.columns.size(); ++k) {
    Column& c = cols[4 + k];
    c.valid.resize(c.f64.size(), 1);
    for (double v : features.columns[k]) {
      const bool defined = std::isfinite(v);  // NaN (undefined) or an infinity: NULL, never NaN
      c.f64.push_back(defined ? v : 0.0);
      c.valid.push_back(defined ? 1 : 0);
    }
  }
}

}  // namespace stocklake
