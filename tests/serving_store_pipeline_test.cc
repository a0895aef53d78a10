// The serving store's pipeline history tables (pipeline_runs, task_runs) against both
// backends (SQLite, and a real PostgreSQL from tests/pg_harness): runs and their attempts
// round-trip exactly, with the spec's column names and NULL for times not yet known and a
// missing exit status; writing a run again replaces its task rows; runs list newest first,
// by pipeline and up to a limit; a write that fails part-way leaves the run as it was; and
// upgrading a store of the previous schema adds the tables and keeps its rows.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/serving_store.h"
#include "store_backend_test.h"

namespace stocklake {
namespace {

using testing::StoreRows;

//! 2025-04-01T06:00:00.123Z: times are kept to the millisecond.
constexpr int64_t kT0 = 1'743'487'200'123;
constexpr int64_t kMinute = 60'000;

PipelineRunRow PipelineRun(std::string run_id, std::string pipeline, int64_t started_ms,
                           std::string state = "running") {
  PipelineRunRow run;
  run.run_id = std::move(run_id);
  run.pipeline = std::move(pipeline);
  run.trigger = "schedule";
  run.quarter = "2025Q1";
  run.state = std::move(state);
  run.started_ms = started_ms;
  run.record_json = "{\"run_id\":\"" + run.run_id + "\",\"state\":\"" + run.state + "\"}";
  return run;
}

TaskRunRow Attempt(std::string task, int attempt, std::string task_state, int64_t started_ms, int64_t ended_ms,
                   std::optional<int> exit_status, std::string reason) {
  TaskRunRow row;
  row.task = std::move(task);
  row.attempt = attempt;
  row.task_state = std::move(task_state);
  row.started_ms = started_ms;
  row.ended_ms = ended_ms;
  row.exit_status = exit_status;
  row.reason = std::move(reason);
  if (attempt > 0) row.log_path = "_stocklake/pipeline/logs/" + row.task + "." + std::to_string(attempt) + ".log";
  return row;
}

void ExpectRunsEqual(const std::vector<PipelineRunRow>& got, const std::vector<PipelineRunRow>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("run " + want[i].run_id);
    EXPECT_EQ(got[i].run_id, want[i].run_id);
    EXPECT_EQ(got[i].pipeline, want[i].pipeline);
    EXPECT_EQ(got[i].trigger, want[i].trigger);
    EXPECT_EQ(got[i].quarter, want[i].quarter);
    EXPECT_EQ(got[i].state, want[i].state);
    EXPECT_EQ(got[i].started_ms, want[i].started_ms);
    EXPECT_EQ(got[i].ended_ms, want[i].ended_ms);
    EXPECT_EQ(got[i].record_json, want[i].record_json);
  }
}

void ExpectTasksEqual(const std::vector<TaskRunRow>& got, const std::vector<TaskRunRow>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("task row " + std::to_string(i) + ": " + want[i].task + " attempt " + std::to_string(want[i].attempt));
    EXPECT_EQ(got[i].task, want[i].task);
    EXPECT_EQ(got[i].attempt, want[i].attempt);
    EXPECT_EQ(got[i].task_state, want[i].task_state);
    EXPECT_EQ(got[i].started_ms, want[i].started_ms);
    EXPECT_EQ(got[i].ended_ms, want[i].ended_ms);
    EXPECT_EQ(got[i].exit_status, want[i].exit_status);
    EXPECT_EQ(got[i].reason, want[i].reason);
    EXPECT_EQ(got[i].log_path, want[i].log_path);
  }
}

std::vector<TaskRunRow> StoredTasks(ServingStore& store, const std::string& run_id) {
  auto tasks = store.TaskRuns(run_id);
  EXPECT_TRUE(tasks.ok()) << tasks.status().ToString();
  return tasks.ok() ? *tasks : std::vector<TaskRunRow>{};
}

std::vector<PipelineRunRow> StoredRuns(ServingStore& store, const std::string& pipeline, int64_t limit = 100) {
  auto runs = store.PipelineRuns(pipeline, limit);
  EXPECT_TRUE(runs.ok()) << runs.status().ToString();
  return runs.ok() ? *runs : std::vector<PipelineRunRow>{};
}

std::vector<std::string> RunIds(const std::vector<PipelineRunRow>& runs) {
  std::vector<std::string> ids;
  for (const PipelineRunRow& run : runs) ids.push_back(run.run_id);
  return ids;
}

class ServingStorePipelineTest : public testing::StoreBackendTest {
 protected:
  void SetUp() override {
    url_ = FreshStoreUrl();
    ASSERT_FALSE(url_.empty());
    store_ = Open(url_);
    ASSERT_NE(store_, nullptr);
  }

