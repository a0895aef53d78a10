#include "orchestrate/pipeline_history.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "core/clock.h"
#include "core/files.h"
#include "stream/trade_event.h"

namespace stocklake {

namespace {

using nlohmann::json;

constexpr std::string_view kTaskStateNames[] = {"pending",      "running",         "succeeded", "failed",
                                                "up_for_retry", "upstream_failed", "skipped"};
constexpr std::string_view kRunStateNames[] = {"running", "succeeded", "failed", "skipped"};
constexpr std::string_view kTriggerNames[] = {"schedule", "manual", "backfill", "resume"};

template <typename Enum, size_t N>
bool EnumFromName(const std::string_view (&names)[N], std::string_view name, Enum* out) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) {
      *out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

// RFC 3339 UTC to the second, as the spec shows times (milliseconds are kept in the
// *_ms fields); null while unknown.
json Time(int64_t unix_ms) {
  if (unix_ms <= 0) return nullptr;
  return FormatRfc3339Utc(std::chrono::sys_seconds(std::chrono::seconds(unix_ms / 1000)));
}

json Millis(int64_t unix_ms) { return unix_ms > 0 ? json(unix_ms) : json(nullptr); }

int64_t MillisField(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? 0 : it->get<int64_t>();
}

std::string StringField(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? std::string() : it->get<std::string>();
}

json AttemptToJson(const AttemptRecord& attempt) {
  json out = {{"attempt", attempt.attempt},
              {"started", Time(attempt.started_ms)},
              {"ended", Time(attempt.ended_ms)},
              {"exit_status", attempt.exit_status ? json(*attempt.exit_status) : json(nullptr)},
              {"reason", attempt.reason.empty() ? json(nullptr) : json(attempt.reason)},
              {"started_ms", Millis(attempt.started_ms)},
              {"ended_ms", Millis(attempt.ended_ms)},
              {"log_path", attempt.log_path}};
  if (attempt.process_group > 0) out["process_group"] = attempt.process_group;
  return out;
}

json RunToJsonValue(const PipelineRunRecord& run) {
  json tasks = json::array();
  for (const TaskRecord& task : run.tasks) {
    json attempts = json::array();
    for (const AttemptRecord& attempt : task.attempts) attempts.push_back(AttemptToJson(attempt));
    json entry = {{"task", task.task}, {"state", TaskStateName(task.state)}, {"attempts", std::move(attempts)}};
    if (task.state == TaskState::kUpForRetry) entry["retry_at_ms"] = task.retry_at_ms;
    tasks.push_back(std::move(entry));
  }
  json out = {{"run_id", run.run_id},
              {"trigger", RunTriggerName(run.trigger)},
              {"quarter", run.quarter},
              {"state", RunStateName(run.state)},
              {"started", Time(run.started_ms)},
              {"ended", Time(run.ended_ms)},
              {"tasks", std::move(tasks)},
              {"pipeline", run.pipeline},
              {"fire_time", Time(run.fire_time_ms)},
              {"started_ms", Millis(run.started_ms)},
              {"ended_ms", Millis(run.ended_ms)}};
  if (!run.reason.empty()) out["reason"] = run.reason;
  if (!run.resumed_from.empty()) out["resumed_from"] = run.resumed_from;
  return out;
}

}  // namespace

std::string_view TaskStateName(TaskState state) { return kTaskStateNames[static_cast<int>(state)]; }
std::string_view RunStateName(RunState state) { return kRunStateNames[static_cast<int>(state)]; }
std::string_view RunTriggerName(RunTrigger trigger) { return kTriggerNames[static_cast<int>(trigger)]; }

TaskRecord* PipelineRunRecord::FindTask(std::string_view name) {
  for (TaskRecord& task : tasks) {
    if (task.task == name) return &task;
  }
  return nullptr;
}

const TaskRecord* PipelineRunRecord::FindTask(std::string_view name) const {
  return const_cast<PipelineRunRecord*>(this)->FindTask(name);
}

std::string PipelineRunToJson(const PipelineRunRecord& run) { return RunToJsonValue(run).dump(); }

std::string PipelineRunsToJson(const std::vector<PipelineRunRecord>& runs) {
  json out = json::array();
  for (const PipelineRunRecord& run : runs) out.push_back(RunToJsonValue(run));
  return out.dump(2);
}

Result<PipelineRunRecord> PipelineRunFromJson(std::string_view text, const std::string& source) {
  try {
    const json in = json::parse(text);
    PipelineRunRecord run;
    run.run_id = in.at("run_id").get<std::string>();
    run.pipeline = StringField(in, "pipeline");
    run.quarter = StringField(in, "quarter");
    run.reason = StringField(in, "reason");
    run.resumed_from = StringField(in, "resumed_from");
    run.started_ms = MillisField(in, "started_ms");
    run.ended_ms = MillisField(in, "ended_ms");
    int64_t fire_time_ms = 0;
    if (const auto it = in.find("fire_time"); it != in.end() && it->is_string()) {
      if (!ParseRfc3339Millis(it->get<std::string>(), &fire_time_ms)) fire_time_ms = 0;
    }
    run.fire_time_ms = fire_time_ms;
    if (!EnumFromName(kTriggerNames, in.at("trigger").get<std::string>(), &run.trigger) ||
        !EnumFromName(kRunStateNames, in.at("state").get<std::string>(), &run.state)) {
      return Status::Corruption(source + ": unknown run trigger or state");
    }
    for (const json& task_in : in.at("tasks")) {
      TaskRecord task;
      task.task = task_in.at("task").get<std::string>();
      if (!EnumFromName(kTaskStateNames, task_in.at("state").get<std::string>(), &task.state)) {
        return Status::Corruption(source + ": task " + task.task + " has an unknown state");
      }
      task.retry_at_ms = MillisField(task_in, "retry_at_ms");
      for (const json& attempt_in : task_in.at("attempts")) {
        AttemptRecord attempt;
        attempt.attempt = attempt_in.at("attempt").get<int>();
        attempt.started_ms = MillisField(attempt_in, "started_ms");
        attempt.ended_ms = MillisField(attempt_in, "ended_ms");
        if (const auto it = attempt_in.find("exit_status"); it != attempt_in.end() && !it->is_null()) {
          attempt.exit_status = it->get<int>();
        }
        attempt.reason = StringField(attempt_in, "reason");
        attempt.log_path = StringField(attempt_in, "log_path");
        attempt.process_group = static_cast<int>(MillisField(attempt_in, "process_group"));
        task.attempts.push_back(std::move(attempt));
      }
      run.tasks.push_back(std::move(task));
    }
    return run;
  } catch (const json::exception& error) {
    return Status::Corruption(source + ": not a pipeline run record: " + error.what());
  }
}

std::string NewRunId(int64_t started_ms) {
  std::string stamp = FormatRfc3339Millis(started_ms);  // 2025-04-01T00:00:00.000Z
  stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }), stamp.end());
  stamp.erase(stamp.find('.'), 4);  // 20250401T000000Z
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char suffix[8];
  std::snprintf(suffix, sizeof(suffix), "%06x", static_cast<unsigned>(random() & 0xffffff));
  return stamp + "-" + suffix;
}

