// The file operations every module uses: whole-file reads, crash-safe atomic
// replacement, directory creation and listing. Thin functions over an Env (core/env.h),
// Env::Default() unless the caller passes one. Errors are Status values naming the path
// and the system error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/status.h"

namespace stocklake {

Result<std::string> ReadFileToString(const std::string& path, Env* env = Env::Default());

//! Writes `contents` to `path` so that after a crash the file holds either the old or
//! the new contents, never a mix: write a temp file, fsync it, rename, fsync the dir.
Status WriteFileAtomic(const std::string& path, std::string_view contents, Env* env = Env::Default());

//! Writes a new file and fsyncs it (no rename; for files with unique names).
Status WriteFileDurable(const std::string& path, std::string_view contents, Env* env = Env::Default());

//! fsync of a directory, making renames and creations inside it durable.
Status SyncDirectory(const std::string& dir, Env* env = Env::Default());

//! mkdir -p.
Status CreateDirectories(const std::string& dir, Env* env = Env::Default());

//! Names (not paths) of the entries in `dir`, sorted by bytes; NotFound if missing.
Result<std::vector<std::string>> ListDirectory(const std::string& dir, Env* env = Env::Default());

bool PathExists(const std::string& path, Env* env = Env::Default());

//! Removes a file; OK when it does not exist.
Status RemoveFile(const std::string& path, Env* env = Env::Default());

//! rm -r; OK when it does not exist.
Status RemoveDirectoryTree(const std::string& path, Env* env = Env::Default());

//! Copies a file's bytes into a new file (in-kernel where possible). Not durable until
//! SyncFileSystem: many small copies then one sync is far cheaper than an fsync each.
Status CopyFile(const std::string& from, const std::string& to, Env* env = Env::Default());

//! Flushes every dirty page of the file system holding `path` (syncfs).
Status SyncFileSystem(const std::string& path, Env* env = Env::Default());

//! The directory part of `path` ("." when it has none).
std::string ParentDirectory(const std::string& path);

}  // namespace stocklake
