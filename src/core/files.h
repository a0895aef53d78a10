// The file operations every module uses: whole-file reads, read-only mappings,
// crash-safe atomic replacement, directory creation and listing. Errors are Status
// values naming the path and the system error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace stocklake {

//! A read-only memory mapping of a whole file; empty files map to an empty view.
class MappedFile {
 public:
  static Result<MappedFile> Open(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }
  size_t size() const { return size_; }

 private:
  MappedFile(void* addr, size_t size) : addr_(addr), size_(size) {}
  void* addr_ = nullptr;
  size_t size_ = 0;
};

Result<std::string> ReadFileToString(const std::string& path);

//! Writes `contents` to `path` so that after a crash the file holds either the old or
//! the new contents, never a mix: write a temp file, fsync it, rename, fsync the dir.
Status WriteFileAtomic(const std::string& path, std::string_view contents);

//! Writes a new file and fsyncs it (no rename; for files with unique names).
Status WriteFileDurable(const std::string& path, std::string_view contents);

//! fsync of a directory, making renames and creations inside it durable.
Status SyncDirectory(const std::string& dir);

//! mkdir -p.
Status CreateDirectories(const std::string& dir);

//! Names (not paths) of the entries in `dir`, sorted by bytes; NotFound if missing.
Result<std::vector<std::string>> ListDirectory(const std::string& dir);

bool PathExists(const std::string& path);

//! Removes a file; OK when it does not exist.
Status RemoveFile(const std::string& path);

//! rm -r; OK when it does not exist.
Status RemoveDirectoryTree(const std::string& path);

//! Copies a file's bytes into a new file (in-kernel where possible). Not durable until
//! SyncFileSystem: many small copies then one sync is far cheaper than an fsync each.
Status CopyFile(const std::string& from, const std::string& to);

//! Flushes every dirty page of the file system holding `path` (syncfs).
Status SyncFileSystem(const std::string& path);

}  // namespace stocklake
