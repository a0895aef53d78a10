// Runs pipeline runs (../shared/spec/pipeline.md): tasks as child processes in DAG
// order, retries with backoff and jitter, timeouts, upstream failure, and the history of
// every state change written before the change takes effect. One runner at a time per
// lake: it holds `_stocklake/pipeline/LOCK` (released by the kernel when it dies), and
// on taking it first finishes the runs a dead runner left (`runner_lost`).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/file_lock.h"
#include "core/status.h"
#include "orchestrate/pipeline_definition.h"
#include "orchestrate/pipeline_history.h"

namespace stocklake {

class PipelineMirror;

struct PipelineRunnerOptions {
  std::string program;                      //!< the stocklake binary that runs `run` tasks
  const std::atomic<bool>* stop = nullptr;  //!< set: hand the run back and return
  std::function<void()> on_tick;            //!< called every loop turn (the scheduler's clock)
  bool quiet = false;                       //!< no progress lines on stderr
  int64_t kill_grace_ms = 2000;             //!< SIGTERM to SIGKILL when an attempt is killed
};

//! The lake's pipeline lock, held while the object lives.
class PipelineLock {
 public:
  //! Takes the lock without waiting; Aborted ("another pipeline run holds ...") if held.
  static Result<PipelineLock> Acquire(const std::string& lake_dir);
  //! True when some process holds the lock now (for the API: refuse before starting).
  static bool IsHeld(const std::string& lake_dir);

 private:
  explicit PipelineLock(FileLock lock) : lock_(std::move(lock)) {}
  FileLock lock_;
};

class PipelineRunner {
 public:
  //! The definition must stay alive as long as the runner. The caller holds the lock.
  PipelineRunner(const PipelineDefinition& definition, PipelineRunnerOptions options);
  ~PipelineRunner();

  //! Finishes every run of this pipeline that a dead runner left `running`: its running
  //! attempts fail with reason `runner_lost` (their leftover processes are killed) and
  //! are retried by the task's rules. Returns the runs as they ended.
  Result<std::vector<PipelineRunRecord>> RecoverLostRuns();

  //! Starts and finishes one run. `run_id` "" makes a new id.
  Result<PipelineRunRecord> Execute(RunTrigger trigger, const std::string& quarter, int64_t fire_time_ms = 0,
                                    const std::string& run_id = "");

  //! A new run (trigger resume) of `run_id`'s quarter that reruns its failed, upstream
  //! failed and never-finished tasks; its succeeded tasks carry over as succeeded without
  //! attempts. InvalidArgument when that run succeeded or is still running.
  Result<PipelineRunRecord> Resume(const std::string& run_id);

  //! Records a fire time that did not run (state skipped, no tasks) with its reason.
  [[nodiscard]] Status RecordSkipped(int64_t fire_time_ms, const std::string& quarter, const std::string& reason);

  const PipelineHistory& history() const { return history_; }

 private:
  Result<PipelineRunRecord> Drive(PipelineRunRecord run);
  Status Save(const PipelineRunRecord& run);

  const PipelineDefinition& definition_;
  PipelineRunnerOptions options_;
  PipelineHistory history_;
  std::unique_ptr<PipelineMirror> mirror_;
};

//! The logical quarter of a run fired at `fire_time_ms`: the quarter that ended last
//! before that instant, by the calendar of time zone `timezone` ("2025Q1" at
//! 2025-04-01T00:00 local).
Result<std::string> LogicalQuarter(int64_t fire_time_ms, const std::string& timezone);

//! The path of this very program (for `run` tasks).
std::string CurrentProgramPath();

}  // namespace stocklake
