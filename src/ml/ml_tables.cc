// The ML application's lake tables; see ml_tables.h.
#include "ml/ml_tables.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "lake/parquet_writer.h"
#include "lake/table_schemas.h"

namespace stocklake {

namespace {

void AppendNullable(Column* column, double value) {
  if (std::isfinite(value)) {
    column->AppendDouble(value);
  } else {
    column->AppendNull();
  }
}

void AppendMetricsRow(const std::string& backtest_id, const std::string& quarter, std::string_view predictor,
                      const PredictionMetrics& m, StringColumnBuilder* ids, StringColumnBuilder* quarters,
                      StringColumnBuilder* predictors, Table* t) {
  ids->Append(backtest_id);
  quarters->Append(quarter);
  predictors->Append(predictor);
  AppendNullable(&t->columns[3], m.ic);
  AppendNullable(&t->columns[4], m.rank_ic);
  AppendNullable(&t->columns[5], m.hit_rate);
  AppendNullable(&t->columns[6], m.top_bottom_spread);
  AppendNullable(&t->columns[7], m.rmse);
  t->columns[8].AppendInt64(m.count);
}

}  // namespace

std::string PredictionsPartition(int32_t quarter, const std::string& model) {
  return "quarter=" + FormatQuarter(quarter) + "/model=" + model;
}

std::string BacktestPartition(const std::string& backtest_id) { return "backtest_id=" + backtest_id; }

Table PredictionsTable(const FeatureFrame& frame, size_t first_row, size_t last_row,
                       const std::vector<double>& predictions, const std::string& model, int model_version) {
  const size_t count = last_row - first_row;
  // Frame rows are ordered by ticker within a quarter: a stable sort by descending
  // prediction breaks ties by ticker.
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return predictions[a] > predictions[b]; });
  std::vector<int32_t> rank(count);
  for (size_t k = 0; k < count; ++k) rank[order[k]] = static_cast<int32_t>(k + 1);

  Table t = EmptyTableFor(kGoldPredictions);
  for (Column& c : t.columns) c.Reserve(count);
  StringColumnBuilder tickers(&t.columns[0]), quarters(&t.columns[1]), models(&t.columns[3]);
  for (size_t k = 0; k < count; ++k) {
    const size_t row = first_row + k;
    tickers.Append(frame.ticker[row]);
    quarters.Append(FormatQuarter(frame.quarter[row]));
    t.columns[2].AppendInt32(frame.as_of_date[row]);
    models.Append(model);
    t.columns[4].AppendInt32(model_version);
    t.columns[5].AppendDouble(predictions[k]);
    t.columns[6].AppendInt32(rank[k]);
    AppendNullable(&t.columns[7], frame.label[row]);
  }
  return t;
}

BacktestTables::BacktestTables(std::string backtest_id)
    : backtest_id_(std::move(backtest_id)),
      predictions_(EmptyTableFor(kGoldBacktestPredictions)),
      metrics_(EmptyTableFor(kGoldBacktest)) {}

void BacktestTables::AddQuarter(const FeatureFrame& frame, const QuarterModel& model, const QuarterScores& scores) {
  // Builders over columns that already hold earlier quarters keep their codes.
  StringColumnBuilder ids(&predictions_.columns[0]), tickers(&predictions_.columns[1]),
      quarters(&predictions_.columns[2]);
  const std::string quarter = FormatQuarter(model.quarter);
  for (size_t row = model.first_row; row < model.last_row; ++row) {
    ids.Append(backtest_id_);
    tickers.Append(frame.ticker[row]);
    quarters.Append(quarter);
    predictions_.columns[3].AppendDouble(model.predictions[row - model.first_row]);
    AppendNullable(&predictions_.columns[4], frame.baseline[row]);
    AppendNullable(&predictions_.columns[5], frame.label[row]);
  }
  StringColumnBuilder metric_ids(&metrics_.columns[0]), metric_quarters(&metrics_.columns[1]),
      predictors(&metrics_.columns[2]);
  AppendMetricsRow(backtest_id_, quarter, "model", scores.model, &metric_ids, &metric_quarters, &predictors, &metrics_);
  AppendMetricsRow(backtest_id_, quarter, "baseline", scores.baseline, &metric_ids, &metric_quarters, &predictors,
                   &metrics_);
}

std::map<std::string, MetricsSummary> SummarizeBacktestRows(const Table& rows) {
  std::map<std::string, std::vector<PredictionMetrics>> by_predictor;
  const Column* predictor = rows.Find("predictor");
  const Column* count = rows.Find("count");
  if (predictor == nullptr || count == nullptr) return {};
  auto value = [&](const char* name, size_t r) {
    const Column* c = rows.Find(name);
    return c == nullptr || c->IsNull(r) ? PredictionMetrics::kUndefined : c->f64[r];
  };
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    PredictionMetrics m;
    m.ic = value("ic", r);
    m.rank_ic = value("rank_ic", r);
    m.hit_rate = value("hit_rate", r);
    m.top_bottom_spread = value("top_bottom_spread", r);
    m.rmse = value("rmse", r);
    m.count = count->i64[r];
    by_predictor[std::string(predictor->StringAt(r))].push_back(m);
  }
  std::map<std::string, MetricsSummary> out;
  for (const auto& [name, metrics] : by_predictor) out[name] = Summarize(metrics);
  return out;
}

}  // namespace stocklake
