// Indicator kernels; the accuracy argument for each is next to it. See indicators.h.
#include "process/indicators.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace stocklake {
namespace {

constexpr std::array<std::string_view, kIndicatorCount> kNames = {
    "return_1d",   "log_return_1d", "sma_20", "sma_50",    "sma_200",  "ema_12",   "ema_26", "macd",
    "macd_signal", "macd_hist",     "rsi_14", "bb_middle", "bb_upper", "bb_lower", "atr_14", "volatility_20"};

constexpr std::array<size_t, kIndicatorCount> kFirstDefined = {1,  1,  19, 49, 199, 11, 25, 25,
                                                               33, 33, 14, 19, 19,  19, 14, 20};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Bound on the error of one rounding relative to its result: the unit roundoff is 2^-53;
// the factor 2 covers the roundings of the bound's own arithmetic.
constexpr double kRoundingBound = 0x1p-52;
// A rolling sum whose error bound exceeds this fraction of the sum is recomputed from the
// window. Ordinary prices reach it only every few thousand rows; a drop of several orders
// of magnitude reaches it as soon as the large values leave the window.
constexpr double kRollingTolerance = 1e-12;

// Sum of n values with four accumulators, so the adds pipeline; for positive values the
// error is at most n roundings of the sum.
inline double SumOf(const double* x, size_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const size_t blocks = n - n % 4;
  size_t i = 0;
  for (; i < blocks; i += 4) {
    s0 += x[i];
    s1 += x[i + 1];
    s2 += x[i + 2];
    s3 += x[i + 3];
  }
  for (; i < n; ++i) s0 += x[i];
  return (s0 + s1) + (s2 + s3);
}

// Sum of (x - mean) and of (x - mean)^2 over n values. The first corrects the second for
// the rounding of `mean` (the "corrected two-pass" variance), so flat windows give 0.
struct Deviations {
  double sum;
  double sum_sq;
};
inline Deviations DeviationsAbout(const double* x, size_t n, double mean) {
  double d0 = 0, d1 = 0, q0 = 0, q1 = 0;
  const size_t pairs = n - n % 2;
  size_t i = 0;
  for (; i < pairs; i += 2) {
    const double a = x[i] - mean;
    const double b = x[i + 1] - mean;
    d0 += a;
    d1 += b;
    q0 += a * a;
    q1 += b * b;
  }
  for (; i < n; ++i) {
    const double a = x[i] - mean;
    d0 += a;
    q0 += a * a;
  }
  return {d0 + d1, q0 + q1};
}

// Sum of squared deviations about the mean of n values, never negative.
inline double SquaredDeviations(const double* x, size_t n, double mean) {
  const Deviations d = DeviationsAbout(x, n, mean);
  return std::max(d.sum_sq - d.sum * d.sum / static_cast<double>(n), 0.0);
}

// A running sum of the last `window` values and a bound on its absolute error.
struct RollingSum {
  double sum;
  double error;
};

// out[i] = mean of x[i-window+1..i] for i in [begin, n), advancing `state` (the sum of the
// window ending at begin - 1) over x, positive. A running sum loses everything below the
// rounding of the largest value it ever held, so it tracks a bound on its absolute error
// and starts over from the window when that bound becomes noticeable relative to the
// current sum.
void AdvanceRollingMean(const double* x, size_t begin, size_t n, size_t window, RollingSum* state, double* out) {
  double sum = state->sum;
  double error = state->error;
  const double inv = 1.0 / static_cast<double>(window);
  for (size_t i = begin; i < n; ++i) {
    // One add on the sum's dependency chain per row: the difference is taken off the chain.
    const double change = x[i] - x[i - window];
    sum += change;
    error += kRoundingBound * (std::fabs(change) + std::fabs(sum));
    if (!(error <= kRollingTolerance * sum)) {
      sum = SumOf(x + i + 1 - window, window);
      error = static_cast<double>(window) * kRoundingBound * sum;
    }
    out[i] = sum * inv;
  }
  *state = {sum, error};
}

// out[i] = mean of x[i-window+1..i] for i >= window-1; returns the running sum after the
// last row (NaN when there are fewer than `window` rows).
RollingSum RollingMean(const double* x, size_t n, size_t window, double* out) {
  RollingSum state = {kNaN, kNaN};
  if (n < window) return state;
  state = {0, 0};
  for (size_t i = 0; i < window; ++i) {
    state.sum += x[i];
    state.error += kRoundingBound * state.sum;
  }
  out[window - 1] = state.sum * (1.0 / static_cast<double>(window));
  AdvanceRollingMean(x, window, n, window, &state, out);
  return state;
}

// EMA weights for a period: k = 2/(period+1) on the new value, (period-1)/(period+1) on
// the previous average (computed as one division, so exactly rounded).
struct EmaWeights {
  double keep;
  double k;
};
constexpr EmaWeights WeightsFor(size_t period) {
  const double p = static_cast<double>(period);
  return {(p - 1.0) / (p + 1.0), 2.0 / (p + 1.0)};
}

// Advances the average `e` over x[begin..end), writing each step to out. Written as
// (1-k)*e + k*x: for positive x both terms are positive, so each step adds only a few
// roundings relative to the result.
double AdvanceEma(const double* x, size_t begin, size_t end, EmaWeights w, double e, double* out) {
  for (size_t i = begin; i < end; ++i) {
    e = w.keep * e + w.k * x[i];
    out[i] = e;
  }
  return e;
}

// Exponential moving average of x[..end) with the given period, seeded at first+period-1
// with the mean of x[first..first+period-1].
void Ema(const double* x, size_t end, size_t first, size_t period, double* out) {
  const size_t seed_row = first + period - 1;
  if (end <= seed_row) return;
  const double seed = SumOf(x + first, period) / static_cast<double>(period);
  out[seed_row] = seed;
  AdvanceEma(x, seed_row + 1, end, WeightsFor(period), seed, out);
}

// ema_12, ema_26 and macd for rows [begin, n) from the averages after row begin - 1. Both
// averages advance in one loop, so their two dependency chains overlap.
void AdvanceMacdLine(const double* c, size_t begin, size_t n, double* e12_state, double* e26_state, double* ema12,
                     double* ema26, double* macd) {
  constexpr EmaWeights fast = WeightsFor(12);
  constexpr EmaWeights slow = WeightsFor(26);
  double e12 = *e12_state;
  double e26 = *e26_state;
  for (size_t i = begin; i < n; ++i) {
    e12 = fast.keep * e12 + fast.k * c[i];
    e26 = slow.keep * e26 + slow.k * c[i];
    ema12[i] = e12;
    ema26[i] = e26;
    macd[i] = e12 - e26;
  }
  *e12_state = e12;
  *e26_state = e26;
}

// ema_12, ema_26 and macd of the whole series.
void ComputeMacdLine(const double* c, size_t n, double* ema12, double* ema26, double* macd) {
  constexpr size_t kSlowSeed = 25;
  const size_t head = std::min(n, kSlowSeed + 1);
  Ema(c, head, 0, 12, ema12);
  Ema(c, head, 0, 26, ema26);
  if (n <= kSlowSeed) return;
  macd[kSlowSeed] = ema12[kSlowSeed] - ema26[kSlowSeed];
  double e12 = ema12[kSlowSeed];
  double e26 = ema26[kSlowSeed];
  AdvanceMacdLine(c, kSlowSeed + 1, n, &e12, &e26, ema12, ema26, macd);
}

// Wilder's averages multiply by 1/14 instead of dividing: one more rounding, but a divide
// on the recurrence's dependency chain would cost several times more per row.
constexpr double kOneFourteenth = 1.0 / 14.0;

// 100 * g / (g + d) equals 100 - 100 / (1 + g/d) but has no cancellation when g << d.
inline double Rsi(double avg_gain, double avg_loss) {
  if (avg_loss == 0) return avg_gain > 0 ? 100.0 : 50.0;
  return 100.0 * avg_gain / (avg_gain + avg_loss);
}

inline double TrueRange(double high, double low, double previous_close) {
  return std::max(high - low, std::max(std::fabs(high - previous_close), std::fabs(low - previous_close)));
}

struct WilderAverages {
  double gain, loss, range;
};

// rsi_14 and atr_14 for rows [begin, n) from the averages after row begin - 1: three
// Wilder averages (gains, losses, true ranges) advanced in one loop so their dependency
// chains overlap.
void AdvanceWilder(const double* h, const double* l, const double* c, size_t begin, size_t n, WilderAverages* state,
                   double* rsi, double* atr) {
  double gain = state->gain, loss = state->loss, range = state->range;
  for (size_t i = begin; i < n; ++i) {
    const double change = c[i] - c[i - 1];
    gain = (gain * 13.0 + (change > 0 ? change : 0.0)) * kOneFourteenth;
    loss = (loss * 13.0 + (change < 0 ? -change : 0.0)) * kOneFourteenth;
    range = (range * 13.0 + TrueRange(h[i], l[i], c[i - 1])) * kOneFourteenth;
    rsi[i] = Rsi(gain, loss);
    atr[i] = range;
  }
  *state = {gain, loss, range};
}

// rsi_14 and atr_14 of the whole series; returns the averages after the last row (NaN
// before they are seeded).
WilderAverages ComputeWilder(const double* h, const double* l, const double* c, size_t n, double* rsi, double* atr) {
  constexpr size_t kPeriod = 14;
  WilderAverages state = {kNaN, kNaN, kNaN};
  if (n <= kPeriod) return state;
  double gain = 0, loss = 0, range = 0;
  for (size_t i = 1; i <= kPeriod; ++i) {
    const double change = c[i] - c[i - 1];
    gain += change > 0 ? change : 0.0;
    loss += change < 0 ? -change : 0.0;
    range += TrueRange(h[i], l[i], c[i - 1]);
  }
  state = {gain / kPeriod, loss / kPeriod, range / kPeriod};
  rsi[kPeriod] = Rsi(state.gain, state.loss);
  atr[kPeriod] = state.range;
  AdvanceWilder(h, l, c, kPeriod + 1, n, &state, rsi, atr);
  return state;
}

// ln(c / p) without losing the small returns: near 1 the ratio's rounding would dominate,
// so log1p of the (exact, by Sterbenz) difference over p is used there instead.
inline double LogReturn(double c, double p, double simple_return) {
  if (simple_return >= -0.5 && simple_return <= 1.0) return std::log1p(simple_return);
  return std::log(c / p);
}

// Unsigned arithmetic: a sum of int64 volumes that overflows wraps instead of being UB.
int64_t AdvanceObv(const double* c, const int64_t* volume, size_t begin, size_t n, int64_t before, int64_t* out) {
  uint64_t obv = static_cast<uint64_t>(before);
  for (size_t i = begin; i < n; ++i) {
    if (c[i] > c[i - 1]) obv += static_cast<uint64_t>(volume[i]);
    if (c[i] < c[i - 1]) obv -= static_cast<uint64_t>(volume[i]);
    out[i] = static_cast<int64_t>(obv);
  }
  return static_cast<int64_t>(obv);
}

// Sizes every column to the series and marks the rows before each first_defined NaN.
void PrepareColumns(size_t n, Indicators* out) {
  if (out->columns.size() != kIndicatorCount) {
    out->columns.clear();
    out->columns.resize(kIndicatorCount);
    for (size_t i = 0; i < kIndicatorCount; ++i) {
      out->columns[i].name = kNames[i];
      out->columns[i].first_defined = kFirstDefined[i];
    }
  }
  for (IndicatorColumn& column : out->columns) {
    column.values.resize(n);
    std::fill_n(column.values.begin(), std::min(column.first_defined, n), kNaN);
  }
  out->obv.resize(n);
}

// The columns that are functions of a window of the series alone (no recurrence), for
// rows [begin, n): return_1d and log_return_1d from row 1 whatever `begin` is, because
// volatility_20 reads the previous 19. macd_hist needs macd and macd_signal there.
void ComputeWindowColumns(const DailySeries& series, size_t begin, Indicators* out) {
  const size_t n = series.size();
  const double* c = series.close.data();
  auto col = [out](IndicatorIndex i) { return out->columns[i].values.data(); };

  double* ret = col(kReturn1d);
  double* log_ret = col(kLogReturn1d);
  for (size_t i = 1; i < n; ++i) {
    const double r = (c[i] - c[i - 1]) / c[i - 1];
    ret[i] = r;
    log_ret[i] = LogReturn(c[i], c[i - 1], r);
  }

  const double* macd = col(kMacd);
  const double* signal = col(kMacdSignal);
  double* hist = col(kMacdHist);
  for (size_t i = std::max<size_t>(begin, 33); i < n; ++i) hist[i] = macd[i] - signal[i];

  // sma_20 is bb_middle too, computed with the bands: bb_lower = mean - 2 sd cancels when
  // sd nears mean / 2 and would magnify a running sum's drift past 1e-9.
  double* sma20 = col(kSma20);
  double* middle = col(kBbMiddle);
  double* upper = col(kBbUpper);
  double* lower = col(kBbLower);
  for (size_t i = std::max<size_t>(begin, 19); i < n; ++i) {
    const double mean = SumOf(c + i - 19, 20) / 20.0;
    sma20[i] = mean;
    const double sd = std::sqrt(SquaredDeviations(c + i - 19, 20, mean) / 20.0);
    middle[i] = mean;
    upper[i] = mean + 2.0 * sd;
    lower[i] = mean - 2.0 * sd;
  }

  double* volatility = col(kVolatility20);
  const double annualise = std::sqrt(252.0);
  for (size_t i = std::max<size_t>(begin, 20); i < n; ++i) {
    const double* window = log_ret + i - 19;
    const double mean = SumOf(window, 20) / 20.0;
    volatility[i] = std::sqrt(SquaredDeviations(window, 20, mean) / 19.0) * annualise;
  }
}

// The value of a column at its last row, NaN while it is undefined: the recurrences whose
// state is the column's own value.
double LastValue(const Indicators& ind, IndicatorIndex which) {
  const IndicatorColumn& column = ind.columns[which];
  return column.values.size() > column.first_defined ? column.values.back() : kNaN;
}

}  // namespace

