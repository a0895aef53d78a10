#include "store/serving_store.h"

#include <cmath>
#include <set>

#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace stocklake {

Result<BarInterval> ParseBarInterval(std::string_view name) {
  if (name == "day") return BarInterval::kDay;
  if (name == "week") return BarInterval::kWeek;
  if (name == "month") return BarInterval::kMonth;
  if (name == "quarter") return BarInterval::kQuarter;
  return Status::InvalidArgument("unknown interval '" + std::string(name) + "': use day, week, month or quarter");
}

namespace {

//! Mean and ICIR (mean / sample standard deviation) of the defined values of one metric.
struct MetricSeries {
  std::vector<double> values;
  void Add(const Column* c, size_t r) {
    if (c != nullptr && !c->IsNull(r) && std::isfinite(c->f64[r])) values.push_back(c->f64[r]);
  }
  std::optional<double> Mean() const {
    if (values.empty()) return std::nullopt;
    double sum = 0;
    for (double v : values) sum += v;
    return sum / static_cast<double>(values.size());
  }
  //! Deviations about the mean (two passes), as the spec computes standard deviations.
  std::optional<double> Ratio() const {
    if (values.size() < 2) return std::nullopt;
    const double mean = *Mean();
    double ss = 0;
    for (double v : values) ss += (v - mean) * (v - mean);
    const double sd = std::sqrt(ss / static_cast<double>(values.size() - 1));
    if (!(sd > 0)) return std::nullopt;
    return mean / sd;
  }
};

}  // namespace

BacktestSummary SummarizeBacktest(const Table& rows) {
  BacktestSummary out;
  const Column* id = rows.Find("backtest_id");
  const Column* quarter = rows.Find("quarter");
  const Column* predictor = rows.Find("predictor");
  if (id == nullptr || quarter == nullptr || predictor == nullptr || rows.num_rows() == 0) return out;
  out.backtest_id = std::string(id->StringAt(0));
  struct Series {
    MetricSeries ic, rank_ic, hit_rate, spread, rmse;
    int quarters = 0;
    int64_t rows = 0;
  };
  std::map<std::string, Series> series;
  std::set<std::string, std::less<>> quarters;
  const Column* count = rows.Find("count");
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    quarters.emplace(quarter->StringAt(r));
    Series& s = series[std::string(predictor->StringAt(r))];
    ++s.quarters;
    if (count != nullptr && !count->IsNull(r)) s.rows += count->i64[r];
    s.ic.Add(rows.Find("ic"), r);
    s.rank_ic.Add(rows.Find("rank_ic"), r);
    s.hit_rate.Add(rows.Find("hit_rate"), r);
    s.spread.Add(rows.Find("top_bottom_spread"), r);
    s.rmse.Add(rows.Find("rmse"), r);
  }
  out.quarters = static_cast<int>(quarters.size());
  out.first_quarter = *quarters.begin();
  out.last_quarter = *quarters.rbegin();
  for (const auto& [name, s] : series) {
    PredictorSummary& p = out.predictors[name];
    p.quarters = s.quarters;
    p.rows = s.rows;
    p.mean_ic = s.ic.Mean();
    p.icir = s.ic.Ratio();
    p.mean_rank_ic = s.rank_ic.Mean();
    p.rank_icir = s.rank_ic.Ratio();
    p.mean_hit_rate = s.hit_rate.Mean();
    p.mean_spread = s.spread.Mean();
    p.mean_rmse = s.rmse.Mean();
  }
  return out;
}

Result<std::unique_ptr<ServingStore>> OpenServingStore(const std::string& url, const StoreOptions& options) {
  if (url.starts_with("sqlite:")) {
    const std::string path = url.substr(7);
    if (path.empty()) return Status::InvalidArgument("store URL 'sqlite:' needs a path: sqlite:PATH");
    return OpenSqliteStore(path, options);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return OpenPostgresStore(url, options);
  // Never echo the whole URL: it may carry a password.
  const size_t colon = url.find(':');
  return Status::InvalidArgument("unknown store URL scheme '" + url.substr(0, colon == std::string::npos ? 0 : colon) +
                                 "': use sqlite:PATH or postgresql://USER@HOST:PORT/DB");
}

}  // namespace stocklake
