// FeatureFrame: the rows of gold/ml_features of one lake snapshot in memory, as the model
// and its baseline use them. Rows are in a stable order (quarter, then ticker), so the
// same lake gives the same training matrix and therefore the same model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/date.h"
#include "core/env.h"
#include "core/status.h"
#include "lake/snapshot.h"

namespace stocklake {

struct FeatureFrame {
  int64_t snapshot_id = 0;                 //!< the lake snapshot read
  std::vector<std::string> files;          //!< the gold/ml_features files read (lineage)
  std::vector<std::string> feature_names;  //!< the model's inputs, in column order

  // One entry per row.
  std::vector<std::string> ticker;
  std::vector<int32_t> quarter;  //!< QuarterKey
  std::vector<Date> as_of_date;
  std::vector<double> label;     //!< NaN: not (yet) realised
  std::vector<double> baseline;  //!< mom_12_1 where defined, else ret_3m; NaN: neither
  //! Row-major, rows x feature_names.size(); NaN = missing (XGBoost's missing value).
  std::vector<float> values;

  size_t rows() const { return ticker.size(); }
  size_t width() const { return feature_names.size(); }
  const float* Row(size_t row) const { return values.data() + row * width(); }
  //! [first, last) rows of `quarter_key` (rows are grouped by quarter); empty if none.
  std::pair<size_t, size_t> QuarterRows(int32_t quarter_key) const;
  //! Quarters present, ascending.
  std::vector<int32_t> Quarters() const;
};

//! Reads gold/ml_features of `snapshot`. The model's inputs are every feature column the
//! files have (the spec's, then the extras), in the files' order. NotFound when the
//! snapshot has no gold/ml_features (a lake written before features existed: run
//! `stocklake run` again) or it has no rows.
Result<FeatureFrame> LoadFeatureFrame(const std::string& lake_dir, const LakeSnapshot& snapshot);

}  // namespace stocklake
