// /api/v1/runs: the lake's runs, and starting one (admin).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "serve/handlers.h"

extern char** environ;

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
  std::lock_guard lock(ctx.run_mu);
  if (ctx.run_pid > 0)
    return SendError(res,
                     {409, "bad_request", "a run is already in progress (pid " + std::to_string(ctx.run_pid) + ")"});
  if (ctx.run_reaper.joinable()) ctx.run_reaper.join();
  std::vector<std::string> args = {options.stocklake_binary, "run"};
  for (const std::string& in : options.run_inputs) {
    args.push_back("--input");
    args.push_back(in);
  }
  args.insert(args.end(), {"--lake", options.lake_dir, "--store", ctx.store_url, "--quiet"});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log_path = options.lake_dir + "/_stocklake/serve-runs.log";
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  // `serve` blocks SIGINT and SIGTERM in every thread (a sigwait thread takes them), and
  // a spawned process inherits the mask: without resetting it the run would ignore the
  // SIGTERM that stops it. Empty mask, default dispositions.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return SendError(res, {500, "internal", std::string("could not start the run: ") + std::strerror(rc)});
  ctx.run_pid = pid;
  ctx.run_reaper = std::thread([&ctx, pid] {
    int status = 0;
    waitpid(pid, &status, 0);
    std::lock_guard l(ctx.run_mu);
    ctx.run_pid = 0;
  });
  SendJson(res, {{"status", "started"}, {"pid", pid}}, 202);
}

}  // namespace stocklake
