// An advisory lock on a file (flock), held while the object lives: how the processes
// sharing a lake keep out of each other's way.
#pragma once

#include <memory>
#include <string>

#include "core/env.h"
#include "core/status.h"

namespace stocklake {

class FileLock {
 public:
  using Mode = LockMode;

  //! Opens (creating) `path` and locks it through `env`. Without `wait`, Aborted when
  //! another holder conflicts; with it, blocks until the lock is free. IOError when the
  //! file cannot be opened or locked.
  static Result<FileLock> Acquire(const std::string& path, Mode mode, bool wait, Env* env = Env::Default());

  FileLock(FileLock&& other) noexcept = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() = default;

 private:
  explicit FileLock(std::unique_ptr<FileLockHandle> handle) : handle_(std::move(handle)) {}
  std::unique_ptr<FileLockHandle> handle_;
};

}  // namespace stocklake
