// `--log-format json` (or STOCKLAKE_LOG_FORMAT=json): every line a command writes on
// stderr becomes one JSON object {"ts", "level", "command", "msg", and "run_id", "task",
// "attempt" when it runs as a pipeline task}. Done once, at the file descriptor, so every
// message of every stage is structured without each call site knowing about formats.
#pragma once

#include <memory>
#include <string>

namespace stocklake::cli {

class JsonStderr {
 public:
  //! Redirects stderr (fd 2) through a thread that wraps each line; `command` names the
  //! subcommand in every line. Nothing changes if the pipe cannot be made.
  explicit JsonStderr(std::string command);
  //! Flushes what is left and puts stderr back.
  ~JsonStderr();
  JsonStderr(const JsonStderr&) = delete;
  JsonStderr& operator=(const JsonStderr&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! The JSON line for one stderr line (without the newline); exposed for tests.
std::string JsonLogLine(const std::string& command, const std::string& line, const std::string& timestamp);

}  // namespace stocklake::cli
