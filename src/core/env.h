// The I/O seam: every file write, sync, rename, directory change and file lock of
// stocklake goes through an Env (LevelDB's idea), so tests can substitute one that fails
// a chosen operation or drops unsynced data. Env::Default() is the POSIX implementation
// (core/posix_env.cc), the only code that calls open/pwrite/fsync and friends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace stocklake {

class PosixEnv;

//! A read-only memory mapping of a whole file; empty files map to an empty view.
class MappedFile {
 public:
  //! Maps `path` through Env::Default().
  static Result<MappedFile> Open(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }
  size_t size() const { return size_; }

 private:
  friend class PosixEnv;
  MappedFile(void* addr, size_t size) : addr_(addr), size_(size) {}
  void* addr_ = nullptr;
  size_t size_ = 0;
};

//! A file open for writing. Errors name the path. Not thread-safe.
class WritableFile {
 public:
  //! Closes the file, ignoring errors (call Close to see them).
  virtual ~WritableFile() = default;
  virtual const std::string& path() const = 0;
  //! Writes all of `data` at the current end of the file.
  virtual Status Append(std::string_view data) = 0;
  //! Writes `first` then `second` at byte `offset` in one vectored call where possible
  //! (the log writes a batch header and its payload without joining them).
  virtual Status WriteAt(uint64_t offset, std::string_view first, std::string_view second = {}) = 0;
  //! Starts write-back of [offset, offset + length) without waiting (length 0: to the end
  //! of the file), so a later sync finds little left to do. A hint: never fails.
  virtual void StartWriteBack(uint64_t offset, uint64_t length) = 0;
  //! fsync: data and metadata are durable when it returns OK.
  virtual Status Sync() = 0;
  //! fdatasync: data, and the metadata needed to read it back, are durable.
  virtual Status SyncData() = 0;
  virtual Status Close() = 0;
};

//! A file open for positioned reads; safe to use from several threads.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  //! Reads exactly `n` bytes at `offset` into `out`; Corruption when the file is shorter.
  virtual Status ReadExact(uint64_t offset, size_t n, char* out) const = 0;
};

//! A held advisory lock; released when destroyed.
class FileLockHandle {
 public:
  virtual ~FileLockHandle() = default;
};

enum class LockMode { kExclusive, kShared };

//! How NewWritableFile opens a file.
enum class OpenMode {
  kTruncate,   //!< create or truncate
  kAppend,     //!< create if missing; every Append goes to the end (O_APPEND)
  kExisting,   //!< an existing file, for positioned writes; NotFound when missing
  kCreateNew,  //!< create; IOError when it exists
};

struct FileInfo {
  uint64_t size = 0;
  int64_t mtime_ms = 0;  //!< last modification, ms since the epoch
};

class Env {
 public:
  virtual ~Env() = default;

  //! The POSIX file system; lives for the whole program.
  static Env* Default();

  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, OpenMode mode,
                                                                int permissions = 0644) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) = 0;
  virtual Result<MappedFile> MapFile(const std::string& path) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;

  //! rename(2): atomically replaces `to`; durable once the directory is synced.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  //! OK when the file does not exist.
  virtual Status RemoveFile(const std::string& path) = 0;
  //! rm -r; OK when it does not exist.
  virtual Status RemoveDirectoryTree(const std::string& path) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  //! mkdir -p.
  virtual Status CreateDirectories(const std::string& dir) = 0;
  //! fsync of a directory, making creations, renames and removals inside it durable.
  virtual Status SyncDirectory(const std::string& dir) = 0;
  //! Names (not paths) of the entries in `dir`, sorted by bytes; NotFound if missing.
  virtual Result<std::vector<std::string>> ListDirectory(const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<FileInfo> GetFileInfo(const std::string& path) = 0;
  //! Copies a file's bytes into a new read-only file (in-kernel where possible) and
  //! starts its write-back; not durable until SyncFileSystem.
  virtual Status CopyFile(const std::string& from, const std::string& to) = 0;
  //! syncfs: flushes every dirty page of the file system holding `path`.
  virtual Status SyncFileSystem(const std::string& path) = 0;
  //! flock of `path` (created when missing). Without `wait`, Aborted when another holder
  //! conflicts; with it, blocks until the lock is free.
  virtual Result<std::unique_ptr<FileLockHandle>> LockFile(const std::string& path, LockMode mode, bool wait) = 0;
};

//! An Env that forwards every call to another; tests override the calls they fault.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, OpenMode mode,
                                                        int permissions = 0644) override {
    return target_->NewWritableFile(path, mode, permissions);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return target_->NewRandomAccessFile(path);
  }
  Result<MappedFile> MapFile(const std::string& path) override { return target_->MapFile(path); }
  Result<std::string> ReadFile(const std::string& path) override { return target_->ReadFile(path); }
  Status RenameFile(const std::string& from, const std::string& to) override { return target_->RenameFile(from, to); }
  Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  Status RemoveDirectoryTree(const std::string& path) override { return target_->RemoveDirectoryTree(path); }
  Status TruncateFile(const std::string& path, uint64_t size) override { return target_->TruncateFile(path, size); }
  Status CreateDirectories(const std::string& dir) override { return target_->CreateDirectories(dir); }
  Status SyncDirectory(const std::string& dir) override { return target_->SyncDirectory(dir); }
  Result<std::vector<std::string>> ListDirectory(const std::string& dir) override {
    return target_->ListDirectory(dir);
  }
  bool FileExists(const std::string& path) override { return target_->FileExists(path); }
  Result<FileInfo> GetFileInfo(const std::string& path) override { return target_->GetFileInfo(path); }
  Status CopyFile(const std::string& from, const std::string& to) override { return target_->CopyFile(from, to); }
  Status SyncFileSystem(const std::string& path) override { return target_->SyncFileSystem(path); }
  Result<std::unique_ptr<FileLockHandle>> LockFile(const std::string& path, LockMode mode, bool wait) override {
    return target_->LockFile(path, mode, wait);
  }

 private:
  Env* target_;
};

}  // namespace stocklake
