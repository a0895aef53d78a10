// `stocklake pipeline check|next|run|resume|backfill|history` and `stocklake scheduler`
// (../shared/spec/pipeline.md). A bad definition exits 2 with FILE:LINE and the reason;
// run, resume and backfill exit 0 when every run they made succeeded, 1 otherwise.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/date.h"
#include "orchestrate/pipeline_runner.h"
#include "orchestrate/pipeline_scheduler.h"
#include "stream/trade_event.h"

namespace stocklake::cli {

namespace {

struct PipelineOptions {
  std::string config;
  std::string lake;  // overrides the definition's
  std::string quarter;
  std::string run_id;
  std::string from;
  std::string to;
  std::string after;
  int count = 5;
  size_t limit = 20;
  bool json = false;
  bool quiet = false;
};

void AddConfigOptions(CLI::App* cmd, PipelineOptions* options) {
  cmd->add_option("--config", options->config, "Pipeline definition (YAML)")->required();
  cmd->add_option("--lake", options->lake, "Lake directory (overrides the definition's `lake`)");
}

Result<PipelineDefinition> LoadDefinition(const PipelineOptions& options) {
  SL_ASSIGN_OR_RETURN(PipelineDefinition definition, LoadPipelineDefinition(options.config));
  if (!options.lake.empty()) definition.lake = options.lake;
  // As every --store: the definition's, else $STOCKLAKE_STORE, else the lake's SQLite.
  if (const char* store = std::getenv("STOCKLAKE_STORE"); definition.store.empty() && store != nullptr) {
    definition.store = store;
  }
  return definition;
}

Result<std::string> CheckedQuarter(const std::string& text, const std::string& option) {
  int32_t key = 0;
  if (!ParseQuarter(text, &key))
    return Status::InvalidArgument(option + " '" + text + "' is not a quarter such as 2017Q3");
  return FormatQuarter(key);
}

int ExitStatusOf(const std::vector<PipelineRunRecord>& runs) {
  for (const PipelineRunRecord& run : runs) {
    if (run.state != RunState::kSucceeded) return kExitFailure;
  }
  return 0;
}

void PrintRunSummary(const PipelineRunRecord& run) {
  std::printf("run %s (%s, quarter %s): %s\n", run.run_id.c_str(), std::string(RunTriggerName(run.trigger)).c_str(),
              run.quarter.c_str(), std::string(RunStateName(run.state)).c_str());
  for (const TaskRecord& task : run.tasks) {
    std::printf("  %-16s %-15s attempts %zu", task.task.c_str(), std::string(TaskStateName(task.state)).c_str(),
                task.attempts.size());
    if (!task.attempts.empty() && !task.attempts.back().reason.empty()) {
      std::printf("  (%s; log %s)", task.attempts.back().reason.c_str(), task.attempts.back().log_path.c_str());
    }
    std::printf("\n");
  }
}

// Takes the lake's pipeline lock, finishes runs a dead runner left, then does `work`
// (under SIGTERM/SIGINT handling: a stop hands the run at hand back). Exit status by
// the runs `work` made.
int RunWithRunner(const std::string& name, const PipelineOptions& options,
                  const std::function<Result<std::vector<PipelineRunRecord>>(PipelineRunner&)>& work) {
  Result<PipelineDefinition> definition = LoadDefinition(options);
  if (!definition.ok()) return ReportError(name, definition.status());
  Result<PipelineLock> lock = PipelineLock::Acquire(definition->lake);
  if (!lock.ok()) return ReportError(name, lock.status());  // held: exit 1, no run recorded
  int exit_status = 0;
  const int signalled = RunUntilSignalled(name, [&](const std::atomic<bool>& stop) -> Status {
    PipelineRunner runner(*definition, PipelineRunnerOptions{"", &stop, nullptr, options.quiet});
    SL_ASSIGN_OR_RETURN(const std::vector<PipelineRunRecord> recovered, runner.RecoverLostRuns());
    for (const PipelineRunRecord& run : recovered) PrintRunSummary(run);
    if (stop.load()) return Status::OK();
    SL_ASSIGN_OR_RETURN(const std::vector<PipelineRunRecord> runs, work(runner));
    for (const PipelineRunRecord& run : runs) PrintRunSummary(run);
    exit_status = ExitStatusOf(runs);
    return Status::OK();
  });
  return signalled != 0 ? signalled : exit_status;
}

void AddCheck(CLI::App* pipeline, std::vector<CommandRunner>* runners) {
  auto options = std::make_shared<PipelineOptions>();
  auto* cmd = pipeline->add_subcommand("check", "Validate a pipeline definition and print its DAG");
  AddConfigOptions(cmd, options.get());
  runners->push_back([cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    Result<PipelineDefinition> definition = LoadDefinition(*options);
    if (!definition.ok()) return ReportError("pipeline check", definition.status());
    std::printf("%s", DescribePipeline(*definition).c_str());
    return 0;
  });
}

void AddNext(CLI::App* pipeline, std::vector<CommandRunner>* runners) {
  auto options = std::make_shared<PipelineOptions>();
  auto* cmd = pipeline->add_subcommand("next", "Print the next fire times (RFC 3339 UTC, one a line)");
  AddConfigOptions(cmd, options.get());
  cmd->add_option("--after", options->after, "RFC 3339 time to start after (default now)");
  cmd->add_option("-n", options->count, "How many fire times")->check(CLI::Range(1, 100000))->capture_default_str();
  runners->push_back([cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    Result<PipelineDefinition> definition = LoadDefinition(*options);
    if (!definition.ok()) return ReportError("pipeline next", definition.status());
    int64_t after_ms = NowMillis();
    if (!options->after.empty() && !ParseRfc3339Millis(options->after, &after_ms)) {
      return ReportError("pipeline next",
                         Status::InvalidArgument("--after '" + options->after +
                                                 "' is not an RFC 3339 time such as 2025-04-01T00:00:00Z"));
    }
    Result<std::vector<int64_t>> times = NextFireTimes(*definition, after_ms, options->count);
    if (!times.ok()) return ReportError("pipeline next", times.status());
    for (const int64_t at : *times) {
      std::printf("%s\n", FormatRfc3339Utc(std::chrono::sys_seconds(std::chrono::seconds(at / 1000))).c_str());
    }
    return 0;
  });
}

void AddRun(CLI::App* pipeline, std::vector<CommandRunner>* runners) {
  auto options = std::make_shared<PipelineOptions>();
  auto* cmd = pipeline->add_subcommand("run", "Run the pipeline once now and wait for it");
  AddConfigOptions(cmd, options.get());
  cmd->add_option("--quarter", options->quarter, "Logical quarter (default: the last quarter that ended)");
  cmd->add_option("--run-id", options->run_id, "Id of the new run (default: made up)")->group("");
  cmd->add_flag("--quiet", options->quiet, "No progress lines");
  runners->push_back([cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    Result<PipelineDefinition> definition = LoadDefinition(*options);
    if (!definition.ok()) return ReportError("pipeline run", definition.status());
    std::string quarter;
    if (!options->quarter.empty()) {
      Result<std::string> checked = CheckedQuarter(options->quarter, "--quarter");
      if (!checked.ok()) return ReportError("pipeline run", checked.status());
      quarter = *checked;
    } else {
      Result<std::string> logical = LogicalQuarter(NowMillis(), definition->timezone);
      if (!logical.ok()) return ReportError("pipeline run", logical.status());
      quarter = *logical;
    }
    if (!options->run_id.empty() && options->run_id.find_first_of("/.") != std::string::npos) {
      return ReportError("pipeline run", Status::InvalidArgument("--run-id must not contain '/' or '.'"));
    }
    return RunWithRunner(
        "pipeline run", *options, [&](PipelineRunner& runner) -> Result<std::vector<PipelineRunRecord>> {
          SL_ASSIGN_OR_RETURN(PipelineRunRecord run, runner.Execute(RunTrigger::kManual, quarter, 0, options->run_id));
          return std::vector<PipelineRunRecord>{std::move(run)};
        });
  });
}

void AddResume(CLI::App* pipeline, std::vector<CommandRunner>* runners) {
  auto options = std::make_shared<PipelineOptions>();
  auto* cmd = pipeline->add_subcommand("resume", "Rerun a failed run's failed and downstream tasks only");
  AddConfigOptions(cmd, options.get());
  cmd->add_option("run_id", options->run_id, "The failed run")->required();
  cmd->add_flag("--quiet", options->quiet, "No progress lines");
  runners->push_back([cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    return RunWithRunner("pipeline resume", *options,
                         [&](PipelineRunner& runner) -> Result<std::vector<PipelineRunRecord>> {
                           SL_ASSIGN_OR_RETURN(PipelineRunRecord run, runner.Resume(options->run_id));
                           return std::vector<PipelineRunRecord>{std::move(run)};
                         });
  });
}

void AddBackfill(CLI::App* pipeline, std::vector<CommandRunner>* runners) {
  auto options = std::make_shared<PipelineOptions>();
  auto* cmd = pipeline->add_subcommand("backfill", "One run per quarter from --from to --to, oldest first");
  AddConfigOptions(cmd, options.get());
  cmd->add_option("--from", options->from, "First quarter (YYYYQn)")->required();
  cmd->add_option("--to", options->to, "Last quarter (YYYYQn)")->required();
  cmd->add_flag("--quiet", options->quiet, "No progress lines");
  runners->push_back([cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    int32_t from = 0;
    int32_t to = 0;
    if (!ParseQuarter(options->from, &from) || !ParseQuarter(options->to, &to) || from > to) {
      return ReportError("pipeline backfill",
                         Status::InvalidArgument("--from '" + options->from + "' and --to '" + options->to +
                                                 "' must be quarters such as 2015Q1, from <= to"));
    }
    return RunWithRunner(
        "pipeline backfill", *options, [&](PipelineRunner& runner) -> Result<std::vector<PipelineRunRecord>> {
          std::vector<PipelineRunRecord> runs;
          for (int32_t quarter = from; quarter <= to; quarter = NextQuarter(quarter)) {
            // A failed quarter does not stop the others: the backfill goes on and reports it.
            SL_ASSIGN_OR_RETURN(PipelineRunRecord run, runner.Execute(RunTrigger::kBackfill, FormatQuarter(quarter)));
            const bool handed_back = run.state == RunState::kRunning;
            runs.push_back(std::move(run));
            if (handed_back) break;
          }
          return runs;
        });
  });
}

void AddHistory(CLI::App* pipeline, std::vector<CommandRunner>* runners) {
  auto options = std::make_shared<PipelineOptions>();
  auto* cmd = pipeline->add_subcommand("history", "Runs of the pipeline, newest first");
  AddConfigOptions(cmd, options.get());
  cmd->add_option("--limit", options->limit, "At most this many runs")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "A JSON array of runs (pipeline.md)");
  runners->push_back([cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    Result<PipelineDefinition> definition = LoadDefinition(*options);
    if (!definition.ok()) return ReportError("pipeline history", definition.status());
    Result<std::vector<PipelineRunRecord>> runs =
        PipelineHistory(definition->lake).List(definition->name, options->limit);
    if (!runs.ok()) return ReportError("pipeline history", runs.status());
    if (options->json) {
      std::printf("%s\n", PipelineRunsToJson(*runs).c_str());
      return 0;
    }
    for (const PipelineRunRecord& run : *runs) {
      if (run.state == RunState::kSkipped) {
        std::printf("run %s (%s, quarter %s): skipped: %s\n", run.run_id.c_str(),
                    std::string(RunTriggerName(run.trigger)).c_str(), run.quarter.c_str(), run.reason.c_str());
        continue;
      }
      PrintRunSummary(run);
    }
    return 0;
  });
}

}  // namespace