  std::string url_;
  std::unique_ptr<ServingStore> store_;
};

TEST_P(ServingStorePipelineTest, RunsAndAttemptsRoundTripWithTheSpecsColumns) {
  PipelineRunRow run = PipelineRun("2025-04-01T06:00:00.123Z-a1b2", "quarterly", kT0);
  run.trigger = "backfill";
  run.record_json = "{\"note\":\"'quoted' \\\"é\\\" \\\\ tab\\t\",\"tasks\":[]}\n";
  // Given out of order: the store orders by task (byte-wise: upper case first), attempt.
  const std::vector<TaskRunRow> tasks = {
      Attempt("train", 0, "pending", 0, 0, std::nullopt, ""),
      Attempt("ingest", 2, "running", kT0 + 3 * kMinute + 7, 0, std::nullopt, ""),
      Attempt("ingest", 1, "running", kT0 + 1, kT0 + 2 * kMinute, 3, "exit_status"),
      Attempt("Report", 0, "upstream_failed", 0, 0, std::nullopt, "upstream_failed"),
      Attempt("features", 1, "failed", kT0 + kMinute, kT0 + 2 * kMinute, std::nullopt, "timeout"),
      Attempt("features", 2, "failed", kT0 + 4 * kMinute, kT0 + 5 * kMinute, -9, "runner_lost"),
      Attempt("features", 3, "failed", kT0 + 6 * kMinute, kT0 + 6 * kMinute + 1, 0, "interrupted"),
  };
  ASSERT_TRUE(store_->ReplacePipelineRun(run, tasks).ok());

  ExpectRunsEqual(StoredRuns(*store_, "quarterly"), {run});
  ExpectTasksEqual(StoredTasks(*store_, run.run_id),
                   {tasks[3], tasks[4], tasks[5], tasks[6], tasks[2], tasks[1], tasks[0]});
  EXPECT_TRUE(StoredTasks(*store_, "2025-04-01T06:00:00.123Z-a1b").empty()) << "run ids match exactly";
  EXPECT_TRUE(StoredRuns(*store_, "Quarterly").empty()) << "pipelines match exactly";

  // The tables under the spec's names; times not yet known and a missing exit status
  // are NULL, not 0.
  EXPECT_EQ(StoreRows(url_,
                      "SELECT pipeline, \"trigger\", quarter, state, CASE WHEN ended IS NULL THEN 'null' END, "
                      "CASE WHEN updated_at IS NULL THEN 'null' ELSE 'set' END FROM pipeline_runs"),
            "quarterly\tbackfill\t2025Q1\trunning\tnull\tset\n");
  EXPECT_EQ(StoreRows(url_,
                      "SELECT task, attempt, task_state, CASE WHEN started IS NULL THEN 'null' ELSE 'set' END, "
                      "CASE WHEN ended IS NULL THEN 'null' ELSE 'set' END, "
                      "CASE WHEN exit_status IS NULL THEN 'null' ELSE 'set' END, reason, log_path FROM task_runs "
                      "WHERE attempt = 0 OR (task = 'ingest' AND attempt = 2) ORDER BY task, attempt"),
            "Report\t0\tupstream_failed\tnull\tnull\tnull\tupstream_failed\t\n"
            "ingest\t2\trunning\tset\tnull\tnull\t\t_stocklake/pipeline/logs/ingest.2.log\n"
            "train\t0\tpending\tnull\tnull\tnull\t\t\n");

  // The run ends: the same rows, now complete.
  run.state = "failed";
  run.ended_ms = kT0 + 9 * kMinute;
  std::vector<TaskRunRow> ended = tasks;
  ended[1].ended_ms = kT0 + 8 * kMinute;
  ended[1].exit_status = 0;
  ASSERT_TRUE(store_->ReplacePipelineRun(run, ended).ok());
  ExpectRunsEqual(StoredRuns(*store_, ""), {run});
  ExpectTasksEqual(StoredTasks(*store_, run.run_id),
                   {ended[3], ended[4], ended[5], ended[6], ended[2], ended[1], ended[0]});
}

