// Pipeline runs over real processes (../shared/spec/pipeline.md): `stocklake pipeline
// run|resume|backfill|history|check|next` with `exec` tasks written in sh and `run` tasks
// of this very program; retries with backoff, timeouts that kill the process group,
// upstream failure, a kill -9 of the runner, the lock, the webhook and the store mirror.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/files.h"
#include "orchestrate/store_url.h"
#include "store/serving_store.h"
#include "test_util.h"

namespace stocklake {
namespace {

using nlohmann::json;
using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;
using testing::WriteTextFile;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class PipelineRunTest : public ::testing::Test {
 protected:
  std::string Lake() const { return dir_.Join("lake"); }

  // Writes a definition (name p, lake under the temp dir) with these task lines.
  std::string Define(const std::string& tasks, const std::string& extra = "") {
    const std::string path = dir_.Join("pipeline.yaml");
    WriteTextFile(path, "name: p\nlake: " + Lake() + "\n" + extra + "tasks:\n" + tasks);
    return path;
  }

  testing::CommandResult Pipeline(const std::string& args) {
    return RunCommand(StocklakeBinary() + " pipeline " + args + " 2>&1");
  }

  json History(const std::string& config) {
    const testing::CommandResult result = Pipeline("history --json --limit 100 --config " + config);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return json::parse(result.output.substr(result.output.find('[')));
  }

  static const json& Task(const json& run, const std::string& name) {
    for (const json& task : run["tasks"]) {
      if (task["task"] == name) return task;
    }
    ADD_FAILURE() << "no task " << name << " in " << run.dump();
    static const json kNone;
    return kNone;
  }

  TempDir dir_;
};

TEST_F(PipelineRunTest, RunsTheDagWithTheEnvironmentArgumentsAndLogsOfTheSpec) {
  const std::string out = dir_.Join("out");
  const std::string config = Define(
      "  first: {exec: [sh, -c, 'echo $STOCKLAKE_RUN_ID $STOCKLAKE_TASK $STOCKLAKE_ATTEMPT $STOCKLAKE_QUARTER > " +
      out +
      ".first; echo said-first']}\n"
      "  second: {exec: [sh, -c, 'echo \"$1 $2\" > " +
      out +
      ".second', sh, '{quarter}', '{run_id}'], after: [first]}\n"
      "  generate: {run: [generate, --tickers, 2, --days, 20, --seed, 1, --out, " +
      dir_.Join("data") +
      "], after: [first]}\n"
      "  load: {run: [run, --input, " +
      dir_.Join("data") + ", --store, none], after: [second, generate]}\n");
  const testing::CommandResult result = Pipeline("run --quarter 2017Q3 --config " + config);
  ASSERT_EQ(result.exit_code, 0) << result.output;

  const json runs = History(config);
  ASSERT_EQ(runs.size(), 1u);
  const json& run = runs[0];
  EXPECT_EQ(run["trigger"], "manual");
  EXPECT_EQ(run["quarter"], "2017Q3");
  EXPECT_EQ(run["state"], "succeeded");
  const std::string run_id = run["run_id"];
  for (const char* name : {"first", "second", "generate", "load"}) {
    const json& task = Task(run, name);
    EXPECT_EQ(task["state"], "succeeded") << name;
    ASSERT_EQ(task["attempts"].size(), 1u) << name;
    EXPECT_EQ(task["attempts"][0]["exit_status"], 0);
    EXPECT_TRUE(task["attempts"][0]["reason"].is_null());
    EXPECT_TRUE(PathExists(task["attempts"][0]["log_path"])) << name;
  }
  EXPECT_EQ(ReadText(out + ".first"), run_id + " first 1 2017Q3\n");
  EXPECT_EQ(ReadText(out + ".second"), "2017Q3 " + run_id + "\n");
  EXPECT_NE(ReadText(Task(run, "first")["attempts"][0]["log_path"]).find("said-first"), std::string::npos);
  // The run task of a command without --lake got none; generate wrote its data set, and
  // `run` took the pipeline's lake (STOCKLAKE_LAKE) and loaded it there.
  EXPECT_TRUE(PathExists(dir_.Join("data")));
  EXPECT_TRUE(PathExists(Lake() + "/silver/bars"));
  // Dependencies ran after what they wait for.
  EXPECT_GE(Task(run, "second")["attempts"][0]["started_ms"].get<int64_t>(),
            Task(run, "first")["attempts"][0]["ended_ms"].get<int64_t>());
  EXPECT_GE(Task(run, "load")["attempts"][0]["started_ms"].get<int64_t>(),
            Task(run, "generate")["attempts"][0]["ended_ms"].get<int64_t>());

  // The serving store mirrors the run.
  Result<std::unique_ptr<ServingStore>> store = OpenServingStore(ServingStoreUrl("", Lake()));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Result<std::vector<PipelineRunRow>> mirrored = (*store)->PipelineRuns("p", 10);
  ASSERT_TRUE(mirrored.ok()) << mirrored.status().ToString();
  ASSERT_EQ(mirrored->size(), 1u);
  EXPECT_EQ((*mirrored)[0].run_id, run_id);
  EXPECT_EQ((*mirrored)[0].state, "succeeded");
  Result<std::vector<TaskRunRow>> attempts = (*store)->TaskRuns(run_id);
  ASSERT_TRUE(attempts.ok()) << attempts.status().ToString();
  ASSERT_EQ(attempts->size(), 4u);
  for (const TaskRunRow& row : *attempts) {
    EXPECT_EQ(row.attempt, 1);
    EXPECT_EQ(row.exit_status, 0);
    EXPECT_GT(row.ended_ms, 0);
    EXPECT_FALSE(row.log_path.empty());
  }
}

TEST_F(PipelineRunTest, RetriesWithBackoffThenFailsAndMarksDownstreamUpstreamFailed) {
  const std::string config = Define(
      "  flaky: {exec: [sh, -c, 'echo trying; exit 3'], retries: 2, retry_delay: 200ms, retry_backoff: 2.0}\n"
      "  after_flaky: {exec: ['true'], after: [flaky]}\n"
      "  further: {exec: ['true'], after: [after_flaky]}\n"
      "  independent: {exec: ['true']}\n");
  const testing::CommandResult result = Pipeline("run --config " + config);
  EXPECT_EQ(result.exit_code, 1) << result.output;

  const json run = History(config)[0];
  EXPECT_EQ(run["state"], "failed");
  const json& flaky = Task(run, "flaky");
  EXPECT_EQ(flaky["state"], "failed");
  ASSERT_EQ(flaky["attempts"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(flaky["attempts"][i]["attempt"], i + 1);
    EXPECT_EQ(flaky["attempts"][i]["exit_status"], 3);
    EXPECT_EQ(flaky["attempts"][i]["reason"], "exit status 3");
  }
  // Delays: 200 ms then 400 ms, each plus at most 10% jitter (and some scheduling slack).
  const int64_t gap1 =
      flaky["attempts"][1]["started_ms"].get<int64_t>() - flaky["attempts"][0]["ended_ms"].get<int64_t>();
  const int64_t gap2 =
      flaky["attempts"][2]["started_ms"].get<int64_t>() - flaky["attempts"][1]["ended_ms"].get<int64_t>();
  EXPECT_GE(gap1, 200);
  EXPECT_LT(gap1, 200 + 20 + 400);
  EXPECT_GE(gap2, 400);
  EXPECT_LT(gap2, 400 + 40 + 400);
  EXPECT_EQ(Task(run, "after_flaky")["state"], "upstream_failed");
  EXPECT_EQ(Task(run, "further")["state"], "upstream_failed");
  EXPECT_TRUE(Task(run, "further")["attempts"].empty());
  EXPECT_EQ(Task(run, "independent")["state"], "succeeded");
}

TEST_F(PipelineRunTest, TimeoutKillsTheWholeProcessGroup) {
  const std::string pid_file = dir_.Join("grandchild.pid");
  const std::string config =
      Define("  slow: {exec: [sh, -c, 'sleep 60 & echo $! > " + pid_file + "; wait'], timeout: 500ms}\n");
  const auto started = std::chrono::steady_clock::now();
  const testing::CommandResult result = Pipeline("run --config " + config);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  const json run = History(config)[0];
  const json& attempt = Task(run, "slow")["attempts"][0];
  EXPECT_NE(attempt["reason"].get<std::string>().find("timeout"), std::string::npos) << attempt.dump();
  const pid_t grandchild = std::stoi(ReadText(pid_file));
  // The background sleep was in the task's group: it is gone (or a zombie reaped by init).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string state = ReadText("/proc/" + std::to_string(grandchild) + "/stat");
  EXPECT_TRUE(state.empty() || state.find(") Z") != std::string::npos) << state;
}

TEST_F(PipelineRunTest, AProgramThatDoesNotExistFailsTheAttemptWithThatReason) {
  const std::string config = Define(
      "  missing: {exec: [/no/such/program, x]}\n"
      "  next: {exec: ['true'], after: [missing]}\n");
  const testing::CommandResult result = Pipeline("run --config " + config);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  const json run = History(config)[0];
  const json& attempt = Task(run, "missing")["attempts"][0];
  EXPECT_NE(attempt["reason"].get<std::string>().find("No such file or directory"), std::string::npos)
      << attempt.dump();
  EXPECT_EQ(Task(run, "next")["state"], "upstream_failed");
}

TEST_F(PipelineRunTest, ABadDefinitionExitsTwoWithFileLineAndReason) {
  const std::string config = Define("  a: {exec: ['true'], after: [nope]}\n");
  for (const std::string command : {"check", "run", "history", "next"}) {
    const testing::CommandResult result = Pipeline(command + " --config " + config);
    EXPECT_EQ(result.exit_code, 2) << command << ": " << result.output;
    EXPECT_NE(result.output.find(config + ":4: tasks.a.after: unknown task \"nope\""), std::string::npos)
        << result.output;
  }
  EXPECT_EQ(Pipeline("check --config " + dir_.Join("missing.yaml")).exit_code, 2);
  EXPECT_FALSE(PathExists(Lake() + "/_stocklake/pipeline/runs"));
}

TEST_F(PipelineRunTest, NextPrintsFireTimesInUtc) {
  const std::string config =
      Define("  a: {exec: ['true']}\n", "schedule: \"0 0 1 */3 *\"\ntimezone: America/New_York\n");
  const testing::CommandResult result = Pipeline("next --config " + config + " --after 2025-01-15T00:00:00Z -n 4");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "2025-04-01T04:00:00Z\n2025-07-01T04:00:00Z\n2025-10-01T04:00:00Z\n2026-01-01T05:00:00Z\n");
  EXPECT_EQ(Pipeline("next --config " + config + " --after yesterday").exit_code, 2);
  const testing::CommandResult check = Pipeline("check --config " + config);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("0 0 1 */3 * America/New_York"), std::string::npos) << check.output;
}

TEST_F(PipelineRunTest, ResumeRerunsOnlyTheFailedTasksAndTheirDownstream) {
  const std::string count = dir_.Join("count");
  const std::string marker = dir_.Join("failed-once");
  const std::string config = Define("  a: {exec: [sh, -c, 'echo a >> " + count +
                                    "']}\n"
                                    "  b: {exec: [sh, -c, 'echo b >> " +
                                    count + "; test -e " + marker + " || { touch " + marker +
                                    "; exit 1; }'], after: [a]}\n"
                                    "  c: {exec: [sh, -c, 'echo c >> " +
                                    count + "'], after: [b]}\n");
  EXPECT_EQ(Pipeline("run --config " + config).exit_code, 1);
  const json failed = History(config)[0];
  ASSERT_EQ(failed["state"], "failed");
  EXPECT_EQ(Task(failed, "c")["state"], "upstream_failed");

  const testing::CommandResult resumed =
      Pipeline("resume --config " + config + " " + failed["run_id"].get<std::string>());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(ReadText(count), "a\nb\nb\nc\n");  // a ran once
  const json runs = History(config);
  ASSERT_EQ(runs.size(), 2u);
  const json& resume = runs[0];
  EXPECT_EQ(resume["trigger"], "resume");
  EXPECT_EQ(resume["state"], "succeeded");
  EXPECT_EQ(resume["quarter"], failed["quarter"]);
  EXPECT_EQ(resume["resumed_from"], failed["run_id"]);
  EXPECT_TRUE(Task(resume, "a")["attempts"].empty());
  EXPECT_EQ(Task(resume, "b")["attempts"].size(), 1u);
  EXPECT_EQ(Task(resume, "c")["attempts"].size(), 1u);
  // A succeeded run has nothing to resume; an unknown id is bad usage.
  EXPECT_EQ(Pipeline("resume --config " + config + " " + resume["run_id"].get<std::string>()).exit_code, 2);
  EXPECT_EQ(Pipeline("resume --config " + config + " 20990101T000000Z-000000").exit_code, 2);
}

TEST_F(PipelineRunTest, BackfillRunsOneRunPerQuarterOldestFirst) {
  const std::string quarters = dir_.Join("quarters");
  const std::string config = Define("  q: {exec: [sh, -c, 'echo $1 >> " + quarters + "', sh, '{quarter}']}\n");
  const testing::CommandResult result = Pipeline("backfill --config " + config + " --from 2015Q3 --to 2016Q2");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(ReadText(quarters), "2015Q3\n2015Q4\n2016Q1\n2016Q2\n");
  const json runs = History(config);
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0]["quarter"], "2016Q2");  // newest first
  for (const json& run : runs) {
    EXPECT_EQ(run["trigger"], "backfill");
    EXPECT_EQ(run["state"], "succeeded");
  }
  EXPECT_EQ(Pipeline("backfill --config " + config + " --from 2016Q2 --to 2015Q1").exit_code, 2);
}

