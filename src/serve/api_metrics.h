// The server's Prometheus metrics (prometheus-cpp, text exposition format): request
// counts and latency per endpoint, gauges describing the lake's current snapshot (rows
// per table, the last run's rows and stage times, when it committed, its bytes), the
// pipelines' runs, the stream's progress and the lake's file system. Every gauge the
// deploy/ dashboard and alert rules name exists from the start, zero until known.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lake/snapshot.h"
#include "orchestrate/pipeline_history.h"
#include "store/serving_store.h"

namespace stocklake {

class ApiMetrics {
 public:
  ApiMetrics();
  ~ApiMetrics();
  ApiMetrics(const ApiMetrics&) = delete;
  ApiMetrics& operator=(const ApiMetrics&) = delete;

  //! Counts one answered request. `endpoint` is a route name (bounded cardinality), never
  //! a raw path. Thread-safe.
  void ObserveRequest(std::string_view endpoint, int status, double seconds);

  //! Sets the lake gauges from `snapshot` (a no-op when it is the one already shown).
  //! Thread-safe.
  void UpdateLake(const LakeSnapshot& snapshot);

  //! Sets the pipeline gauges from `runs` (a lake's history, any order): one set of series
  //! per pipeline named in `pipelines` or in `runs`, zeros for one without runs.
  //! Thread-safe.
  void UpdatePipelines(const std::vector<std::string>& pipelines, const std::vector<PipelineRunRecord>& runs);

  //! Sets the stream gauges (last commit time, records left behind). Thread-safe.
  void UpdateStream(const StreamProgress& progress);

  //! Sets the lake file system's gauges (bytes available to the server's user, total).
  //! Thread-safe.
  void UpdateFileSystem(double free_bytes, double size_bytes);

  //! Everything, in the Prometheus text format.
  std::string Render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! Seconds since the epoch of an ISO-8601 UTC timestamp "YYYY-MM-DDTHH:MM:SSZ"; -1 if
//! it does not parse.
double ParseUtcTimestamp(std::string_view text);

}  // namespace stocklake
