#include "orchestrate/child_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace stocklake {

namespace {

// Writes all of `data` to `fd`, retrying on EINTR; used in the forked child only.
void WriteAll(int fd, const void* data, size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = write(fd, bytes, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    bytes += written;
    size -= static_cast<size_t>(written);
  }
}

}  // namespace

Result<ChildProcess> ChildProcess::Start(const ChildSpec& spec) {
  if (spec.argv.empty()) return Status::InvalidArgument("empty command");
  const int log_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IOError("cannot open task log " + spec.log_path + ": " + std::strerror(errno));
  // The child reports a failed exec through this pipe; a successful exec closes it.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    close(log_fd);
    return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  }
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : spec.environment) env_strings.push_back(name + "=" + value);
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view existing(*entry);
    const std::string_view name = existing.substr(0, existing.find('='));
    bool overridden = false;
    for (const auto& [added, value] : spec.environment) overridden |= added == name;
    if (!overridden) env_strings.emplace_back(existing);
  }
  std::vector<char*> envp;
  for (std::string& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close(log_fd);
    close(report[0]);
    close(report[1]);
    return Status::IOError(std::string("fork: ") + std::strerror(error));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the runner died before prctl took effect
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvpe(argv[0], argv.data(), envp.data());
    const int error = errno;
    WriteAll(report[1], &error, sizeof(error));
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so the group exists before the parent signals it
  close(log_fd);
  close(report[1]);
  int exec_error = 0;
  ssize_t got;
  do {
    got = read(report[0], &exec_error, sizeof(exec_error));
  } while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got == static_cast<ssize_t>(sizeof(exec_error))) {
    waitpid(pid, nullptr, 0);
    return Status::NotFound("cannot execute \"" + spec.argv[0] + "\": " + std::strerror(exec_error));
  }
  return ChildProcess(pid);
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  SignalGroup(SIGKILL);
  waitpid(pid_, nullptr, 0);
}

std::optional<int> ChildProcess::Poll() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done != pid_) return std::nullopt;
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

void ChildProcess::SignalGroup(int signal) const {
  if (pid_ > 0) kill(-pid_, signal);
}

int KillOrphanedTaskProcesses(int group, const std::string& run_id) {
  if (group <= 1) return 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  const std::string marker = "STOCKLAKE_RUN_ID=" + run_id;
  int killed = 0;
  while (const dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0 || getpgid(pid) != group) continue;
    std::ifstream environ_file("/proc/" + std::string(entry->d_name) + "/environ", std::ios::binary);
    const std::string environment((std::istreambuf_iterator<char>(environ_file)), std::istreambuf_iterator<char>());
    size_t start = 0;
    bool ours = false;
    while (start < environment.size() && !ours) {
      const size_t end = environment.find('\0', start);
      ours = environment.compare(start, (end == std::string::npos ? environment.size() : end) - start, marker) == 0;
      start = end == std::string::npos ? environment.size() : end + 1;
    }
    if (ours && kill(pid, SIGKILL) == 0) ++killed;
  }
  closedir(proc);
  return killed;
}

}  // namespace stocklake