TEST_F(PipelineRunTest, ALakeHeldByAnotherRunIsRefusedWithoutRecordingARun) {
  const std::string started = dir_.Join("started");
  const std::string release = dir_.Join("release");
  const std::string config = Define("  hold: {exec: [sh, -c, 'touch " + started + "; while [ ! -e " + release +
                                    " ]; do sleep 0.05; done']}\n");
  std::thread first([&] { EXPECT_EQ(Pipeline("run --config " + config).exit_code, 0); });
  while (!PathExists(started)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const testing::CommandResult second = Pipeline("run --config " + config);
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find("held by another pipeline run"), std::string::npos) << second.output;
  WriteTextFile(release, "");
  first.join();
  EXPECT_EQ(History(config).size(), 1u);
}

TEST_F(PipelineRunTest, AKilledRunnerLeavesItsTaskToTheNextRunnerAsRunnerLost) {
  const std::string marker = dir_.Join("first-attempt");
  const std::string child_pid = dir_.Join("child.pid");
  const std::string config =
      Define("  long: {exec: [sh, -c, 'echo $$ > " + child_pid + "; test -e " + marker + " || { touch " + marker +
             "; sleep 60; }'], retries: 1, retry_delay: 100ms}\n"
             "  after_long: {exec: ['true'], after: [long]}\n");
  const pid_t runner = fork();
  ASSERT_GE(runner, 0);
  if (runner == 0) {
    execl(StocklakeBinary().c_str(), "stocklake", "pipeline", "run", "--quiet", "--config", config.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  while (!PathExists(marker)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(runner, SIGKILL);
  waitpid(runner, nullptr, 0);
  // The task died with its runner (no zombie task keeps working).
  const std::string pid = ReadText(child_pid);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string stat = ReadText("/proc/" + pid.substr(0, pid.find('\n')) + "/stat");
  EXPECT_TRUE(stat.empty() || stat.find(") Z") != std::string::npos) << stat;
  const json lost = History(config)[0];
  EXPECT_EQ(lost["state"], "running");
  EXPECT_EQ(Task(lost, "long")["state"], "running");

  // The next runner finds it, marks the attempt runner_lost and retries it by the rules.
  const testing::CommandResult next = Pipeline("run --config " + config);
  ASSERT_EQ(next.exit_code, 0) << next.output;
  const json runs = History(config);
  ASSERT_EQ(runs.size(), 2u);
  const json& recovered = runs[0]["run_id"] == lost["run_id"] ? runs[0] : runs[1];
  EXPECT_EQ(recovered["state"], "succeeded");
  const json& attempts = Task(recovered, "long")["attempts"];
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0]["reason"], "runner_lost");
  EXPECT_TRUE(attempts[1]["reason"].is_null());
  EXPECT_EQ(Task(recovered, "after_long")["state"], "succeeded");
}

TEST_F(PipelineRunTest, TheWebhookGetsEveryRunEndRetriedAndNeverFailsTheRun) {
  httplib::Server hook;
  std::mutex mutex;
  std::vector<json> bodies;
  int requests = 0;
  hook.Post("/hook", [&](const httplib::Request& request, httplib::Response& response) {
    std::lock_guard<std::mutex> lock(mutex);
    if (++requests == 1) {  // the first delivery fails: it must be retried
      response.status = 500;
      return;
    }
    bodies.push_back(json::parse(request.body));
    response.status = 204;
  });
  const int port = hook.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { hook.listen_after_bind(); });
  const std::string config = Define("  bad: {exec: ['false']}\n  good: {exec: ['true']}\n",
                                    "notify: {webhook: \"http://127.0.0.1:" + std::to_string(port) + "/hook\"}\n");
  EXPECT_EQ(Pipeline("run --quarter 2016Q4 --config " + config).exit_code, 1);
  hook.stop();
  serving.join();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(requests, 2);
  EXPECT_EQ(bodies[0]["state"], "failed");
  EXPECT_EQ(bodies[0]["quarter"], "2016Q4");
  EXPECT_EQ(bodies[0]["failed_tasks"], json::array({"bad"}));
  EXPECT_EQ(bodies[0]["run_id"], History(config)[0]["run_id"]);

  // Nobody listening: the run still succeeds.
  const std::string unreachable = Define("  good: {exec: ['true']}\n",
                                         "notify: {webhook: \"http://127.0.0.1:" + std::to_string(port) + "/hook\"}\n");
  const testing::CommandResult result = Pipeline("run --config " + unreachable);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("webhook"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace stocklake

namespace stocklake {
namespace {

TEST_F(PipelineRunTest, JsonLogLinesCarryTheRunTaskAndAttempt) {
  const std::string config = Define("  fails: {run: [models, show, no-such-model]}\n");
  const std::string stderr_path = dir_.Join("stderr");
  const testing::CommandResult result = RunCommand(
      "(" + StocklakeBinary() + " --log-format json pipeline run --config " + config + " 2>" + stderr_path + ")");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  const json run = History(config)[0];
  // The runner's own lines: JSON objects naming the command.
  std::istringstream runner_lines(ReadText(stderr_path));
  int runner_count = 0;
  for (std::string line; std::getline(runner_lines, line);) {
    const json parsed = json::parse(line);
    EXPECT_EQ(parsed["command"], "pipeline run");
    EXPECT_TRUE(parsed.contains("ts") && parsed.contains("level") && parsed.contains("msg")) << line;
    ++runner_count;
  }
  EXPECT_GT(runner_count, 0);
  // The task's lines (in its attempt's log): the run id, task and attempt in each.
  const json& attempt = Task(run, "fails")["attempts"][0];
  std::istringstream task_lines(ReadText(attempt["log_path"]));
  int error_lines = 0;
  for (std::string line; std::getline(task_lines, line);) {
    const json parsed = json::parse(line);
    EXPECT_EQ(parsed["run_id"], run["run_id"]);
    EXPECT_EQ(parsed["task"], "fails");
    EXPECT_EQ(parsed["attempt"], 1);
    EXPECT_EQ(parsed["command"], "models show");
    if (parsed["level"] == "error") ++error_lines;
  }
  EXPECT_EQ(error_lines, 1);
}

}  // namespace
}  // namespace stocklake
