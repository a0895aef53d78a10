// The long-running scheduler of one pipeline (`stocklake scheduler`): fires runs at the
// cron's times in the definition's time zone, records every fire time that does not run
// (a run still going, or missed while down without catch-up) as a skipped run, catches up
// missed fire times oldest first when asked to, and on stop hands the run at hand back.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "orchestrate/pipeline_definition.h"

namespace stocklake {

struct SchedulerOptions {
  const std::atomic<bool>* stop = nullptr;  //!< set by SIGTERM: hand back and return OK
  std::string program;                      //!< the stocklake binary ("" this one)
  bool quiet = false;
};

//! Runs until `options.stop` is set. An error only when the schedule cannot run at all
//! (no schedule in the definition, the history cannot be written).
[[nodiscard]] Status RunScheduler(const PipelineDefinition& definition, const SchedulerOptions& options);

//! The next `count` fire times strictly after `after_ms` (Unix ms, UTC), as Unix ms.
//! InvalidArgument when the definition has no schedule.
Result<std::vector<int64_t>> NextFireTimes(const PipelineDefinition& definition, int64_t after_ms, int count);

}  // namespace stocklake
