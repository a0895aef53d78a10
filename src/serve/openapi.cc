#include "serve/openapi.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string>

#include "core/reject_reason.h"
#include "lake/table_schemas.h"
#include "serve/routes.h"

namespace stocklake {

namespace {

using nlohmann::json;

json Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }
json ParamRef(const std::string& name) { return {{"$ref", "#/components/parameters/" + name}}; }

json QueryParam(const std::string& name, const std::string& description, json schema, bool required = false) {
  return {{"name", name}, {"in", "query"}, {"required", required}, {"description", description}, {"schema", schema}};
}

json Errors() {
  json r = {{"400", {{"$ref", "#/components/responses/BadRequest"}}},
            {"401", {{"$ref", "#/components/responses/Unauthorized"}}},
            {"403", {{"$ref", "#/components/responses/Forbidden"}}},
            {"429", {{"$ref", "#/components/responses/RateLimited"}}},
            {"500", {{"$ref", "#/components/responses/Internal"}}}};
  return r;
}

//! A 200 answer: JSON of `schema` (CSV and Parquet are added for exportable routes).
json Ok(const std::string& description, json schema) {
  json content = {{"application/json", {{"schema", schema}}}};
  json ok = {{"description", description}, {"content", content}};
  ok["headers"] = {{"ETag", {{"schema", {{"type", "string"}}}, {"description", "Strong tag of snapshot and query"}}}};
  return ok;
}

json Page(const std::string& row_schema) {
  return {{"type", "object"},
          {"required", {"data", "next_cursor"}},
          {"properties",
           {{"data", {{"type", "array"}, {"items", Ref(row_schema)}}},
            {"next_cursor", {{"type", "string"}, {"nullable", true}}}}}};
}

json Get(const std::string& id, const std::string& summary, json params, json ok) {
  json responses = Errors();
  responses["200"] = ok;
  responses["304"] = {{"description", "Not modified (If-None-Match matched the ETag)"}};
  return {{"get", {{"operationId", id}, {"summary", summary}, {"parameters", params}, {"responses", responses}}}};
}

//! The JSON schema of a row of `table`, without the columns in `omit`.
json RowSchemaOf(const Table& table, std::initializer_list<std::string_view> omit) {
  json props = json::object();
  for (const Column& c : table.columns) {
    if (std::find(omit.begin(), omit.end(), c.name) != omit.end()) continue;
    json type;
    switch (c.type) {
      case ColumnType::kDate: type = {{"type", "string"}, {"format", "date"}}; break;
      case ColumnType::kInt32: type = {{"type", "integer"}}; break;
      case ColumnType::kInt64: type = {{"type", "integer"}, {"format", "int64"}}; break;
      case ColumnType::kDouble: type = {{"type", "number"}, {"format", "double"}}; break;
      case ColumnType::kString: type = {{"type", "string"}}; break;
    }
    if (c.nullable) type["nullable"] = true;
    props[c.name] = type;
  }
  return {{"type", "object"}, {"properties", props}};
}

json RejectReasonNames() {
  json names = json::array();
  for (int r = 1; r < kRejectReasonCount; ++r) names.push_back(RejectReasonName(static_cast<RejectReason>(r)));
  return names;
}

json Object(std::initializer_list<std::pair<const char*, json>> props) {
  json p = json::object();
  for (const auto& [k, v] : props) p[k] = v;
  return {{"type", "object"}, {"properties", p}};
}

const json kNum = {{"type", "number"}, {"format", "double"}};
const json kNumNull = {{"type", "number"}, {"format", "double"}, {"nullable", true}};
const json kInt = {{"type", "integer"}, {"format", "int64"}};
const json kDate = {{"type", "string"}, {"format", "date"}};
const json kStr = {{"type", "string"}};

json BuildDocument() {
  json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "stocklake API"},
                 {"version", "1.0.0"},
                 {"description",
                  "Daily bars, indicators, period bars, cross-sections, runs, rejects, data quality, "
                  "and the ML application's models, predictions and backtests of a stocklake lake. "
                  "Roles: viewer reads, analyst also exports CSV/Parquet, admin also starts runs and pipeline runs."}};
  doc["servers"] = json::array({{{"url", "/"}}});
  doc["security"] = json::array({{{"bearer", json::array()}}});

  json& c = doc["components"];
  c["securitySchemes"]["bearer"] = {{"type", "http"}, {"scheme", "bearer"}};
  auto error_response = [](const char* d) {
    return json{{"description", d}, {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
  };
  c["responses"]["BadRequest"] = error_response("A parameter is missing, unknown or malformed");
  c["responses"]["Unauthorized"] = error_response("No token, or an unknown or revoked one");
  c["responses"]["Forbidden"] = error_response("The token's role is too low");
  c["responses"]["NotFound"] = error_response("No such ticker or resource");
  c["responses"]["RateLimited"] = error_response("Over the token's rate limit; see Retry-After");
  c["responses"]["Internal"] = error_response("The server failed");
  c["responses"]["RateLimited"]["headers"]["Retry-After"] = {{"schema", {{"type", "integer"}}}};

  c["parameters"]["ticker"] = {{"name", "ticker"},
                               {"in", "path"},
                               {"required", true},
                               {"schema", {{"type", "string"}, {"pattern", "^[A-Za-z0-9.\\-_^=]{1,32}$"}}}};
  c["parameters"]["from"] = QueryParam("from", "First date, inclusive", kDate);
  c["parameters"]["to"] = QueryParam("to", "Last date, inclusive", kDate);
  c["parameters"]["limit"] =
      QueryParam("limit", "Rows per page", {{"type", "integer"}, {"minimum", 1}, {"maximum", 5000}, {"default", 500}});
  c["parameters"]["cursor"] = QueryParam("cursor", "Opaque next_cursor of the previous page", kStr);
  c["parameters"]["format"] = QueryParam("format", "json (default), csv or parquet (analyst role)",
                                         {{"type", "string"}, {"enum", {"json", "csv", "parquet"}}});

  json& s = c["schemas"];
  s["Error"] = {
      {"type", "object"},
      {"required", {"error"}},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", {"code", "message"}},
          {"properties",
           {{"code",
             {{"type", "string"},
              {"enum",
               {"bad_request", "unauthorized", "forbidden", "not_found", "rate_limited", "unavailable", "internal"}}}},
            {"message", kStr}}}}}}}};
  s["Ticker"] = Object({{"ticker", kStr}, {"first_date", kDate}, {"last_date", kDate}, {"days", kInt}});
  s["DayBar"] = Object({{"date", kDate},
                        {"open", kNum},
                        {"high", kNum},
                        {"low", kNum},
                        {"close", kNum},
                        {"adj_close", kNumNull},
                        {"volume", kInt},
                        {"provisional",
                         {{"type", "boolean"},
                          {"description",
                           "Only on the speed layer's bars of days the batch does not have yet (always true; "
                           "absent on batch bars): rolled up from intraday_bars, adj_close null. Such a bar "
                           "disappears once the batch loads its day."}}}});
  const json time = {{"type", "string"}, {"format", "date-time"}};
  s["IntradayBar"] = {
      {"type", "object"},
      {"description",
       "A bar of the speed layer: the stored windows of intraday_bars rolled up into epoch-aligned bars of the "
       "interval (open of the earliest window, close of the latest, max high, min low, summed volume and trades, "
       "vwap = sum(vwap * volume) / sum(volume)). Times are RFC 3339 UTC with milliseconds; CSV and Parquet write "
       "final as 0 or 1."},
      {"properties",
       {{"window_start", time},
        {"window_end", time},
        {"open", kNum},
        {"high", kNum},
        {"low", kNum},
        {"close", kNum},
        {"vwap", kNumNull},
        {"volume", kInt},
        {"trades", kInt},
        {"final",
         {{"type", "boolean"},
          {"description", "Every window in the bar is final (its watermark passed): no event can change them"}}},
        {"updated_at", {{"type", "string"}, {"format", "date-time"}, {"description", "Newest commit of its windows"}}},
        {"windows", {{"type", "integer"}, {"description", "Stored windows rolled up into the bar"}}}}}};
  json stream_bar = s["IntradayBar"];
  stream_bar["properties"].erase("windows");
  stream_bar["properties"]["symbol"] = kStr;
  stream_bar["description"] = "One intraday_bars window as a stream processor last committed it";
  s["StreamBar"] = stream_bar;
  s["Reconciliation"] = Object(
      {{"days_compared", kInt},
       {"days_differing", kInt},
       {"price_tolerance", kNum},
       {"differences",
        {{"type", "array"},
         {"description", "The newest differing days (date descending, then ticker), at most 50"},
         {"items",
          Object({{"ticker", kStr},
                  {"date", kDate},
                  {"fields",
                   {{"type", "array"},
                    {"items",
                     Object({{"field", {{"type", "string"}, {"enum", {"open", "high", "low", "close", "volume"}}}},
                             {"speed", kNum},
                             {"batch", kNum},
                             {"relative_difference", kNum}})}}}})}}}});
  s["Reconciliation"]["description"] =
      "The speed layer's days (intraday_bars rolled up per UTC day: open of the first window, high, low, close of "
      "the last, volume) against the batch's daily bars of the same ticker and date. A day differs when a price's "
      "|speed - batch| / max(|speed|, |batch|) exceeds price_tolerance or the volumes differ.";
  s["PeriodBar"] = Object({{"period_start", kDate},
                           {"period_end", kDate},
                           {"open", kNum},
                           {"high", kNum},
                           {"low", kNum},
                           {"close", kNum},
                           {"adj_close", kNum},
                           {"volume", kInt},
                           {"trading_days", {{"type", "integer"}}},
                           {"return", kNumNull}});
  s["Indicators"] = RowSchemaOf(EmptyTableFor(kGoldIndicators), {"ticker"});
  s["CrossSectionRow"] =
      Object({{"ticker", kStr}, {"date", kDate}, {"close", kNum}, {"volume", kInt}, {"return_1d", kNumNull}});
  s["Run"] = Object({{"snapshot_id", kInt},
                     {"committed_at", {{"type", "string"}, {"format", "date-time"}}},
                     {"rows_read", kInt},
                     {"accepted", kInt},
                     {"rejected", kInt},
                     {"duplicates", kInt},
                     {"earlier_rows_displaced", kInt},
                     {"files_ingested", kInt},
                     {"files_skipped", kInt},
                     {"summary", {{"type", "object"}}}});
  s["Reject"] = Object({{"source_file", kStr},
                        {"line", kInt},
                        {"ticker", {{"type", "string"}, {"nullable", true}}},
                        {"date", {{"type", "string"}, {"format", "date"}, {"nullable", true}}},
                        {"reason", kStr}});
  s["Quality"] = Object({{"snapshot_id", kInt},
                         {"runs", kInt},
                         {"rows_read", kInt},
                         {"accepted", kInt},
                         {"rejected", kInt},
                         {"duplicates", kInt},
                         {"rejected_by_reason", {{"type", "object"}, {"additionalProperties", kInt}}},
                         {"tickers", kInt},
                         {"first_date", {{"type", "string"}, {"format", "date"}, {"nullable", true}}},
                         {"last_date", {{"type", "string"}, {"format", "date"}, {"nullable", true}}},
                         {"reconciliation", Ref("Reconciliation")}});

  s["Prediction"] = RowSchemaOf(EmptyTableFor(kGoldPredictions), {});
  s["PredictionSet"] =
      Object({{"quarter", kStr}, {"model", kStr}, {"model_version", {{"type", "integer"}}}, {"rows", kInt}});
  s["BacktestMetrics"] = RowSchemaOf(EmptyTableFor(kGoldBacktest), {"backtest_id", "quarter", "predictor"});
  s["PredictorSummary"] = Object({{"quarters", {{"type", "integer"}}},
                                  {"rows", kInt},
                                  {"mean_ic", kNumNull},
                                  {"icir", kNumNull},
                                  {"mean_rank_ic", kNumNull},
                                  {"rank_icir", kNumNull},
                                  {"mean_hit_rate", kNumNull},
                                  {"mean_top_bottom_spread", kNumNull},
                                  {"mean_rmse", kNumNull}});
  s["Backtest"] = Object({{"backtest_id", kStr},
                          {"first_quarter", kStr},
                          {"last_quarter", kStr},
                          {"quarters", {{"type", "integer"}}},
                          {"summary",
                           {{"type", "object"},
                            {"description", "Per predictor (model, baseline)"},
                            {"additionalProperties", Ref("PredictorSummary")}}}});
  const json nullable_metrics = {{"allOf", json::array({Ref("BacktestMetrics")})}, {"nullable", true}};
  s["BacktestDetail"] = {
      {"allOf", json::array({Ref("Backtest"), Object({{"by_quarter",
                                                       {{"type", "array"},
                                                        {"items", Object({{"quarter", kStr},
                                                                          {"model", nullable_metrics},
                                                                          {"baseline", nullable_metrics}})}}}})})}};

  // Pipeline runs: the objects of `pipeline history --json` (orchestrate/pipeline_history.h).
  const json time_or_null = {{"type", "string"}, {"format", "date-time"}, {"nullable", true}};
  const json ms_or_null = {{"type", "integer"}, {"format", "int64"}, {"nullable", true}};
  s["PipelineAttempt"] = Object({{"attempt", {{"type", "integer"}}},
                                 {"started", time_or_null},
                                 {"ended", time_or_null},
                                 {"exit_status", {{"type", "integer"}, {"nullable", true}}},
                                 {"reason", {{"type", "string"}, {"nullable", true}}},
                                 {"started_ms", ms_or_null},
                                 {"ended_ms", ms_or_null},
                                 {"log_path", kStr}});
  s["PipelineTask"] =
      Object({{"task", kStr},
              {"state",
               {{"type", "string"},
                {"enum", {"pending", "running", "succeeded", "failed", "up_for_retry", "upstream_failed", "skipped"}}}},
              {"retry_at_ms", kInt},
              {"attempts", {{"type", "array"}, {"items", Ref("PipelineAttempt")}}}});
  s["PipelineRun"] = Object({{"run_id", kStr},
                             {"trigger", {{"type", "string"}, {"enum", {"schedule", "manual", "backfill", "resume"}}}},
                             {"quarter", kStr},
                             {"state", {{"type", "string"}, {"enum", {"running", "succeeded", "failed", "skipped"}}}},
                             {"started", time_or_null},
                             {"ended", time_or_null},
                             {"tasks", {{"type", "array"}, {"items", Ref("PipelineTask")}}},
                             {"pipeline", kStr},
                             {"fire_time", time_or_null},
                             {"started_ms", ms_or_null},
                             {"ended_ms", ms_or_null},
                             {"reason", kStr},
                             {"resumed_from", kStr}});
  const json attempt_with_log = {
      {"allOf", json::array({Ref("PipelineAttempt"),
                             Object({{"log_tail", {{"type", "string"}, {"description", "The log's last 4 kB"}}},
                                     {"log_size", kInt}})})}};
  const json task_with_logs = {
      {"allOf",
       json::array({Ref("PipelineTask"), Object({{"attempts", {{"type", "array"}, {"items", attempt_with_log}}}})})}};
  s["PipelineRunDetail"] = {
      {"allOf",
       json::array({Ref("PipelineRun"), Object({{"tasks", {{"type", "array"}, {"items", task_with_logs}}}})})}};

  // Descriptions by path and method; which paths and methods exist, who may call them
  // and which export CSV / Parquet come from the route table below.
  json p;
  const json no_auth = json::array();
  json health = {{"get",
                  {{"operationId", "healthz"},
                   {"summary", "Liveness"},
                   {"security", no_auth},
                   {"responses",
                    {{"200",
                      {{"description", "Alive"},
                       {"content", {{"application/json", {{"schema", Object({{"status", kStr}})}}}}}}}}}}}};
  p["/healthz"] = health;
  p["/readyz"] = {
      {"get",
       {{"operationId", "readyz"},
        {"summary", "Readiness: lake and store readable"},
        {"security", no_auth},
        {"responses",
         {{"200",
           {{"description", "Ready"},
            {"content", {{"application/json", {{"schema", Object({{"status", kStr}, {"snapshot_id", kInt}})}}}}}}},
          {"503", {{"description", "Lake or store unreadable"}}}}}}}};
  p["/metrics"] = {{"get",
                    {{"operationId", "metrics"},
                     {"summary", "Prometheus metrics (text format)"},
                     {"responses",
                      {{"200", {{"description", "Metrics"}, {"content", {{"text/plain", {{"schema", kStr}}}}}}},
                       {"401", {{"$ref", "#/components/responses/Unauthorized"}}}}}}}};
  p["/api/v1/openapi.json"] = {{"get",
                                {{"operationId", "openapi"},
                                 {"summary", "This document"},
                                 {"security", no_auth},
                                 {"responses",
                                  {{"200",
                                    {{"description", "OpenAPI 3.0 document"},
                                     {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}}}}}}};
  p["/api/v1/tickers"] = Get("listTickers", "Tickers by prefix",
                             {QueryParam("prefix", "Ticker prefix (case-insensitive)", kStr), ParamRef("limit"),
                              ParamRef("cursor"), ParamRef("format")},
                             Ok("A page of tickers", Page("Ticker")));
  json bars_ok = Ok(
      "A page of bars ordered by time. JSON daily bars end with the speed layer's provisional bars (one per UTC "
      "day with windows after the ticker's newest batch bar); CSV and Parquet daily bars are the batch's only.",
      {{"type", "object"},
       {"properties",
        {{"data", {{"type", "array"}, {"items", {{"oneOf", {Ref("DayBar"), Ref("PeriodBar"), Ref("IntradayBar")}}}}}},
         {"next_cursor", {{"type", "string"}, {"nullable", true}}}}}});
  p["/api/v1/tickers/{ticker}/bars"] = Get(
      "getBars",
      "Bars of one ticker: the batch's (day, week, month, quarter) or the speed layer's (1m, 5m, 1h); an "
      "intraday interval finer than or not a multiple of the stored windows (stream --window) is a 400",
      {ParamRef("ticker"),
       QueryParam(
           "interval", "Bar interval",
           {{"type", "string"}, {"enum", {"day", "week", "month", "quarter", "1m", "5m", "1h"}}, {"default", "day"}}),
       QueryParam("from", "First date, inclusive; for 1m, 5m and 1h also an RFC 3339 time (the bar holding it)", kStr),
       QueryParam("to", "Last date, inclusive; for 1m, 5m and 1h also an RFC 3339 time", kStr), ParamRef("limit"),
       ParamRef("cursor"), ParamRef("format")},
      bars_ok);
  p["/api/v1/tickers/{ticker}/bars"]["get"]["responses"]["404"] = {{"$ref", "#/components/responses/NotFound"}};
  p["/api/v1/tickers/{ticker}/indicators"] = Get(
      "getIndicators", "Technical indicators of one ticker",
      {ParamRef("ticker"), ParamRef("from"), ParamRef("to"), ParamRef("limit"), ParamRef("cursor"), ParamRef("format")},
      Ok("A page of indicator rows ordered by date", Page("Indicators")));
  p["/api/v1/tickers/{ticker}/indicators"]["get"]["responses"]["404"] = {{"$ref", "#/components/responses/NotFound"}};
  p["/api/v1/tickers/{ticker}/indicators/latest"] =
      Get("getLatestIndicators", "The newest indicator row of one ticker", {ParamRef("ticker")},
          Ok("One indicator row", Ref("Indicators")));
  p["/api/v1/tickers/{ticker}/indicators/latest"]["get"]["responses"]["404"] = {
      {"$ref", "#/components/responses/NotFound"}};
  p["/api/v1/cross-section"] = Get(
      "getCrossSection", "Every ticker's bar at one date, ranked",
      {QueryParam("date", "The trading date", kDate, true),
       QueryParam(
           "kind", "Ranking",
           {{"type", "string"}, {"enum", {"top_gainers", "top_losers", "most_traded"}}, {"default", "top_gainers"}}),
       QueryParam("limit", "Rows", {{"type", "integer"}, {"minimum", 1}, {"maximum", 5000}, {"default", 20}}),
       ParamRef("format")},
      Ok("The ranking",
         Object({{"date", kDate}, {"kind", kStr}, {"data", {{"type", "array"}, {"items", Ref("CrossSectionRow")}}}})));
  p["/api/v1/runs"] = Get("listRuns", "Runs that committed a lake snapshot", {ParamRef("limit"), ParamRef("cursor")},
                          Ok("Runs by snapshot id", Page("Run")));
  p["/api/v1/runs"]["post"] = {
      {"operationId", "startRun"},
      {"summary", "Start `stocklake run` on the configured inputs (admin)"},
      {"responses",
       {{"202",
         {{"description", "Started"},
          {"content", {{"application/json", {{"schema", Object({{"status", kStr}, {"pid", kInt}})}}}}}}},
        {"401", {{"$ref", "#/components/responses/Unauthorized"}}},
        {"403", {{"$ref", "#/components/responses/Forbidden"}}},
        {"409",
         {{"description", "A run is already in progress"},
          {"content", {{"application/json", {{"schema", Ref("Error")}}}}}}},
        {"429", {{"$ref", "#/components/responses/RateLimited"}}},
        {"501",
         {{"description", "No inputs configured"}, {"content", {{"application/json", {{"schema", Ref("Error")}}}}}}}}}};
  p["/api/v1/rejects"] =
      Get("listRejects", "Rejected input rows",
          {QueryParam("reason", "Reject reason", {{"type", "string"}, {"enum", RejectReasonNames()}}),
           QueryParam("ticker", "Exact ticker", kStr), ParamRef("limit"), ParamRef("cursor"), ParamRef("format")},
          Ok("A page of rejects", Page("Reject")));
  p["/api/v1/quality"] = Get("getQuality", "Data-quality summary over every run, and the speed layer's reconciliation",
                             json::array(), Ok("Totals", Ref("Quality")));
  p["/api/v1/stream/bars"] = {
      {"get",
       {{"operationId", "streamBars"},
        {"summary",
         "Server-sent events of the speed layer's windows of some tickers: every intraday_bars row committed after "
         "the last one sent (the existing rows first), as `event: bar`, `id: <updated_at, Unix ms>` (never "
         "decreasing) and `data: <StreamBar JSON>`; a comment every 15 s when quiet. With Last-Event-ID T the "
         "stream resumes at the rows of updated_at >= T (that commit's rows may repeat: apply rows by symbol and "
         "window_start). Polls the store every 250 ms; ends when the server stops."},
        {"parameters",
         {QueryParam("tickers", "Comma-separated tickers (at most 100)", kStr, true),
          {{"name", "Last-Event-ID"},
           {"in", "header"},
           {"required", false},
           {"description", "The id of the last event received: resume after it"},
           {"schema", {{"type", "string"}, {"pattern", "^[0-9]+$"}}}}}},
        {"responses",
         {{"200",
           {{"description", "The event stream (one StreamBar JSON object per event's data)"},
            {"content", {{"text/event-stream", {{"schema", {{"type", "string"}}}}}}}}},
          {"400", {{"$ref", "#/components/responses/BadRequest"}}},
          {"401", {{"$ref", "#/components/responses/Unauthorized"}}},
          {"403", {{"$ref", "#/components/responses/Forbidden"}}},
          {"429", {{"$ref", "#/components/responses/RateLimited"}}},
          {"503",
           {{"description", "Every stream slot is taken (serve's max_streams); see Retry-After"},
            {"content", {{"application/json", {{"schema", Ref("Error")}}}}}}}}}}}};
  p["/api/v1/stream/symbols"] =
      Get("listStreamSymbols", "The symbols the speed layer has windows of", json::array(),
          Ok("Symbols by name",
             Object({{"data",
                      {{"type", "array"},
                       {"items",
                        Object({{"symbol", kStr},
                                {"windows", kInt},
                                {"first_window_start", time},
                                {"last_window_start", time},
                                {"updated_at", time},
                                {"window_seconds", {{"type", "number"}, {"description", "The widest window"}}}})}}}})));
  p["/api/v1/predictions"] =
      Get("listPredictions", "Predictions of one quarter by one model, by rank",
          {QueryParam("quarter", "YYYYQn; default: the newest quarter with predictions (of the model, if given)",
                      {{"type", "string"}, {"pattern", "^[0-9]{4}[Qq][1-4]$"}}),
           QueryParam("model", "Model name; default: the quarter's first model by name", kStr), ParamRef("limit"),
           ParamRef("cursor"), ParamRef("format")},
          Ok("A page of predictions ordered by rank", Page("Prediction")));
  p["/api/v1/predictions"]["get"]["responses"]["404"] = {{"$ref", "#/components/responses/NotFound"}};
  p["/api/v1/predictions/quarters"] =
      Get("listPredictionQuarters", "Every quarter and model with predictions, newest quarter first", json::array(),
          Ok("Quarters and models", Object({{"data", {{"type", "array"}, {"items", Ref("PredictionSet")}}}})));
  p["/api/v1/backtests"] = Get("listBacktests", "Backtests with their summaries, newest first", json::array(),
                               Ok("Backtests", Object({{"data", {{"type", "array"}, {"items", Ref("Backtest")}}}})));
  p["/api/v1/backtests/{backtest_id}"] =
      Get("getBacktest", "One backtest: per-quarter metrics of the model and the baseline, and the summary",
          {{{"name", "backtest_id"}, {"in", "path"}, {"required", true}, {"schema", kStr}}},
          Ok("The backtest", Ref("BacktestDetail")));
  p["/api/v1/backtests/{backtest_id}"]["get"]["responses"]["404"] = {{"$ref", "#/components/responses/NotFound"}};
  p["/api/v1/pipeline/runs"] =
      Get("listPipelineRuns", "Pipeline runs of the lake, newest first (the objects of `pipeline history --json`)",
          {QueryParam("pipeline", "Only this pipeline's runs", kStr),
           QueryParam("limit", "Runs", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 50}})},
          Ok("Runs", Object({{"data", {{"type", "array"}, {"items", Ref("PipelineRun")}}}})));
  p["/api/v1/pipeline/runs"]["post"] = {
      {"operationId", "startPipelineRun"},
      {"summary",
       "Start `stocklake pipeline run` of a --pipeline definition (admin); the runner's own output goes to "
       "_stocklake/pipeline/logs/RUN_ID/runner.log in the lake"},
      {"requestBody",
       {{"required", false},
        {"content",
         {{"application/json",
           {{"schema", Object({{"pipeline", {{"type", "string"}, {"description", "Optional with one pipeline"}}},
                               {"quarter", {{"type", "string"}, {"pattern", "^[0-9]{4}[Qq][1-4]$"}}}})}}}}}}},
      {"responses",
       {{"202",
         {{"description", "Started; the run appears in the history under run_id once the runner takes the lake"},
          {"content", {{"application/json", {{"schema", Object({{"run_id", kStr}, {"status", kStr}})}}}}}}},
        {"400", {{"$ref", "#/components/responses/BadRequest"}}},
        {"401", {{"$ref", "#/components/responses/Unauthorized"}}},
        {"403", {{"$ref", "#/components/responses/Forbidden"}}},
        {"409",
         {{"description", "A pipeline run holds the lake"},
          {"content", {{"application/json", {{"schema", Ref("Error")}}}}}}},
        {"429", {{"$ref", "#/components/responses/RateLimited"}}},
        {"501",
         {{"description", "No pipeline configured (serve --pipeline)"},
          {"content", {{"application/json", {{"schema", Ref("Error")}}}}}}}}}};
  p["/api/v1/pipeline/runs/{run_id}"] =
      Get("getPipelineRun", "One pipeline run with its tasks, attempts and the tail of each attempt's log",
          {{{"name", "run_id"}, {"in", "path"}, {"required", true}, {"schema", kStr}}},
          Ok("The run", Ref("PipelineRunDetail")));
  p["/api/v1/pipeline/runs/{run_id}"]["get"]["responses"]["404"] = {{"$ref", "#/components/responses/NotFound"}};
  for (const char* path : {"/api/v1/pipeline/runs", "/api/v1/pipeline/runs/{run_id}"}) {
    json& responses = p[path]["get"]["responses"];  // read anew each time: no ETag, no 304
    responses.erase("304");
    responses["200"].erase("headers");
  }
  const json token_row = Object({{"id", kStr},
                                 {"name", kStr},
                                 {"role", kStr},
                                 {"created_at", kStr},
                                 {"rate_limit", {{"type", "number"}}},
                                 {"revoked_at", {{"type", "string"}, {"nullable", true}}}});
  const json admin_errors = {{"401", {{"$ref", "#/components/responses/Unauthorized"}}},
                             {"403", {{"$ref", "#/components/responses/Forbidden"}}},
                             {"429", {{"$ref", "#/components/responses/RateLimited"}}}};
  p["/api/v1/tokens"]["get"] = {{"operationId", "listTokens"},
                                {"summary", "API tokens, without their secrets (admin)"},
                                {"responses", admin_errors}};
  p["/api/v1/tokens"]["get"]["responses"]["200"] = {
      {"description", "Every token"},
      {"content", {{"application/json", {{"schema", Object({{"data", {{"type", "array"}, {"items", token_row}}}})}}}}}};
  p["/api/v1/tokens"]["post"] = {
      {"operationId", "createToken"},
      {"summary", "Create a token (admin); its text is in this answer only"},
      {"requestBody",
       {{"required", true},
        {"content",
         {{"application/json",
           {{"schema", Object({{"role", {{"type", "string"}, {"enum", {"viewer", "analyst", "admin"}}}},
                               {"name", kStr},
                               {"rate_limit", {{"type", "number"}}}})}}}}}}},
      {"responses", admin_errors}};
  json created_schema = {{"allOf", json::array({token_row, Object({{"token", kStr}})})}};
  p["/api/v1/tokens"]["post"]["responses"]["201"] = {{"description", "Created"},
                                                     {"content", {{"application/json", {{"schema", created_schema}}}}}};
  p["/api/v1/tokens"]["post"]["responses"]["400"] = {{"description", "Bad body"},
                                                     {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
  p["/api/v1/tokens/{id_or_name}"]["delete"] = {
      {"operationId", "revokeToken"},
      {"summary", "Revoke a token by id or name (admin)"},
      {"parameters", {{{"name", "id_or_name"}, {"in", "path"}, {"required", true}, {"schema", kStr}}}},
      {"responses", admin_errors}};
  p["/api/v1/tokens/{id_or_name}"]["delete"]["responses"]["200"] = {
      {"description", "Revoked"}, {"content", {{"application/json", {{"schema", Object({{"revoked", kInt}})}}}}}};
  p["/api/v1/tokens/{id_or_name}"]["delete"]["responses"]["404"] = {{"$ref", "#/components/responses/NotFound"}};

  for (const Route& route : ApiRoutes()) {
    const std::string path(route.path);
    std::string method(route.method);
    for (char& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    json op = p.contains(path) && p[path].contains(method) ? p[path][method]
                                                           : json{{"operationId", route.name}, {"responses", Errors()}};
    if (route.needs_token) {
      op.erase("security");  // the document's default: a bearer token
      op["x-minimum-role"] = RoleName(route.min_role);
    } else {
      op["security"] = json::array();
    }
    if (route.exportable) {
      json& content = op["responses"]["200"]["content"];
      content["text/csv"] = {{"schema", {{"type", "string"}}}};
      content["application/vnd.apache.parquet"] = {{"schema", {{"type", "string"}, {"format", "binary"}}}};
      op["responses"]["403"]["description"] = "CSV and Parquet need the analyst role";
    }
    doc["paths"][path][method] = op;
  }
  return doc;
}

}  // namespace

std::string_view OpenApiDocument() {
  static const std::string kText = BuildDocument().dump(2);
  return kText;
}

}  // namespace stocklake
