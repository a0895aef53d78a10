// The embedded serving store: one SQLite database file. WAL journal with
// synchronous=NORMAL (a commit survives a process crash; the last commits may be lost on
// power loss, which a rerun of the sync repairs), one transaction per bucket, cached
// prepared statements. Bar tables are WITHOUT ROWID tables clustered on (ticker, date),
// so one ticker's bars are contiguous on disk. Dates are stored as ISO text
// ('YYYY-MM-DD'), which sorts correctly and reads naturally in the sqlite3 shell.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/serving_store.h"

namespace stocklake {

//! Opens or creates the SQLite database at `path` and migrates it.
Result<std::unique_ptr<ServingStore>> OpenSqliteStore(const std::string& path, const StoreOptions& options);

}  // namespace stocklake
