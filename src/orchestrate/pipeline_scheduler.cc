#include "orchestrate/pipeline_scheduler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.h"
#include "core/files.h"
#include "orchestrate/cron_schedule.h"
#include "orchestrate/pipeline_runner.h"

namespace stocklake {

namespace {

// At most this many missed fire times are recorded (or caught up) after a long downtime;
// older ones are summarised in the first record's reason.
constexpr size_t kMaxMissedFireTimes = 1000;

// The schedule and zone of a definition, both already validated by its parser.
struct Clock {
  CronSchedule schedule;
  const date::time_zone* zone;

  // The first fire time strictly after `after_ms`; -1 when the cron never fires again.
  int64_t NextAfter(int64_t after_ms) const {
    const auto after =
        std::chrono::sys_seconds(std::chrono::seconds(after_ms >= 0 ? after_ms / 1000 : (after_ms - 999) / 1000));
    const std::optional<std::chrono::sys_seconds> next = schedule.NextFireTime(zone, after);
    if (!next) return -1;
    return static_cast<int64_t>(next->time_since_epoch().count()) * 1000;
  }
};

Result<Clock> MakeClock(const PipelineDefinition& definition) {
  if (definition.schedule.empty()) {
    return Status::InvalidArgument(definition.source +
                                   ": the pipeline has no schedule (add `schedule: \"0 0 1 */3 *\"`)");
  }
  SL_ASSIGN_OR_RETURN(CronSchedule schedule, CronSchedule::Parse(definition.schedule));
  SL_ASSIGN_OR_RETURN(const date::time_zone* zone, LocateTimeZone(definition.timezone));
  return Clock{std::move(schedule), zone};
}

// The scheduler's memory across restarts: the last fire time it handled.
class SchedulerState {
 public:
  explicit SchedulerState(const PipelineDefinition& definition)
      : path_(PipelineDirectory(definition.lake) + "/scheduler/" + definition.name + ".json") {}

  //! The last fire time handled, or -1 when this pipeline was never scheduled here.
  int64_t LastFire() const {
    Result<std::string> text = ReadFileToString(path_);
    if (!text.ok()) return -1;
    const nlohmann::json state = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!state.is_object() || !state.contains("last_fire_ms") || !state["last_fire_ms"].is_number_integer()) return -1;
    return state["last_fire_ms"].get<int64_t>();
  }

  [[nodiscard]] Status SetLastFire(int64_t fire_ms) const {
    SL_RETURN_IF_ERROR(CreateDirectories(ParentDirectory(path_)));
    return WriteFileAtomic(path_, nlohmann::json{{"last_fire_ms", fire_ms}}.dump() + "\n");
  }

 private:
  std::string path_;
};

// Sleeps until `when_ms` or a stop, in slices short enough to notice the stop quickly
// and end on time (the last slice sleeps exactly to the fire time).
void SleepUntil(int64_t when_ms, const std::atomic<bool>* stop) {
  while (stop == nullptr || !stop->load()) {
    const int64_t left = when_ms - NowMillis();
    if (left <= 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(left, 50)));
  }
}

std::string Quarter(const PipelineDefinition& definition, int64_t fire_ms) {
  Result<std::string> quarter = LogicalQuarter(fire_ms, definition.timezone);
  return quarter.ok() ? *quarter : "";
}

}  // namespace

Result<std::vector<int64_t>> NextFireTimes(const PipelineDefinition& definition, int64_t after_ms, int count) {
  SL_ASSIGN_OR_RETURN(const Clock clock, MakeClock(definition));
  std::vector<int64_t> times;
  for (int64_t at = after_ms; static_cast<int>(times.size()) < count;) {
    at = clock.NextAfter(at);
    if (at < 0) break;
    times.push_back(at);
  }
  return times;
}

