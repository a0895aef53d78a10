// The durable history of pipeline runs (../shared/spec/pipeline.md): one JSON file per
// run under the lake, `_stocklake/pipeline/runs/<run_id>.json`, replaced atomically on
// every state change before the change takes effect, so a `kill -9` of the runner never
// loses what it started. The same JSON object is what `pipeline history --json` prints
// and what the API serves; the serving store keeps a mirror (pipeline_mirror.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace stocklake {

enum class TaskState { kPending, kRunning, kSucceeded, kFailed, kUpForRetry, kUpstreamFailed, kSkipped };
enum class RunState { kRunning, kSucceeded, kFailed, kSkipped };
enum class RunTrigger { kSchedule, kManual, kBackfill, kResume };

std::string_view TaskStateName(TaskState state);
std::string_view RunStateName(RunState state);
std::string_view RunTriggerName(RunTrigger trigger);

//! One attempt of a task: a child process from start to exit.
struct AttemptRecord {
  int attempt = 1;                 //!< 1-based
  int64_t started_ms = 0;          //!< Unix milliseconds, UTC
  int64_t ended_ms = 0;            //!< 0 while it runs
  std::optional<int> exit_status;  //!< the exit code; a signal N is 128+N
  std::string reason;              //!< why it failed ("" when it succeeded)
  std::string log_path;            //!< its captured stdout and stderr
  int process_group = 0;           //!< while it runs: the group to kill if orphaned
};

struct TaskRecord {
  std::string task;
  TaskState state = TaskState::kPending;
  int64_t retry_at_ms = 0;  //!< kUpForRetry: when the next attempt starts
  std::vector<AttemptRecord> attempts;
};

struct PipelineRunRecord {
  std::string run_id;
  std::string pipeline;
  RunTrigger trigger = RunTrigger::kManual;
  std::string quarter;  //!< the logical quarter, "2017Q3"
  RunState state = RunState::kRunning;
  int64_t fire_time_ms = 0;  //!< the schedule's fire time (scheduled and skipped runs)
  int64_t started_ms = 0;
  int64_t ended_ms = 0;      //!< 0 while it runs
  std::string reason;        //!< why a run was skipped; what a resume resumed
  std::string resumed_from;  //!< kResume: the run whose failed tasks it reran
  std::vector<TaskRecord> tasks;

  //! The task called `name`, or nullptr.
  TaskRecord* FindTask(std::string_view name);
  const TaskRecord* FindTask(std::string_view name) const;
};

//! The run as the JSON object of `pipeline history --json` (times RFC 3339 UTC; the
//! extra fields keep milliseconds, log paths and what a resume needs).
std::string PipelineRunToJson(const PipelineRunRecord& run);

//! Parses what PipelineRunToJson wrote; Corruption naming `source` otherwise.
Result<PipelineRunRecord> PipelineRunFromJson(std::string_view json, const std::string& source);

//! "[run, run, ...]" as `history --json` prints it.
std::string PipelineRunsToJson(const std::vector<PipelineRunRecord>& runs);

//! Makes a run id: the start time, then a random suffix ("20250401T000000Z-3f9a1c").
//! Ids sort by start time.
std::string NewRunId(int64_t started_ms);

//! `_stocklake/pipeline` of the lake: history, locks and task logs live there.
std::string PipelineDirectory(const std::string& lake_dir);

//! The run history of one lake.
class PipelineHistory {
 public:
  explicit PipelineHistory(std::string lake_dir);

  //! Writes the run's file atomically and durably (it exists after a crash, whole).
  [[nodiscard]] Status Save(const PipelineRunRecord& run) const;

  //! The run with this id; NotFound when there is none.
  Result<PipelineRunRecord> Load(const std::string& run_id) const;

  //! Every run of the pipeline called `pipeline` ("" every pipeline), newest first
  //! (by start time, then id), at most `limit` (0: all).
  Result<std::vector<PipelineRunRecord>> List(const std::string& pipeline, size_t limit = 0) const;

  //! Where the log of an attempt goes (its directory is created by the runner).
  std::string AttemptLogPath(const std::string& run_id, const std::string& task, int attempt) const;

 private:
  std::string RunPath(const std::string& run_id) const;
  std::string dir_;
};

}  // namespace stocklake
