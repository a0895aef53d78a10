// Walk-forward modelling (ml.md "Walk-forward training and evaluation"): the model made at
// the end of quarter T learns only from feature rows of quarters before T whose label is
// realised, on the label ranked within each quarter (Qlib's CSRankNorm: a cross-section
// of returns is mostly market move and outliers; its order is what carries over), and
// predicts the rows of T. Training on a quarter >= T cannot happen: the rows handed to
// XGBoost are selected by quarter < T here and nowhere else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ml/feature_frame.h"
#include "ml/metrics.h"
#include "ml/xgboost_model.h"

namespace stocklake {

//! Which columns of gold/ml_features a model learns from.
enum class FeatureSet {
  kSpec,  //!< the spec's 17 features (ml.md): the default, and the set the issue's figures were measured on
  kAll,   //!< those and every extra (Alpha158-style) column: about six times the training time
};

//! "spec" | "all"; InvalidArgument otherwise.
Result<FeatureSet> ParseFeatureSet(std::string_view name);
std::string_view FeatureSetName(FeatureSet set);

struct WalkForwardOptions {
  XgbParams params;
  FeatureSet features = FeatureSet::kSpec;
  //! Train on the K quarters before T; 0: every quarter before T (expanding window).
  int window = 0;
};

//! How the label is transformed before training, as the registry records it.
inline constexpr const char* kLabelTransform = "cs_rank_norm";

struct QuarterModel {
  int32_t quarter = 0;  //!< T
  int32_t first_train_quarter = 0, last_train_quarter = 0;
  int64_t train_rows = 0;
  std::optional<XgbModel> model;           //!< set once trained
  std::vector<std::string> feature_names;  //!< the model's inputs, in order
  //! The rows of T in the frame, [first_row, last_row), and a prediction for each.
  size_t first_row = 0, last_row = 0;
  std::vector<double> predictions;
};

//! The model made at the end of `quarter` from `frame`, and its predictions of the
//! quarter's rows. NotFound when the quarter has no rows or no earlier quarter has a
//! realised label (the message says which quarters do).
Result<QuarterModel> TrainQuarterModel(const FeatureFrame& frame, int32_t quarter, const WalkForwardOptions& options);

//! Predictions of `model` for the rows [first_row, last_row) of `frame`, taking the
//! columns named `feature_names` (the model's inputs, in its order). InvalidArgument
//! naming a feature the frame lacks.
Result<std::vector<double>> PredictRows(const XgbModel& model, const std::vector<std::string>& feature_names,
                                        const FeatureFrame& frame, size_t first_row, size_t last_row);

//! The metrics of the model's predictions and of the momentum baseline for the rows
//! [first_row, last_row): the model over the rows with a label, the baseline over the
//! rows that also have a baseline.
struct QuarterScores {
  PredictionMetrics model;
  PredictionMetrics baseline;
};
QuarterScores ScoreQuarter(const FeatureFrame& frame, size_t first_row, size_t last_row,
                           const std::vector<double>& predictions);

}  // namespace stocklake
