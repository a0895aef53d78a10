// The speed layer's finalised windows into the lake (issue #13): silver/intraday_bars, one
// Parquet file per UTC hour of window start (partition "date=YYYY-MM-DD/hour=HH"),
// rewritten from the serving store whenever a window of that hour became final since the
// last export, and committed as a snapshot like every table. An export costs the hours it
// touches, not the day. The store stays the source: an export repeated after a crash
// rewrites the same hours with the same rows (idempotent), and the lake keeps the history
// after the store is gone.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "store/serving_store.h"

namespace stocklake {

struct IntradayExportStats {
  int64_t hours = 0;        //!< hour files (re)written
  int64_t rows = 0;         //!< rows in them
  int64_t snapshot_id = 0;  //!< the snapshot that lists them (0: nothing to export)
};

//! Exports the hours with windows made final since the last export of `lake_dir` (its
//! progress is kept in `_stocklake/stream/lake_export.json`, written after the commit).
//! The caller holds the lake (a shared lock is enough: the commit takes the commit lock).
[[nodiscard]] Status ExportFinalWindows(ServingStore& store, const std::string& lake_dir, IntradayExportStats* stats);

}  // namespace stocklake