std::span<const std::string_view> IndicatorNames() { return kNames; }

std::span<const size_t> IndicatorFirstDefined() { return kFirstDefined; }

void ComputeIndicators(const DailySeries& series, Indicators* out) {
  const size_t n = series.size();
  PrepareColumns(n, out);
  if (n == 0) {
    out->recurrences = {kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, 0};
    return;
  }

  const double* c = series.close.data();
  auto col = [out](IndicatorIndex i) { return out->columns[i].values.data(); };
  IndicatorRecurrences& after = out->recurrences;

  const RollingSum sma50 = RollingMean(c, n, 50, col(kSma50));
  const RollingSum sma200 = RollingMean(c, n, 200, col(kSma200));
  after.sma50_sum = sma50.sum;
  after.sma50_error = sma50.error;
  after.sma200_sum = sma200.sum;
  after.sma200_error = sma200.error;

  ComputeMacdLine(c, n, col(kEma12), col(kEma26), col(kMacd));
  Ema(col(kMacd), n, 25, 9, col(kMacdSignal));
  const WilderAverages wilder = ComputeWilder(series.high.data(), series.low.data(), c, n, col(kRsi14), col(kAtr14));
  after.avg_gain = wilder.gain;
  after.avg_loss = wilder.loss;
  after.avg_true_range = wilder.range;

  ComputeWindowColumns(series, 0, out);

  out->obv[0] = 0;
  after.obv = AdvanceObv(c, series.volume.data(), 1, n, 0, out->obv.data());
  after.ema12 = LastValue(*out, kEma12);
  after.ema26 = LastValue(*out, kEma26);
  after.macd_signal = LastValue(*out, kMacdSignal);
}

