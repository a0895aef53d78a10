// Row checks 2..5 of reference-job.md "Cleaning"; see row_checks.h.
#include "process/row_checks.h"

#include <limits>

namespace stocklake {
namespace {

// Written so that NaN fails too: every comparison with NaN is false.
inline bool IsGoodPrice(double x) { return x > 0.0 && x <= std::numeric_limits<double>::max(); }

}  // namespace

RejectReason CheckRow(double open, double high, double low, double close, double adj_close, int64_t volume) {
  if (!(IsGoodPrice(open) && IsGoodPrice(high) && IsGoodPrice(low) && IsGoodPrice(close) && IsGoodPrice(adj_close))) {
    return RejectReason::kBadPrice;
  }
  // high < max(open, close, low) or low > min(open, close, high), spelled out per operand.
  if (high < open || high < close || high < low || low > open || low > close) {
    return RejectReason::kHighLowInconsistent;
  }
  if (volume < 0) return RejectReason::kNegativeVolume;
  if (volume == 0) return RejectReason::kZeroVolume;
  return RejectReason::kNone;
}

void ApplyRowChecks(BarBatch* batch) {
  const size_t rows = batch->size();
  for (size_t i = 0; i < rows; ++i) {
    if (batch->reason[i] != RejectReason::kNone) continue;
    batch->reason[i] =
        CheckRow(batch->open[i], batch->high[i], batch->low[i], batch->close[i], batch->adj_close[i], batch->volume[i]);
  }
}

}  // namespace stocklake