TEST_P(ServingStorePipelineTest, WritingARunAgainReplacesItsTaskRows) {
  const PipelineRunRow other = PipelineRun("other", "quarterly", kT0 - kMinute);
  const std::vector<TaskRunRow> other_tasks = {Attempt("ingest", 1, "running", kT0 - kMinute, 0, std::nullopt, "")};
  ASSERT_TRUE(store_->ReplacePipelineRun(other, other_tasks).ok());

  PipelineRunRow run = PipelineRun("r1", "quarterly", kT0);
  ASSERT_TRUE(store_
                  ->ReplacePipelineRun(run, {Attempt("a", 1, "failed", kT0, kT0 + 1, 1, "exit_status"),
                                             Attempt("a", 2, "failed", kT0 + 2, kT0 + 3, 1, "exit_status"),
                                             Attempt("b", 0, "upstream_failed", 0, 0, std::nullopt, "upstream_failed"),
                                             Attempt("c", 0, "upstream_failed", 0, 0, std::nullopt, "upstream_failed")})
                  .ok());
  ASSERT_EQ(StoredTasks(*store_, "r1").size(), 4u);

  // A resume writes the run with fewer rows (say, the history was compacted): the old
  // rows go, other runs' rows stay.
  run.state = "succeeded";
  run.trigger = "resume";
  run.ended_ms = kT0 + kMinute;
  run.record_json = "{\"resumed\":true}";
  const std::vector<TaskRunRow> fewer = {Attempt("a", 3, "succeeded", kT0 + 10, kT0 + 20, 0, ""),
                                         Attempt("b", 1, "succeeded", kT0 + 30, kT0 + 40, 0, "")};
  ASSERT_TRUE(store_->ReplacePipelineRun(run, fewer).ok());
  ExpectTasksEqual(StoredTasks(*store_, "r1"), fewer);
  ExpectRunsEqual(StoredRuns(*store_, "quarterly"), {run, other});
  ExpectTasksEqual(StoredTasks(*store_, "other"), other_tasks);

  // No task rows at all is a replacement too.
  ASSERT_TRUE(store_->ReplacePipelineRun(run, {}).ok());
  EXPECT_TRUE(StoredTasks(*store_, "r1").empty());
  ExpectRunsEqual(StoredRuns(*store_, "quarterly"), {run, other});
}

TEST_P(ServingStorePipelineTest, RunsListNewestFirstByPipelineUpToALimit) {
  // Two runs start in the same millisecond: run_id breaks the tie, descending.
  const std::vector<PipelineRunRow> runs = {PipelineRun("d1", "daily", kT0),
                                            PipelineRun("w1", "weekly", kT0 + kMinute),
                                            PipelineRun("d2", "daily", kT0 + 2 * kMinute),
                                            PipelineRun("d3b", "daily", kT0 + 3 * kMinute),
                                            PipelineRun("d3a", "daily", kT0 + 3 * kMinute),
                                            PipelineRun("w2", "weekly", kT0 + 4 * kMinute, "skipped")};
  for (const PipelineRunRow& run : runs) ASSERT_TRUE(store_->ReplacePipelineRun(run, {}).ok()) << run.run_id;

  using Ids = std::vector<std::string>;
  EXPECT_EQ(RunIds(StoredRuns(*store_, "")), (Ids{"w2", "d3b", "d3a", "d2", "w1", "d1"}));
  EXPECT_EQ(RunIds(StoredRuns(*store_, "daily")), (Ids{"d3b", "d3a", "d2", "d1"}));
  EXPECT_EQ(RunIds(StoredRuns(*store_, "weekly")), (Ids{"w2", "w1"}));
  EXPECT_EQ(RunIds(StoredRuns(*store_, "daily", 2)), (Ids{"d3b", "d3a"}));
  EXPECT_EQ(RunIds(StoredRuns(*store_, "", 3)), (Ids{"w2", "d3b", "d3a"}));
  EXPECT_EQ(RunIds(StoredRuns(*store_, "", 0)), Ids{});
  EXPECT_EQ(RunIds(StoredRuns(*store_, "", -1)), Ids{});
  EXPECT_EQ(RunIds(StoredRuns(*store_, "dail")), Ids{});
  ExpectRunsEqual(StoredRuns(*store_, "weekly", 1), {runs[5]});

  // Writing a run again moves it by its new start time.
  PipelineRunRow moved = runs[0];
  moved.started_ms = kT0 + 5 * kMinute;
  ASSERT_TRUE(store_->ReplacePipelineRun(moved, {}).ok());
  EXPECT_EQ(RunIds(StoredRuns(*store_, "daily")), (Ids{"d1", "d3b", "d3a", "d2"}));
}

