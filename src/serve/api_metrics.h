// The server's Prometheus metrics (prometheus-cpp, text exposition format): request
// counts and latency per endpoint, plus gauges describing the lake's current snapshot
// (rows per table, the last run's rows and stage times, when it committed).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "lake/snapshot.h"

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
