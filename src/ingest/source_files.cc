#include "ingest/source_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string_view>
#include <utility>

#include "core/files.h"

namespace stocklake {

namespace {

bool HasInputExtension(std::string_view name) {
  for (std::string_view ext : {".txt", ".csv", ".json"}) {
    if (name.size() > ext.size() && name.substr(name.size() - ext.size()) == ext) return true;
  }
  return false;
}

std::string AbsolutePath(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr) return path;
  return std::string(buf) + "/" + path;
}

std::string StripTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct Walker {
  int input_index;
  const std::string& input;  // as given, for messages
  std::set<std::pair<dev_t, ino_t>> visited;
  std::vector<SourceFile>* out;

  Status Walk(const std::string& dir, const std::string& relative_dir, const struct stat& dir_stat) {
    if (!visited.insert({dir_stat.st_dev, dir_stat.st_ino}).second) return Status::OK();
    // Sorted (by ListDirectory) so that a directory reachable by two links is always found
    // under the same name.
    Result<std::vector<std::string>> listed = ListDirectory(dir);
    if (!listed.ok()) {
      return Status::InvalidArgument("cannot read directory '" + dir + "' below input '" + input +
                                     "': " + listed.status().message() + "; fix its permissions or leave it out");
    }
    const std::vector<std::string>& names = *listed;
    for (const std::string& name : names) {
      const std::string path = dir + "/" + name;
      const std::string relative = relative_dir.empty() ? name : relative_dir + "/" + name;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        // A dangling symbolic link names no data; anything else is an unreadable entry.
        if (errno == ENOENT) continue;
        return Status::InvalidArgument("cannot stat '" + path + "' below input '" + input +
                                       "': " + std::strerror(errno));
      }
      if (S_ISDIR(st.st_mode)) {
        SL_RETURN_IF_ERROR(Walk(path, relative, st));
      } else if (S_ISREG(st.st_mode) && HasInputExtension(name)) {
        if (::access(path.c_str(), R_OK) != 0) {
          return Status::InvalidArgument("cannot read input file '" + path + "': " + std::strerror(errno) +
                                         "; fix its permissions or leave it out");
        }
        out->push_back(SourceFile{path, relative, input_index});
      }
    }
    return Status::OK();
  }
};

}  // namespace

Result<std::vector<SourceFile>> ListSourceFiles(const std::vector<std::string>& input_paths) {
  std::vector<SourceFile> all;
  for (size_t i = 0; i < input_paths.size(); ++i) {
    const std::string& input = input_paths[i];
    if (input.empty()) return Status::InvalidArgument("empty --input path");
    struct stat st {};
    if (::stat(input.c_str(), &st) != 0) {
      const int err = errno;
      std::string msg = "input path '" + input + "' ";
      if (err == ENOENT || err == ENOTDIR) return Status::NotFound(msg + "does not exist");
      return Status::InvalidArgument(msg + "cannot be read: " + std::strerror(err));
    }
    const std::string absolute = StripTrailingSlashes(AbsolutePath(input));
    if (S_ISREG(st.st_mode)) {
      if (::access(input.c_str(), R_OK) != 0) {
        return Status::InvalidArgument("input file '" + input + "' cannot be read: " + std::strerror(errno));
      }
      all.push_back(SourceFile{absolute, BaseName(absolute), static_cast<int>(i)});
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument("input path '" + input + "' is neither a file nor a directory");
    }
    std::vector<SourceFile> files;
    Walker walker{static_cast<int>(i), input, {}, &files};
    SL_RETURN_IF_ERROR(walker.Walk(absolute, "", st));
    std::sort(files.begin(), files.end(),
              [](const SourceFile& a, const SourceFile& b) { return a.relative_path < b.relative_path; });
    for (SourceFile& f : files) all.push_back(std::move(f));
  }
  return all;
}

}  // namespace stocklake
