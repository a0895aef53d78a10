// The REST API's request handlers, one file per resource (handlers_<resource>.cc). Each
// checks its parameters (400 with the contract's error body for anything malformed or
// unknown), reads through the ApiContext and answers. The route table (routes.cc) says
// which handler serves which method and path, and who may call it.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "serve/api_context.h"
#include "serve/http.h"
#include "serve/request_params.h"

namespace stocklake {

//! The query parameter `name`, or nullopt when absent.
inline ParamText Param(const httplib::Request& req, const char* name) {
  auto it = req.params.find(name);
  if (it == req.params.end()) return std::nullopt;
  return std::string_view(it->second);
}

// handlers_health.cc
void HandleHealthz(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleReadyz(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleMetrics(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleOpenApi(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

// handlers_tickers.cc
void HandleTickers(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleBars(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleIndicators(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleLatestIndicators(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

// handlers_cross_section.cc
void HandleCrossSection(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

// handlers_runs.cc
void HandleRuns(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleStartRun(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

// handlers_quality.cc
void HandleRejects(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleQuality(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

// handlers_stream.cc
void HandleStreamBars(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleStreamSymbols(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

// handlers_models.cc
void HandleModels(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleModel(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

// handlers_ml.cc
void HandlePredictions(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandlePredictionQuarters(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleBacktests(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleBacktest(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

// handlers_pipeline.cc
void HandlePipelineRuns(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandlePipelineRun(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleStartPipelineRun(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
//! The definitions of options.pipeline_configs, each checked (its file:line errors, its
//! lake the same directory as options.lake_dir, no two of one name), config made absolute.
Result<std::vector<ConfiguredPipeline>> LoadConfiguredPipelines(const ServeOptions& options);

// handlers_tokens.cc
void HandleListTokens(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleCreateToken(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleRevokeToken(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

}  // namespace stocklake
