#include "orchestrate/pipeline_runner.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include "core/clock.h"
#include "core/date.h"
#include "core/files.h"
#include "orchestrate/child_process.h"
#include "orchestrate/cron_schedule.h"
#include "orchestrate/pipeline_mirror.h"
#include "orchestrate/pipeline_webhook.h"

namespace stocklake {

namespace {

constexpr int64_t kLoopMillis = 10;  // how often the runner looks at its children
constexpr std::string_view kRunnerLost = "runner_lost";
constexpr std::string_view kInterrupted = "interrupted: the runner was stopped; the next runner starts it again";

// Attempts that count against `retries`: every finished one except those handed back
// by a stopped runner (the task did not fail; its runner went away politely).
int CountedAttempts(const TaskRecord& task) {
  return static_cast<int>(std::count_if(task.attempts.begin(), task.attempts.end(), [](const AttemptRecord& a) {
    return a.ended_ms > 0 && a.reason != kInterrupted;
  }));
}

std::string Substitute(std::string text, const PipelineRunRecord& run) {
  for (const auto& [placeholder, value] :
       {std::pair<std::string, std::string>{"{quarter}", run.quarter}, {"{run_id}", run.run_id}}) {
    for (size_t at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size())) {
      text.replace(at, placeholder.size(), value);
    }
  }
  return text;
}

std::string FormatSeconds(int64_t millis) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1fs", static_cast<double>(millis) / 1000.0);
  return text;
}

TaskRecord PendingTask(const std::string& name) {
  TaskRecord task;
  task.task = name;
  return task;
}

// One attempt in flight.
struct RunningAttempt {
  std::string task;
  ChildProcess child;
  int64_t deadline_ms = 0;  // 0: no timeout
  int64_t kill_at_ms = 0;   // set once SIGTERM went out: SIGKILL then
  bool timed_out = false;
};

}  // namespace

Result<PipelineLock> PipelineLock::Acquire(const std::string& lake_dir) {
  const std::string dir = PipelineDirectory(lake_dir);
  SL_RETURN_IF_ERROR(CreateDirectories(dir));
  auto lock = FileLock::Acquire(dir + "/LOCK", FileLock::Mode::kExclusive, /*wait=*/false);
  if (lock.ok()) return PipelineLock(std::move(*lock));
  if (!lock.status().IsAborted()) return lock.status();
  return Status::Aborted("the lake " + lake_dir + " is held by another pipeline run (lock " + dir +
                         "/LOCK); one run at a time per lake: wait for it to end");
}

bool PipelineLock::IsHeld(const std::string& lake_dir) {
  const std::string path = PipelineDirectory(lake_dir) + "/LOCK";
  if (!PathExists(path)) return false;
  auto lock = FileLock::Acquire(path, FileLock::Mode::kExclusive, /*wait=*/false);
  return !lock.ok() && lock.status().IsAborted();
}

Result<std::string> LogicalQuarter(int64_t fire_time_ms, const std::string& timezone) {
  SL_ASSIGN_OR_RETURN(const date::time_zone* zone, LocateTimeZone(timezone));
  const auto instant = date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(fire_time_ms));
  const auto local = zone->to_local(instant);
  const auto local_day = date::floor<date::days>(local);
  const Date today = static_cast<Date>(local_day.time_since_epoch().count());
  return FormatQuarter(PreviousQuarter(QuarterKey(today)));
}

std::string CurrentProgramPath() {
  char path[4096];
  const ssize_t size = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (size <= 0) return "stocklake";
  return std::string(path, static_cast<size_t>(size));
}

PipelineRunner::PipelineRunner(const PipelineDefinition& definition, PipelineRunnerOptions options)
    : definition_(definition),
      options_(std::move(options)),
      history_(definition.lake),
      mirror_(std::make_unique<PipelineMirror>(definition.lake, definition.store)) {
  if (options_.program.empty()) options_.program = CurrentProgramPath();
}

PipelineRunner::~PipelineRunner() = default;

Status PipelineRunner::Save(const PipelineRunRecord& run) {
  SL_RETURN_IF_ERROR(history_.Save(run));
  mirror_->Mirror(run);  // best effort: the lake's history is the truth
  return Status::OK();
}

