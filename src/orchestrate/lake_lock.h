// Who may work on a lake at once. A one-shot `stocklake run` holds the lake alone (it
// cleans up leftovers of crashed runs, which would be other workers' files in progress);
// the long-running services (producer, processors, loaders) share it with each other
// but not with a run; and of the services only one producer at a time appends to the
// lake's source registry.
#pragma once

#include <string>

#include "core/status.h"

namespace stocklake {

class LakeLock {
 public:
  enum class Mode {
    kExclusive,  //!< a one-shot run
    kShared,     //!< a service among others
  };

  //! Takes _stocklake/LOCK (created with the directory when missing) without waiting.
  //! Aborted naming the holder kind when the lake is held in a conflicting mode.
  static Result<LakeLock> Acquire(const std::string& lake_dir, Mode mode);
  //! Takes _stocklake/INGEST.lock exclusively without waiting: the one ingesting process.
  static Result<LakeLock> AcquireIngest(const std::string& lake_dir);

  LakeLock(LakeLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  LakeLock(const LakeLock&) = delete;
  LakeLock& operator=(const LakeLock&) = delete;
  ~LakeLock();

 private:
  explicit LakeLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace stocklake
