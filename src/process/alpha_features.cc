// Extra model features; see alpha_features.h.
#include "process/alpha_features.h"

namespace stocklake {

std::span<const FeatureDoc> AlphaFeatureCatalog() { return {}; }

void ComputeAlphaFeatures(const DailySeries& series, std::span<const size_t> rows,
                          std::vector<std::vector<double>>* columns) {
  columns->assign(AlphaFeatureCatalog().size(), std::vector<double>(rows.size()));
}

}  // namespace stocklake