void ContinueIndicators(const DailySeries& series, size_t begin, const IndicatorRecurrences& before, Indicators* out) {
  const size_t n = series.size();
  PrepareColumns(n, out);
  IndicatorRecurrences& after = out->recurrences;
  after = before;
  const double* c = series.close.data();
  auto col = [out](IndicatorIndex i) { return out->columns[i].values.data(); };

  RollingSum sma50 = {before.sma50_sum, before.sma50_error};
  RollingSum sma200 = {before.sma200_sum, before.sma200_error};
  AdvanceRollingMean(c, begin, n, 50, &sma50, col(kSma50));
  AdvanceRollingMean(c, begin, n, 200, &sma200, col(kSma200));
  after.sma50_sum = sma50.sum;
  after.sma50_error = sma50.error;
  after.sma200_sum = sma200.sum;
  after.sma200_error = sma200.error;

  AdvanceMacdLine(c, begin, n, &after.ema12, &after.ema26, col(kEma12), col(kEma26), col(kMacd));
  after.macd_signal = AdvanceEma(col(kMacd), begin, n, WeightsFor(9), before.macd_signal, col(kMacdSignal));
  WilderAverages wilder = {before.avg_gain, before.avg_loss, before.avg_true_range};
  AdvanceWilder(series.high.data(), series.low.data(), c, begin, n, &wilder, col(kRsi14), col(kAtr14));
  after.avg_gain = wilder.gain;
  after.avg_loss = wilder.loss;
  after.avg_true_range = wilder.range;

  ComputeWindowColumns(series, begin, out);
  after.obv = AdvanceObv(c, series.volume.data(), begin, n, before.obv, out->obv.data());
}

}  // namespace stocklake
