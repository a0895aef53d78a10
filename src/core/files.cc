#include "core/files.h"

namespace stocklake {

std::string ParentDirectory(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<std::string> ReadFileToString(const std::string& path, Env* env) { return env->ReadFile(path); }

Status WriteFileDurable(const std::string& path, std::string_view contents, Env* env) {
  SL_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path, OpenMode::kTruncate));
  SL_RETURN_IF_ERROR(file->Append(contents));
  SL_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

Status WriteFileAtomic(const std::string& path, std::string_view contents, Env* env) {
  const std::string tmp = path + ".tmp";
  SL_RETURN_IF_ERROR(WriteFileDurable(tmp, contents, env));
  SL_RETURN_IF_ERROR(env->RenameFile(tmp, path));
  return env->SyncDirectory(ParentDirectory(path));
}

Status SyncDirectory(const std::string& dir, Env* env) { return env->SyncDirectory(dir); }

Status CreateDirectories(const std::string& dir, Env* env) { return env->CreateDirectories(dir); }

Result<std::vector<std::string>> ListDirectory(const std::string& dir, Env* env) { return env->ListDirectory(dir); }

bool PathExists(const std::string& path, Env* env) { return env->FileExists(path); }

Status RemoveFile(const std::string& path, Env* env) { return env->RemoveFile(path); }

Status RemoveDirectoryTree(const std::string& path, Env* env) { return env->RemoveDirectoryTree(path); }

Status CopyFile(const std::string& from, const std::string& to, Env* env) { return env->CopyFile(from, to); }

Status SyncFileSystem(const std::string& path, Env* env) { return env->SyncFileSystem(path); }

}  // namespace stocklake
