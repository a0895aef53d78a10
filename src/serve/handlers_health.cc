// Liveness, readiness, Prometheus metrics and the OpenAPI document.
#include "serve/handlers.h"
#include "serve/openapi.h"

namespace stocklake {

void HandleHealthz(ApiContext&, const httplib::Request&, httplib::Response& res) { SendJson(res, {{"status", "ok"}}); }

void HandleReadyz(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  auto snap = ctx.Snapshot();
  auto store = snap.ok() ? ctx.Acquire() : Result<std::unique_ptr<ServingStore>>(snap.status());
  if (!store.ok())
    return SendJson(res, {{"status", "unavailable"}, {"reason", "the lake or store cannot be read"}}, 503);
  auto version = (*store)->SchemaVersion();
  if (!version.ok()) return SendJson(res, {{"status", "unavailable"}, {"reason", "the store cannot be queried"}}, 503);
  ctx.Release(std::move(*store));
  SendJson(res, {{"status", "ready"}, {"snapshot_id", (*snap)->id}});
}

void HandleMetrics(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  auto snap = ctx.Snapshot();
  if (snap.ok()) ctx.metrics.UpdateLake(**snap);
  ctx.metrics_sources->Refresh(ctx.metrics, [&ctx]() -> Result<StreamProgress> {
    SL_ASSIGN_OR_RETURN(std::unique_ptr<ServingStore> store, ctx.Acquire());
    Result<StreamProgress> progress = store->LoadStreamProgress();
    if (progress.ok()) ctx.Release(std::move(store));
    return progress;
  });
  res.set_content(ctx.metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
}

void HandleOpenApi(ApiContext&, const httplib::Request&, httplib::Response& res) {
  res.set_content(std::string(OpenApiDocument()), "application/json; charset=utf-8");
}

}  // namespace stocklake
