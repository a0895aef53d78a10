// The /metrics gauges read from outside the server: the pipelines' runs (the lake's run
// history), the stream's progress (the serving store) and the lake's file system. A
// scrape re-reads them only once the last read is older than the refresh interval:
// listing the run history reads one file per run, and Prometheus may scrape every second.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "serve/api_metrics.h"
#include "store/serving_store.h"

namespace stocklake {

class MetricsSources {
 public:
  //! `pipelines`: names whose series always exist (zeros before their first run), e.g.
  //! those of `serve --pipeline FILE`.
  MetricsSources(std::string lake_dir, std::vector<std::string> pipelines,
                 std::chrono::milliseconds refresh_interval = std::chrono::seconds(5));

  //! Updates `metrics` unless the last refresh is younger than the refresh interval (or
  //! another thread is refreshing: its scrape keeps the values it has). `stream_progress`
  //! asks the store. A source that fails is reported on stderr and keeps its last values.
  //! Thread-safe.
  void Refresh(ApiMetrics& metrics, const std::function<Result<StreamProgress>()>& stream_progress);

 private:
  const std::string lake_dir_;
  const std::vector<std::string> pipelines_;
  const std::chrono::milliseconds refresh_interval_;
  std::mutex mu_;
  bool refreshed_ = false;
  std::chrono::steady_clock::time_point last_refresh_;
};

}  // namespace stocklake
