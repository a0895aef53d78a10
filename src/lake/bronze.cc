#include "lake/bronze.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/files.h"

namespace stocklake {

namespace {
constexpr int kLevel = -3;  // zstd fast mode: CSV still halves, at over 1 GB/s per core
}  // namespace

Status WriteBronzeCopy(std::string_view bytes, const std::string& path) {
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> context(ZSTD_createCCtx(), ZSTD_freeCCtx);
  thread_local std::string compressed;
  ZSTD_CCtx_reset(context.get(), ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(context.get(), ZSTD_c_compressionLevel, kLevel);
  ZSTD_CCtx_setParameter(context.get(), ZSTD_c_checksumFlag, 1);
  compressed.resize(ZSTD_compressBound(bytes.size()));
  const size_t n = ZSTD_compress2(context.get(), compressed.data(), compressed.size(), bytes.data(), bytes.size());
  if (ZSTD_isError(n)) return Status::IOError("cannot compress the bronze copy " + path + ": " + ZSTD_getErrorName(n));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
  if (fd < 0) return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < n) {
    const ssize_t w = ::write(fd, compressed.data() + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      const std::string err = std::strerror(errno);
      ::close(fd);
      return Status::IOError("cannot write " + path + ": " + err);
    }
    done += static_cast<size_t>(w);
  }
  ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  if (::close(fd) != 0) return Status::IOError("cannot close " + path + ": " + std::strerror(errno));
  return Status::OK();
}

Result<std::string> ReadBronzeCopy(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string compressed, ReadFileToString(path));
  const unsigned long long size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::Corruption(path + ": not a bronze copy (no zstd frame with a content size)");
  }
  std::string bytes(size, '\0');
  const size_t n = ZSTD_decompress(bytes.data(), bytes.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(n) || n != size) {
    return Status::Corruption(path +
                              ": damaged bronze copy: " + (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short frame"));
  }
  return bytes;
}

}  // namespace stocklake
