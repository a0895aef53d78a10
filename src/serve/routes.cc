#include "serve/routes.h"

#include <optional>
#include <regex>

#include "serve/handlers.h"

namespace stocklake {

const std::vector<Route>& ApiRoutes() {
  using R = Role;
  // clang-format off
  static const std::vector<Route> kRoutes = {
    // method    path                                         name                 role        token  export handler
    {"GET",    "/healthz",                                   "healthz",           R::kViewer, false, false, HandleHealthz},
    {"GET",    "/readyz",                                    "readyz",            R::kViewer, false, false, HandleReadyz},
    {"GET",    "/metrics",                                   "metrics",           R::kViewer, true,  false, HandleMetrics},
    {"GET",    "/api/v1/openapi.json",                       "openapi",           R::kViewer, false, false, HandleOpenApi},
    {"GET",    "/api/v1/tickers",                            "tickers",           R::kViewer, true,  true,  HandleTickers},
    {"GET",    "/api/v1/tickers/{ticker}/bars",              "bars",              R::kViewer, true,  true,  HandleBars},
    {"GET",    "/api/v1/tickers/{ticker}/indicators",        "indicators",        R::kViewer, true,  true,  HandleIndicators},
    {"GET",    "/api/v1/tickers/{ticker}/indicators/latest", "indicators_latest", R::kViewer, true,  false, HandleLatestIndicators},
    {"GET",    "/api/v1/cross-section",                      "cross_section",     R::kViewer, true,  true,  HandleCrossSection},
    {"GET",    "/api/v1/runs",                               "runs",              R::kViewer, true,  false, HandleRuns},
    {"POST",   "/api/v1/runs",                               "runs_start",        R::kAdmin,  true,  false, HandleStartRun},
    {"GET",    "/api/v1/rejects",                            "rejects",           R::kViewer, true,  true,  HandleRejects},
    {"GET",    "/api/v1/quality",                            "quality",           R::kViewer, true,  false, HandleQuality},
    {"GET",    "/api/v1/stream/bars",                        "stream_bars",       R::kViewer, true,  false, HandleStreamBars},
    {"GET",    "/api/v1/stream/symbols",                     "stream_symbols",    R::kViewer, true,  false, HandleStreamSymbols},
    {"GET",    "/api/v1/models",                             "models",            R::kViewer, true,  false, HandleModels},
    {"GET",    "/api/v1/models/{name}",                      "model",             R::kViewer, true,  false, HandleModel},
    {"GET",    "/api/v1/predictions",                        "predictions",       R::kViewer, true,  true,  HandlePredictions},
    {"GET",    "/api/v1/predictions/quarters",               "prediction_quarters", R::kViewer, true, false, HandlePredictionQuarters},
    {"GET",    "/api/v1/backtests",                          "backtests",         R::kViewer, true,  false, HandleBacktests},
    {"GET",    "/api/v1/backtests/{backtest_id}",            "backtest",          R::kViewer, true,  false, HandleBacktest},
    {"GET",    "/api/v1/pipeline/runs",                      "pipeline_runs",     R::kViewer, true,  false, HandlePipelineRuns},
    {"POST",   "/api/v1/pipeline/runs",                      "pipeline_runs_start", R::kAdmin, true,  false, HandleStartPipelineRun},
    {"GET",    "/api/v1/pipeline/runs/{run_id}",             "pipeline_run",      R::kViewer, true,  false, HandlePipelineRun},
    {"GET",    "/api/v1/tokens",                             "tokens",            R::kAdmin,  true,  false, HandleListTokens},
    {"POST",   "/api/v1/tokens",                             "tokens",            R::kAdmin,  true,  false, HandleCreateToken},
    {"DELETE", "/api/v1/tokens/{id_or_name}",                "tokens",            R::kAdmin,  true,  false, HandleRevokeToken},
  };
  // clang-format on
  return kRoutes;
}

std::string RouteRegex(std::string_view path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      i = path.find('}', i);
      out += "([^/]+)";
    } else if (path[i] == '.') {
      out += "\\.";
    } else {
      out += path[i];
    }
  }
  return out;
}

const Route* FindRoute(std::string_view method, const std::string& path) {
  // Runs before every request: literal paths compare as strings, only templated ones
  // (compiled once) as regular expressions.
  static const std::vector<std::optional<std::regex>> kPatterns = [] {
    std::vector<std::optional<std::regex>> patterns;
    for (const Route& r : ApiRoutes()) {
      if (r.path.find('{') == std::string_view::npos)
        patterns.emplace_back();
      else
        patterns.emplace_back(RouteRegex(r.path));
    }
    return patterns;
  }();
  const std::vector<Route>& routes = ApiRoutes();
  const Route* other_method = nullptr;
  for (size_t i = 0; i < routes.size(); ++i) {
    const bool match = kPatterns[i] ? std::regex_match(path, *kPatterns[i]) : path == routes[i].path;
    if (!match) continue;
    if (routes[i].method == method) return &routes[i];
    if (other_method == nullptr) other_method = &routes[i];
  }
  return other_method;
}

}  // namespace stocklake