CommandRunner AddPipelineCommand(CLI::App& app) {
  auto* pipeline = app.add_subcommand("pipeline", "Pipelines: check, next, run, resume, backfill, history");
  pipeline->require_subcommand(1);
  auto runners = std::make_shared<std::vector<CommandRunner>>();
  AddCheck(pipeline, runners.get());
  AddNext(pipeline, runners.get());
  AddRun(pipeline, runners.get());
  AddResume(pipeline, runners.get());
  AddBackfill(pipeline, runners.get());
  AddHistory(pipeline, runners.get());
  return [pipeline, runners]() -> int {
    if (!pipeline->parsed()) return -1;
    for (const CommandRunner& run : *runners) {
      const int status = run();
      if (status >= 0) return status;
    }
    return kExitUsage;
  };
}

CommandRunner AddSchedulerCommand(CLI::App& app) {
  auto options = std::make_shared<PipelineOptions>();
  auto* cmd = app.add_subcommand("scheduler", "Run the pipeline at its schedule's fire times until SIGTERM");
  AddConfigOptions(cmd, options.get());
  cmd->add_flag("--quiet", options->quiet, "No progress lines");
  return [cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    Result<PipelineDefinition> definition = LoadDefinition(*options);
    if (!definition.ok()) return ReportError("scheduler", definition.status());
    if (definition->schedule.empty()) {
      return ReportError("scheduler", Status::InvalidArgument(options->config + ": the pipeline has no schedule"));
    }
    return RunUntilSignalled("scheduler", [&](const std::atomic<bool>& stop) {
      return RunScheduler(*definition, SchedulerOptions{&stop, "", options->quiet});
    });
  };
}

}  // namespace stocklake::cli
