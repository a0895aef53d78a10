// Walk-forward modelling; see walk_forward.h.
#include "ml/walk_forward.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "process/quarter_features.h"

namespace stocklake {

namespace {

std::string QuarterRange(const FeatureFrame& frame) {
  const std::vector<int32_t> quarters = frame.Quarters();
  if (quarters.empty()) return "no quarters";
  return FormatQuarter(quarters.front()) + ".." + FormatQuarter(quarters.back());
}

// The frame columns of the model's inputs.
std::vector<size_t> FeatureColumns(const FeatureFrame& frame, FeatureSet set) {
  std::vector<size_t> columns;
  const auto spec = SpecFeatureNames();
  for (size_t k = 0; k < frame.feature_names.size(); ++k) {
    const bool in_spec = std::find(spec.begin(), spec.end(), frame.feature_names[k]) != spec.end();
    if (set == FeatureSet::kAll || in_spec) columns.push_back(k);
  }
  return columns;
}

}  // namespace

Result<FeatureSet> ParseFeatureSet(std::string_view name) {
  if (name == "spec") return FeatureSet::kSpec;
  if (name == "all") return FeatureSet::kAll;
  return Status::InvalidArgument("--features '" + std::string(name) + "': expected spec or all");
}

std::string_view FeatureSetName(FeatureSet set) { return set == FeatureSet::kSpec ? "spec" : "all"; }

Result<QuarterModel> TrainQuarterModel(const FeatureFrame& frame, int32_t quarter, const WalkForwardOptions& options) {
  QuarterModel out;
  out.quarter = quarter;
  std::tie(out.first_row, out.last_row) = frame.QuarterRows(quarter);
  if (out.first_row == out.last_row) {
    return Status::NotFound("quarter " + FormatQuarter(quarter) + " has no feature rows (the lake has " +
                            QuarterRange(frame) + ")");
  }
  int32_t first_allowed = std::numeric_limits<int32_t>::min();
  if (options.window > 0) {
    first_allowed = quarter;
    for (int k = 0; k < options.window; ++k) first_allowed = PreviousQuarter(first_allowed);
  }
  // Rows of quarters before T (and within the window) whose label is realised; the rows
  // are grouped by quarter, so each quarter's labels are ranked among themselves.
  const std::vector<size_t> columns = FeatureColumns(frame, options.features);
  for (size_t k : columns) out.feature_names.push_back(frame.feature_names[k]);
  const size_t width = columns.size();
  std::vector<float> values, labels;
  std::vector<size_t> rows;
  std::vector<double> quarter_labels;
  const size_t end = out.first_row;  // every row before it belongs to a quarter < T
  size_t begin = 0;
  while (begin < end) {
    const int32_t q = frame.quarter[begin];
    size_t stop = begin;
    while (stop < end && frame.quarter[stop] == q) ++stop;
    if (q >= first_allowed) {
      rows.clear();
      quarter_labels.clear();
      for (size_t r = begin; r < stop; ++r) {
        if (std::isnan(frame.label[r])) continue;
        rows.push_back(r);
        quarter_labels.push_back(frame.label[r]);
      }
      if (!rows.empty()) {
        if (out.train_rows == 0) out.first_train_quarter = q;
        out.last_train_quarter = q;
        const std::vector<double> ranked = CrossSectionalRankNorm(quarter_labels);
        for (size_t k = 0; k < rows.size(); ++k) {
          const float* row = frame.Row(rows[k]);
          for (size_t c : columns) values.push_back(row[c]);
          labels.push_back(static_cast<float>(ranked[k]));
        }
        out.train_rows += static_cast<int64_t>(rows.size());
      }
    }
    begin = stop;
  }
  if (out.train_rows == 0) {
    return Status::NotFound("no quarter before " + FormatQuarter(quarter) +
                            (options.window > 0 ? " within the window" : std::string()) +
                            " has a realised label to train on (the lake has " + QuarterRange(frame) +
                            "; a label needs the following quarter's rows)");
  }
  SL_ASSIGN_OR_RETURN(XgbModel model, XgbModel::Train(values.data(), static_cast<size_t>(out.train_rows), width,
                                                      labels.data(), options.params));
  values = {};
  SL_ASSIGN_OR_RETURN(out.predictions, PredictRows(model, out.feature_names, frame, out.first_row, out.last_row));
  out.model.emplace(std::move(model));
  return out;
}

Result<std::vector<double>> PredictRows(const XgbModel& model, const std::vector<std::string>& feature_names,
                                        const FeatureFrame& frame, size_t first_row, size_t last_row) {
  const size_t rows = last_row - first_row, width = feature_names.size();
  std::vector<size_t> source(width);
  for (size_t k = 0; k < width; ++k) {
    const auto it = std::find(frame.feature_names.begin(), frame.feature_names.end(), feature_names[k]);
    if (it == frame.feature_names.end()) {
      return Status::InvalidArgument("the model uses feature '" + feature_names[k] +
                                     "', which the lake's gold/ml_features does not have");
    }
    source[k] = static_cast<size_t>(it - frame.feature_names.begin());
  }
  std::vector<float> values(rows * width);
  for (size_t r = 0; r < rows; ++r) {
    const float* in = frame.Row(first_row + r);
    for (size_t k = 0; k < width; ++k) values[r * width + k] = in[source[k]];
  }
  SL_ASSIGN_OR_RETURN(std::vector<float> predicted, model.Predict(values.data(), rows, width));
  return std::vector<double>(predicted.begin(), predicted.end());
}

QuarterScores ScoreQuarter(const FeatureFrame& frame, size_t first_row, size_t last_row,
                           const std::vector<double>& predictions) {
  const std::span<const double> labels(frame.label.data() + first_row, last_row - first_row);
  QuarterScores scores;
  scores.model = ScorePredictions(predictions, labels);
  // The baseline over the same rows, leaving out those where it is not defined.
  scores.baseline =
      ScorePredictions(std::span<const double>(frame.baseline.data() + first_row, last_row - first_row), labels);
  return scores;
}

}  // namespace stocklake
