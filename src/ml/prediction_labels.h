// Realised labels for earlier predictions. A prediction of quarter T is written when T's
// label (the next quarter's return) is not known yet, so gold/predictions holds NULL
// there (ml.md); once a run has loaded the next quarter, the label exists in
// gold/ml_features and this copies it into the predictions, so the table answers "how
// did that quarter's predictions do" without a join.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "lake/snapshot.h"

namespace stocklake {

//! Rewrites every gold/predictions file of `snapshot` that has a NULL label which
//! gold/ml_features now has, and commits them in one snapshot (nothing when none
//! changed). Returns the number of labels filled in.
Result<int64_t> FillRealisedPredictionLabels(const std::string& lake_dir, const LakeSnapshot& snapshot);

}  // namespace stocklake