TEST_P(ServingStorePipelineTest, AFailedWriteLeavesTheRunAsItWas) {
  PipelineRunRow run = PipelineRun("r1", "quarterly", kT0);
  const std::vector<TaskRunRow> tasks = {Attempt("a", 1, "running", kT0, 0, std::nullopt, ""),
                                         Attempt("b", 0, "pending", 0, 0, std::nullopt, "")};
  ASSERT_TRUE(store_->ReplacePipelineRun(run, tasks).ok());

  auto expect_unchanged = [&](const std::string& what) {
    SCOPED_TRACE(what);
    ExpectRunsEqual(StoredRuns(*store_, ""), {run});
    ExpectTasksEqual(StoredTasks(*store_, "r1"), tasks);
    EXPECT_TRUE(StoredTasks(*store_, "r2").empty());
  };

  // The run's row is updated and its old task rows deleted before the bad row fails.
  PipelineRunRow updated = run;
  updated.state = "succeeded";
  updated.ended_ms = kT0 + kMinute;
  std::vector<TaskRunRow> twice = {Attempt("a", 1, "succeeded", kT0, kT0 + 5, 0, ""),
                                   Attempt("b", 1, "succeeded", kT0 + 6, kT0 + 7, 0, ""),
                                   Attempt("b", 1, "succeeded", kT0 + 6, kT0 + 8, 0, "")};
  Status st = store_->ReplacePipelineRun(updated, twice);
  EXPECT_FALSE(st.ok()) << "a task's attempt given twice";
  EXPECT_NE(st.ToString().find("r1"), std::string::npos) << st.ToString();
  expect_unchanged("duplicate attempt");

  std::vector<TaskRunRow> negative = twice;
  negative.back().attempt = -1;
  EXPECT_FALSE(store_->ReplacePipelineRun(updated, negative).ok()) << "a negative attempt";
  expect_unchanged("negative attempt");

  // A new run with a bad task row leaves no run row behind either.
  EXPECT_FALSE(store_->ReplacePipelineRun(PipelineRun("r2", "quarterly", kT0 + kMinute), twice).ok());
  expect_unchanged("new run with a duplicate attempt");

  // A run without a start time is refused up front, naming it.
  st = store_->ReplacePipelineRun(PipelineRun("r2", "quarterly", 0), {});
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.ToString().find("r2"), std::string::npos) << st.ToString();
  expect_unchanged("no start time");

  // The connection is still good for the next write.
  twice.pop_back();
  ASSERT_TRUE(store_->ReplacePipelineRun(updated, twice).ok());
  ExpectRunsEqual(StoredRuns(*store_, ""), {updated});
  ExpectTasksEqual(StoredTasks(*store_, "r1"), twice);
}

TEST_P(ServingStorePipelineTest, UpgradingAddsThePipelineTablesAndKeepsExistingRows) {
  const std::string url = FreshStoreUrl();
  ASSERT_FALSE(url.empty());
  // The version before the pipeline tables.
  const int previous = GetParam() == "postgresql" ? 6 : 4;
  {
    StoreOptions old_schema;
    old_schema.schema_version = previous;
    auto old = Open(url, old_schema);
    ASSERT_NE(old, nullptr);
    EXPECT_EQ(*old->SchemaVersion(), previous);
    EXPECT_FALSE(old->PipelineRuns("", 10).ok()) << "no pipeline tables before the upgrade";
    EXPECT_FALSE(old->ReplacePipelineRun(PipelineRun("r1", "quarterly", kT0), {}).ok());
    RunRecord lake_run;  // a row of an older table (today's stream SQL needs a newer schema)
    lake_run.snapshot_id = 42;
    lake_run.committed_at = "2024-03-01T00:00:00Z";
    ASSERT_TRUE(old->RecordRuns({lake_run}).ok());
  }
  auto store = Open(url);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), LatestSchemaVersion());
  auto lake_runs = store->Runs();
  ASSERT_TRUE(lake_runs.ok()) << lake_runs.status().ToString();
  ASSERT_EQ(lake_runs->size(), 1u) << "upgrading keeps the existing rows";
  EXPECT_EQ(lake_runs->at(0).snapshot_id, 42);
  const PipelineRunRow run = PipelineRun("r1", "quarterly", kT0);
  const std::vector<TaskRunRow> tasks = {Attempt("a", 1, "running", kT0, 0, std::nullopt, "")};
  ASSERT_TRUE(store->ReplacePipelineRun(run, tasks).ok());
  // Reopening at the newest version is a no-op that keeps the pipeline rows.
  store.reset();
  store = Open(url);
  ASSERT_NE(store, nullptr);
  ExpectRunsEqual(StoredRuns(*store, ""), {run});
  ExpectTasksEqual(StoredTasks(*store, "r1"), tasks);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServingStorePipelineTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace stocklake
