// Stage 1 of the batch: input files -> bronze copies -> raw-stock-data. Each new file is
// registered (gets a source id), copied into bronze/ and parsed; its rows are published
// to the raw topic in per-ticker records keyed by ticker. Files already ingested with the
// same content are skipped, so a rerun publishes nothing.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "lake/snapshot.h"
#include "lake/source_registry.h"
#include "log/message_log.h"
#include "orchestrate/run_options.h"

namespace stocklake {

struct IngestResult {
  int64_t files_seen = 0;
  int64_t files_ingested = 0;
  int64_t files_skipped = 0;
  int64_t files_unrecognised = 0;
  int64_t rows_read = 0;
  std::vector<std::string> warnings;
  double hash_seconds = 0;     // identifying files by content
  double parse_seconds = 0;    // bronze copies, parsing, publishing
  double durable_seconds = 0;  // waiting for the log and bronze to reach the disk
};

//! The partition count of a lake's topics: the lake's own once it has a snapshot, else
//! the raw topic's when the log has it, else `fallback` (a new lake on a new log).
int LakePartitions(const LakeSnapshot& base, MessageLog* log, int fallback);

//! Runs the stage. InvalidArgument / NotFound when an input path is unusable (nothing is
//! written then); other errors when the lake or log cannot be written.
Result<IngestResult> RunIngestStage(const RunOptions& options, int partitions, SourceRegistry* registry,
                                    MessageLog* log);

}  // namespace stocklake
