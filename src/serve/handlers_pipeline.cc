// /api/v1/pipeline/runs: the lake's pipeline run history (orchestrate/pipeline_history.h,
// read on every request: the same objects `pipeline history --json` prints), one run
// with the tail of each attempt's log, and starting a run of a configured pipeline
// (admin). History changes commit no lake snapshot, so answers carry no ETag.
#include <algorithm>
#include <filesystem>

#include "core/clock.h"
#include "core/env.h"
#include "core/files.h"
#include "orchestrate/pipeline_history.h"
#include "orchestrate/pipeline_runner.h"
#include "serve/handlers.h"

namespace stocklake {

namespace {

using nlohmann::json;

constexpr int kDefaultRunLimit = 50;
constexpr int kMaxRunLimit = 1000;
// Enough for a failure's last lines; the whole log stays on the server.
constexpr uint64_t kLogTailBytes = 4096;

//! A run id the runner could have made (`pipeline run --run-id` refuses '/' and '.'):
//! checked before it names a file under the history.
bool IsRunId(std::string_view id) {
  return !id.empty() && id.size() <= 200 && std::none_of(id.begin(), id.end(), [](char c) {
    return c == '/' || c == '.' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
}

struct LogTail {
  std::string text;  //!< the last kLogTailBytes at most, from a character boundary
  uint64_t size = 0;
};

//! The end of the log at `path`; nullopt when there is no such file.
Result<std::optional<LogTail>> ReadLogTail(const std::string& path) {
  Env* env = Env::Default();
  if (!env->FileExists(path)) return std::optional<LogTail>();
  SL_ASSIGN_OR_RETURN(const FileInfo info, env->GetFileInfo(path));
  SL_ASSIGN_OR_RETURN(const std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  LogTail tail;
  tail.size = info.size;
  const uint64_t length = std::min(info.size, kLogTailBytes);
  tail.text.resize(length);
  SL_RETURN_IF_ERROR(file->ReadExact(info.size - length, length, tail.text.data()));
  if (length < info.size) {
    // Cut mid-character: drop the continuation bytes of the first one.
    size_t skip = 0;
    while (skip < tail.text.size() && (static_cast<unsigned char>(tail.text[skip]) & 0xC0) == 0x80) ++skip;
    tail.text.erase(0, skip);
  }
  return std::optional<LogTail>(std::move(tail));
}

const ConfiguredPipeline* FindPipeline(const ApiContext& ctx, std::string_view name) {
  for (const ConfiguredPipeline& p : ctx.pipelines) {
    if (p.definition.name == name) return &p;
  }
  return nullptr;
}

std::string PipelineNames(const ApiContext& ctx) {
  std::string names;
  for (const ConfiguredPipeline& p : ctx.pipelines) names += (names.empty() ? "" : ", ") + p.definition.name;
  return names;
}

}  // namespace

Result<std::vector<ConfiguredPipeline>> LoadConfiguredPipelines(const ServeOptions& options) {
  std::vector<ConfiguredPipeline> pipelines;
  for (const std::string& config : options.pipeline_configs) {
    SL_ASSIGN_OR_RETURN(PipelineDefinition definition, LoadPipelineDefinition(config));
    std::error_code error;
    if (!std::filesystem::equivalent(definition.lake, options.lake_dir, error)) {
      return Status::InvalidArgument("--pipeline " + config + ": its lake " + definition.lake + " is not serve's " +
                                     options.lake_dir + "; serve lists and starts the runs of its own lake only");
    }
    for (const ConfiguredPipeline& other : pipelines) {
      if (other.definition.name == definition.name) {
        return Status::InvalidArgument("--pipeline " + other.config + " and " + config + " both define pipeline " +
                                       definition.name);
      }
    }
    const std::filesystem::path absolute = std::filesystem::absolute(config, error);
    pipelines.push_back({error ? config : absolute.string(), std::move(definition)});
  }
  return pipelines;
}

void HandlePipelineRuns(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {"pipeline", "limit"}); !st.ok()) return SendBadRequest(res, st);
  auto limit = ParseLimit(Param(req, "limit"), kDefaultRunLimit, kMaxRunLimit);
  if (!limit.ok()) return SendBadRequest(res, limit.status());
  const ParamText pipeline = Param(req, "pipeline");
  if (pipeline && pipeline->empty()) return SendError(res, BadRequest("pipeline must name a pipeline"));
  auto runs = PipelineHistory(ctx.options.lake_dir).List(std::string(pipeline.value_or("")), *limit);
  if (!runs.ok()) return SendInternalError(req, res, runs.status(), "the pipeline history cannot be read");
  res.set_header("Cache-Control", "no-store");
  SendJson(res, {{"data", json::parse(PipelineRunsToJson(*runs))}});
}

void HandlePipelineRun(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  const std::string run_id = req.matches[1].str();
  if (!IsRunId(run_id)) return SendError(res, BadRequest("a run id has no '/', '.' or control characters"));
  const PipelineHistory history(ctx.options.lake_dir);
  auto run = history.Load(run_id);
  if (!run.ok() && run.status().IsNotFound()) {
    return SendError(res, {404, "not_found", "no pipeline run " + run_id + " (GET /api/v1/pipeline/runs lists them)"});
  }
  if (!run.ok()) return SendInternalError(req, res, run.status(), "the pipeline history cannot be read");
  json out = json::parse(PipelineRunToJson(*run));
  for (size_t t = 0; t < run->tasks.size(); ++t) {
    const TaskRecord& task = run->tasks[t];
    for (size_t a = 0; a < task.attempts.size(); ++a) {
      // The runner's path, not the record's log_path: a history file never makes serve
      // read outside the lake's pipeline logs.
      auto tail = ReadLogTail(history.AttemptLogPath(run->run_id, task.task, task.attempts[a].attempt));
      if (!tail.ok()) return SendInternalError(req, res, tail.status(), "a task log cannot be read");
      if (!*tail) continue;
      json& attempt = out["tasks"][t]["attempts"][a];
      attempt["log_tail"] = (*tail)->text;
      attempt["log_size"] = (*tail)->size;
    }
  }
  res.set_header("Cache-Control", "no-store");
  SendJson(res, out);
}

void HandleStartPipelineRun(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  if (ctx.pipelines.empty()) {
    return SendError(res, {501, "internal", "no pipeline configured: start serve with --pipeline FILE"});
  }
  const json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
  if (!body.is_object()) {
    return SendError(res, BadRequest("body must be a JSON object {\"pipeline\", \"quarter\"} (both optional)"));
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "pipeline" && key != "quarter") return SendError(res, BadRequest("unknown field '" + key + "'"));
    if (!value.is_string()) return SendError(res, BadRequest(key + " must be a string"));
  }
  const ConfiguredPipeline* pipeline = nullptr;
  if (body.contains("pipeline")) {
    const std::string name = body["pipeline"].get<std::string>();
    pipeline = FindPipeline(ctx, name);
    if (pipeline == nullptr) {
      return SendError(res, BadRequest("unknown pipeline '" + name + "'; serve starts " + PipelineNames(ctx)));
    }
  } else if (ctx.pipelines.size() == 1) {
    pipeline = &ctx.pipelines.front();
  } else {
    return SendError(res, BadRequest("name the pipeline: one of " + PipelineNames(ctx)));
  }
  const std::string quarter_text = body.value("quarter", "");
  auto quarter = ParseQuarterParam(body.contains("quarter") ? ParamText(quarter_text) : std::nullopt);
  if (!quarter.ok()) return SendBadRequest(res, quarter.status());

