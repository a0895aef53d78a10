// An advisory lock on a file (flock), held while the object lives: how the processes
// sharing a lake keep out of each other's way.
#pragma once

#include <string>

#include "core/status.h"

namespace stocklake {

class FileLock {
 public:
  enum class Mode { kExclusive, kShared };

  //! Opens (creating) `path` and locks it. Without `wait`, Aborted when another holder
  //! conflicts; with it, blocks until the lock is free. IOError when the file cannot be
  //! opened or locked.
  static Result<FileLock> Acquire(const std::string& path, Mode mode, bool wait);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace stocklake
