#include "core/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace stocklake {

namespace {

Status ErrnoStatus(const std::string& what, const std::string& path) {
  const int err = errno;
  std::string msg = what + " '" + path + "': " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(msg);
  return Status::IOError(msg);
}

// Closes the descriptor on every path out of a function.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

std::string ParentDirectory(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<MappedFile> MappedFile::Open(const std::string& path) {
  FdGuard guard{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (guard.fd < 0) return ErrnoStatus("cannot open", path);
  struct stat st {};
  if (::fstat(guard.fd, &st) != 0) return ErrnoStatus("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return Status::IOError("not a regular file: '" + path + "'");
  const auto size = static_cast<size_t>(st.st_size);
  if (size == 0) return MappedFile(nullptr, 0);
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, guard.fd, 0);
  if (addr == MAP_FAILED) return ErrnoStatus("cannot mmap", path);
  ::madvise(addr, size, MADV_SEQUENTIAL);
  return MappedFile(addr, size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept : addr_(other.addr_), size_(other.size_) {
  other.addr_ = nullptr;
  other.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (addr_ != nullptr) ::munmap(addr_, size_);
    addr_ = other.addr_;
    size_ = other.size_;
    other.addr_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
}

Result<std::string> ReadFileToString(const std::string& path) {
  FdGuard guard{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (guard.fd < 0) return ErrnoStatus("cannot open", path);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(guard.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status WriteFileDurable(const std::string& path, std::string_view contents) {
  FdGuard guard{::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (guard.fd < 0) return ErrnoStatus("cannot create", path);
  SL_RETURN_IF_ERROR(WriteAll(guard.fd, contents, path));
  if (::fsync(guard.fd) != 0) return ErrnoStatus("cannot fsync", path);
  return Status::OK();
}

Status WriteFileAtomic(const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp";
  SL_RETURN_IF_ERROR(WriteFileDurable(tmp, contents));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("cannot rename onto", path);
  return SyncDirectory(ParentDirectory(path));
}

Status SyncDirectory(const std::string& dir) {
  FdGuard guard{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (guard.fd < 0) return ErrnoStatus("cannot open directory", dir);
  if (::fsync(guard.fd) != 0) return ErrnoStatus("cannot fsync directory", dir);
  return Status::OK();
}

Status CreateDirectories(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create directory '" + dir + "': " + ec.message());
  return Status::OK();
}

Result<std::vector<std::string>> ListDirectory(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus("cannot list directory", dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool PathExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove", path);
  return Status::OK();
}

Status RemoveDirectoryTree(const std::string& path) {
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) return Status::IOError("cannot remove " + path + ": " + error.message());
  return Status::OK();
}

Status CopyFile(const std::string& from, const std::string& to) {
  FdGuard in{::open(from.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return ErrnoStatus("cannot open", from);
  struct stat st {};
  if (::fstat(in.fd, &st) != 0) return ErrnoStatus("cannot stat", from);
  FdGuard out{::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444)};
  if (out.fd < 0) return ErrnoStatus("cannot create", to);
  off_t remaining = st.st_size;
  while (remaining > 0) {
    const ssize_t n = ::copy_file_range(in.fd, nullptr, out.fd, nullptr, static_cast<size_t>(remaining), 0);
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
      // Fall back to plain reads and writes across file systems that refuse it.
      char buf[1 << 16];
      ssize_t r;
      while ((r = ::read(in.fd, buf, sizeof buf)) > 0) {
        SL_RETURN_IF_ERROR(WriteAll(out.fd, std::string_view(buf, static_cast<size_t>(r)), to));
      }
      if (r < 0) return ErrnoStatus("cannot read", from);
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot copy to", to);
    }
    if (n == 0) break;
    remaining -= n;
  }
  ::sync_file_range(out.fd, 0, 0, SYNC_FILE_RANGE_WRITE);  // start write-back; SyncFileSystem waits
  return Status::OK();
}

Status SyncFileSystem(const std::string& path) {
  FdGuard guard{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (guard.fd < 0) return ErrnoStatus("cannot open", path);
  if (::syncfs(guard.fd) != 0) return ErrnoStatus("cannot sync the file system of", path);
  return Status::OK();
}

}  // namespace stocklake