std::string PipelineDirectory(const std::string& lake_dir) { return lake_dir + "/_stocklake/pipeline"; }

PipelineHistory::PipelineHistory(std::string lake_dir) : dir_(PipelineDirectory(lake_dir)) {}

std::string PipelineHistory::RunPath(const std::string& run_id) const { return dir_ + "/runs/" + run_id + ".json"; }

std::string PipelineHistory::AttemptLogPath(const std::string& run_id, const std::string& task, int attempt) const {
  return dir_ + "/logs/" + run_id + "/" + task + "." + std::to_string(attempt) + ".log";
}

Status PipelineHistory::Save(const PipelineRunRecord& run) const {
  SL_RETURN_IF_ERROR(CreateDirectories(dir_ + "/runs"));
  return WriteFileAtomic(RunPath(run.run_id), PipelineRunToJson(run) + "\n")
      .WithContext("recording pipeline run " + run.run_id);
}

Result<PipelineRunRecord> PipelineHistory::Load(const std::string& run_id) const {
  const std::string path = RunPath(run_id);
  if (run_id.empty() || run_id.find('/') != std::string::npos || !PathExists(path)) {
    return Status::NotFound("no pipeline run " + run_id + " in " + dir_ + "/runs");
  }
  SL_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  return PipelineRunFromJson(text, path);
}

Result<std::vector<PipelineRunRecord>> PipelineHistory::List(const std::string& pipeline, size_t limit) const {
  std::vector<PipelineRunRecord> runs;
  Result<std::vector<std::string>> names = ListDirectory(dir_ + "/runs");
  if (!names.ok()) {
    if (names.status().IsNotFound()) return runs;
    return names.status();
  }
  for (const std::string& name : *names) {
    constexpr std::string_view kSuffix = ".json";
    if (name.size() <= kSuffix.size() || name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
      continue;  // a temp file of an interrupted write
    }
    SL_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(dir_ + "/runs/" + name));
    SL_ASSIGN_OR_RETURN(PipelineRunRecord run, PipelineRunFromJson(text, dir_ + "/runs/" + name));
    if (pipeline.empty() || run.pipeline == pipeline) runs.push_back(std::move(run));
  }
  std::sort(runs.begin(), runs.end(), [](const PipelineRunRecord& a, const PipelineRunRecord& b) {
    const int64_t a_time = a.started_ms > 0 ? a.started_ms : a.fire_time_ms;
    const int64_t b_time = b.started_ms > 0 ? b.started_ms : b.fire_time_ms;
    if (a_time != b_time) return a_time > b_time;
    return a.run_id > b.run_id;
  });
  if (limit > 0 && runs.size() > limit) runs.resize(limit);
  return runs;
}

}  // namespace stocklake
