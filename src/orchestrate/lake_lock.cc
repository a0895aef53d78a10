#include "orchestrate/lake_lock.h"

#include "core/files.h"

namespace stocklake {

Result<FileLock> LockLake(const std::string& lake_dir, FileLock::Mode mode) {
  SL_RETURN_IF_ERROR(CreateDirectories(lake_dir + "/_stocklake"));
  const std::string path = lake_dir + "/_stocklake/LOCK";
  auto lock = FileLock::Acquire(path, mode, /*wait=*/false);
  if (lock.ok() || !lock.status().IsAborted()) return lock;
  return Status::Aborted(mode == FileLock::Mode::kExclusive
                             ? "the lake " + lake_dir + " is in use (lock " + path +
                                   "): another `stocklake run`, or producer/processor/loader services, work on it"
                             : "the lake " + lake_dir + " is held by a `stocklake run` (lock " + path +
                                   "); start the services when it has finished");
}

Result<FileLock> LockLakeIngest(const std::string& lake_dir) {
  SL_RETURN_IF_ERROR(CreateDirectories(lake_dir + "/_stocklake"));
  const std::string path = lake_dir + "/_stocklake/INGEST.lock";
  auto lock = FileLock::Acquire(path, FileLock::Mode::kExclusive, /*wait=*/false);
  if (lock.ok() || !lock.status().IsAborted()) return lock;
  return Status::Aborted("another producer ingests into the lake " + lake_dir + " (lock " + path +
                         "): one producer per lake appends to its source registry");
}

}  // namespace stocklake
