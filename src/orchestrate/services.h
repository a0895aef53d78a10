// The pipeline's stages as long-running services, for when the log is an Apache Kafka
// cluster and the work is spread over processes and machines:
//   producer   input files (rescanned) and/or Yahoo Finance -> bronze -> raw-stock-data
//   processor  raw-stock-data -> cleaning -> processed-stock-data + stock-rejects
//              -> indicators and period bars -> lake buckets
//   loader     lake buckets -> serving store, as processed-stock-data advances
// Processors (and loaders) of one consumer group split the topic's partitions, and with
// them the tickers and the lake buckets; when a member joins, leaves or dies, Kafka moves
// its partitions and the new owner continues from the committed offsets and the
// bucket's state in the lake (per-ticker history, hence indicator state). Every output
// is keyed by row lineage or by bucket, so work redone after a crash or a rebalance
// changes nothing. `stocklake run` remains the one-shot batch over the same stages.
//
// Each service runs until `stop` becomes true (SIGTERM/SIGINT): it finishes the cycle at
// hand, commits, leaves its group and returns OK. With `once`, it returns after the first
// cycle that finds nothing to do. It reports what each cycle did and its lag on stderr.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "core/status.h"
#include "orchestrate/clean_stage.h"  // kCleanGroup: the processors' group, the run's clean offsets

namespace stocklake {

inline constexpr const char* kLoaderGroup = "stocklake-loader";

struct ServiceOptions {
  std::string lake_dir;
  std::string log_url;    // "" = the embedded log under the lake
  std::string store_url;  // loader: "" = SQLite under the lake
  int partitions = 16;    // topics created by the producer of a new lake
  int replication = 0;    // > 0: --replication, already folded into log_url by the CLI
  int threads = 2;
  //! Producer: seconds between rescans of the inputs. Processor and loader: the longest
  //! wait for new work when idle.
  double poll_seconds = 5;
  bool once = false;

  // Producer only.
  std::vector<std::string> inputs;  // files or directories, rescanned every poll
  std::vector<std::string> yahoo_symbols;
  std::string yahoo_range = "1y";        // the first download of each symbol
  std::string yahoo_base_url;            // "" = the client's default (STOCKLAKE_YAHOO_URL or Yahoo's)
  double yahoo_refresh_seconds = 86400;  // later downloads, of range "5d", this often
  double yahoo_requests_per_second = 2;
};

//! InvalidArgument for bad options or an unusable input path (nothing written then).
Status RunProducer(const ServiceOptions& options, const std::atomic<bool>& stop);
Status RunProcessor(const ServiceOptions& options, const std::atomic<bool>& stop);
Status RunLoader(const ServiceOptions& options, const std::atomic<bool>& stop);

}  // namespace stocklake
