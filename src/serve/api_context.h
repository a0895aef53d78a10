// What the REST API's handlers share: the options, a pool of store connections (one per
// request in flight), the lake's current snapshot (re-read when CURRENT changes), the
// token table (re-read when the token file changes), metrics, the audit log, the rate
// limiter, the pipelines serve may start, the children the POST endpoints started, and
// the slots of the server-sent event streams. Thread-safe.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "lake/snapshot.h"
#include "orchestrate/pipeline_definition.h"
#include "serve/api_metrics.h"
#include "serve/api_server.h"
#include "serve/audit_log.h"
#include "serve/http_util.h"
#include "serve/metrics_sources.h"
#include "serve/rate_limiter.h"
#include "serve/spawned_child.h"
#include "serve/tokens.h"
#include "store/serving_store.h"

namespace stocklake {

//! A pipeline POST /api/v1/pipeline/runs may start: its definition file (absolute) and
//! what it defines.
struct ConfiguredPipeline {
  std::string config;
  PipelineDefinition definition;
};

class ApiContext {
 public:
  ServeOptions options;
  std::string store_url;
  ApiMetrics metrics;
  std::unique_ptr<MetricsSources> metrics_sources;  //!< set once the options are
  AuditLog audit;
  RateLimiter limiter;

  //! A store connection from the pool, or a new one.
  Result<std::unique_ptr<ServingStore>> Acquire();
  //! Returns a connection that answered without error to the pool.
  void Release(std::unique_ptr<ServingStore> store);

  Result<std::shared_ptr<const LakeSnapshot>> Snapshot();

  //! The valid (not revoked) token whose hash matches `token_text`, or nullopt; `*error`
  //! is set when the token file cannot be read.
  std::optional<TokenRecord> FindToken(const std::string& token_text, Status* error);

  //! Runs `body(store, snapshot)` with a pooled connection and the current snapshot,
  //! after answering 304 when the client has the answer; failures become 5xx answers.
  template <typename F>
  void WithStore(const httplib::Request& req, httplib::Response& res, F&& body) {
    RunWithStore(req, res, true, std::forward<F>(body));
  }

  //! As WithStore, for answers that depend on more than the lake's snapshot (the speed
  //! layer's rows change between snapshots): nothing is answered 304 before `body` runs;
  //! the body tags its answer with NotModified(req, res, snapshot.id, version) once it
  //! knows what the answer depends on.
  template <typename F>
  void WithStoreTaggedByBody(const httplib::Request& req, httplib::Response& res, F&& body) {
    RunWithStore(req, res, false, std::forward<F>(body));
  }

  // ---- Server-sent event streams ----
  //! Takes one of options.max_streams stream slots; false when all are taken.
  bool TryAcquireStreamSlot();
  //! Gives back a slot TryAcquireStreamSlot took.
  void ReleaseStreamSlot();
  //! Waits `timeout`, or less when the server starts stopping; true once it is stopping.
  bool WaitWhileServing(std::chrono::milliseconds timeout);
  //! Marks the server stopping and wakes every WaitWhileServing. Irreversible.
  void BeginStop();
  //! Waits until every stream gave its slot back, at most `timeout`; true if they did.
  bool WaitForStreamsToEnd(std::chrono::milliseconds timeout);

  //! The pipelines of --pipeline (loaded and checked at start; read-only after).
  std::vector<ConfiguredPipeline> pipelines;

  //! The `stocklake run` POST /api/v1/runs started; serve waits for it when it stops.
  SpawnedChild run_child{SpawnedChild::OnStop::kWait};
  //! The `stocklake pipeline run` POST /api/v1/pipeline/runs started; it outlives serve.
  SpawnedChild pipeline_child{SpawnedChild::OnStop::kLeave};

 private:
  template <typename F>
  void RunWithStore(const httplib::Request& req, httplib::Response& res, bool tag_by_snapshot, F&& body);

  std::mutex stream_mu_;
  std::condition_variable stream_cv_;
  int streams_ = 0;
  bool stopping_ = false;

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<ServingStore>> pool_;

  std::mutex lake_mu_;
  std::string current_text_;
  std::shared_ptr<const LakeSnapshot> snapshot_;

  std::mutex tokens_mu_;
  struct stat tokens_stat_ {};
  bool tokens_loaded_ = false;
  std::unordered_map<std::string, TokenRecord> tokens_by_hash_;
};

template <typename F>
void ApiContext::RunWithStore(const httplib::Request& req, httplib::Response& res, bool tag_by_snapshot, F&& body) {
  auto snap = Snapshot();
  if (!snap.ok()) {
    SendError(res, {503, "internal", "the lake cannot be read"});
    return;
  }
  auto store = Acquire();
  if (!store.ok()) {
    SendError(res, {503, "internal", "the serving store cannot be reached"});
    return;
  }
  if (tag_by_snapshot && NotModified(req, res, (*snap)->id)) {
    Release(std::move(*store));
    return;
  }
  Status st = body(**store, **snap);
  if (!st.ok()) {
    // A failed connection is dropped rather than reused.
    SendInternalError(req, res, st, "the query failed");
    return;
  }
  Release(std::move(*store));
}

}  // namespace stocklake
