#include "serve/metrics_sources.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "orchestrate/pipeline_history.h"

namespace stocklake {

MetricsSources::MetricsSources(std::string lake_dir, std::vector<std::string> pipelines,
                               std::chrono::milliseconds refresh_interval)
    : lake_dir_(std::move(lake_dir)), pipelines_(std::move(pipelines)), refresh_interval_(refresh_interval) {}

void MetricsSources::Refresh(ApiMetrics& metrics, const std::function<Result<StreamProgress>()>& stream_progress) {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  const auto now = std::chrono::steady_clock::now();
  if (refreshed_ && now - last_refresh_ < refresh_interval_) return;
  refreshed_ = true;
  last_refresh_ = now;

  auto runs = PipelineHistory(lake_dir_).List("");
  if (runs.ok()) {
    metrics.UpdatePipelines(pipelines_, *runs);
  } else {
    std::fprintf(stderr, "stocklake serve: /metrics: reading the pipeline history: %s\n",
                 runs.status().ToString().c_str());
  }

  auto progress = stream_progress();
  if (progress.ok()) {
    metrics.UpdateStream(*progress);
  } else {
    std::fprintf(stderr, "stocklake serve: /metrics: %s\n", progress.status().ToString().c_str());
  }

  struct statvfs fs {};
  if (statvfs(lake_dir_.c_str(), &fs) == 0) {
    metrics.UpdateFileSystem(static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize),
                             static_cast<double>(fs.f_blocks) * static_cast<double>(fs.f_frsize));
  } else {
    std::fprintf(stderr, "stocklake serve: /metrics: statvfs %s: %s\n", lake_dir_.c_str(), std::strerror(errno));
  }
}

}  // namespace stocklake
