#include "serve/api_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/date.h"

namespace stocklake {

struct ApiMetrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Gauge>& Gauge(const char* name, const char* help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(*registry);
  }
  prometheus::Family<prometheus::Counter>& requests = prometheus::BuildCounter()
                                                          .Name("stocklake_http_requests_total")
                                                          .Help("HTTP requests answered, by endpoint and status code")
                                                          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("stocklake_http_request_duration_seconds")
          .Help("Time from request parsed to response ready, by endpoint")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& snapshot_id =
      Gauge("stocklake_lake_snapshot_id", "Id of the lake's current snapshot");
  prometheus::Family<prometheus::Gauge>& last_run_time =
      Gauge("stocklake_last_successful_run_timestamp_seconds", "When the current snapshot was committed (Unix time)");
  prometheus::Family<prometheus::Gauge>& table_rows = Gauge("stocklake_table_rows", "Rows in each lake table");
  prometheus::Family<prometheus::Gauge>& run_rows =
      Gauge("stocklake_last_run_rows", "Rows of the last run, by outcome (read, accepted, rejected, duplicates)");
  prometheus::Family<prometheus::Gauge>& stage_rows =
      Gauge("stocklake_last_run_stage_rows", "Rows per stage of the last run");
  prometheus::Family<prometheus::Gauge>& stage_seconds =
      Gauge("stocklake_last_run_stage_seconds", "Seconds per stage of the last run");
  prometheus::Family<prometheus::Gauge>& lake_bytes =
      Gauge("stocklake_lake_bytes",
            "Bytes of the data files of the lake's current snapshot (bronze and the log not included)");
  prometheus::Family<prometheus::Gauge>& fs_free =
      Gauge("stocklake_lake_filesystem_free_bytes", "Bytes free on the lake's file system for the server's user");
  prometheus::Family<prometheus::Gauge>& fs_size =
      Gauge("stocklake_lake_filesystem_size_bytes", "Size of the lake's file system in bytes");
  prometheus::Family<prometheus::Gauge>& pipeline_runs =
      Gauge("stocklake_pipeline_runs", "Runs in the lake's pipeline history, by pipeline and run state");
  prometheus::Family<prometheus::Gauge>& pipeline_last_success =
      Gauge("stocklake_pipeline_last_success_timestamp_seconds",
            "When the pipeline's newest successful run ended (Unix time; 0: never)");
  prometheus::Family<prometheus::Gauge>& pipeline_last_failed = Gauge(
      "stocklake_pipeline_last_run_failed", "1 when the pipeline's newest finished (not skipped) run failed, else 0");
  prometheus::Family<prometheus::Gauge>& pipeline_running =
      Gauge("stocklake_pipeline_running", "Runs of the pipeline in state running");
  prometheus::Family<prometheus::Gauge>& pipeline_duration =
      Gauge("stocklake_pipeline_last_run_duration_seconds",
            "Duration of the pipeline's newest finished (not skipped) run; 0: none");
  prometheus::Family<prometheus::Gauge>& stream_last_commit = Gauge(
      "stocklake_stream_last_commit_timestamp_seconds", "When a stream processor last committed (Unix time; 0: never)");
  prometheus::Family<prometheus::Gauge>& stream_lag =
      Gauge("stocklake_stream_lag_records",
            "Records the stream processors left unread at their last commits, over all partitions");
  std::mutex lake_mu;
  int64_t shown_snapshot = -1;

  Impl() {
    // Zero until known, so that dashboards and alert rules find the series from the start.
    for (auto* family :
         {&snapshot_id, &last_run_time, &lake_bytes, &fs_free, &fs_size, &stream_last_commit, &stream_lag}) {
      family->Add({}).Set(0);
    }
  }
};

ApiMetrics::ApiMetrics() : impl_(std::make_unique<Impl>()) {}
ApiMetrics::~ApiMetrics() = default;