Status PipelineRunner::RecordSkipped(int64_t fire_time_ms, const std::string& quarter, const std::string& reason) {
  PipelineRunRecord run;
  run.run_id = NewRunId(fire_time_ms);
  run.pipeline = definition_.name;
  run.trigger = RunTrigger::kSchedule;
  run.quarter = quarter;
  run.state = RunState::kSkipped;
  run.fire_time_ms = fire_time_ms;
  run.started_ms = fire_time_ms;
  run.ended_ms = fire_time_ms;
  run.reason = reason;
  if (!options_.quiet)
    std::fprintf(stderr, "pipeline %s: fire time skipped: %s\n", definition_.name.c_str(), reason.c_str());
  return Save(run);
}

Result<PipelineRunRecord> PipelineRunner::Execute(RunTrigger trigger, const std::string& quarter, int64_t fire_time_ms,
                                                  const std::string& run_id) {
  PipelineRunRecord run;
  run.started_ms = NowMillis();
  run.run_id = run_id.empty() ? NewRunId(run.started_ms) : run_id;
  run.pipeline = definition_.name;
  run.trigger = trigger;
  run.quarter = quarter;
  run.fire_time_ms = fire_time_ms;
  for (const TaskDefinition& task : definition_.tasks) run.tasks.push_back(PendingTask(task.name));
  SL_RETURN_IF_ERROR(Save(run));
  return Drive(std::move(run));
}

Result<PipelineRunRecord> PipelineRunner::Resume(const std::string& run_id) {
  SL_ASSIGN_OR_RETURN(const PipelineRunRecord original, history_.Load(run_id));
  if (original.pipeline != definition_.name) {
    return Status::InvalidArgument("run " + run_id + " belongs to pipeline " + original.pipeline + ", not " +
                                   definition_.name);
  }
  if (original.state == RunState::kSucceeded || original.state == RunState::kSkipped ||
      original.state == RunState::kRunning) {
    return Status::InvalidArgument("run " + run_id + " is " + std::string(RunStateName(original.state)) +
                                   ": only a failed run can be resumed");
  }
  PipelineRunRecord run;
  run.started_ms = NowMillis();
  run.run_id = NewRunId(run.started_ms);
  run.pipeline = definition_.name;
  run.trigger = RunTrigger::kResume;
  run.quarter = original.quarter;
  run.resumed_from = original.run_id;
  for (const TaskDefinition& task : definition_.tasks) {
    TaskRecord record = PendingTask(task.name);
    const TaskRecord* before = original.FindTask(task.name);
    if (before != nullptr && before->state == TaskState::kSucceeded) record.state = TaskState::kSucceeded;
    run.tasks.push_back(std::move(record));
  }
  // A carried-over success is only valid when nothing it waits for is rerun.
  for (const TaskDefinition& task : definition_.tasks) {
    TaskRecord* record = run.FindTask(task.name);
    for (const std::string& dep : task.after) {
      if (run.FindTask(dep)->state != TaskState::kSucceeded) record->state = TaskState::kPending;
    }
  }
  SL_RETURN_IF_ERROR(Save(run));
  return Drive(std::move(run));
}

Result<std::vector<PipelineRunRecord>> PipelineRunner::RecoverLostRuns() {
  SL_ASSIGN_OR_RETURN(std::vector<PipelineRunRecord> runs, history_.List(definition_.name));
  std::vector<PipelineRunRecord> recovered;
  // Oldest first: the order they were started in.
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    PipelineRunRecord& run = *it;
    if (run.state != RunState::kRunning) continue;
    const int64_t now = NowMillis();
    for (TaskRecord& task : run.tasks) {
      if (task.state != TaskState::kRunning) continue;
      AttemptRecord& attempt = task.attempts.back();
      const int killed = KillOrphanedTaskProcesses(attempt.process_group, run.run_id);
      attempt.ended_ms = now;
      attempt.reason = std::string(kRunnerLost);
      attempt.process_group = 0;
      task.state = TaskState::kFailed;  // Drive applies the retry rules to it
      if (!options_.quiet) {
        std::fprintf(stderr, "pipeline %s: run %s: task %s attempt %d lost its runner%s\n", definition_.name.c_str(),
                     run.run_id.c_str(), task.task.c_str(), attempt.attempt,
                     killed > 0 ? " (its leftover processes were killed)" : "");
      }
    }
    SL_RETURN_IF_ERROR(Save(run));
    SL_ASSIGN_OR_RETURN(PipelineRunRecord finished, Drive(std::move(run)));
    recovered.push_back(std::move(finished));
    if (options_.stop != nullptr && options_.stop->load()) break;
  }
  return recovered;
}

