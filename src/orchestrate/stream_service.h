// `stocklake stream`: the speed layer's processor (stream.md). A consumer-group member on
// topic `trades`: for every partition it owns it folds new records into the partition's
// windows, dead-letters late and invalid records to `trades-dlq`, and commits the changed
// windows (UPSERT into intraday_bars) together with each partition's next offset, window
// state and the log's end it saw (the lag it left, for `serve`'s metrics) in ONE store
// transaction. On start, and whenever it gains a partition, it
// resumes from what the store recorded, so a crash at any point, a clean stop or a
// partition moving to another processor changes nothing in the final bars.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace stocklake {

struct StreamOptions {
  std::string lake_dir;
  std::string log_url;    //!< "" = the embedded log under the lake
  std::string store_url;  //!< "" = SQLite under the lake
  int64_t window_ms = 60'000;
  int64_t lateness_ms = 60'000;
  int64_t idle_close_ms = 0;  //!< 0: never; else finalise a symbol quiet this long (processing time)
  bool once = false;          //!< stop when every owned partition is caught up
  double poll_seconds = 0.2;  //!< how often to look for the topic while it does not exist
  //! The wait before looking again when no partition had new records. Reads between waits
  //! cost nothing on Kafka (records are prefetched), so it bounds the added latency.
  int idle_wait_ms = 20;
  bool status_lines = true;  //!< a status line (lag, events/s) on stderr every few seconds
  //! Bytes fetched per partition and cycle: smaller means more, smaller commits (lower
  //! latency); tests use it to get many commit points.
  size_t fetch_bytes = 4 << 20;
  //! How often finalised windows are exported to the lake's silver/intraday_bars (also
  //! once when the processor stops); 0: only when it stops.
  int64_t lake_export_ms = 60'000;
};

struct StreamReport {
  int64_t accepted = 0, late = 0, invalid = 0;
  int64_t commits = 0;
  int64_t bars_written = 0;
  int64_t lake_exports = 0;  //!< snapshots of silver/intraday_bars committed
};

//! Runs until `stop` (or, with `once`, until caught up). InvalidArgument for bad options.
Status RunStream(const StreamOptions& options, const std::atomic<bool>& stop, StreamReport* report);

}  // namespace stocklake
