#include "serve/api_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "core/date.h"

namespace stocklake {

struct ApiMetrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests = prometheus::BuildCounter()
                                                          .Name("stocklake_http_requests_total")
                                                          .Help("HTTP requests answered, by endpoint and status code")
                                                          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("stocklake_http_request_duration_seconds")
          .Help("Time from request parsed to response ready, by endpoint")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& snapshot_id = prometheus::BuildGauge()
                                                           .Name("stocklake_lake_snapshot_id")
                                                           .Help("Id of the lake's current snapshot")
                                                           .Register(*registry);
  prometheus::Family<prometheus::Gauge>& last_run_time =
      prometheus::BuildGauge()
          .Name("stocklake_last_successful_run_timestamp_seconds")
          .Help("When the current snapshot was committed (Unix time)")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& table_rows =
      prometheus::BuildGauge().Name("stocklake_table_rows").Help("Rows in each lake table").Register(*registry);
  prometheus::Family<prometheus::Gauge>& run_rows =
      prometheus::BuildGauge()
          .Name("stocklake_last_run_rows")
          .Help("Rows of the last run, by outcome (read, accepted, rejected, duplicates)")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& stage_rows = prometheus::BuildGauge()
                                                          .Name("stocklake_last_run_stage_rows")
                                                          .Help("Rows per stage of the last run")
                                                          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& stage_seconds = prometheus::BuildGauge()
                                                             .Name("stocklake_last_run_stage_seconds")
                                                             .Help("Seconds per stage of the last run")
                                                             .Register(*registry);
  std::mutex lake_mu;
  int64_t shown_snapshot = -1;
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
  for (const auto& [table, files] : snapshot.tables) {
    if (table.starts_with("_")) continue;  // internal tables are no user's business
    int64_t rows = 0;
    for (const DataFile& f : files) rows += f.rows;
    impl_->table_rows.Add({{"table", table}}).Set(static_cast<double>(rows));
  }
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
