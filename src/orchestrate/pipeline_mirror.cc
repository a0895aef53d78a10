#include "orchestrate/pipeline_mirror.h"

#include <cstdio>

#include "orchestrate/store_url.h"

namespace stocklake {

PipelineRunRow PipelineRunStoreRow(const PipelineRunRecord& run) {
  return PipelineRunRow{run.run_id,
                        run.pipeline,
                        std::string(RunTriggerName(run.trigger)),
                        run.quarter,
                        std::string(RunStateName(run.state)),
                        run.started_ms,
                        run.ended_ms,
                        PipelineRunToJson(run)};
}

std::vector<TaskRunRow> TaskRunStoreRows(const PipelineRunRecord& run) {
  std::vector<TaskRunRow> rows;
  for (const TaskRecord& task : run.tasks) {
    const std::string state(TaskStateName(task.state));
    if (task.attempts.empty()) rows.push_back(TaskRunRow{task.task, 0, state, 0, 0, std::nullopt, "", ""});
    for (const AttemptRecord& attempt : task.attempts) {
      rows.push_back(TaskRunRow{task.task, attempt.attempt, state, attempt.started_ms, attempt.ended_ms,
                                attempt.exit_status, attempt.reason, attempt.log_path});
    }
  }
  return rows;
}

PipelineMirror::PipelineMirror(std::string lake_dir, std::string store_option)
    : url_(ServingStoreUrl(store_option, lake_dir)) {}

PipelineMirror::~PipelineMirror() = default;

void PipelineMirror::Mirror(const PipelineRunRecord& run) {
  if (url_.empty()) return;
  Status status;
  if (store_ == nullptr) {
    status = PrepareStoreLocation(url_);
    if (status.ok()) {
      Result<std::unique_ptr<ServingStore>> opened = OpenServingStore(url_);
      if (opened.ok()) {
        store_ = std::move(*opened);
      } else {
        status = opened.status();
      }
    }
  }
  if (store_ != nullptr) status = store_->ReplacePipelineRun(PipelineRunStoreRow(run), TaskRunStoreRows(run));
  if (status.ok()) return;
  store_.reset();  // reconnect on the next change
  if (!warned_) {
    std::fprintf(stderr,
                 "pipeline: warning: mirroring run %s to the store %s failed (%s); the lake keeps the history\n",
                 run.run_id.c_str(), RedactUrl(url_).c_str(), status.ToString().c_str());
    warned_ = true;
  }
}

}  // namespace stocklake
