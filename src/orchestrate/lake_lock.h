// Who may work on a lake at once. A one-shot `stocklake run` holds the lake alone (it
// cleans up leftovers of crashed runs, which would be other workers' files in progress);
// the long-running services (producer, processors, loaders) share it with each other
// but not with a run; and of the services only one producer at a time appends to the
// lake's source registry.
#pragma once

#include <string>

#include "core/file_lock.h"
#include "core/status.h"

namespace stocklake {

//! Takes _stocklake/LOCK (created with the directory when missing) without waiting:
//! kExclusive for a one-shot run, kShared for a service. Aborted naming the holder kind
//! when the lake is held in a conflicting mode.
Result<FileLock> LockLake(const std::string& lake_dir, FileLock::Mode mode);

//! Takes _stocklake/INGEST.lock exclusively without waiting: the one ingesting process.
Result<FileLock> LockLakeIngest(const std::string& lake_dir);

}  // namespace stocklake
