// Quarter features; see quarter_features.h. Each feature reads a window ending at the
// as-of row, so nothing dated later can reach it; only the label looks forward.
#include "process/quarter_features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "process/alpha_features.h"

namespace stocklake {

namespace {

constexpr double kNull = std::numeric_limits<double>::quiet_NaN();

constexpr std::string_view kSpecNames[kSpecFeatureCount] = {
    "ret_1m",      "ret_3m",        "ret_6m",      "ret_12m",      "mom_12_1",
    "vol_3m",      "vol_12m",       "rsi_14",      "atr_ratio",    "macd_hist_ratio",
    "dist_sma_50", "dist_sma_200",  "bb_position", "drawdown_12m", "volume_ratio_1m_12m",
    "up_days_3m",  "quarter_return"};

// a / b - 1 written as (a - b) / b: the subtraction is exact when a and b are close, so
// a small return keeps its relative accuracy.
double RatioMinusOne(double a, double b) { return (a - b) / b; }

// Sample standard deviation (N-1) of values[first..last], from deviations about the mean.
double SampleStdDev(const std::vector<double>& values, size_t first, size_t last) {
  const size_t count = last - first + 1;
  double sum = 0;
  for (size_t i = first; i <= last; ++i) sum += values[i];
  const double mean = sum / static_cast<double>(count);
  double squares = 0;
  for (size_t i = first; i <= last; ++i) squares += (values[i] - mean) * (values[i] - mean);
  return std::sqrt(squares / static_cast<double>(count - 1));
}

// c[n] / mean(c[n-k+1..n]) - 1 = -m / (c[n] + m), m the mean of d[i] = c[i] - c[n]. The
// rolling sma_N of gold/indicators is rounded to the close's precision, so c[n] - sma_N
// would lose every digit of a small distance (a flat window would not even give 0);
// the d[i] are exact (Sterbenz) for closes within a factor 2 of c[n].
double DistanceFromMean(const std::vector<double>& c, size_t n, size_t k) {
  double sum = 0;
  for (size_t i = n + 1 - k; i <= n; ++i) sum += c[i] - c[n];
  const double m = sum / static_cast<double>(k);
  return -m / (c[n] + m);
}

// (c[n] - bb_lower) / (bb_upper - bb_lower) = 1/2 - m / (4 sd), m and sd the mean and
// population std dev of d[i] = c[i] - c[n] over the last 20 rows, for the reason above:
// the band width is the difference of two rounded prices. NULL when the window is flat
// (every d[i] is exactly 0 then, so sd is exactly 0).
double BollingerPosition(const std::vector<double>& c, size_t n) {
  double sum = 0;
  for (size_t i = n - 19; i <= n; ++i) sum += c[i] - c[n];
  const double m = sum / 20.0;
  double squares = 0;
  for (size_t i = n - 19; i <= n; ++i) squares += (c[i] - c[n] - m) * (c[i] - c[n] - m);
  const double sd = std::sqrt(squares / 20.0);
  return sd > 0 ? 0.5 - m / (4.0 * sd) : kNull;
}

// The indicator's value at `row`, or NULL where it is not yet defined.
double IndicatorAt(const Indicators& indicators, IndicatorIndex which, size_t row) {
  const IndicatorColumn& column = indicators.columns[which];
  return row >= column.first_defined ? column.values[row] : kNull;
}

// The spec's features at as-of row n.
void SpecFeaturesAt(const DailySeries& s, const Indicators& ind, size_t n, double* out) {
  const std::vector<double>& c = s.close;
  const size_t lookbacks[4] = {21, 63, 126, 252};
  for (size_t k = 0; k < 4; ++k) out[kRet1m + k] = n >= lookbacks[k] ? RatioMinusOne(c[n], c[n - lookbacks[k]]) : kNull;
  out[kMom12_1] = n >= 252 ? RatioMinusOne(c[n - 21], c[n - 252]) : kNull;
  // r[i] = ln(c[i]/c[i-1]) is the indicators' log_return_1d, defined from row 1.
  const std::vector<double>& r = ind.columns[kLogReturn1d].values;
  const double annualise = std::sqrt(252.0);
  out[kVol3m] = n >= 63 ? SampleStdDev(r, n - 62, n) * annualise : kNull;
  out[kVol12m] = n >= 252 ? SampleStdDev(r, n - 251, n) * annualise : kNull;
  out[kRsi14Feature] = IndicatorAt(ind, kRsi14, n);
  out[kAtrRatio] = IndicatorAt(ind, kAtr14, n) / c[n];
  out[kMacdHistRatio] = IndicatorAt(ind, kMacdHist, n) / c[n];
  out[kDistSma50] = n >= 49 ? DistanceFromMean(c, n, 50) : kNull;
  out[kDistSma200] = n >= 199 ? DistanceFromMean(c, n, 200) : kNull;
  out[kBbPosition] = n >= 19 ? BollingerPosition(c, n) : kNull;
  out[kDrawdown12m] = kNull;
  out[kVolumeRatio1m12m] = kNull;
  if (n >= 251) {
    const double peak = *std::max_element(c.begin() + static_cast<std::ptrdiff_t>(n - 251),
                                          c.begin() + static_cast<std::ptrdiff_t>(n + 1));
    out[kDrawdown12m] = RatioMinusOne(c[n], peak);
    // mean21 / mean252 - 1 = (252 * sum21 - 21 * sum252) / (21 * sum252), in integers:
    // exact up to the one rounding of the final division.
    __int128 sum21 = 0, sum252 = 0;
    for (size_t i = n - 251; i <= n; ++i) {
      sum252 += s.volume[i];
      if (i + 20 >= n) sum21 += s.volume[i];
    }
    if (sum252 != 0) {
      out[kVolumeRatio1m12m] = static_cast<double>(252 * sum21 - 21 * sum252) / static_cast<double>(21 * sum252);
    }
  }
  out[kUpDays3m] = kNull;
  if (n >= 63) {
    int up = 0;
    for (size_t i = n - 62; i <= n; ++i) up += c[i] > c[i - 1];
    out[kUpDays3m] = up / 63.0;
  }
}

}  // namespace

double QuarterLabel(double as_of_close, double next_as_of_close) {
  return RatioMinusOne(next_as_of_close, as_of_close);
}

std::span<const std::string_view> SpecFeatureNames() { return kSpecNames; }

std::span<const std::string_view> QuarterFeatureColumnNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> all(std::begin(kSpecNames), std::end(kSpecNames));
    all.push_back("label");
    for (const FeatureDoc& doc : AlphaFeatureCatalog()) all.push_back(doc.name);
    return all;
  }();
  return names;
}

