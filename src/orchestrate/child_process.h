// A task's child process: started in its own process group (so a timeout or a recovery
// kills everything it started, grandchildren included), with its output captured to a
// log file and a death signal tying it to the runner (a `kill -9` of the runner takes
// its tasks with it instead of leaving zombies that keep writing).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace stocklake {

struct ChildSpec {
  std::vector<std::string> argv;  //!< program (PATH is searched when it has no '/') and arguments
  std::vector<std::pair<std::string, std::string>> environment;  //!< added to the runner's
  std::string log_path;                                          //!< stdout and stderr go here (created; appended to)
};

class ChildProcess {
 public:
  //! Forks and execs. An error when the log cannot be opened or the program cannot be
  //! executed (not found, not executable), with the system's reason.
  static Result<ChildProcess> Start(const ChildSpec& spec);

  ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  ChildProcess& operator=(ChildProcess&& other) noexcept {
    std::swap(pid_, other.pid_);
    return *this;
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  //! Kills the group and reaps the child if it is still running.
  ~ChildProcess();

  pid_t pid() const { return pid_; }  //!< also its process group id

  //! Without blocking: the exit status once the child has ended (a death by signal N is
  //! 128 + N, as shells report it), nullopt while it runs.
  std::optional<int> Poll();

  //! Sends `signal` to the child's whole process group.
  void SignalGroup(int signal) const;

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;  // -1 once reaped
};

//! Kills (SIGKILL) the processes still in process group `group` whose environment says
//! they belong to run `run_id`: the leftovers of a runner that died. Checking the run id
//! keeps a recycled group id of an unrelated process safe. Returns how many it killed.
int KillOrphanedTaskProcesses(int group, const std::string& run_id);

}  // namespace stocklake