void ApiMetrics::ObserveRequest(std::string_view endpoint, int status, double seconds) {
  const std::string ep(endpoint);
  impl_->requests.Add({{"endpoint", ep}, {"status", std::to_string(status)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                   0.05,   0.1,   0.25,   0.5,   1,    2.5};
  impl_->latency.Add({{"endpoint", ep}}, kBuckets).Observe(seconds);
}

void ApiMetrics::UpdateLake(const LakeSnapshot& snapshot) {
  std::lock_guard lock(impl_->lake_mu);
  if (impl_->shown_snapshot == snapshot.id) return;
  impl_->shown_snapshot = snapshot.id;
  impl_->snapshot_id.Add({}).Set(static_cast<double>(snapshot.id));
  if (snapshot.id > 0) impl_->last_run_time.Add({}).Set(ParseUtcTimestamp(snapshot.committed_at));
  int64_t bytes = 0;
  for (const auto& [table, files] : snapshot.tables) {
    for (const DataFile& f : files) bytes += f.bytes;
    if (table.starts_with("_")) continue;  // internal tables are no user's business
    int64_t rows = 0;
    for (const DataFile& f : files) rows += f.rows;
    impl_->table_rows.Add({{"table", table}}).Set(static_cast<double>(rows));
  }
  impl_->lake_bytes.Add({}).Set(static_cast<double>(bytes));
  const nlohmann::json run = nlohmann::json::parse(snapshot.run_summary_json, nullptr, false);
  if (!run.is_object()) return;
  for (const char* key : {"rows_read", "accepted", "rejected", "duplicates", "earlier_rows_displaced"}) {
    if (run.contains(key) && run[key].is_number()) {
      const std::string outcome = std::string(key) == "rows_read" ? "read" : key;
      impl_->run_rows.Add({{"outcome", outcome}}).Set(run[key].get<double>());
    }
  }
  // Stage timings, when the run recorded them: [{"stage": "ingest", "seconds": s, "rows": n}, ...].
  if (run.contains("stages") && run["stages"].is_array()) {
    for (const nlohmann::json& s : run["stages"]) {
      if (!s.is_object() || !s.contains("stage") || !s["stage"].is_string()) continue;
      const std::string stage = s["stage"].get<std::string>();
      if (s.contains("seconds") && s["seconds"].is_number()) {
        impl_->stage_seconds.Add({{"stage", stage}}).Set(s["seconds"].get<double>());
      }
      if (s.contains("rows") && s["rows"].is_number()) {
        impl_->stage_rows.Add({{"stage", stage}}).Set(s["rows"].get<double>());
      }
    }
  }
}

void ApiMetrics::UpdatePipelines(const std::vector<std::string>& pipelines,
                                 const std::vector<PipelineRunRecord>& runs) {
  struct Summary {
    std::array<int64_t, 4> by_state{};  // indexed by RunState
    int64_t last_success_ms = 0;
    const PipelineRunRecord* last_finished = nullptr;
  };
  std::map<std::string, Summary> summaries;
  for (const std::string& name : pipelines) summaries[name];
  for (const PipelineRunRecord& run : runs) {
    Summary& s = summaries[run.pipeline];
    ++s.by_state[static_cast<size_t>(run.state)];
    if (run.state == RunState::kSucceeded) s.last_success_ms = std::max(s.last_success_ms, run.ended_ms);
    const bool finished = run.state == RunState::kSucceeded || run.state == RunState::kFailed;
    // Newest by start time, then id, as PipelineHistory::List orders runs.
    if (finished &&
        (s.last_finished == nullptr ||
         std::tie(run.started_ms, run.run_id) > std::tie(s.last_finished->started_ms, s.last_finished->run_id))) {
      s.last_finished = &run;
    }
  }
  for (const auto& [name, s] : summaries) {
    const prometheus::Labels pipeline = {{"pipeline", name}};
    for (RunState state : {RunState::kRunning, RunState::kSucceeded, RunState::kFailed, RunState::kSkipped}) {
      impl_->pipeline_runs.Add({{"pipeline", name}, {"state", std::string(RunStateName(state))}})
          .Set(static_cast<double>(s.by_state[static_cast<size_t>(state)]));
    }
    impl_->pipeline_last_success.Add(pipeline).Set(static_cast<double>(s.last_success_ms) / 1000.0);
    impl_->pipeline_running.Add(pipeline).Set(static_cast<double>(s.by_state[static_cast<size_t>(RunState::kRunning)]));
    const PipelineRunRecord* last = s.last_finished;
    impl_->pipeline_last_failed.Add(pipeline).Set(last != nullptr && last->state == RunState::kFailed ? 1 : 0);
    impl_->pipeline_duration.Add(pipeline).Set(
        last != nullptr ? static_cast<double>(std::max<int64_t>(last->ended_ms - last->started_ms, 0)) / 1000.0 : 0);
  }
}

void ApiMetrics::UpdateStream(const StreamProgress& progress) {
  impl_->stream_last_commit.Add({}).Set(static_cast<double>(progress.last_commit_ms) / 1000.0);
  impl_->stream_lag.Add({}).Set(static_cast<double>(progress.lag_records));
}

void ApiMetrics::UpdateFileSystem(double free_bytes, double size_bytes) {
  impl_->fs_free.Add({}).Set(free_bytes);
  impl_->fs_size.Add({}).Set(size_bytes);
}

std::string ApiMetrics::Render() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(impl_->registry->Collect());
}

double ParseUtcTimestamp(std::string_view text) {
  if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':') return -1;
  Date day;
  if (!ParseIsoDate(text.data(), 10, &day)) return -1;
  auto two = [&](size_t at) -> int {
    if (text[at] < '0' || text[at] > '9' || text[at + 1] < '0' || text[at + 1] > '9') return -1;
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
  };
  const int h = two(11), m = two(14), s = two(17);
  if (h < 0 || m < 0 || s < 0) return -1;
  return static_cast<double>(day) * 86400.0 + h * 3600.0 + m * 60.0 + s;
}

}  // namespace stocklake
