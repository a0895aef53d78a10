#include "serve/spawned_child.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

extern char** environ;

namespace stocklake {

SpawnedChild::SpawnedChild(OnStop on_stop) : on_stop_(on_stop) {}

SpawnedChild::~SpawnedChild() {
  std::thread reaper;
  {
    std::lock_guard lock(start_mu_);
    reaper = std::move(reaper_);
  }
  if (!reaper.joinable()) return;
  if (on_stop_ == OnStop::kWait)
    reaper.join();
  else
    reaper.detach();  // it holds state_ alive and only waits for the child
}

pid_t SpawnedChild::running() const {
  std::lock_guard lock(state_->mu);
  return state_->pid;
}

Result<pid_t> SpawnedChild::Start(const std::vector<std::string>& argv, const std::string& log_path) {
  std::lock_guard start_lock(start_mu_);
  if (const pid_t pid = running(); pid > 0) {
    return Status::Aborted("pid " + std::to_string(pid) + " is still running");
  }
  // pid 0: the reaper has recorded the end and is returning.
  if (reaper_.joinable()) reaper_.join();

  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers;
  for (std::string& a : args) arg_pointers.push_back(a.data());
  arg_pointers.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (on_stop_ == OnStop::kLeave) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&attr, flags);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, arg_pointers[0], &actions, &attr, arg_pointers.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Status::IOError("cannot start " + argv[0] + " (output to " + log_path + "): " + std::strerror(rc));
  }
  {
    std::lock_guard lock(state_->mu);
    state_->pid = pid;
  }
  reaper_ = std::thread([state = state_, pid] {
    int status = 0;
    waitpid(pid, &status, 0);
    std::lock_guard lock(state->mu);
    state->pid = 0;
  });
  return pid;
}

}  // namespace stocklake
