#include "orchestrate/pipeline_definition.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "core/duration.h"
#include "core/files.h"
#include "orchestrate/cron_schedule.h"

namespace stocklake {

int64_t RetryDelayMillis(const RetryPolicy& policy, int attempt) {
  const double scaled = static_cast<double>(policy.retry_delay_ms) * std::pow(policy.retry_backoff, attempt - 1);
  if (!(scaled < static_cast<double>(policy.max_retry_delay_ms))) return policy.max_retry_delay_ms;
  return static_cast<int64_t>(scaled);
}

namespace {

// Problems are thrown as this inside the parser and become one Status at its edge.
struct DefinitionError {
  int line;
  std::string reason;
};

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

[[noreturn]] void Fail(const YAML::Node& node, std::string reason) {
  throw DefinitionError{LineOf(node), std::move(reason)};
}

std::string Scalar(const YAML::Node& node, const std::string& field) {
  if (!node.IsScalar()) Fail(node, field + ": expected a single value");
  return node.Scalar();
}

bool Boolean(const YAML::Node& node, const std::string& field) {
  const std::string text = Scalar(node, field);
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  Fail(node, field + ": expected true or false, got \"" + text + "\"");
}

int64_t Duration(const YAML::Node& node, const std::string& field) {
  const std::string text = Scalar(node, field);
  int64_t millis = 0;
  if (!ParseDurationMillis(text, &millis)) {
    Fail(node, field + ": \"" + text + "\" is not a duration such as " + std::string(kDurationExamples));
  }
  return millis;
}

int64_t WholeNumber(const YAML::Node& node, const std::string& field, int64_t max) {
  const std::string text = Scalar(node, field);
  size_t used = 0;
  int64_t value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < 0 || value > max) {
    Fail(node, field + ": expected a whole number from 0 to " + std::to_string(max) + ", got \"" + text + "\"");
  }
  return value;
}

double Factor(const YAML::Node& node, const std::string& field) {
  const std::string text = Scalar(node, field);
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(value >= 1.0 && value <= 100.0)) {
    Fail(node, field + ": expected a number from 1 to 100, got \"" + text + "\"");
  }
  return value;
}

std::vector<std::string> Strings(const YAML::Node& node, const std::string& field) {
  std::vector<std::string> values;
  if (node.IsScalar()) {  // "a b c" is shorthand for [a, b, c]
    std::istringstream words(node.Scalar());
    for (std::string word; words >> word;) values.push_back(word);
    return values;
  }
  if (!node.IsSequence()) Fail(node, field + ": expected a list");
  for (const YAML::Node& item : node) values.push_back(Scalar(item, field + " item"));
  return values;
}

// Checks every key of `map` is one of `allowed`, naming the unknown one and the choices.
void CheckFields(const YAML::Node& map, const std::string& where, const std::vector<std::string>& allowed) {
  if (!map.IsMap()) Fail(map, where + ": expected a mapping of fields");
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string choices;
    for (const std::string& name : allowed) choices += (choices.empty() ? "" : ", ") + name;
    Fail(it->first, "unknown field \"" + key + "\" in " + where + " (known: " + choices + ")");
  }
}

void ReadRetryFields(const YAML::Node& map, const std::string& where, RetryPolicy* policy) {
  if (const YAML::Node n = map["retries"]) policy->retries = static_cast<int>(WholeNumber(n, where + ".retries", 1000));
  if (const YAML::Node n = map["retry_delay"]) policy->retry_delay_ms = Duration(n, where + ".retry_delay");
  if (const YAML::Node n = map["retry_backoff"]) policy->retry_backoff = Factor(n, where + ".retry_backoff");
  if (const YAML::Node n = map["max_retry_delay"]) policy->max_retry_delay_ms = Duration(n, where + ".max_retry_delay");
  if (const YAML::Node n = map["timeout"]) policy->timeout_ms = Duration(n, where + ".timeout");
}

const std::vector<std::string> kRetryFields = {"retries", "retry_delay", "retry_backoff", "max_retry_delay", "timeout"};

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 100) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

