// Stage 2: raw-stock-data -> cleaning checks -> processed-stock-data and stock-rejects.
// Consumes each raw partition from the group's committed offset, drops rows of source
// attempts that never committed (a crash mid-ingest), applies the row checks, and
// publishes candidates and rejects to the same partition of the two output topics. The
// group's offsets are committed only after the outputs are durable, so a crash repeats
// work (the lake stage recognises repeated rows by their lineage) but never loses it.
#pragma once

#include <vector>

#include "core/status.h"
#include "lake/source_registry.h"
#include "log/consumer_group.h"
#include "log/message_log.h"

namespace stocklake {

inline constexpr const char* kCleanGroup = "stocklake-clean";
//! Source id given to bars that external producers published as JSON; their line is
//! the record's offset in the raw topic.
inline constexpr uint32_t kExternalSource = 0xFFFFFFFFu;

struct CleanResult {
  int64_t records = 0;
  int64_t rows = 0;
  int64_t rows_of_uncommitted_sources = 0;  // dropped: their ingest never committed
  int64_t undecodable_records = 0;          // published to stock-rejects as parse_error
  //! Rows that other producers published (JSON bars and undecodable records): read by
  //! this run like rows of its input files.
  int64_t external_rows = 0;
  //! Partitions stopped at a record of a source still being ingested (services only).
  int64_t partitions_waiting = 0;
  //! (partition, next raw offset) as committed, for each partition of the scope.
  std::vector<std::pair<int, int64_t>> positions;
};

//! Which raw partitions a run of the stage covers and where its position is kept.
struct CleanScope {
  std::vector<int> partitions;
  ConsumerOffsets* offsets = nullptr;
  //! Services: a record of a source whose ingest is still at work stops its partition
  //! there until the source commits (the producer runs concurrently). The one-shot run
  //! ingests first, so any uncommitted source there belongs to a dead attempt: dropped.
  bool wait_for_pending_sources = false;
};

//! Cleans what is new in the scope's partitions of the raw topic (of `partitions`) and
//! commits the positions through scope.offsets once the outputs are durable. Aborted
//! when that commit is refused (the partitions changed owner).
Result<CleanResult> RunCleanStage(int partitions, const CleanScope& scope, int threads, const SourceRegistry& registry,
                                  MessageLog* log);

}  // namespace stocklake