Status RunScheduler(const PipelineDefinition& definition, const SchedulerOptions& options) {
  SL_ASSIGN_OR_RETURN(const Clock clock, MakeClock(definition));
  const SchedulerState state(definition);
  const std::atomic<bool>* stop = options.stop;
  auto stopped = [&] { return stop != nullptr && stop->load(); };
  auto say = [&](const std::string& text) {
    if (!options.quiet) std::fprintf(stderr, "scheduler %s: %s\n", definition.name.c_str(), text.c_str());
  };

  // Fire times that came while no scheduler ran: caught up oldest first, or recorded as
  // skipped so that nothing is silently lost.
  int64_t last_fire = state.LastFire();
  // The newest fire time that is run, queued to catch up, or recorded as skipped: what
  // comes after it is what a run in progress makes the scheduler skip.
  int64_t horizon = -1;
  std::deque<int64_t> catch_up;
  const int64_t started = NowMillis();
  // Fire times that come while a run is going are recorded as skipped as they pass.
  Status tick_error;
  bool run_going = false;
  PipelineRunner* runner_in_tick = nullptr;
  PipelineRunnerOptions runner_options{options.program, stop, nullptr, options.quiet};
  runner_options.on_tick = [&] {
    if (!run_going || !tick_error.ok()) return;
    const int64_t next = clock.NextAfter(std::max(last_fire, horizon));
    if (next < 0 || next > NowMillis()) return;
    tick_error = runner_in_tick->RecordSkipped(next, Quarter(definition, next), "a run was still going");
    horizon = next;
    if (catch_up.empty()) last_fire = next;  // with a queue, its oldest must survive a crash
    if (tick_error.ok()) tick_error = state.SetLastFire(last_fire);
  };
  PipelineRunner runner(definition, runner_options);
  runner_in_tick = &runner;
  if (last_fire >= 0) {
    std::deque<int64_t> missed;
    size_t dropped = 0;
    for (int64_t at = clock.NextAfter(last_fire); at >= 0 && at <= started; at = clock.NextAfter(at)) {
      missed.push_back(at);
      if (missed.size() > kMaxMissedFireTimes) {
        missed.pop_front();
        ++dropped;
      }
    }
    if (!missed.empty()) {
      say(std::to_string(missed.size() + dropped) + " fire time(s) passed while no scheduler ran" +
          (definition.catchup ? ": catching up" : ": recorded as skipped (catchup: false)"));
    }
    if (!missed.empty()) horizon = missed.back();
    if (definition.catchup) {
      catch_up = std::move(missed);
    } else {
      for (const int64_t at : missed) {
        SL_RETURN_IF_ERROR(runner.RecordSkipped(at, Quarter(definition, at),
                                                "missed while no scheduler was running (catchup: false)"));
      }
      if (!missed.empty()) last_fire = missed.back();
    }
  }
  if (last_fire < 0) last_fire = started;
  SL_RETURN_IF_ERROR(state.SetLastFire(last_fire));

  bool recovered = false;
  while (!stopped()) {
    int64_t fire = 0;
    if (!catch_up.empty()) {
      fire = catch_up.front();
      catch_up.pop_front();
    } else {
      fire = clock.NextAfter(std::max({last_fire, horizon, NowMillis() - 1}));
      if (fire < 0) {
        say("the schedule never fires again; waiting for a stop");
        SleepUntil(INT64_MAX, stop);
        break;
      }
      say("next run at " + FormatRfc3339Utc(std::chrono::sys_seconds(std::chrono::seconds(fire / 1000))));
      SleepUntil(fire, stop);
      if (stopped()) break;
    }
    last_fire = fire;
    horizon = std::max(horizon, fire);
    SL_RETURN_IF_ERROR(state.SetLastFire(last_fire));  // before the run: a crash never fires it twice
    const std::string quarter = Quarter(definition, fire);
    Result<PipelineLock> lock = PipelineLock::Acquire(definition.lake);
    if (!lock.ok()) {
      if (!lock.status().IsAborted()) return lock.status();
      SL_RETURN_IF_ERROR(runner.RecordSkipped(fire, quarter, "a run was still going: " + lock.status().message()));
      continue;
    }
    run_going = true;
    if (!recovered) {
      SL_RETURN_IF_ERROR(runner.RecoverLostRuns().status());
      recovered = true;
      if (stopped()) break;
    }
    Result<PipelineRunRecord> run = runner.Execute(RunTrigger::kSchedule, quarter, fire);
    run_going = false;
    SL_RETURN_IF_ERROR(run.status());
    SL_RETURN_IF_ERROR(tick_error);
  }
  say("stopped");
  return Status::OK();
}

}  // namespace stocklake