// Orders tasks so that each comes after everything it waits for (Kahn's algorithm, ties
// in written order); a cycle is reported at a task on it.
std::vector<TaskDefinition> OrderTasks(std::vector<TaskDefinition> tasks,
                                       const std::map<std::string, YAML::Node>& nodes) {
  std::vector<TaskDefinition> ordered;
  std::set<std::string> placed;
  while (!tasks.empty()) {
    const auto ready = std::find_if(tasks.begin(), tasks.end(), [&](const TaskDefinition& task) {
      return std::all_of(task.after.begin(), task.after.end(),
                         [&](const std::string& dep) { return placed.count(dep); });
    });
    if (ready == tasks.end()) {
      // Every remaining task waits on another remaining one: walk the chain to a cycle.
      std::vector<std::string> chain = {tasks.front().name};
      while (true) {
        const std::string& current = chain.back();
        const auto task =
            std::find_if(tasks.begin(), tasks.end(), [&](const TaskDefinition& t) { return t.name == current; });
        const std::string next = *std::find_if(task->after.begin(), task->after.end(),
                                               [&](const std::string& dep) { return !placed.count(dep); });
        const auto seen = std::find(chain.begin(), chain.end(), next);
        if (seen != chain.end()) {
          std::string cycle;
          for (auto it = seen; it != chain.end(); ++it) cycle += *it + " -> ";
          Fail(nodes.at(next), "tasks are not a DAG: cycle " + cycle + next);
        }
        chain.push_back(next);
      }
    }
    placed.insert(ready->name);
    ordered.push_back(std::move(*ready));
    tasks.erase(ready);
  }
  return ordered;
}

PipelineDefinition ParseOrThrow(const YAML::Node& root, const std::string& source) {
  if (!root.IsMap()) Fail(root, "a pipeline definition is a mapping (name, schedule, lake, tasks, ...)");
  CheckFields(
      root, "the pipeline",
      {"name", "description", "schedule", "timezone", "catchup", "lake", "store", "notify", "defaults", "tasks"});
  PipelineDefinition definition;
  definition.source = source;

  const YAML::Node name = root["name"];
  if (!name) Fail(root, "missing field \"name\"");
  definition.name = Scalar(name, "name");
  if (!ValidName(definition.name)) Fail(name, "name: use letters, digits, '_', '-' and '.' (at most 100)");

  if (const YAML::Node schedule = root["schedule"]) {
    definition.schedule = Scalar(schedule, "schedule");
    const Result<CronSchedule> cron = CronSchedule::Parse(definition.schedule);
    if (!cron.ok()) Fail(schedule, "schedule: " + cron.status().message());
  }
  if (const YAML::Node zone = root["timezone"]) {
    definition.timezone = Scalar(zone, "timezone");
    const auto located = LocateTimeZone(definition.timezone);
    if (!located.ok()) Fail(zone, "timezone: " + located.status().message());
  }
  if (const YAML::Node catchup = root["catchup"]) definition.catchup = Boolean(catchup, "catchup");
  const YAML::Node lake = root["lake"];
  if (!lake) Fail(root, "missing field \"lake\" (the lake directory the pipeline works on)");
  definition.lake = Scalar(lake, "lake");
  if (definition.lake.empty()) Fail(lake, "lake: empty path");
  if (const YAML::Node store = root["store"]) definition.store = Scalar(store, "store");

  if (const YAML::Node notify = root["notify"]) {
    CheckFields(notify, "notify", {"webhook"});
    if (const YAML::Node webhook = notify["webhook"]) {
      definition.webhook = Scalar(webhook, "notify.webhook");
      if (definition.webhook.rfind("http://", 0) != 0 && definition.webhook.rfind("https://", 0) != 0) {
        Fail(webhook, "notify.webhook: expected an http:// or https:// URL");
      }
    }
  }
  if (const YAML::Node defaults = root["defaults"]) {
    CheckFields(defaults, "defaults", kRetryFields);
    ReadRetryFields(defaults, "defaults", &definition.defaults);
  }

  const YAML::Node tasks = root["tasks"];
  if (!tasks) Fail(root, "missing field \"tasks\"");
  if (!tasks.IsMap() || tasks.size() == 0) Fail(tasks, "tasks: expected a mapping of task names to tasks");
  std::vector<TaskDefinition> written;
  std::map<std::string, YAML::Node> task_nodes;
  for (auto it = tasks.begin(); it != tasks.end(); ++it) {
    TaskDefinition task;
    task.name = it->first.Scalar();
    const std::string where = "tasks." + task.name;
    if (!ValidName(task.name)) Fail(it->first, where + ": use letters, digits, '_', '-' and '.' in task names");
    if (task_nodes.count(task.name)) Fail(it->first, where + ": defined twice");
    const YAML::Node body = it->second;
    std::vector<std::string> allowed = {"run", "exec", "after"};
    allowed.insert(allowed.end(), kRetryFields.begin(), kRetryFields.end());
    CheckFields(body, where, allowed);
    const YAML::Node run = body["run"];
    const YAML::Node exec = body["exec"];
    if (static_cast<bool>(run) == static_cast<bool>(exec)) {
      Fail(it->first, where + ": give exactly one of run (a stocklake subcommand) or exec (a program)");
    }
    task.kind = run ? TaskKind::kRun : TaskKind::kExec;
    task.args = Strings(run ? run : exec, where + (run ? ".run" : ".exec"));
    if (task.args.empty()) Fail(run ? run : exec, where + ": empty command");
    if (const YAML::Node after = body["after"]) task.after = Strings(after, where + ".after");
    task.policy = definition.defaults;
    ReadRetryFields(body, where, &task.policy);
    task.line = LineOf(it->first);
    task_nodes[task.name] = it->first;
    written.push_back(std::move(task));
  }
  for (const TaskDefinition& task : written) {
    for (const std::string& dep : task.after) {
      if (!task_nodes.count(dep))
        Fail(task_nodes.at(task.name), "tasks." + task.name + ".after: unknown task \"" + dep + "\"");
      if (dep == task.name)
        Fail(task_nodes.at(task.name), "tasks." + task.name + ".after: a task cannot wait for itself");
    }
  }
  definition.tasks = OrderTasks(std::move(written), task_nodes);
  return definition;
}

}  // namespace