std::vector<std::string_view> ModelFeatureNames() {
  std::vector<std::string_view> names(std::begin(kSpecNames), std::end(kSpecNames));
  for (const FeatureDoc& doc : AlphaFeatureCatalog()) names.push_back(doc.name);
  return names;
}

void ComputeQuarterFeatures(const DailySeries& series, const Indicators& indicators, const PeriodBars& quarters,
                            QuarterFeatures* out) {
  ComputeQuarterFeatures(series, indicators, quarters, 0, out);
}

void ComputeQuarterFeatures(const DailySeries& series, const Indicators& indicators, const PeriodBars& quarters,
                            size_t first_quarter, QuarterFeatures* out) {
  const size_t count = quarters.size() - first_quarter;
  out->quarter.resize(count);
  out->quarter_end.resize(count);
  out->as_of_date.resize(count);
  out->as_of_row.resize(count);
  size_t row = 0;  // quarters partition the series in order
  for (size_t q = 0; q < first_quarter; ++q) row += static_cast<size_t>(quarters.trading_days[q]);
  for (size_t q = 0; q < count; ++q) {
    row += static_cast<size_t>(quarters.trading_days[first_quarter + q]);
    out->as_of_row[q] = row - 1;
    out->as_of_date[q] = quarters.period_end[first_quarter + q];
    out->quarter[q] = QuarterKey(out->as_of_date[q]);
    out->quarter_end[q] = QuarterEndDate(out->quarter[q]);
  }
  const size_t spec_columns = kSpecFeatureCount + 1;  // with the label
  std::vector<std::vector<double>> extras;
  ComputeAlphaFeatures(series, out->as_of_row, &extras);
  out->columns.resize(spec_columns + extras.size());
  for (size_t k = 0; k < spec_columns; ++k) out->columns[k].resize(count);
  double values[kSpecFeatureCount];
  for (size_t q = 0; q < count; ++q) {
    const size_t n = out->as_of_row[q];
    SpecFeaturesAt(series, indicators, n, values);
    const size_t bar = first_quarter + q;
    values[kQuarterReturn] = quarters.has_return[bar] ? quarters.period_return[bar] : kNull;
    for (size_t k = 0; k < kSpecFeatureCount; ++k) out->columns[k][q] = values[k];
    // The label needs rows in the very next calendar quarter, not merely a later one.
    const bool next_quarter_traded = q + 1 < count && out->quarter[q + 1] == NextQuarter(out->quarter[q]);
    out->columns[kLabel][q] =
        next_quarter_traded ? QuarterLabel(series.close[n], series.close[out->as_of_row[q + 1]]) : kNull;
  }
  for (size_t k = 0; k < extras.size(); ++k) out->columns[spec_columns + k] = std::move(extras[k]);
}

}  // namespace stocklake
