// Helpers shared by the tests: temporary directories that clean up after themselves,
// fixture paths, running the stocklake binary.
#pragma once

#include <string>

namespace stocklake::testing {

//! A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  //! path() + "/" + name
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

//! Absolute path of tests/data/<name>.
std::string FixturePath(const std::string& name);

//! Writes `contents` to `path`, creating parent directories; aborts the test on error.
void WriteTextFile(const std::string& path, const std::string& contents);

//! The whole file at `path`; "" with a test failure when it cannot be read.
std::string ReadTextFile(const std::string& path);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr interleaved
};
//! Runs a shell command line and captures what it printed.
CommandResult RunCommand(const std::string& command_line);

//! Path of the built stocklake binary.
std::string StocklakeBinary();

//! A TCP port on 127.0.0.1 that was free a moment ago (bound by the kernel, then
//! released); 0 on failure.
int FreeLoopbackPort();

}  // namespace stocklake::testing
