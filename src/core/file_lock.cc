#include "core/file_lock.h"

namespace stocklake {

Result<FileLock> FileLock::Acquire(const std::string& path, Mode mode, bool wait, Env* env) {
  SL_ASSIGN_OR_RETURN(auto handle, env->LockFile(path, mode, wait));
  return FileLock(std::move(handle));
}

}  // namespace stocklake
