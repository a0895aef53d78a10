// The ML application's lake tables (ml.md): gold/predictions, gold/backtest and
// gold/backtest_predictions, built from a FeatureFrame and written as unbucketed files.
// A predictions file holds one quarter of one model (partition "quarter=Q/model=M"), so
// predicting it again replaces exactly those rows; a backtest's two files share the
// partition "backtest_id=ID", so backtests append.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "core/table.h"
#include "lake/snapshot.h"
#include "lake/unbucketed_file.h"
#include "ml/feature_frame.h"
#include "ml/metrics.h"
#include "ml/walk_forward.h"

namespace stocklake {

//! gold/predictions rows for the frame rows [first_row, last_row) of one quarter, ranked
//! 1 = highest prediction, ties by ticker; `label` as the frame has it (NULL until realised).
Table PredictionsTable(const FeatureFrame& frame, size_t first_row, size_t last_row,
                       const std::vector<double>& predictions, const std::string& model, int model_version);

//! "quarter=2017Q3/model=NAME".
std::string PredictionsPartition(int32_t quarter, const std::string& model);
//! "backtest_id=ID".
std::string BacktestPartition(const std::string& backtest_id);

//! Accumulates one backtest's rows, quarter by quarter.
class BacktestTables {
 public:
  explicit BacktestTables(std::string backtest_id);
  //! Adds the quarter's prediction rows and its two metric rows (model, baseline).
  void AddQuarter(const FeatureFrame& frame, const QuarterModel& model, const QuarterScores& scores);
  const Table& predictions() const { return predictions_; }
  const Table& metrics() const { return metrics_; }

 private:
  std::string backtest_id_;
  Table predictions_, metrics_;
};

//! Per predictor ("model", "baseline"), the summary (Summarize) of one backtest's
//! gold/backtest rows, as the backtest command and the API report it.
std::map<std::string, MetricsSummary> SummarizeBacktestRows(const Table& rows);

}  // namespace stocklake
