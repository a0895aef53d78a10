// Pipeline definitions (orchestrate/pipeline_definition.h): the spec's example parses to
// what it says, every refused definition names its file, line and reason, and the run
// history's JSON survives a round trip.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "orchestrate/pipeline_definition.h"
#include "orchestrate/pipeline_history.h"

namespace stocklake {
namespace {

constexpr const char* kSpecExample = R"(name: quarterly
schedule: "0 0 1 */3 *"        # cron: 5 fields, or 6 with leading seconds
timezone: UTC                  # IANA name
catchup: false                 # true: also run the fire times missed while down
lake: /data/lake
notify: {webhook: "https://ops.example/hooks/stocklake"}   # optional
defaults: {retries: 2, retry_delay: 30s, retry_backoff: 2.0, max_retry_delay: 10m, timeout: 2h}
tasks:
  ingest:  {run: [run, --input, /data/incoming]}          # a stocklake subcommand
  train:   {run: [train], after: [ingest], retries: 1}
  predict: {run: [predict], after: [train]}
  export:  {exec: [/opt/bin/export.sh, "{quarter}"], after: [predict]}   # any program
)";

TEST(PipelineDefinition, ParsesTheSpecExample) {
  Result<PipelineDefinition> parsed = ParsePipelineDefinition(kSpecExample, "quarterly.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const PipelineDefinition& d = *parsed;
  EXPECT_EQ(d.name, "quarterly");
  EXPECT_EQ(d.schedule, "0 0 1 */3 *");
  EXPECT_EQ(d.timezone, "UTC");
  EXPECT_FALSE(d.catchup);
  EXPECT_EQ(d.lake, "/data/lake");
  EXPECT_EQ(d.webhook, "https://ops.example/hooks/stocklake");
  ASSERT_EQ(d.tasks.size(), 4u);
  EXPECT_EQ(d.tasks[0].name, "ingest");
  EXPECT_EQ(d.tasks[0].kind, TaskKind::kRun);
  EXPECT_EQ(d.tasks[0].args, (std::vector<std::string>{"run", "--input", "/data/incoming"}));
  EXPECT_EQ(d.tasks[0].policy.retries, 2);
  EXPECT_EQ(d.tasks[0].policy.retry_delay_ms, 30'000);
  EXPECT_EQ(d.tasks[0].policy.max_retry_delay_ms, 600'000);
  EXPECT_EQ(d.tasks[0].policy.timeout_ms, 7'200'000);
  EXPECT_EQ(d.tasks[0].line, 9);
  EXPECT_EQ(d.tasks[1].name, "train");
  EXPECT_EQ(d.tasks[1].policy.retries, 1);  // the task's own value wins over the default
  EXPECT_EQ(d.tasks[1].policy.timeout_ms, 7'200'000);
  EXPECT_EQ(d.tasks[3].kind, TaskKind::kExec);
  EXPECT_EQ(d.tasks[3].args, (std::vector<std::string>{"/opt/bin/export.sh", "{quarter}"}));
  EXPECT_EQ(d.tasks[3].after, (std::vector<std::string>{"predict"}));
}

TEST(PipelineDefinition, OrdersTasksAfterWhatTheyWaitFor) {
  Result<PipelineDefinition> parsed = ParsePipelineDefinition(R"(name: p
lake: /l
tasks:
  report: {exec: [true], after: [a, b]}
  b: {exec: [true], after: [a]}
  a: {exec: [true]}
  c: {exec: [true]}
)",
                                                              "p.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  std::vector<std::string> order;
  for (const TaskDefinition& task : parsed->tasks) order.push_back(task.name);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "report", "c"}));
  EXPECT_TRUE(parsed->schedule.empty());
  EXPECT_EQ(parsed->timezone, "UTC");
}

struct RefusedCase {
  const char* yaml;
  int line;
  const char* reason;  // a part of the message
};

TEST(PipelineDefinition, RefusesWithFileLineAndReason) {
  const RefusedCase cases[] = {
      {"name: p\nlake: /l\ntasks:\n  a: {exec: [true], after: [b]}\n", 4, "unknown task \"b\""},
      {"name: p\nlake: /l\ntasks:\n  a: {exec: [true], after: [b]}\n  b: {exec: [true], after: [a]}\n", 4, "not a DAG"},
      {"name: p\nlake: /l\ntasks:\n  a: {exec: [true], after: [a]}\n", 4, "cannot wait for itself"},
      {"name: p\nlake: /l\ncolour: blue\ntasks:\n  a: {exec: [true]}\n", 3, "unknown field \"colour\""},
      {"name: p\nlake: /l\ntasks:\n  a: {exec: [true], retires: 2}\n", 4, "unknown field \"retires\""},
      {"name: p\nlake: /l\ndefaults: {retry_delay: 30 seconds}\ntasks:\n  a: {exec: [true]}\n", 3,
       "retry_delay: \"30 seconds\" is not a duration"},
      {"name: p\nlake: /l\ntasks:\n  a:\n    exec: [true]\n    timeout: -5s\n", 6, "timeout"},
      {"name: p\nschedule: \"61 * * * *\"\nlake: /l\ntasks:\n  a: {exec: [true]}\n", 2, "minute"},
      {"name: p\nschedule: \"* * *\"\nlake: /l\ntasks:\n  a: {exec: [true]}\n", 2, "fields"},
      {"name: p\ntimezone: Mars/Base\nlake: /l\ntasks:\n  a: {exec: [true]}\n", 2, "Mars/Base"},
      {"name: p\nlake: /l\ntasks:\n  a: {exec: [true], run: [train]}\n", 4, "exactly one of run"},
      {"name: p\nlake: /l\ntasks:\n  a: {after: []}\n", 4, "exactly one of run"},
      {"name: p\nlake: /l\ntasks:\n  a: {exec: []}\n", 4, "empty command"},
      {"name: p\nlake: /l\ncatchup: maybe\ntasks:\n  a: {exec: [true]}\n", 3, "true or false"},
      {"name: p\nlake: /l\ndefaults: {retries: many}\ntasks:\n  a: {exec: [true]}\n", 3, "whole number"},
      {"name: p\nlake: /l\ndefaults: {retry_backoff: 0.5}\ntasks:\n  a: {exec: [true]}\n", 3, "from 1 to 100"},
      {"name: p\nlake: /l\nnotify: {webhook: ftp://x}\ntasks:\n  a: {exec: [true]}\n", 3, "http"},
      {"name: p\ntasks:\n  a: {exec: [true]}\n", 1, "missing field \"lake\""},
      {"name: p\nlake: /l\n", 1, "missing field \"tasks\""},
      {"lake: /l\ntasks:\n  a: {exec: [true]}\n", 1, "missing field \"name\""},
      {"name: p\nlake: /l\ntasks:\n  a: {exec: [true]\n", 5, "not valid YAML"},
      {"name: p\nlake: /l\ntasks:\n  a/b: {exec: [true]}\n", 4, "task names"},
  };
  for (const RefusedCase& c : cases) {
    Result<PipelineDefinition> parsed = ParsePipelineDefinition(c.yaml, "bad.yaml");
    ASSERT_FALSE(parsed.ok()) << c.yaml;
    EXPECT_TRUE(parsed.status().IsInvalidArgument());
    const std::string& message = parsed.status().message();
    const std::string where = "bad.yaml:" + std::to_string(c.line) + ": ";
    EXPECT_EQ(message.rfind(where, 0), 0u) << message << "\nexpected it to start with " << where;
    EXPECT_NE(message.find(c.reason), std::string::npos) << message << "\nexpected: " << c.reason;
  }
}

TEST(PipelineDefinition, RetryDelayDoublesUpToTheCap) {
  RetryPolicy policy;
  policy.retry_delay_ms = 30'000;
  policy.retry_backoff = 2.0;
  policy.max_retry_delay_ms = 100'000;
  EXPECT_EQ(RetryDelayMillis(policy, 1), 30'000);
  EXPECT_EQ(RetryDelayMillis(policy, 2), 60'000);
  EXPECT_EQ(RetryDelayMillis(policy, 3), 100'000);   // 120 s capped
  EXPECT_EQ(RetryDelayMillis(policy, 60), 100'000);  // no overflow far out
  policy.retry_backoff = 1.0;
  EXPECT_EQ(RetryDelayMillis(policy, 5), 30'000);
}

TEST(PipelineHistoryJson, RoundTripsAndPrintsTheSpecFields) {
  PipelineRunRecord run;
  run.run_id = "20250401T000000Z-abcdef";
  run.pipeline = "quarterly";
  run.trigger = RunTrigger::kSchedule;
  run.quarter = "2025Q1";
  run.state = RunState::kFailed;
  run.fire_time_ms = 1743465600000;
  run.started_ms = 1743465600012;
  run.ended_ms = 1743465660500;
  TaskRecord ingest;
  ingest.task = "ingest";
  ingest.state = TaskState::kFailed;
  AttemptRecord first;
  first.attempt = 1;
  first.started_ms = 1743465600020;
  first.ended_ms = 1743465601020;
  first.exit_status = 3;
  first.reason = "exit status 3";
  first.log_path = "/l/_stocklake/pipeline/logs/x/ingest.1.log";
  ingest.attempts.push_back(first);
  TaskRecord train;
  train.task = "train";
  train.state = TaskState::kUpstreamFailed;
  run.tasks = {ingest, train};

  const std::string json = PipelineRunToJson(run);
  const nlohmann::json parsed = nlohmann::json::parse(json);
  EXPECT_EQ(parsed["run_id"], run.run_id);
  EXPECT_EQ(parsed["trigger"], "schedule");
  EXPECT_EQ(parsed["quarter"], "2025Q1");
  EXPECT_EQ(parsed["state"], "failed");
  EXPECT_EQ(parsed["started"], "2025-04-01T00:00:00Z");
  EXPECT_EQ(parsed["ended"], "2025-04-01T00:01:00Z");
  ASSERT_EQ(parsed["tasks"].size(), 2u);
  EXPECT_EQ(parsed["tasks"][0]["task"], "ingest");
  EXPECT_EQ(parsed["tasks"][0]["state"], "failed");
  EXPECT_EQ(parsed["tasks"][0]["attempts"][0]["attempt"], 1);
  EXPECT_EQ(parsed["tasks"][0]["attempts"][0]["started"], "2025-04-01T00:00:00Z");
  EXPECT_EQ(parsed["tasks"][0]["attempts"][0]["ended"], "2025-04-01T00:00:01Z");
  EXPECT_EQ(parsed["tasks"][0]["attempts"][0]["exit_status"], 3);
  EXPECT_EQ(parsed["tasks"][0]["attempts"][0]["reason"], "exit status 3");
  EXPECT_EQ(parsed["tasks"][1]["state"], "upstream_failed");
  EXPECT_TRUE(parsed["tasks"][1]["attempts"].empty());

  Result<PipelineRunRecord> back = PipelineRunFromJson(json, "x");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(PipelineRunToJson(*back), json);
  EXPECT_FALSE(PipelineRunFromJson("{\"run_id\": 1}", "x").ok());
  EXPECT_FALSE(PipelineRunFromJson("not json", "x").ok());
}

TEST(PipelineHistoryJson, RunIdsSortByStartTime) {
  const std::string earlier = NewRunId(1743465600000);
  const std::string later = NewRunId(1743465601000);
  EXPECT_EQ(earlier.rfind("20250401T000000Z-", 0), 0u) << earlier;
  EXPECT_LT(earlier, later);
  EXPECT_NE(NewRunId(1743465600000), NewRunId(1743465600000));
}

}  // namespace
}  // namespace stocklake
