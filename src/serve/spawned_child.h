// The child process an admin endpoint starts (POST /api/v1/runs: `stocklake run`; POST
// /api/v1/pipeline/runs: `stocklake pipeline run`): at most one at a time per endpoint,
// its output appended to a log file (serve's own stderr may be a pipe of JSON lines),
// reaped by a thread of its own so the request answers at once.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace stocklake {

class SpawnedChild {
 public:
  //! What destroying the SpawnedChild (serve stopping) does to a child still running.
  enum class OnStop {
    kWait,   //!< waits for it to end (a `stocklake run`: minutes)
    kLeave,  //!< leaves it running on its own (a pipeline run: hours, with its own history)
  };

  explicit SpawnedChild(OnStop on_stop);
  ~SpawnedChild();
  SpawnedChild(const SpawnedChild&) = delete;
  SpawnedChild& operator=(const SpawnedChild&) = delete;

  //! Starts `argv` (argv[0] a path) unless this object's previous child still runs
  //! (Aborted, naming its pid). The child gets stdin from /dev/null, stdout and stderr
  //! appended to `log_path` (created), no file descriptor of serve's but those (its
  //! sockets would outlive a restart), an empty signal mask and default dispositions
  //! (serve blocks SIGINT/SIGTERM for its sigwait thread; the child must obey them).
  //! kLeave children get a session of their own, so a terminal's Ctrl-C that stops serve
  //! does not reach them. Returns the child's pid.
  Result<pid_t> Start(const std::vector<std::string>& argv, const std::string& log_path);

  //! The pid of the child still running, 0 when none.
  pid_t running() const;

 private:
  struct State {
    mutable std::mutex mu;
    pid_t pid = 0;
  };
  const OnStop on_stop_;
  // Shared with the reaper thread, which outlives this object for kLeave children.
  const std::shared_ptr<State> state_ = std::make_shared<State>();
  std::mutex start_mu_;  // serializes Start and guards reaper_
  std::thread reaper_;
};

}  // namespace stocklake
