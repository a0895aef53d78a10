// The PostgreSQL serving store, through libpq.
//
// Layout: stocks and indicators are range-partitioned by year on date (a partition per
// year present, created inside the loading transaction as rows need it, plus a DEFAULT
// partition for dates outside years 1..9998). Lookups by ticker use the primary key
// (ticker, date), which also serves cross-sections (one probe per ticker of the tickers
// table; the planner may prefer a scan of the one year partition). There is no index on
// date: each secondary index roughly halves the COPY rate. BRIN on date would not pay
// either: rows are loaded bucket by bucket in (ticker, date) order, so every block range
// of a year partition spans the whole year and a BRIN index would select every block. Text
// columns use COLLATE "C" so ordering is byte-wise, as in SQLite and the lake.
//
// Loading: binary COPY (PQputCopyData) straight into the target tables, inside the
// bucket's transaction; results are read as text (PostgreSQL prints doubles in
// shortest round-trip form, so they come back bit-exact).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/serving_store.h"

namespace stocklake {

//! Connects with the libpq URI/connection string `conninfo` and migrates the schema.
Result<std::unique_ptr<ServingStore>> OpenPostgresStore(const std::string& conninfo, const StoreOptions& options);

}  // namespace stocklake
