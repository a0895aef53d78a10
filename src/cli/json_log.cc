#include "cli/json_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.h"
#include "stream/trade_event.h"

namespace stocklake::cli {

namespace {

// The level a line of ours reads as: errors are "stocklake CMD: ..." (ReportError) or say
// "error"; warnings say so.
std::string LevelOf(const std::string& line) {
  if (line.find("warning") != std::string::npos) return "warn";
  if (line.rfind("stocklake ", 0) == 0 || line.find("error") != std::string::npos) return "error";
  return "info";
}

}  // namespace

std::string JsonLogLine(const std::string& command, const std::string& line, const std::string& timestamp) {
  nlohmann::json out = {{"ts", timestamp}, {"level", LevelOf(line)}, {"command", command}, {"msg", line}};
  // Set by the pipeline runner for its tasks (orchestrate/pipeline_runner.cc).
  for (const auto& [variable, field] : {std::pair<const char*, const char*>{"STOCKLAKE_RUN_ID", "run_id"},
                                        {"STOCKLAKE_TASK", "task"},
                                        {"STOCKLAKE_ATTEMPT", "attempt"}}) {
    const char* value = std::getenv(variable);
    if (value == nullptr || *value == '\0') continue;
    if (std::string(field) == "attempt") {
      out[field] = std::atoi(value);
    } else {
      out[field] = value;
    }
  }
  // Messages are not always valid UTF-8 (file names, bad input quoted): replace, never throw.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct JsonStderr::Impl {
  int original = -1;  // the real stderr
  int write_end = -1;
  std::thread reader;
};

JsonStderr::JsonStderr(std::string command) : impl_(std::make_unique<Impl>()) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return;
  impl_->original = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
  if (impl_->original < 0 || dup2(pipe_fds[1], STDERR_FILENO) < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return;
  }
  close(pipe_fds[1]);
  impl_->write_end = STDERR_FILENO;
  const int read_end = pipe_fds[0];
  const int output = impl_->original;
  impl_->reader = std::thread([read_end, output, command = std::move(command)] {
    std::string pending;
    char buffer[4096];
    auto emit = [&](const std::string& line) {
      if (line.empty()) return;
      const std::string text = JsonLogLine(command, line, FormatRfc3339Millis(NowMillis())) + "\n";
      for (size_t done = 0; done < text.size();) {
        const ssize_t n = write(output, text.data() + done, text.size() - done);
        if (n <= 0) return;
        done += static_cast<size_t>(n);
      }
    };
    while (true) {
      const ssize_t n = read(read_end, buffer, sizeof(buffer));
      if (n <= 0) break;
      pending.append(buffer, static_cast<size_t>(n));
      for (size_t end; (end = pending.find_first_of("\n\r")) != std::string::npos;) {
        emit(pending.substr(0, end));
        pending.erase(0, end + 1);
      }
    }
    emit(pending);
    close(read_end);
  });
}

JsonStderr::~JsonStderr() {
  if (impl_->original < 0) return;
  fflush(stderr);
  dup2(impl_->original, STDERR_FILENO);  // closes the pipe's last write end: the reader ends
  if (impl_->reader.joinable()) impl_->reader.join();
  close(impl_->original);
}

}  // namespace stocklake::cli
