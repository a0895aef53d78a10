// Env::Default(): the POSIX file system. The only place in stocklake that calls open,
// write, pwritev, fsync, fdatasync, rename, flock and friends.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/env.h"

namespace stocklake {

namespace {

// The Status for a failed system call: NotFound for ENOENT, IOError otherwise, with
// what was attempted, the path and the system's message.
Status ErrnoStatus(const std::string& what, const std::string& path, int err = errno) {
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

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  const std::string& path() const override { return path_; }

  Status Append(std::string_view data) override { return WriteAll(fd_, data, path_); }

  Status WriteAt(uint64_t offset, std::string_view first, std::string_view second) override {
    iovec iov[2] = {{const_cast<char*>(first.data()), first.size()}, {const_cast<char*>(second.data()), second.size()}};
    int next = 0;
    while (next < 2 && iov[next].iov_len == 0) ++next;
    while (next < 2) {
      const ssize_t n = ::pwritev(fd_, iov + next, 2 - next, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot write", path_);
      }
      offset += static_cast<uint64_t>(n);
      size_t left = static_cast<size_t>(n);
      while (next < 2 && left >= iov[next].iov_len) {
        left -= iov[next].iov_len;
        ++next;
      }
      if (next < 2) {
        iov[next].iov_base = static_cast<char*>(iov[next].iov_base) + left;
        iov[next].iov_len -= left;
      }
    }
    return Status::OK();
  }

  void StartWriteBack(uint64_t offset, uint64_t length) override {
    ::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
  }

  Status Sync() override {
    if (::fsync(fd_) != 0) return ErrnoStatus("cannot fsync", path_);
    return Status::OK();
  }

  Status SyncData() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("cannot fsync", path_);
    return Status::OK();
  }

  Status Close() override {
    const int fd = std::exchange(fd_, -1);
    if (fd >= 0 && ::close(fd) != 0) return ErrnoStatus("cannot close", path_);
    return Status::OK();
  }

 private:
  int fd_;
  std::string path_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status ReadExact(uint64_t offset, size_t n, char* out) const override {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot read", path_);
      }
      if (r == 0) {
        return Status::Corruption("'" + path_ + "' ends at byte " + std::to_string(offset + done) + ", expected " +
                                  std::to_string(n - done) +
                                  " more bytes; the file was truncated behind the reader's back");
      }
      done += static_cast<size_t>(r);
    }
    return Status::OK();
  }

 private:
  int fd_;
  std::string path_;
};

class PosixFileLockHandle final : public FileLockHandle {
 public:
  explicit PosixFileLockHandle(int fd) : fd_(fd) {}
  ~PosixFileLockHandle() override { ::close(fd_); }

 private:
  int fd_;
};

}  // namespace

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, OpenMode mode,
                                                        int permissions) override {
    int flags = O_WRONLY | O_CLOEXEC;
    switch (mode) {
      case OpenMode::kTruncate: flags |= O_CREAT | O_TRUNC; break;
      case OpenMode::kAppend: flags |= O_CREAT | O_APPEND; break;
      case OpenMode::kExisting: break;
      case OpenMode::kCreateNew: flags |= O_CREAT | O_EXCL; break;
    }
    const int fd = ::open(path.c_str(), flags, static_cast<mode_t>(permissions));
    if (fd < 0 && mode == OpenMode::kExisting) return ErrnoStatus("cannot open", path);
    // Creating, ENOENT means a missing directory, not a missing file: an IOError.
    if (fd < 0) return Status::IOError("cannot create '" + path + "': " + std::strerror(errno));
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open", path);
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(fd, path));
  }

  Result<MappedFile> MapFile(const std::string& path) override {
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

  Result<std::string> ReadFile(const std::string& path) override {
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

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("cannot rename '" + from + "' onto", to);
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove", path);
    return Status::OK();
  }

  Status RemoveDirectoryTree(const std::string& path) override {
    std::error_code error;
    std::filesystem::remove_all(path, error);
    if (error) return Status::IOError("cannot remove " + path + ": " + error.message());
    return Status::OK();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) return ErrnoStatus("cannot truncate", path);
    return Status::OK();
  }

  Status CreateDirectories(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot create directory '" + dir + "': " + ec.message());
    return Status::OK();
  }

  Status SyncDirectory(const std::string& dir) override {
    FdGuard guard{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (guard.fd < 0) return ErrnoStatus("cannot open directory", dir);
    if (::fsync(guard.fd) != 0) return ErrnoStatus("cannot fsync directory", dir);
    return Status::OK();
  }

  Result<std::vector<std::string>> ListDirectory(const std::string& dir) override {
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

  bool FileExists(const std::string& path) override {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  }

  Result<FileInfo> GetFileInfo(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("cannot stat", path);
    FileInfo info;
    info.size = static_cast<uint64_t>(st.st_size);
    info.mtime_ms = int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
    return info;
  }

  Status CopyFile(const std::string& from, const std::string& to) override {
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

  Status SyncFileSystem(const std::string& path) override {
    FdGuard guard{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (guard.fd < 0) return ErrnoStatus("cannot open", path);
    if (::syncfs(guard.fd) != 0) return ErrnoStatus("cannot sync the file system of", path);
    return Status::OK();
  }

  Result<std::unique_ptr<FileLockHandle>> LockFile(const std::string& path, LockMode mode, bool wait) override {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("cannot open lock file", path);
    const int operation = (mode == LockMode::kExclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    int locked;
    while ((locked = ::flock(fd, operation)) != 0 && errno == EINTR) {
    }
    if (locked != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK) return Status::Aborted(path + " is locked by another process");
      return ErrnoStatus("cannot lock", path, error);
    }
    return std::unique_ptr<FileLockHandle>(new PosixFileLockHandle(fd));
  }
};

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv;  // never destroyed: used until the program ends
  return env;
}

Result<MappedFile> MappedFile::Open(const std::string& path) { return Env::Default()->MapFile(path); }

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

}  // namespace stocklake
