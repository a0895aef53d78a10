// An Env for tests that wraps another (the POSIX one by default) and injects faults:
// the N-th write, sync or rename fails with a chosen errno, and a simulated power loss
// drops what was never synced. Like LevelDB's FaultInjectionTestEnv.
//
// The model of durability: a file's bytes are durable up to the length it had at its
// last Sync/SyncData (or SyncFileSystem); a file created through this Env exists after a
// power loss only once its directory was synced (SyncDirectory) after the creation.
// Renames are taken as durable when they return (the files renamed here are synced
// first, and the directory sync that follows is counted as a sync that can fail).
// Files are tracked from the moment this Env opens them for writing.
#pragma once

#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/env.h"

namespace stocklake::testing {

class FaultEnv : public EnvWrapper {
 public:
  explicit FaultEnv(Env* target = Env::Default());

  //! The n-th write from now (1-based: Append or WriteAt of a file) fails with `error`.
  //! With `torn`, the first half of its bytes reach the file before it fails.
  void FailNthWrite(int n, int error = EIO, bool torn = false);
  //! The n-th sync from now (a file's Sync/SyncData, SyncDirectory, SyncFileSystem) fails.
  //! The data stays written but not durable.
  void FailNthSync(int n, int error = EIO);
  //! The n-th RenameFile from now fails, renaming nothing.
  void FailNthRename(int n, int error = EIO);

  //! Counts of the operations seen so far (failed ones included).
  int writes() const;
  int syncs() const;
  int renames() const;

  //! The machine loses power: every tracked file is cut to its durable length (keeping
  //! `keep_unsynced` bytes of an unsynced tail, for a torn write), files whose creation
  //! was never made durable are removed. Until ClearFaults every later write, sync,
  //! rename, creation or removal fails with EIO, as on a machine that is down.
  Status SimulatePowerLoss(uint64_t keep_unsynced = 0);

  //! Forgets scheduled faults and the power loss: the Env behaves like its target again.
  void ClearFaults();

  // Env
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, OpenMode mode,
                                                        int permissions = 0644) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status SyncDirectory(const std::string& dir) override;
  Status SyncFileSystem(const std::string& path) override;
  Status CopyFile(const std::string& from, const std::string& to) override;

 private:
  friend class FaultWritableFile;
  struct FileState {
    uint64_t size = 0;     // bytes written
    uint64_t synced = 0;   // bytes durable
    bool created = false;  // created here and its directory not synced since
  };
  struct Fault {
    int at = 0;  // 0: none; else the operation count that fails
    int error = EIO;
    bool torn = false;
  };

  // Counts one operation of a kind; the Status it must fail with, or OK.
  Status Count(int* counter, const Fault& fault, const std::string& what, const std::string& path);
  Status CountWrite(const std::string& path, bool* torn);
  Status CountSync(const std::string& path);
  void Wrote(const std::string& path, uint64_t end, bool append, uint64_t length);
  void Synced(const std::string& path);

  mutable std::mutex mu_;
  std::map<std::string, FileState> files_;
  int writes_ = 0;
  int syncs_ = 0;
  int renames_ = 0;
  Fault write_fault_;
  Fault sync_fault_;
  Fault rename_fault_;
  bool down_ = false;
};

}  // namespace stocklake::testing
