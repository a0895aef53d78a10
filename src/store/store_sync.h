// Brings a serving store up to the lake's current snapshot.
//
// The unit of work is one bucket (= one log partition = a fixed set of tickers). A
// bucket whose data files differ from the ones the store last loaded is replaced in one
// transaction: all its rows in every table are deleted, its files' rows are inserted, and
// its new file set is recorded in the store's sync_state table, in that same
// transaction. A crash between buckets therefore leaves each bucket either wholly old or
// wholly new, and the next sync redoes exactly the buckets still differing; a sync with
// nothing new touches nothing.
//
// The unbucketed ML tables (predictions, backtests) are brought up to date after the
// buckets in the same way, with one lake partition (DataFile::partition) as the unit: a
// partition whose files differ from the ones recorded in the store's ml_sync_state is
// replaced in one transaction, and a partition gone from the lake is deleted. Every sync
// does this whatever buckets it was given (loaders serialise on it; see ReplacePartition).
//
// Why replace rather than upsert (COPY into staging + INSERT ... ON CONFLICT): a rewritten
// bucket file is the bucket's complete new state, and rows can disappear from it (a row
// displaced by a later duplicate, a period bar whose period_start moved after late rows),
// which an upsert would leave behind. Delete + bulk insert is exact, and the bulk insert
// can use binary COPY straight into the target tables, several times faster than any
// ON CONFLICT path in PostgreSQL. No rows overlap between a bucket's delete and insert,
// so there is nothing left for ON CONFLICT to do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/serving_store.h"

namespace stocklake {

struct SyncStats {
  int64_t snapshot_id = 0;      //!< the lake snapshot the store now reflects
  int buckets_total = 0;        //!< buckets in the lake
  int buckets_behind = 0;       //!< selected buckets differing from the lake when the sync began
  int buckets_loaded = 0;       //!< buckets replaced by this sync (0 in a dry run)
  int buckets_unchanged = 0;    //!< selected buckets already up to date
  int64_t rows_loaded = 0;      //!< rows inserted, all tables
  int64_t bar_rows_loaded = 0;  //!< rows inserted into stocks alone
  int runs_recorded = 0;        //!< run rows added
  int partitions_behind = 0;    //!< ML table partitions differing from the lake when the sync began
  int partitions_loaded = 0;    //!< ML table partitions replaced or deleted by this sync
  int64_t ml_rows_loaded = 0;   //!< rows inserted into the ML tables (also in rows_loaded)
  bool reset = false;           //!< the bucket count changed, so the store was emptied first
                                //!< (in a dry run: would be)
  double seconds = 0;
};

//! Loads into `store` every bucket of the lake at `lake_dir` whose file set differs from
//! what the store last loaded, each in its own transaction, then records every snapshot
//! manifest's run not yet in the runs table. `stats` may be null. After a crash, calling
//! it again completes the work. The lake must not be rewritten during the sync (a file
//! that vanished yields NotFound: rerun). Calls CrashPoint("store-bucket-committed")
//! after each bucket's commit and CrashPoint("store-partition-committed") after each ML
//! partition's.
Status SyncStoreWithLake(ServingStore& store, const std::string& lake_dir, SyncStats* stats);

struct SyncOptions {
  //! Connections loading buckets in parallel (PostgreSQL only: SQLite has one writer).
  //! Each bucket is still one transaction on one connection.
  int connections = 2;
  //! The buckets this sync brings up to date; empty: every bucket (also every loaded
  //! bucket the lake no longer has). Loaders given disjoint sets may sync the same store
  //! at the same time: on PostgreSQL their buckets load side by side, on SQLite a writer
  //! waits for the other's transaction (busy timeout). Runs are recorded either way.
  std::vector<int> buckets;
  //! Only compares: fills SyncStats (snapshot_id, buckets_total, buckets_behind,
  //! buckets_unchanged, partitions_behind, reset) and writes nothing, neither rows nor runs. The store is
  //! still opened, which creates or migrates its schema when it is not current.
  bool dry_run = false;
  //! How the stores are opened (by the URL overload only).
  StoreOptions store;
};

//! The same, opening the store named by `store_url` (see OpenServingStore) with
//! `options.connections` connections. The entry point for `stocklake run --store URL`.
Status SyncStoreWithLake(const std::string& store_url, const std::string& lake_dir, const SyncOptions& options,
                         SyncStats* stats);

//! The same through an open store (one connection: `options.connections` is ignored).
Status SyncStoreWithLake(ServingStore& store, const std::string& lake_dir, const SyncOptions& options,
                         SyncStats* stats);

}  // namespace stocklake