Result<PipelineDefinition> ParsePipelineDefinition(std::string_view yaml, const std::string& source) {
  try {
    return ParseOrThrow(YAML::Load(std::string(yaml)), source);
  } catch (const DefinitionError& error) {
    return Status::InvalidArgument(source + ":" + std::to_string(error.line) + ": " + error.reason);
  } catch (const YAML::Exception& error) {
    return Status::InvalidArgument(source + ":" + std::to_string(error.mark.line + 1) +
                                   ": not valid YAML: " + error.msg);
  }
}

Result<PipelineDefinition> LoadPipelineDefinition(const std::string& path) {
  SL_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  return ParsePipelineDefinition(text, path);
}

int FindTask(const PipelineDefinition& definition, std::string_view name) {
  for (size_t i = 0; i < definition.tasks.size(); ++i) {
    if (definition.tasks[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string DescribePipeline(const PipelineDefinition& definition) {
  std::ostringstream out;
  out << "pipeline " << definition.name << " (" << definition.source << ")\n";
  out << "  schedule: " << (definition.schedule.empty() ? "none (manual runs only)" : definition.schedule) << " "
      << definition.timezone << ", catchup " << (definition.catchup ? "on" : "off") << "\n";
  out << "  lake: " << definition.lake << "\n";
  if (!definition.webhook.empty()) out << "  webhook: " << definition.webhook << "\n";
  out << "  tasks, in order:\n";
  for (const TaskDefinition& task : definition.tasks) {
    out << "    " << task.name << ": " << (task.kind == TaskKind::kRun ? "stocklake" : "exec");
    for (const std::string& arg : task.args) out << " " << arg;
    if (!task.after.empty()) {
      out << "  [after";
      for (const std::string& dep : task.after) out << " " << dep;
      out << "]";
    }
    out << "  retries " << task.policy.retries;
    if (task.policy.timeout_ms > 0) out << ", timeout " << task.policy.timeout_ms / 1000 << "s";
    out << "\n";
  }
  return out.str();
}

}  // namespace stocklake
