// Extra model features; see alpha_features.h. The definitions follow Qlib's Alpha158
// (qlib/contrib/data/loader.py, Alpha158DL): the nine candle-shape features, then 28
// rolling families over 5, 20 and 60 rows (Qlib also has 10 and 30; three windows keep
// the table, and the cost of `run` and of training, 40% smaller), each divided by the as-of close or
// volume as Qlib does. Where Qlib differs from the catalogue below:
//   - a window needs its full length of history (Qlib's min_periods=1 shortens it);
//     families built on day-to-day changes need one row more;
//   - Qlib's "+1e-12" guards and its near-zero-std cut in Corr are replaced by NULL where
//     the denominator is exactly 0 (high = low, a flat window, no change at all);
//   - Qlib's price columns (OPEN0, HIGH0, LOW0, VWAP0) and CORD are left out.
//
// Cost: per as-of row, the last 61 rows are copied once into a small window on the stack
// (closes as differences from the as-of close, so flat windows give exact zeros and
// small deviations keep their digits); sums, extremes and counts for all three windows
// come from one pass from the newest row back, deviations about the mean from one pass
// per window, quantiles from the windows' closes sorted by merging runs. ln(volume + 1)
// is computed once per row of the series that some window reaches. Nothing is allocated
// per row.
#include "process/alpha_features.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

namespace stocklake {
namespace {

constexpr double kNull = std::numeric_limits<double>::quiet_NaN();

constexpr std::array<size_t, 3> kWindows = {5, 20, 60};
constexpr size_t kMaxWindow = 60;
// Rows copied per as-of row: the longest window and the row before it (for changes).
constexpr size_t kSpan = kMaxWindow + 1;
static_assert(kSpan == kAlphaFeatureSpan, "alpha_features.h promises the rows the features read");

constexpr FeatureDoc kCandleDocs[] = {
    {"kmid", "(close - open) / open at the as-of row"},
    {"klen", "(high - low) / open"},
    {"kmid2", "(close - open) / (high - low); NULL when high = low"},
    {"kup", "(high - max(open, close)) / open: the upper shadow"},
    {"kup2", "(high - max(open, close)) / (high - low); NULL when high = low"},
    {"klow", "(min(open, close) - low) / open: the lower shadow"},
    {"klow2", "(min(open, close) - low) / (high - low); NULL when high = low"},
    {"ksft", "(2 close - high - low) / open"},
    {"ksft2", "(2 close - high - low) / (high - low); NULL when high = low"},
};

// The rolling families, in Qlib's order; "{d}" is the window. "Changes" are close[i] -
// close[i-1] (volume[i] - volume[i-1] for the v* sums) for the d rows of the window.
enum Family : size_t {
  kRoc,
  kMa,
  kStd,
  kBeta,
  kRsqr,
  kResi,
  kMax,
  kMin,
  kQtlu,
  kQtld,
  kRank,
  kRsv,
  kImax,
  kImin,
  kImxd,
  kCorr,
  kCntp,
  kCntn,
  kCntd,
  kSump,
  kSumn,
  kSumd,
  kVma,
  kVstd,
  kWvma,
  kVsump,
  kVsumn,
  kVsumd,
  kFamilyCount,
};

constexpr FeatureDoc kFamilyDocs[kFamilyCount] = {
    {"roc", "close {d} rows before / close"},
    {"ma", "mean of the last {d} closes / close"},
    {"std", "sample std dev of the last {d} closes / close"},
    {"beta", "slope of the last {d} closes regressed on 1..{d} / close"},
    {"rsqr", "R^2 of the last {d} closes regressed on 1..{d}; NULL for a flat window"},
    {"resi", "close minus that regression's fitted value at {d} / close"},
    {"max", "max high of the last {d} rows / close"},
    {"min", "min low of the last {d} rows / close"},
    {"qtlu", "0.8 quantile (linear interpolation) of the last {d} closes / close"},
    {"qtld", "0.2 quantile (linear interpolation) of the last {d} closes / close"},
    {"rank", "percentile of close among the last {d} closes (ties share their mean rank)"},
    {"rsv", "(close - min low) / (max high - min low) over the last {d} rows; NULL when equal"},
    {"imax", "position (1 = oldest) of the first max high in the last {d} rows / {d}"},
    {"imin", "position (1 = oldest) of the first min low in the last {d} rows / {d}"},
    {"imxd", "(imax position - imin position) / {d}"},
    {"corr", "correlation of close and ln(volume + 1) over the last {d} rows; NULL if either is flat"},
    {"cntp", "share of the last {d} rows whose close rose"},
    {"cntn", "share of the last {d} rows whose close fell"},
    {"cntd", "cntp - cntn over the last {d} rows"},
    {"sump", "sum of rises / sum of |changes| of close over the last {d} rows; NULL if no change"},
    {"sumn", "sum of falls / sum of |changes| of close over the last {d} rows; NULL if no change"},
    {"sumd", "(rises - falls) / sum of |changes| of close over the last {d} rows; NULL if no change"},
    {"vma", "mean volume of the last {d} rows / volume"},
    {"vstd", "sample std dev of the last {d} volumes / volume"},
    {"wvma", "std dev / mean of |close / previous close - 1| * volume over the last {d} rows"},
    {"vsump", "sum of volume rises / sum of |volume changes| over the last {d} rows; NULL if none"},
    {"vsumn", "sum of volume falls / sum of |volume changes| over the last {d} rows; NULL if none"},
    {"vsumd", "(volume rises - falls) / sum of |volume changes| over the last {d} rows; NULL if none"},
};

constexpr size_t kCandleCount = std::size(kCandleDocs);

size_t ColumnOf(Family family, size_t window_index) { return kCandleCount + family * kWindows.size() + window_index; }

struct Catalog {
  std::vector<std::string> names, descriptions;  // stable storage for the views in docs
  std::vector<FeatureDoc> docs;

