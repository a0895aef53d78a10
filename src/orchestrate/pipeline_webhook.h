// The run-end notification of a pipeline (../shared/spec/pipeline.md): a JSON POST to the
// definition's webhook when a run ends, retried on failure, never failing the run.
#pragma once

#include <string>

#include "orchestrate/pipeline_history.h"

namespace stocklake {

//! The body posted for `run`: {"run_id", "pipeline", "trigger", "state", "quarter",
//! "failed_tasks": [...], "started", "ended"}.
std::string RunEndedPayload(const PipelineRunRecord& run);

//! POSTs RunEndedPayload(run) to `url`, up to 4 attempts (0.5, 1, 2 s apart, 5 s
//! timeout each) until one answers 2xx. Failures are reported on stderr unless `quiet`
//! and otherwise ignored. True when delivered.
bool NotifyRunEnded(const std::string& url, const PipelineRunRecord& run, bool quiet);

}  // namespace stocklake
