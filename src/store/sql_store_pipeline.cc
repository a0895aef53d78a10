// SqlStore's part for the pipeline history: pipeline_runs, a row per run, and task_runs,
// a row per attempt of each of its tasks (attempt 0: a task that has none). They mirror
// the lake's history, which is the truth (orchestrate/pipeline_mirror.h): the runner
// rewrites a run whole at every state change, so a write replaces, never merges. The same
// SQL on both backends, under the conventions of sql_store.h; times cross the interface
// as Unix ms, 0 meaning not yet, which the tables hold as NULL.
#include <algorithm>

#include "store/sql_store.h"

namespace stocklake {

namespace {

//! A time as a statement parameter: NULL for 0 (not yet).
SqlParam MillisOrNull(int64_t millis) { return millis == 0 ? SqlParam{} : SqlParam{millis}; }

}  // namespace

Status SqlStore::ReplacePipelineRun(const PipelineRunRow& run, const std::vector<TaskRunRow>& tasks) {
  // started orders the history: a run without one is a caller's bug, refused before it
  // reaches the NOT NULL (whose message would not say which run).
  if (run.started_ms == 0) {
    return Status::InvalidArgument("pipeline run '" + run.run_id + "' has no start time (started_ms 0)");
  }
  SL_RETURN_IF_ERROR(Begin());
  Status st = ReplacePipelineRunInTransaction(run, tasks);
  if (st.ok()) st = Execute("COMMIT");
  if (!st.ok()) {
    RollbackAfterError();
    return st.WithContext("mirroring pipeline run '" + run.run_id + "' and its " + std::to_string(tasks.size()) +
                          " task rows to the " + std::string(backend()) + " store (nothing of it was written)");
  }
  return Status::OK();
}

Status SqlStore::ReplacePipelineRunInTransaction(const PipelineRunRow& run, const std::vector<TaskRunRow>& tasks) {
  // The UPSERT comes first: on PostgreSQL it locks the run's row, so two writers of one
  // run replace its task rows one after the other rather than interleaved.
  SL_RETURN_IF_ERROR(Command(
      "INSERT INTO pipeline_runs (run_id, pipeline, \"trigger\", quarter, state, started, ended, record_json, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, " +
          MillisToTimestamp("$6") + ", " + MillisToTimestamp("$7") + ", $8, " + CurrentTimestamp() +
          ") ON CONFLICT (run_id) DO UPDATE SET pipeline = excluded.pipeline, \"trigger\" = excluded.\"trigger\", "
          "quarter = excluded.quarter, state = excluded.state, started = excluded.started, ended = excluded.ended, "
          "record_json = excluded.record_json, updated_at = excluded.updated_at",
      {run.run_id, run.pipeline, run.trigger, run.quarter, run.state, run.started_ms, MillisOrNull(run.ended_ms),
       run.record_json}));
  SL_RETURN_IF_ERROR(Command("DELETE FROM task_runs WHERE run_id = $1", {run.run_id}));
  // A run has tens of task rows: one statement each (SQLite reuses the prepared one).
  const std::string insert =
      "INSERT INTO task_runs (run_id, task, attempt, task_state, started, ended, exit_status, reason, log_path) "
      "VALUES ($1, $2, $3, $4, " +
      MillisToTimestamp("$5") + ", " + MillisToTimestamp("$6") + ", $7, $8, $9)";
  for (const TaskRunRow& task : tasks) {
    SqlParam exit_status;  // NULL: the attempt has none (it runs, or timed out)
    if (task.exit_status) exit_status = int64_t{*task.exit_status};
    SL_RETURN_IF_ERROR(
        Command(insert, {run.run_id, task.task, int64_t{task.attempt}, task.task_state, MillisOrNull(task.started_ms),
                         MillisOrNull(task.ended_ms), exit_status, task.reason, task.log_path}));
  }
  return Status::OK();
}

Result<std::vector<PipelineRunRow>> SqlStore::PipelineRuns(std::string_view pipeline, int64_t limit) {
  Table t;
  t.columns = {{"run_id", ColumnType::kString, false},  {"pipeline", ColumnType::kString, false},
               {"trigger", ColumnType::kString, false}, {"quarter", ColumnType::kString, false},
               {"state", ColumnType::kString, false},   {"started", ColumnType::kInt64, false},
               {"ended", ColumnType::kInt64, false},    {"record_json", ColumnType::kString, false}};
  std::vector<SqlParam> params;
  std::string where;
  if (!pipeline.empty()) {
    params.emplace_back(std::string(pipeline));
    where = " WHERE pipeline = $1";
  }
  params.push_back(std::max<int64_t>(limit, 0));
  const std::string sql = "SELECT run_id, pipeline, \"trigger\", quarter, state, " + TimestampToMillis("started") +
                          ", COALESCE(" + TimestampToMillis("ended") + ", 0), record_json FROM pipeline_runs" + where +
                          " ORDER BY started DESC, run_id DESC LIMIT $" + std::to_string(params.size());
  Status st = Query(sql, params, &t);
  if (!st.ok()) {
    return st.WithContext(
        "reading the runs of " +
        (pipeline.empty() ? std::string("every pipeline") : "pipeline '" + std::string(pipeline) + "'") + " from the " +
        std::string(backend()) + " store");
  }
  std::vector<PipelineRunRow> out(t.num_rows());
  for (size_t r = 0; r < out.size(); ++r) {
    const auto& c = t.columns;
    out[r] = {std::string(c[0].StringAt(r)),
              std::string(c[1].StringAt(r)),
              std::string(c[2].StringAt(r)),
              std::string(c[3].StringAt(r)),
              std::string(c[4].StringAt(r)),
              c[5].i64[r],
              c[6].i64[r],
              std::string(c[7].StringAt(r))};
  }
  return out;
}

Result<std::vector<TaskRunRow>> SqlStore::TaskRuns(std::string_view run_id) {
  Table t;
  t.columns = {{"task", ColumnType::kString, false},       {"attempt", ColumnType::kInt64, false},
               {"task_state", ColumnType::kString, false}, {"started", ColumnType::kInt64, false},
               {"ended", ColumnType::kInt64, false},       {"exit_status", ColumnType::kInt64, true},
               {"reason", ColumnType::kString, false},     {"log_path", ColumnType::kString, false}};
  Status st = Query("SELECT task, attempt, task_state, COALESCE(" + TimestampToMillis("started") + ", 0), COALESCE(" +
                        TimestampToMillis("ended") +
                        ", 0), exit_status, reason, log_path FROM task_runs WHERE run_id = $1 ORDER BY task, attempt",
                    {std::string(run_id)}, &t);
  if (!st.ok()) {
    return st.WithContext("reading the task runs of pipeline run '" + std::string(run_id) + "' from the " +
                          std::string(backend()) + " store");
  }
  std::vector<TaskRunRow> out(t.num_rows());
  for (size_t r = 0; r < out.size(); ++r) {
    const auto& c = t.columns;
    TaskRunRow& row = out[r];
    row.task = std::string(c[0].StringAt(r));
    row.attempt = static_cast<int>(c[1].i64[r]);
    row.task_state = std::string(c[2].StringAt(r));
    row.started_ms = c[3].i64[r];
    row.ended_ms = c[4].i64[r];
    if (!c[5].IsNull(r)) row.exit_status = static_cast<int>(c[5].i64[r]);
    row.reason = std::string(c[6].StringAt(r));
    row.log_path = std::string(c[7].StringAt(r));
  }
  return out;
}

}  // namespace stocklake
