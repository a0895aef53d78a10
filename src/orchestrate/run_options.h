// What `stocklake run` is asked to do, and what it reports back.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stocklake {

struct RunOptions {
  std::vector<std::string> inputs;  // files or directories, in the order given
  std::string lake_dir;
  std::string log_url;    // "" = file:<lake>/_log
  std::string store_url;  // "" = SQLite under the lake; "none" = no serving store
  int partitions = 16;    // for a new lake; an existing lake keeps its own
  int threads = 2;
  bool progress = false;  // draw a progress line on stderr
};

struct StageTiming {
  std::string stage;
  double seconds = 0;
  int64_t rows = 0;
  std::vector<std::pair<std::string, double>> parts;  // where the time went, when known
};

struct RunSummary {
  int64_t files_seen = 0;
  int64_t files_ingested = 0;      // new content this run
  int64_t files_skipped = 0;       // already in the lake with the same content
  int64_t files_unrecognised = 0;  // no accepted header: every row rejected
  std::vector<std::string> warnings;

  // Rows of this run's new input: rows_read = accepted + rejected + duplicates.
  int64_t rows_read = 0;
  int64_t external_rows = 0;
  int64_t recovered_rows = 0;  // of rows_read: read by an interrupted run, committed by this one  // of rows_read: bars
                               // other producers published to the raw topic
  int64_t accepted = 0;
  //! Of accepted: rows for a (ticker, date) new to the lake, rows that replaced a different
  //! row the lake held, and rows identical to the one it held (they change nothing).
  int64_t new_rows = 0, revised = 0, unchanged = 0;
  int64_t rejected = 0;
  int64_t duplicates = 0;
  int64_t rejected_by_reason[8] = {};
  //! Rows from earlier runs displaced by a newer row for the same ticker and date.
  int64_t earlier_rows_displaced = 0;

  //! Lake buckets changed by appending files, and by recomputing their whole history.
  int64_t buckets_appended = 0, buckets_recomputed = 0;
  int64_t snapshot_id = 0;               // 0 when nothing new was committed
  int64_t prediction_labels_filled = 0;  // gold/predictions labels this run's rows realised
  std::vector<std::string> tables_written;
  std::string store;  // the serving store loaded (password redacted); "" for none
  int64_t store_buckets_loaded = 0;
  int64_t store_rows_loaded = 0;
  std::vector<StageTiming> stages;
  double total_seconds = 0;
};

}  // namespace stocklake