  // Refused here, before a run id is handed out: a child that then lost the lock would
  // record nothing. (A runner outside serve may still take the lock in between; the
  // child's log then says so.)
  const std::string& lake = ctx.options.lake_dir;
  const ApiError busy = {409, "bad_request",
                         "a pipeline run holds the lake " + lake + "; one run at a time per lake: wait for it to end"};
  if (ctx.pipeline_child.running() > 0 || PipelineLock::IsHeld(lake)) return SendError(res, busy);
  const std::string run_id = NewRunId(NowMillis());
  const std::string log_dir = PipelineDirectory(lake) + "/logs/" + run_id;
  if (Status st = CreateDirectories(log_dir); !st.ok()) {
    return SendInternalError(req, res, st, "cannot create the run's log directory");
  }
  std::vector<std::string> args = {
      ctx.options.stocklake_binary, "pipeline", "run", "--config", pipeline->config, "--run-id", run_id};
  if (!quarter->empty()) args.insert(args.end(), {"--quarter", *quarter});
  auto pid = ctx.pipeline_child.Start(args, log_dir + "/runner.log");
  if (!pid.ok() && pid.status().IsAborted()) return SendError(res, busy);
  if (!pid.ok()) return SendInternalError(req, res, pid.status(), "could not start the pipeline run");
  SendJson(res, {{"run_id", run_id}, {"status", "started"}}, 202);
}

}  // namespace stocklake
