// `stocklake scheduler` in real time (../shared/spec/pipeline.md): a 6-field schedule
// firing every second, fire times that come while a run is going recorded as skipped,
// SIGTERM handing the run at hand back and exiting 0, and catch-up on and off after a
// downtime. (The fire-to-start latency figure is measured in bench/, not asserted here.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/date.h"
#include "stream/trade_event.h"
#include "test_util.h"

namespace stocklake {
namespace {

using nlohmann::json;
using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;
using testing::WriteTextFile;

class SchedulerTest : public ::testing::Test {
 protected:
  std::string Define(const std::string& tasks, bool catchup) {
    const std::string path = dir_.Join("pipeline.yaml");
    WriteTextFile(path, "name: every-second\nschedule: \"* * * * * *\"\ntimezone: Europe/Berlin\ncatchup: " +
                            std::string(catchup ? "true" : "false") + "\nlake: " + dir_.Join("lake") + "\ntasks:\n" +
                            tasks);
    return path;
  }

  // Starts the scheduler, lets it work for `seconds`, sends SIGTERM; its exit status.
  static int RunScheduler(const std::string& config, double seconds, double* stop_seconds = nullptr) {
    const pid_t pid = fork();
    if (pid == 0) {
      execl(StocklakeBinary().c_str(), "stocklake", "scheduler", "--quiet", "--config", config.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(seconds * 1000)));
    const auto signalled = std::chrono::steady_clock::now();
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    if (stop_seconds != nullptr) {
      *stop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  json History(const std::string& config) {
    const testing::CommandResult result =
        RunCommand(StocklakeBinary() + " pipeline history --json --limit 1000 --config " + config);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return json::parse(result.output);
  }

  TempDir dir_;
};

TEST_F(SchedulerTest, FiresEverySecondAndStartsTheTaskAtItsFireTime) {
  const std::string config = Define("  tick: {exec: ['true']}\n", false);
  EXPECT_EQ(RunScheduler(config, 3.6), 0);
  const json runs = History(config);
  ASSERT_GE(runs.size(), 3u) << runs.dump();
  int64_t previous_fire = 0;
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    const json& run = *it;
    EXPECT_EQ(run["trigger"], "schedule");
    EXPECT_EQ(run["state"], "succeeded") << run.dump();
    int64_t fire_ms = 0;
    ASSERT_TRUE(ParseRfc3339Millis(run["fire_time"].get<std::string>(), &fire_ms)) << run.dump();
    EXPECT_EQ(fire_ms % 1000, 0);
    const int64_t started = run["tasks"][0]["attempts"][0]["started_ms"];
    // The task starts right after its fire time (the latency figure is in bench/).
    EXPECT_GE(started, fire_ms);
    EXPECT_LT(started - fire_ms, 1000);
    if (previous_fire > 0) {
      EXPECT_EQ(fire_ms - previous_fire, 1000) << run.dump();
    }
    previous_fire = fire_ms;
    // The logical quarter: the quarter before the one the fire time is in (Berlin time).
    int32_t quarter = 0;
    ASSERT_TRUE(ParseQuarter(run["quarter"].get<std::string>(), &quarter));
  }
}

TEST_F(SchedulerTest, RecordsFireTimesThatComeDuringARunAndHandsTheRunBackOnSigterm) {
  const std::string config = Define("  slow: {exec: [sleep, '30']}\n", false);
  double stop_seconds = 0;
  EXPECT_EQ(RunScheduler(config, 3.5, &stop_seconds), 0);
  EXPECT_LT(stop_seconds, 5.0);
  const json runs = History(config);
  int running = 0;
  int skipped = 0;
  for (const json& run : runs) {
    if (run["state"] == "skipped") {
      ++skipped;
      EXPECT_TRUE(run["tasks"].empty());
      EXPECT_EQ(run["reason"], "a run was still going");
    } else {
      ++running;
      // Handed back: still running, its task waiting for the next runner, the attempt
      // ended as interrupted rather than failed.
      EXPECT_EQ(run["state"], "running") << run.dump();
      EXPECT_EQ(run["tasks"][0]["state"], "pending");
      EXPECT_NE(run["tasks"][0]["attempts"][0]["reason"].get<std::string>().find("interrupted"), std::string::npos);
    }
  }
  EXPECT_EQ(running, 1) << runs.dump(1);
  EXPECT_GE(skipped, 1) << runs.dump(1);
}

TEST_F(SchedulerTest, MissedFireTimesAreRecordedAsSkippedWithoutCatchUp) {
  const std::string config = Define("  tick: {exec: ['true']}\n", false);
  EXPECT_EQ(RunScheduler(config, 1.5), 0);
  const size_t before = History(config).size();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(RunScheduler(config, 0.3), 0);
  const json runs = History(config);
  int missed = 0;
  for (const json& run : runs) {
    if (run["state"] == "skipped") {
      ++missed;
      EXPECT_NE(run["reason"].get<std::string>().find("catchup: false"), std::string::npos);
    }
  }
  EXPECT_GE(missed, 2) << runs.dump(1);
  EXPECT_GE(runs.size(), before + 2);
}

TEST_F(SchedulerTest, CatchUpRunsTheMissedFireTimesOldestFirst) {
  const std::string config = Define("  tick: {exec: ['true']}\n", true);
  EXPECT_EQ(RunScheduler(config, 1.5), 0);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(RunScheduler(config, 1.0), 0);
  const json runs = History(config);
  std::vector<int64_t> fires;
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    // The newest may have been handed back by the SIGTERM (still running, to be resumed).
    if (it + 1 == runs.rend() && (*it)["state"] == "running") continue;
    EXPECT_EQ((*it)["state"], "succeeded") << it->dump();
    int64_t fire_ms = 0;
    ASSERT_TRUE(ParseRfc3339Millis((*it)["fire_time"].get<std::string>(), &fire_ms));
    fires.push_back(fire_ms);
  }
  // Every second from the first fire on has its run, oldest first: none skipped, none twice.
  ASSERT_GE(fires.size(), 5u);
  for (size_t i = 1; i < fires.size(); ++i) EXPECT_EQ(fires[i] - fires[i - 1], 1000) << i;
}

}  // namespace
}  // namespace stocklake