Result<PipelineRunRecord> PipelineRunner::Drive(PipelineRunRecord run) {
  std::mt19937_64 jitter_random{std::random_device{}()};
  std::map<std::string, RunningAttempt> running;
  const std::string log_dir = PipelineDirectory(definition_.lake) + "/logs/" + run.run_id;
  auto say = [&](const std::string& text) {
    if (!options_.quiet)
      std::fprintf(stderr, "pipeline %s: run %s: %s\n", definition_.name.c_str(), run.run_id.c_str(), text.c_str());
  };

  // A failed attempt is retried while retries remain; otherwise the task fails.
  auto settle_failure = [&](TaskRecord& task, const TaskDefinition& definition, int64_t now) {
    const int failed = CountedAttempts(task);
    if (failed <= definition.policy.retries) {
      const int64_t delay = RetryDelayMillis(definition.policy, failed);
      const int64_t jitter = static_cast<int64_t>(std::uniform_real_distribution<double>(0.0, 0.1)(jitter_random) *
                                                  static_cast<double>(delay));
      task.state = TaskState::kUpForRetry;
      task.retry_at_ms = now + delay + jitter;
      say("task " + task.task + " attempt " + std::to_string(task.attempts.back().attempt) + " failed (" +
          task.attempts.back().reason + "); retry in " + FormatSeconds(delay + jitter));
    } else {
      task.state = TaskState::kFailed;
      say("task " + task.task + " failed: " + task.attempts.back().reason);
    }
  };
  // Tasks left failed by a lost runner get the same rules.
  for (TaskRecord& task : run.tasks) {
    if (task.state == TaskState::kFailed && !task.attempts.empty() && task.attempts.back().reason == kRunnerLost) {
      settle_failure(task, definition_.tasks[FindTask(definition_, task.task)], NowMillis());
    }
  }
  SL_RETURN_IF_ERROR(Save(run));

  auto start_attempt = [&](TaskRecord& task, const TaskDefinition& definition, int64_t now) -> Status {
    AttemptRecord attempt;
    attempt.attempt = static_cast<int>(task.attempts.size()) + 1;
    attempt.started_ms = now;
    attempt.log_path = history_.AttemptLogPath(run.run_id, task.task, attempt.attempt);
    task.state = TaskState::kRunning;
    task.retry_at_ms = 0;
    task.attempts.push_back(attempt);
    SL_RETURN_IF_ERROR(Save(run));  // durable before the process exists

    ChildSpec spec;
    if (definition.kind == TaskKind::kRun) spec.argv.push_back(options_.program);
    for (const std::string& arg : definition.args) spec.argv.push_back(Substitute(arg, run));
    // `run` tasks take the pipeline's lake from STOCKLAKE_LAKE unless their arguments
    // name one (cli: AddLakeOption), so subcommands without --lake work as well.
    spec.environment = {{"STOCKLAKE_RUN_ID", run.run_id},
                        {"STOCKLAKE_TASK", task.task},
                        {"STOCKLAKE_ATTEMPT", std::to_string(attempt.attempt)},
                        {"STOCKLAKE_QUARTER", run.quarter},
                        {"STOCKLAKE_PIPELINE", definition_.name},
                        {"STOCKLAKE_LAKE", definition_.lake}};
    // The definition's store is every task's store too (cli: every --store defaults to it).
    if (!definition_.store.empty()) spec.environment.emplace_back("STOCKLAKE_STORE", definition_.store);
    spec.log_path = attempt.log_path;
    SL_RETURN_IF_ERROR(CreateDirectories(log_dir));
    Result<ChildProcess> child = ChildProcess::Start(spec);
    AttemptRecord& record = task.attempts.back();
    if (!child.ok()) {
      record.ended_ms = NowMillis();
      record.reason = child.status().message();
      settle_failure(task, definition, record.ended_ms);
      return Save(run);
    }
    record.process_group = child->pid();
    say("task " + task.task + " attempt " + std::to_string(record.attempt) + " started (log " + record.log_path + ")");
    RunningAttempt entry{task.task, std::move(*child)};
    if (definition.policy.timeout_ms > 0) entry.deadline_ms = now + definition.policy.timeout_ms;
    running.emplace(task.task, std::move(entry));
    return Save(run);
  };

  bool handed_back = false;
  while (true) {
    if (options_.on_tick) options_.on_tick();
    const int64_t now = NowMillis();
    bool changed = false;

    // Children that ended, and timeouts.
    for (auto it = running.begin(); it != running.end();) {
      RunningAttempt& entry = it->second;
      TaskRecord& task = *run.FindTask(entry.task);
      const TaskDefinition& definition = definition_.tasks[FindTask(definition_, entry.task)];
      if (const std::optional<int> exit_status = entry.child.Poll()) {
        AttemptRecord& attempt = task.attempts.back();
        attempt.ended_ms = NowMillis();
        attempt.exit_status = *exit_status;
        attempt.process_group = 0;
        if (*exit_status == 0 && !entry.timed_out) {
          task.state = TaskState::kSucceeded;
          say("task " + task.task + " succeeded in " + FormatSeconds(attempt.ended_ms - attempt.started_ms));
        } else {
          attempt.reason = entry.timed_out      ? "timeout: killed after " + FormatSeconds(definition.policy.timeout_ms)
                           : *exit_status > 128 ? "killed by signal " + std::to_string(*exit_status - 128)
                                                : "exit status " + std::to_string(*exit_status);
          settle_failure(task, definition, attempt.ended_ms);
        }
        it = running.erase(it);
        changed = true;
        continue;
      }
      if (entry.deadline_ms > 0 && now >= entry.deadline_ms && !entry.timed_out) {
        entry.timed_out = true;
        entry.kill_at_ms = now + options_.kill_grace_ms;
        entry.child.SignalGroup(SIGTERM);
      } else if (entry.kill_at_ms > 0 && now >= entry.kill_at_ms) {
        entry.child.SignalGroup(SIGKILL);
        entry.kill_at_ms = 0;
      }
      ++it;
    }
    if (changed) SL_RETURN_IF_ERROR(Save(run));

    if (options_.stop != nullptr && options_.stop->load()) {
      // Hand the run back: its running attempts end as interrupted (not counted against
      // retries) and the tasks wait for the next runner, which finds the run `running`.
      for (auto& [name, entry] : running) {
        entry.child.SignalGroup(SIGTERM);
      }
      const int64_t give_up = NowMillis() + options_.kill_grace_ms;
      for (auto& [name, entry] : running) {
        std::optional<int> exit_status;
        while (!(exit_status = entry.child.Poll()) && NowMillis() < give_up) {
          std::this_thread::sleep_for(std::chrono::milliseconds(kLoopMillis));
        }
        if (!exit_status) entry.child.SignalGroup(SIGKILL);
        TaskRecord& task = *run.FindTask(name);
        task.attempts.back().ended_ms = NowMillis();
        task.attempts.back().exit_status = exit_status;
        task.attempts.back().reason = std::string(kInterrupted);
        task.attempts.back().process_group = 0;
        task.state = TaskState::kPending;
      }
      running.clear();
      handed_back = true;
      say("stopped: the run is handed back to the next runner");
      SL_RETURN_IF_ERROR(Save(run));
      break;
    }

    // Upstream failures, then tasks that may start.
    bool waiting = false;
    for (const TaskDefinition& definition : definition_.tasks) {
      TaskRecord& task = *run.FindTask(definition.name);
      if (task.state != TaskState::kPending && task.state != TaskState::kUpForRetry) continue;
      bool ready = true;
      bool upstream_failed = false;
      for (const std::string& dep : definition.after) {
        const TaskState dep_state = run.FindTask(dep)->state;
        upstream_failed |= dep_state == TaskState::kFailed || dep_state == TaskState::kUpstreamFailed;
        ready &= dep_state == TaskState::kSucceeded;
      }
      if (upstream_failed) {
        task.state = TaskState::kUpstreamFailed;
        SL_RETURN_IF_ERROR(Save(run));
        continue;
      }
      if (!ready) {
        waiting = true;
        continue;
      }
      if (task.state == TaskState::kUpForRetry && task.retry_at_ms > NowMillis()) {
        waiting = true;
        continue;
      }
      SL_RETURN_IF_ERROR(start_attempt(task, definition, NowMillis()));
      waiting |= task.state != TaskState::kFailed;
    }
    if (running.empty() && !waiting) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(kLoopMillis));
  }

  if (handed_back) return run;
  run.ended_ms = NowMillis();
  const bool succeeded = std::all_of(run.tasks.begin(), run.tasks.end(),
                                     [](const TaskRecord& task) { return task.state == TaskState::kSucceeded; });
  run.state = succeeded ? RunState::kSucceeded : RunState::kFailed;
  SL_RETURN_IF_ERROR(Save(run));
  say(std::string(RunStateName(run.state)) + " in " + FormatSeconds(run.ended_ms - run.started_ms));
  if (!definition_.webhook.empty()) NotifyRunEnded(definition_.webhook, run, options_.quiet);
  return run;
}

}  // namespace stocklake
