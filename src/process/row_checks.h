// Row checks: the per-row cleaning rules 2..5 of reference-job.md "Cleaning" (bad_price,
// high_low_inconsistent, negative_volume, zero_volume), applied in place to a BarBatch's
// reason column. Parse errors are decided earlier, by the readers; duplicates later, once
// rows of a ticker meet.
#pragma once

#include "core/bar_batch.h"

namespace stocklake {

//! Applies checks 2..5 of reference-job.md "Cleaning" in that order to every row whose
//! reason is still kNone, setting the first failing reason. Rows already rejected
//! (parse_error, unrecognised_header) are left alone. Readers set adj_close = close when
//! the input has none, so checking adj_close always is equivalent to "where the input
//! gives it".
void ApplyRowChecks(BarBatch* batch);

//! The reason the checks give one row (kNone when it passes); ApplyRowChecks uses it.
RejectReason CheckRow(double open, double high, double low, double close, double adj_close, int64_t volume);

}  // namespace stocklake
