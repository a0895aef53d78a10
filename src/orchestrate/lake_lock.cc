#include "orchestrate/lake_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/files.h"

namespace stocklake {

namespace {

Result<int> LockFile(const std::string& path, int operation) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + path);
  if (::flock(fd, operation | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Aborted("held");
  }
  return fd;
}

}  // namespace

Result<LakeLock> LakeLock::Acquire(const std::string& lake_dir, Mode mode) {
  SL_RETURN_IF_ERROR(CreateDirectories(lake_dir + "/_stocklake"));
  const std::string path = lake_dir + "/_stocklake/LOCK";
  auto fd = LockFile(path, mode == Mode::kExclusive ? LOCK_EX : LOCK_SH);
  if (fd.ok()) return LakeLock(*fd);
  if (!fd.status().IsAborted()) return fd.status();
  return Status::Aborted(mode == Mode::kExclusive
                             ? "the lake " + lake_dir + " is in use (lock " + path +
                                   "): another `stocklake run`, or producer/processor/loader services, work on it"
                             : "the lake " + lake_dir + " is held by a `stocklake run` (lock " + path +
                                   "); start the services when it has finished");
}

Result<LakeLock> LakeLock::AcquireIngest(const std::string& lake_dir) {
  SL_RETURN_IF_ERROR(CreateDirectories(lake_dir + "/_stocklake"));
  const std::string path = lake_dir + "/_stocklake/INGEST.lock";
  auto fd = LockFile(path, LOCK_EX);
  if (fd.ok()) return LakeLock(*fd);
  if (!fd.status().IsAborted()) return fd.status();
  return Status::Aborted("another producer ingests into the lake " + lake_dir + " (lock " + path +
                         "): one producer per lake appends to its source registry");
}

LakeLock::~LakeLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace stocklake
