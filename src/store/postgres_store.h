// The PostgreSQL serving store, through libpq.
//
// Layout (schema version 4): the ticker-keyed tables (stocks, indicators, bars_*) are
// list-partitioned by bucket, one partition per bucket with a CHECK (bucket = N) matching
// its bound; the parents carry no index. The bucket partitions of stocks and indicators
// are themselves range-partitioned by date in whole years: consecutive years share a leaf
// until it holds StoreOptions::rows_per_date_partition rows (100k: about 3 leaves per
// bucket for the 4M-row benchmark, about 12 for a 20M-row 60-year history), the first
// leaf open below and the last above. Every leaf has its primary key (ticker, date) and a
// btree on date; period-bar bucket partitions their primary key (ticker, period_start).
// Partitions are named by load generation (stocks_g12, leaf stocks_g12_y2013): a load
// never renames, and the bucket's old partition is found by its bound.
//
// Queries: a ticker's rows name its bucket (from the tickers table), so only that bucket's
// leaves covering the dates are planned and their primary key serves. A cross-section
// names the date, so one leaf per bucket is planned and its date index finds the day's
// rows (measured on 1,588 tickers: 6-10 ms, against 31 ms for version 3's per-ticker key
// probes; a BRIN on date does not select, 165-340 ms, because leaves are clustered by
// ticker, which the far more frequent one-ticker query needs). Text columns use COLLATE "C"
// so ordering is byte-wise, as in SQLite and the lake. Versions 1-2 had year range
// partitions and a primary key on the parents; 3 moved rows into bucket partitions; 4
// makes each version-3 bucket partition the single leaf of its new bucket table.
// Version 5 adds the ML tables (predictions, backtests, backtest_predictions: small,
// unpartitioned, replaced by lake partition) and ml_sync_state.
//
// Loading a bucket (one transaction): each table's rows are binary-COPied (FREEZE) into
// new tables (for stocks and indicators: one COPY per year leaf), their keys and date
// indexes are built in one sort each, then the old bucket partition is dropped and the
// new one attached (no validation scan: the CHECK implies the bound), and the bucket's
// sync_state row written. Building the indexes after the load is what makes it fast;
// replacing drops the old rows instead of deleting them one by one. The date indexes
// cost about 20% of the load's server time. Only the final drop/attach locks the parents
// (exclusively, until the commit), in one fixed table order, so loaders of different
// buckets overlap. Commits stay synchronous: a bucket commit's WAL flush is a small part
// of a bucket's load. Results are read as text (PostgreSQL prints doubles in shortest
// round-trip form, so they come back bit-exact).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/serving_store.h"

namespace stocklake {

//! Connects with the libpq URI/connection string `conninfo` and migrates the schema.
Result<std::unique_ptr<ServingStore>> OpenPostgresStore(const std::string& conninfo, const StoreOptions& options);

}  // namespace stocklake
