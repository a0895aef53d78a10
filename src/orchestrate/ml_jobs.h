// The ML application's commands as jobs on a lake (ml.md "Commands"): `train` (the model
// of the end of a quarter, registered, with its predictions), `predict` (a registered
// model's predictions of a quarter) and `backtest` (a walk-forward series of models
// scored against realised labels). Each reads gold/ml_features of the current snapshot,
// commits its tables as one snapshot and then brings the serving store up to date.
// They share the lake with services and other ML jobs, not with a running `run`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "ml/metrics.h"
#include "ml/model_registry.h"
#include "ml/walk_forward.h"

namespace stocklake {

//! The model name `train` and `predict` use when none is given.
inline constexpr const char* kDefaultModelName = "quarterly";

struct TrainOptions {
  std::string lake_dir;
  std::string quarter;  //!< "YYYYQn": the model is made at its end
  std::string name = kDefaultModelName;
  std::string store_url;  //!< as `run --store`: "" = SQLite under the lake, "none"
  WalkForwardOptions walk_forward;
};

struct TrainReport {
  ModelVersion version;
  int64_t predictions = 0;  //!< rows of gold/predictions written for the quarter
  int64_t snapshot_id = 0;  //!< the snapshot that published them
};

//! InvalidArgument / NotFound (exit 2): a malformed quarter or name, no lake, no
//! features, a quarter without rows or without earlier labels. Nothing is registered
//! unless the model trained.
Result<TrainReport> TrainJob(const TrainOptions& options);

struct PredictOptions {
  std::string lake_dir;
  std::string quarter;
  //! "NAME", "NAME:VERSION" or "NAME@ALIAS"; "" = the default model's champion, or its
  //! newest version when it has no champion.
  std::string model;
  std::string store_url;
};

struct PredictReport {
  ModelVersion version;
  int64_t predictions = 0;
  int64_t snapshot_id = 0;
};

Result<PredictReport> PredictJob(const PredictOptions& options);

struct BacktestOptions {
  std::string lake_dir;
  std::string from, to;  //!< "YYYYQn", inclusive
  std::string name = "backtest";
  std::string store_url;
  WalkForwardOptions walk_forward;
  bool progress = true;  //!< one line per quarter on stderr
};

struct BacktestQuarter {
  int32_t quarter = 0;
  int64_t train_rows = 0;
  double seconds = 0;
  QuarterScores scores;
};

struct BacktestReport {
  std::string backtest_id;
  std::vector<BacktestQuarter> quarters;
  std::vector<std::string> skipped;  //!< quarters in the range that could not be modelled, and why
  MetricsSummary model, baseline;
  int64_t snapshot_id = 0;
  double seconds = 0;
};

Result<BacktestReport> BacktestJob(const BacktestOptions& options);

//! The readable summary `backtest` prints: one line per quarter, then model and baseline
//! side by side (IC, ICIR, rank IC, rank ICIR, hit rate, top-bottom spread).
std::string FormatBacktestReport(const BacktestReport& report);

}  // namespace stocklake