  Catalog() {
    const size_t count = kCandleCount + kFamilyCount * kWindows.size();
    names.reserve(count);
    descriptions.reserve(count);
    for (const FeatureDoc& doc : kCandleDocs) {
      names.emplace_back(doc.name);
      descriptions.emplace_back(doc.description);
    }
    for (const FeatureDoc& family : kFamilyDocs) {
      for (size_t d : kWindows) {
        names.push_back(std::string(family.name) + "_" + std::to_string(d));
        std::string text(family.description);
        for (size_t at; (at = text.find("{d}")) != std::string::npos;) text.replace(at, 3, std::to_string(d));
        descriptions.push_back(std::move(text));
      }
    }
    for (size_t i = 0; i < count; ++i) docs.push_back({names[i], descriptions[i]});
  }
};

// The last rows up to an as-of row n, oldest first: position p holds row n - size + 1 + p.
struct Window {
  size_t size = 0;
  double close = 0;             // close[n]
  std::array<double, kSpan> c;  // closes
  std::array<double, kSpan> y;  // close - close[n]: exact when within a factor 2 of it
  std::array<double, kSpan> high, low, volume, log_volume;
  std::array<double, kSpan> change;    // close - previous close (0 at row 0)
  std::array<double, kSpan> weighted;  // |change / previous close| * volume
  std::array<double, kSpan> volume_change;
};

// Sums, extremes and counts of the newest d rows.
struct Tally {
  double sum_y = 0, sum_volume = 0, sum_log_volume = 0, sum_weighted = 0;
  double rises = 0, falls = 0, volume_rises = 0, volume_falls = 0;
  double max_high = 0, min_low = 0;
  size_t argmax = 0, argmin = 0;  // positions in the Window
  size_t up = 0, down = 0, below = 0, equal = 0;
  double upper_quantile = 0, lower_quantile = 0;  // of the closes: 0.8 and 0.2
};

void FillWindow(const DailySeries& s, const std::vector<double>& log_volume, size_t n, Window* w) {
  const size_t size = std::min(n + 1, kSpan);
  const size_t first_row = n + 1 - size;
  w->size = size;
  w->close = s.close[n];
  for (size_t p = 0; p < size; ++p) {
    const size_t row = first_row + p;
    const double c = s.close[row];
    const double v = static_cast<double>(s.volume[row]);
    w->c[p] = c;
    w->y[p] = c - w->close;
    w->high[p] = s.high[row];
    w->low[p] = s.low[row];
    w->volume[p] = v;
    w->log_volume[p] = log_volume[row];
    if (row == 0) {
      w->change[p] = w->weighted[p] = w->volume_change[p] = 0;
      continue;
    }
    const double previous = s.close[row - 1];
    w->change[p] = c - previous;
    w->weighted[p] = std::fabs(w->change[p] / previous) * v;
    w->volume_change[p] = static_cast<double>(s.volume[row] - s.volume[row - 1]);
  }
}

// Quantile q of the `count` ascending values (linear interpolation between order
// statistics, as pandas does).
double Quantile(const double* sorted, size_t count, double q) {
  const double position = q * static_cast<double>(count - 1);
  const size_t lower = static_cast<size_t>(position);
  if (lower + 1 >= count) return sorted[lower];
  return sorted[lower] + (sorted[lower + 1] - sorted[lower]) * (position - static_cast<double>(lower));
}

// Merges the ascending runs a[0..na) and b[0..nb) into out, without branching on the
// data (the comparisons of a random walk's closes are unpredictable).
void Merge(const double* a, size_t na, const double* b, size_t nb, double* out) {
  size_t i = 0, j = 0, k = 0;
  while (i < na && j < nb) {
    const bool take_a = a[i] <= b[j];
    out[k++] = take_a ? a[i] : b[j];
    i += take_a;
    j += !take_a;
  }
  while (i < na) out[k++] = a[i++];
  while (j < nb) out[k++] = b[j++];
}

// The tallies of every window, from one pass from the newest row back. The closes of
// each window are sorted for its quantiles by sorting only the rows it adds to the
// previous (shorter) window, by insertion, and merging the two runs.
void TallyWindows(const Window& w, std::array<Tally, kWindows.size()>* tallies) {
  std::array<double, kMaxWindow> runs[2], block;
  size_t current = 0, block_size = 0;  // runs[current] holds the previous window's closes
  Tally t;
  t.max_high = -std::numeric_limits<double>::infinity();
  t.min_low = std::numeric_limits<double>::infinity();
  size_t next = 0;
  for (size_t k = 1; k <= w.size && next < kWindows.size(); ++k) {
    const size_t p = w.size - k;
    t.sum_y += w.y[p];
    t.sum_volume += w.volume[p];
    t.sum_log_volume += w.log_volume[p];
    t.sum_weighted += w.weighted[p];
    const double change = w.change[p], volume_change = w.volume_change[p];
    t.rises += change > 0 ? change : 0.0;
    t.falls += change < 0 ? -change : 0.0;
    t.up += change > 0;
    t.down += change < 0;
    t.volume_rises += volume_change > 0 ? volume_change : 0.0;
    t.volume_falls += volume_change < 0 ? -volume_change : 0.0;
    // >= and <=: walking back, an equal extreme further back is the first one.
    if (w.high[p] >= t.max_high) {
      t.max_high = w.high[p];
      t.argmax = p;
    }
    if (w.low[p] <= t.min_low) {
      t.min_low = w.low[p];
      t.argmin = p;
    }
    t.below += w.c[p] < w.close;
    t.equal += w.c[p] == w.close;
    size_t at = block_size++;
    for (; at > 0 && block[at - 1] > w.c[p]; --at) block[at] = block[at - 1];
    block[at] = w.c[p];
    if (k == kWindows[next]) {
      Merge(runs[current].data(), k - block_size, block.data(), block_size, runs[1 - current].data());
      current = 1 - current;
      block_size = 0;
      t.upper_quantile = Quantile(runs[current].data(), k, 0.8);
      t.lower_quantile = Quantile(runs[current].data(), k, 0.2);
      (*tallies)[next++] = t;
    }
  }
}

// Every family of window d (index wi) at output row r.
void WindowFeatures(const Window& w, const Tally& t, size_t d, size_t wi, size_t r,
                    std::vector<std::vector<double>>* columns) {
  auto set = [&](Family f, double v) { (*columns)[ColumnOf(f, wi)][r] = v; };
  const size_t first = w.size - d;
  const double dd = static_cast<double>(d);
  const double close = w.close;
  const double mean_y = t.sum_y / dd;
  const double mean_volume = t.sum_volume / dd;
  const double mean_log_volume = t.sum_log_volume / dd;
  const double mean_time = (dd + 1) / 2;  // regression abscissae 1..d
  double syy = 0, sty = 0, sll = 0, syl = 0, svv = 0;
  for (size_t p = first; p < w.size; ++p) {
    const double dy = w.y[p] - mean_y;
    const double dl = w.log_volume[p] - mean_log_volume;
    const double dv = w.volume[p] - mean_volume;
    syy += dy * dy;
    sty += (static_cast<double>(p - first + 1) - mean_time) * dy;
    sll += dl * dl;
    syl += dy * dl;
    svv += dv * dv;
  }
  const double stt = dd * (dd * dd - 1) / 12;  // sum of (t - mean_time)^2, exact
  const double slope = sty / stt;
  set(kMa, 1 + mean_y / close);
  set(kStd, std::sqrt(syy / (dd - 1)) / close);
  set(kBeta, slope / close);
  set(kRsqr, syy > 0 ? sty * sty / (stt * syy) : kNull);
  set(kResi, -(mean_y + slope * (dd - mean_time)) / close);  // y[n] = 0
  set(kMax, t.max_high / close);
  set(kMin, t.min_low / close);
  set(kQtlu, t.upper_quantile / close);
  set(kQtld, t.lower_quantile / close);
  set(kRank, (static_cast<double>(t.below) + 0.5 * static_cast<double>(t.equal + 1)) / dd);
  const double range = t.max_high - t.min_low;
  set(kRsv, range > 0 ? (close - t.min_low) / range : kNull);
  const double imax = static_cast<double>(t.argmax - first + 1), imin = static_cast<double>(t.argmin - first + 1);
  set(kImax, imax / dd);
  set(kImin, imin / dd);
  set(kImxd, (imax - imin) / dd);
  set(kCorr, syy > 0 && sll > 0 ? syl / std::sqrt(syy * sll) : kNull);
  set(kVma, w.volume[w.size - 1] > 0 ? mean_volume / w.volume[w.size - 1] : kNull);
  set(kVstd, w.volume[w.size - 1] > 0 ? std::sqrt(svv / (dd - 1)) / w.volume[w.size - 1] : kNull);

  // The families on changes need the row before the window (columns start out NULL).
  if (w.size == d) return;
  set(kRoc, w.c[first - 1] / close);
  set(kCntp, static_cast<double>(t.up) / dd);
  set(kCntn, static_cast<double>(t.down) / dd);
  set(kCntd, (static_cast<double>(t.up) - static_cast<double>(t.down)) / dd);
  const double moved = t.rises + t.falls;
  if (moved > 0) {
    set(kSump, t.rises / moved);
    set(kSumn, t.falls / moved);
    set(kSumd, (t.rises - t.falls) / moved);
  }
  const double mean_weighted = t.sum_weighted / dd;
  if (mean_weighted > 0) {
    double sww = 0;
    for (size_t p = first; p < w.size; ++p) sww += (w.weighted[p] - mean_weighted) * (w.weighted[p] - mean_weighted);
    set(kWvma, std::sqrt(sww / (dd - 1)) / mean_weighted);
  }
  const double volume_moved = t.volume_rises + t.volume_falls;
  if (volume_moved > 0) {
    set(kVsump, t.volume_rises / volume_moved);
    set(kVsumn, t.volume_falls / volume_moved);
    set(kVsumd, (t.volume_rises - t.volume_falls) / volume_moved);
  }
}

void CandleFeatures(const DailySeries& s, size_t n, size_t r, std::vector<std::vector<double>>* columns) {
  const double o = s.open[n], h = s.high[n], l = s.low[n], c = s.close[n];
  const double range = h - l;
  const double upper = h - std::max(o, c), lower = std::min(o, c) - l, shift = (c - l) - (h - c);
  auto by_range = [&](double x) { return range > 0 ? x / range : kNull; };
  const double values[kCandleCount] = {(c - o) / o, range / o,       by_range(c - o), upper / o,      by_range(upper),
                                       lower / o,   by_range(lower), shift / o,       by_range(shift)};
  for (size_t k = 0; k < kCandleCount; ++k) (*columns)[k][r] = values[k];
}

}  // namespace

std::span<const FeatureDoc> AlphaFeatureCatalog() {
  static const Catalog catalog;
  return catalog.docs;
}

void ComputeAlphaFeatures(const DailySeries& series, std::span<const size_t> rows,
                          std::vector<std::vector<double>>* columns) {
  const size_t count = AlphaFeatureCatalog().size();
  columns->resize(count);
  for (std::vector<double>& column : *columns) column.assign(rows.size(), kNull);
  if (rows.empty()) return;
  // ln(volume + 1) of every row some window reaches, each computed once.
  std::vector<double> log_volume(rows.back() + 1);
  size_t done = 0;  // rows below this already have their logarithm
  for (size_t n : rows) {
    for (size_t row = std::max(done, n + 1 - std::min(n + 1, kSpan)); row <= n; ++row) {
      // volume + 1 is exact (an integer below 2^53), so log is as good as log1p, and faster.
      log_volume[row] = std::log(static_cast<double>(series.volume[row]) + 1.0);
    }
    done = n + 1;
  }
  Window w;
  std::array<Tally, kWindows.size()> tallies;
  for (size_t r = 0; r < rows.size(); ++r) {
    const size_t n = rows[r];
    CandleFeatures(series, n, r, columns);
    FillWindow(series, log_volume, n, &w);
    TallyWindows(w, &tallies);
    for (size_t wi = 0; wi < kWindows.size() && kWindows[wi] <= w.size; ++wi) {
      WindowFeatures(w, tallies[wi], kWindows[wi], wi, r, columns);
    }
  }
}

}  // namespace stocklake
