// `stocklake run`: the whole quarterly batch. Ingest -> raw topic -> cleaning ->
// processed and rejects topics -> lake tables, each stage consuming the previous one's
// topic from its committed offsets. Idempotent: a rerun on the same input commits
// nothing; new input appends and updates exactly what a full rerun would produce.
#pragma once

#include "core/status.h"
#include "orchestrate/run_options.h"

namespace stocklake {

//! InvalidArgument / NotFound: bad usage or an unusable input path (nothing written).
//! Other errors: the run failed; the lake keeps its last committed snapshot.
Result<RunSummary> RunBatch(const RunOptions& options);

//! The human-readable summary printed at the end of a run.
std::string FormatRunSummary(const RunSummary& summary);

}  // namespace stocklake
