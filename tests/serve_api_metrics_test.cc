// The server's metrics beyond requests: the series the deploy/ dashboard and alert rules
// name exist from the start (zeros), the pipeline gauges summarise a run history (states,
// the newest success, whether the newest finished run failed, its duration), the stream
// and file-system gauges take what they are given, and MetricsSources reads the lake's
// history and the store at most once per refresh interval.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "orchestrate/pipeline_history.h"
#include "serve/api_metrics.h"
#include "serve/metrics_sources.h"
#include "test_util.h"

namespace stocklake {
namespace {

//! "name{labels}" -> value of every sample in Prometheus text.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

PipelineRunRecord RunOf(std::string id, std::string pipeline, RunState state, int64_t started_ms, int64_t ended_ms) {
  PipelineRunRecord r;
  r.run_id = std::move(id);
  r.pipeline = std::move(pipeline);
  r.quarter = "2024Q1";
  r.state = state;
  r.started_ms = started_ms;
  r.fire_time_ms = started_ms;
  r.ended_ms = ended_ms;
  return r;
}

TEST(ApiMetricsTest, EveryGaugeOfTheDashboardExistsBeforeAnythingHappened) {
  ApiMetrics metrics;
  const auto samples = Samples(metrics.Render());
  for (const char* name :
       {"stocklake_lake_snapshot_id", "stocklake_last_successful_run_timestamp_seconds", "stocklake_lake_bytes",
        "stocklake_lake_filesystem_free_bytes", "stocklake_lake_filesystem_size_bytes",
        "stocklake_stream_last_commit_timestamp_seconds", "stocklake_stream_lag_records"}) {
    ASSERT_EQ(samples.count(name), 1u) << name;
    EXPECT_EQ(samples.at(name), 0) << name;
  }
}

TEST(ApiMetricsTest, PipelineGaugesSummariseTheHistory) {
  ApiMetrics metrics;
  // quarterly: succeeded, then failed, then a skipped fire time and one running now.
  // weekly: never ran but is configured. adhoc: only in the history.
  const std::vector<PipelineRunRecord> runs = {
      RunOf("q3", "quarterly", RunState::kSkipped, 5'000'000, 5'000'000),
      RunOf("q1", "quarterly", RunState::kSucceeded, 1'000'000, 1'060'500),
      RunOf("q4", "quarterly", RunState::kRunning, 6'000'000, 0),
      RunOf("q2", "quarterly", RunState::kFailed, 2'000'000, 2'030'000),
      RunOf("a1", "adhoc", RunState::kFailed, 1'000'000, 1'001'000),
      RunOf("a2", "adhoc", RunState::kSucceeded, 3'000'000, 3'002'000),
  };
  metrics.UpdatePipelines({"quarterly", "weekly"}, runs);
  auto s = Samples(metrics.Render());
  EXPECT_EQ(s["stocklake_pipeline_runs{pipeline=\"quarterly\",state=\"succeeded\"}"], 1);
  EXPECT_EQ(s["stocklake_pipeline_runs{pipeline=\"quarterly\",state=\"failed\"}"], 1);
  EXPECT_EQ(s["stocklake_pipeline_runs{pipeline=\"quarterly\",state=\"skipped\"}"], 1);
  EXPECT_EQ(s["stocklake_pipeline_runs{pipeline=\"quarterly\",state=\"running\"}"], 1);
  EXPECT_EQ(s["stocklake_pipeline_running{pipeline=\"quarterly\"}"], 1);
  EXPECT_DOUBLE_EQ(s["stocklake_pipeline_last_success_timestamp_seconds{pipeline=\"quarterly\"}"], 1060.5);
  EXPECT_EQ(s["stocklake_pipeline_last_run_failed{pipeline=\"quarterly\"}"], 1)
      << "skipped and running runs do not count";
  EXPECT_DOUBLE_EQ(s["stocklake_pipeline_last_run_duration_seconds{pipeline=\"quarterly\"}"], 30);
  EXPECT_EQ(s["stocklake_pipeline_last_run_failed{pipeline=\"adhoc\"}"], 0) << "its newest run succeeded";
  EXPECT_DOUBLE_EQ(s["stocklake_pipeline_last_run_duration_seconds{pipeline=\"adhoc\"}"], 2);
  for (const char* state : {"running", "succeeded", "failed", "skipped"}) {
    const std::string key = "stocklake_pipeline_runs{pipeline=\"weekly\",state=\"" + std::string(state) + "\"}";
    ASSERT_EQ(s.count(key), 1u) << key;
    EXPECT_EQ(s[key], 0);
  }
  EXPECT_EQ(s.count("stocklake_pipeline_last_success_timestamp_seconds{pipeline=\"weekly\"}"), 1u);

  // A later success clears the failure.
  std::vector<PipelineRunRecord> more = runs;
  more.push_back(RunOf("q5", "quarterly", RunState::kSucceeded, 7'000'000, 7'010'000));
  metrics.UpdatePipelines({}, more);
  s = Samples(metrics.Render());
  EXPECT_EQ(s["stocklake_pipeline_last_run_failed{pipeline=\"quarterly\"}"], 0);
  EXPECT_DOUBLE_EQ(s["stocklake_pipeline_last_success_timestamp_seconds{pipeline=\"quarterly\"}"], 7010);
}

TEST(ApiMetricsTest, StreamAndFileSystemGauges) {
  ApiMetrics metrics;
  metrics.UpdateStream({3, 1'709'303'400'250, 42});
  metrics.UpdateFileSystem(1e9, 4e9);
  auto s = Samples(metrics.Render());
  EXPECT_DOUBLE_EQ(s["stocklake_stream_last_commit_timestamp_seconds"], 1'709'303'400.25);
  EXPECT_EQ(s["stocklake_stream_lag_records"], 42);
  EXPECT_EQ(s["stocklake_lake_filesystem_free_bytes"], 1e9);
  EXPECT_EQ(s["stocklake_lake_filesystem_size_bytes"], 4e9);
}

TEST(MetricsSourcesTest, ReadsTheLakeAndStoreAtMostOncePerInterval) {
  testing::TempDir dir;
  const std::string lake = dir.Join("lake");
  PipelineHistory history(lake);
  ASSERT_TRUE(history.Save(RunOf("r1", "quarterly", RunState::kFailed, 1'000'000, 1'005'000)).ok());

  ApiMetrics metrics;
  MetricsSources sources(lake, {"quarterly", "weekly"}, std::chrono::hours(1));
  int asked = 0;
  auto progress = [&]() -> Result<StreamProgress> {
    ++asked;
    return StreamProgress{1, 2'000, 7};
  };
  sources.Refresh(metrics, progress);
  auto s = Samples(metrics.Render());
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(s["stocklake_pipeline_last_run_failed{pipeline=\"quarterly\"}"], 1);
  EXPECT_EQ(s.count("stocklake_pipeline_runs{pipeline=\"weekly\",state=\"failed\"}"), 1u);
  EXPECT_EQ(s["stocklake_stream_lag_records"], 7);
  EXPECT_GT(s["stocklake_lake_filesystem_size_bytes"], 0) << "statvfs of the lake's directory";
  EXPECT_GE(s["stocklake_lake_filesystem_size_bytes"], s["stocklake_lake_filesystem_free_bytes"]);

  // Within the interval nothing is read again, even when the history changed.
  ASSERT_TRUE(history.Save(RunOf("r2", "quarterly", RunState::kSucceeded, 2'000'000, 2'005'000)).ok());
  sources.Refresh(metrics, progress);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(Samples(metrics.Render())["stocklake_pipeline_last_run_failed{pipeline=\"quarterly\"}"], 1);

  // With no interval every refresh reads; a failing store keeps the last stream values.
  MetricsSources eager(lake, {}, std::chrono::milliseconds(0));
  eager.Refresh(metrics, [&]() -> Result<StreamProgress> { return Status::IOError("store down"); });
  s = Samples(metrics.Render());
  EXPECT_EQ(s["stocklake_pipeline_last_run_failed{pipeline=\"quarterly\"}"], 0);
  EXPECT_EQ(s["stocklake_stream_lag_records"], 7);
}

}  // namespace
}  // namespace stocklake
