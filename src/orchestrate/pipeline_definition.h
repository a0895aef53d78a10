// A pipeline definition (../shared/spec/pipeline.md): the YAML file that names a
// schedule, a lake, retry rules and a DAG of tasks. Loading validates everything a run
// would trip over later (unknown fields, a bad cron, time zone or duration, unknown or
// cyclic `after`) and reports it as "FILE:LINE: reason", so `pipeline check` fails where
// the mistake is, not in the middle of the night.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace stocklake {

//! How a task's failed attempts are retried and when an attempt is killed.
struct RetryPolicy {
  int retries = 0;                       //!< retries after the first attempt
  int64_t retry_delay_ms = 30'000;       //!< delay before the first retry
  double retry_backoff = 2.0;            //!< factor per further retry (>= 1)
  int64_t max_retry_delay_ms = 600'000;  //!< cap of the delay (before jitter)
  int64_t timeout_ms = 0;                //!< an attempt running longer is killed; 0: never
};

//! The delay before retry number `attempt` (the attempt that failed, 1-based), before
//! jitter: min(retry_delay * retry_backoff^(attempt-1), max_retry_delay).
int64_t RetryDelayMillis(const RetryPolicy& policy, int attempt);

enum class TaskKind {
  kRun,   //!< a stocklake subcommand, run by this very program
  kExec,  //!< any program, found on PATH when the name has no slash
};

struct TaskDefinition {
  std::string name;
  TaskKind kind = TaskKind::kRun;
  std::vector<std::string> args;   //!< subcommand or program, then its arguments
  std::vector<std::string> after;  //!< tasks that must succeed first
  RetryPolicy policy;              //!< the definition's defaults, overridden per task
  int line = 0;                    //!< where the task is defined (1-based)
};

struct PipelineDefinition {
  std::string source;  //!< the file it was read from
  std::string name;
  std::string schedule;  //!< cron (5 or 6 fields); "" when it only runs by hand
  std::string timezone = "UTC";
  bool catchup = false;
  std::string lake;     //!< lake directory of the `run` tasks, history and lock
  std::string store;    //!< serving store of the history mirror ("" the lake's default)
  std::string webhook;  //!< run-end notification URL; "" none
  RetryPolicy defaults;
  std::vector<TaskDefinition> tasks;  //!< dependencies first; otherwise as written
};

//! Parses and validates `yaml`; `source` names it in errors. InvalidArgument with
//! "SOURCE:LINE: reason" for the first problem found.
Result<PipelineDefinition> ParsePipelineDefinition(std::string_view yaml, const std::string& source);

//! Reads `path` and parses it (NotFound / IOError when it cannot be read).
Result<PipelineDefinition> LoadPipelineDefinition(const std::string& path);

//! The index of the task called `name` in `definition.tasks`; -1 when there is none.
int FindTask(const PipelineDefinition& definition, std::string_view name);

//! A human-readable summary for `pipeline check`: schedule, zone, then one line per task
//! in order with its command and what it waits for.
std::string DescribePipeline(const PipelineDefinition& definition);

}  // namespace stocklake
