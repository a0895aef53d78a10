// Prediction metrics; see metrics.h.
#include "ml/metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

namespace stocklake {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool IsConstant(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); });
}

// Pearson correlation with deviations about the mean. A constant side is caught before
// the arithmetic: a mean of equal values can miss them by an ulp and leave a tiny, false
// variance.
double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  if (n < 2 || IsConstant(x) || IsConstant(y)) return kNaN;
  const double mean_x = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(n);
  const double mean_y = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dx = x[i] - mean_x, dy = y[i] - mean_y;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / std::sqrt(sxx * syy);
}

int Sign(double x) { return (x > 0) - (x < 0); }

// Mean of the defined values; NaN when there are none.
double MeanDefined(const std::vector<double>& values) {
  double sum = 0;
  size_t n = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++n;
  }
  return n == 0 ? kNaN : sum / static_cast<double>(n);
}

// Mean over sample standard deviation of the defined values.
double InformationRatio(const std::vector<double>& values) {
  std::vector<double> defined;
  for (double v : values) {
    if (!std::isnan(v)) defined.push_back(v);
  }
  if (defined.size() < 2 || IsConstant(defined)) return kNaN;
  const double mean = MeanDefined(defined);
  double ss = 0;
  for (double v : defined) ss += (v - mean) * (v - mean);
  return mean / std::sqrt(ss / static_cast<double>(defined.size() - 1));
}

nlohmann::json NumberOrNull(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

}  // namespace

std::vector<double> AverageRanks(std::span<const double> values) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  for (size_t first = 0; first < n;) {
    size_t last = first + 1;
    while (last < n && values[order[last]] == values[order[first]]) ++last;
    // Positions first..last-1 hold ranks first+1..last; their mean:
    const double rank = (static_cast<double>(first + 1) + static_cast<double>(last)) / 2;
    for (size_t k = first; k < last; ++k) ranks[order[k]] = rank;
    first = last;
  }
  return ranks;
}

std::vector<double> CrossSectionalRankNorm(std::span<const double> values) {
  std::vector<double> defined;
  std::vector<size_t> where;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    defined.push_back(values[i]);
    where.push_back(i);
  }
  std::vector<double> out(values.size(), kNaN);
  const size_t n = defined.size();
  if (n == 1) out[where[0]] = 0;
  if (n < 2) return out;
  const std::vector<double> ranks = AverageRanks(defined);
  for (size_t k = 0; k < n; ++k) {
    out[where[k]] = ((ranks[k] - 1) / static_cast<double>(n - 1) - 0.5) * 3.46;
  }
  return out;
}

PredictionMetrics ScorePredictions(std::span<const double> prediction, std::span<const double> label) {
  assert(prediction.size() == label.size());
  std::vector<double> p, y;
  for (size_t i = 0; i < prediction.size() && i < label.size(); ++i) {
    if (std::isnan(prediction[i]) || std::isnan(label[i])) continue;
    p.push_back(prediction[i]);
    y.push_back(label[i]);
  }
  PredictionMetrics m;
  const size_t n = p.size();
  m.count = static_cast<int64_t>(n);
  if (n == 0) return m;

  m.ic = Pearson(p, y);
  if (n >= 2 && !IsConstant(p) && !IsConstant(y)) m.rank_ic = Pearson(AverageRanks(p), AverageRanks(y));

  size_t hits = 0, signed_rows = 0;
  double squared_error = 0;
  for (size_t i = 0; i < n; ++i) {
    squared_error += (p[i] - y[i]) * (p[i] - y[i]);
    if (y[i] == 0) continue;
    ++signed_rows;
    hits += Sign(p[i]) == Sign(y[i]);
  }
  m.rmse = std::sqrt(squared_error / static_cast<double>(n));
  if (signed_rows > 0) m.hit_rate = static_cast<double>(hits) / static_cast<double>(signed_rows);

  // Ordinal ranks: position in the stable ascending order by prediction.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  double top_sum = 0, bottom_sum = 0;
  size_t top_n = 0, bottom_n = 0;
  for (size_t position = 0; position < n; ++position) {
    const size_t decile = 10 * position / n;  // position = rank - 1
    if (decile == 9) {
      top_sum += y[order[position]];
      ++top_n;
    } else if (decile == 0) {
      bottom_sum += y[order[position]];
      ++bottom_n;
    }
  }
  if (top_n > 0 && bottom_n > 0) {
    m.top_bottom_spread = top_sum / static_cast<double>(top_n) - bottom_sum / static_cast<double>(bottom_n);
  }
  return m;
}

MetricsSummary Summarize(std::span<const PredictionMetrics> per_quarter) {
  std::vector<double> ic, rank_ic, hit_rate, spread, rmse;
  MetricsSummary s;
  for (const PredictionMetrics& m : per_quarter) {
    s.rows += m.count;
    rmse.push_back(m.rmse);
    ic.push_back(m.ic);
    rank_ic.push_back(m.rank_ic);
    hit_rate.push_back(m.hit_rate);
    spread.push_back(m.top_bottom_spread);
  }
  s.quarters = static_cast<int>(per_quarter.size());
  s.mean_ic = MeanDefined(ic);
  s.ic_ir = InformationRatio(ic);
  s.mean_rank_ic = MeanDefined(rank_ic);
  s.rank_ic_ir = InformationRatio(rank_ic);
  s.mean_hit_rate = MeanDefined(hit_rate);
  s.mean_spread = MeanDefined(spread);
  s.mean_rmse = MeanDefined(rmse);
  return s;
}

nlohmann::json ToJson(const PredictionMetrics& m) {
  return {{"ic", NumberOrNull(m.ic)},
          {"rank_ic", NumberOrNull(m.rank_ic)},
          {"hit_rate", NumberOrNull(m.hit_rate)},
          {"top_bottom_spread", NumberOrNull(m.top_bottom_spread)},
          {"rmse", NumberOrNull(m.rmse)},
          {"count", m.count}};
}

nlohmann::json ToJson(const MetricsSummary& s) {
  return {{"quarters", s.quarters},
          {"rows", s.rows},
          {"mean_ic", NumberOrNull(s.mean_ic)},
          {"icir", NumberOrNull(s.ic_ir)},
          {"mean_rank_ic", NumberOrNull(s.mean_rank_ic)},
          {"rank_icir", NumberOrNull(s.rank_ic_ir)},
          {"mean_hit_rate", NumberOrNull(s.mean_hit_rate)},
          {"mean_top_bottom_spread", NumberOrNull(s.mean_spread)},
          {"mean_rmse", NumberOrNull(s.mean_rmse)}};
}

}  // namespace stocklake
