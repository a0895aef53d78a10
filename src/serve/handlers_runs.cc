// /api/v1/runs: the lake's runs, and starting one (admin).
#include "serve/handlers.h"

namespace stocklake {

namespace {

using nlohmann::json;

json RunToJson(const RunRecord& r) {
  json summary = json::parse(r.summary_json, nullptr, false);
  if (summary.is_discarded()) summary = json::object();
  return {{"snapshot_id", r.snapshot_id},
          {"committed_at", r.committed_at},
          {"rows_read", r.rows_read},
          {"accepted", r.accepted},
          {"rejected", r.rejected},
          {"duplicates", r.duplicates},
          {"earlier_rows_displaced", r.earlier_rows_displaced},
          {"files_ingested", r.files_ingested},
          {"files_skipped", r.files_skipped},
          {"summary", summary}};
}

}  // namespace

void HandleRuns(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {"limit", "cursor"}); !st.ok()) return SendBadRequest(res, st);
  auto limit = ParseLimit(Param(req, "limit"), kDefaultPageLimit, kMaxPageLimit);
  if (!limit.ok()) return SendBadRequest(res, limit.status());
  auto cursor = ParseCursor(Param(req, "cursor"), 'r');
  if (!cursor.ok()) return SendBadRequest(res, cursor.status());
  int64_t after = 0;
  if (!cursor->empty()) {
    auto id = CursorInt(*cursor);
    if (!id.ok()) return SendBadRequest(res, id.status());
    after = *id;
  }
  ctx.WithStore(req, res, [&](ServingStore& store, const LakeSnapshot&) -> Status {
    SL_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, store.Runs());
    json data = json::array();
    std::optional<std::string> next;
    for (const RunRecord& r : runs) {
      if (r.snapshot_id <= after) continue;
      if (static_cast<int>(data.size()) == *limit) {
        next = MakeCursor('r', std::to_string(data.back()["snapshot_id"].get<int64_t>()));
        break;
      }
      data.push_back(RunToJson(r));
    }
    SendJson(res, {{"data", data}, {"next_cursor", next ? json(*next) : json(nullptr)}});
    return Status::OK();
  });
}

void HandleStartRun(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  const ServeOptions& options = ctx.options;
  if (options.run_inputs.empty()) {
    return SendError(res, {501, "internal", "no inputs configured: start serve with --run-input PATH"});
  }
  std::vector<std::string> args = {options.stocklake_binary, "run"};
  for (const std::string& in : options.run_inputs) {
    args.push_back("--input");
    args.push_back(in);
  }
  args.insert(args.end(), {"--lake", options.lake_dir, "--store", ctx.store_url, "--quiet"});
  auto pid = ctx.run_child.Start(args, options.lake_dir + "/_stocklake/serve-runs.log");
  if (!pid.ok() && pid.status().IsAborted()) {
    return SendError(res, {409, "bad_request", "a run is already in progress (" + pid.status().message() + ")"});
  }
  if (!pid.ok()) return SendError(res, {500, "internal", "could not start the run: " + pid.status().message()});
  SendJson(res, {{"status", "started"}, {"pid", *pid}}, 202);
}

}  // namespace stocklake
