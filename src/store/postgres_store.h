// The PostgreSQL serving store, through libpq.
//
// Layout (schema version 3 on): the ticker-keyed tables (stocks, indicators, bars_*) are
// list-partitioned by bucket, one partition per bucket (stocks_b7, ...) with its own
// primary key (ticker, date | period_start) and a CHECK (bucket = N) matching its bound;
// the parents carry no index. Queries find a ticker's bucket in the tickers table and
// name it, so only that partition is planned and its primary key serves the lookup;
// cross-sections probe each listed ticker's key (no index on date: each secondary index
// slows every load, and BRIN would not select: a bucket holds every date). Text columns
// use COLLATE "C" so ordering is byte-wise, as in SQLite and the lake. Versions 1-2 had
// year range partitions and a primary key on the parents; migration 3 moves their rows.
//
// Loading a bucket (one transaction): each table's rows are binary-COPied (FREEZE) into a
// new unindexed table, its primary key is built in one sort, then the old partition is
// dropped and the new one attached (no validation scan: the CHECK implies the bound),
// and the bucket's sync_state row written. Building the key after the load is what makes
// it fast (>= 500k bar rows/s here); replacing drops the old rows instead of deleting
// them one by one. Only the final drop/attach locks the parents (exclusively, until the
// commit), in one fixed table order, so loaders of different buckets overlap. Commits
// stay synchronous: a bucket commit's WAL flush is a small part of a bucket's load.
// Results are read as text (PostgreSQL prints doubles in shortest round-trip form, so
// they come back bit-exact).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/serving_store.h"

namespace stocklake {

//! Connects with the libpq URI/connection string `conninfo` and migrates the schema.
Result<std::unique_ptr<ServingStore>> OpenPostgresStore(const std::string& conninfo, const StoreOptions& options);

}  // namespace stocklake
