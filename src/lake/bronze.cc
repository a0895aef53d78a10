#include "lake/bronze.h"

#include <zstd.h>

#include <memory>

#include "core/files.h"

namespace stocklake {

namespace {
constexpr int kLevel = -3;  // zstd fast mode: CSV still halves, at over 1 GB/s per core
}  // namespace

Status WriteBronzeCopy(std::string_view bytes, const std::string& path, Env* env) {
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> context(ZSTD_createCCtx(), ZSTD_freeCCtx);
  thread_local std::string compressed;
  ZSTD_CCtx_reset(context.get(), ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(context.get(), ZSTD_c_compressionLevel, kLevel);
  ZSTD_CCtx_setParameter(context.get(), ZSTD_c_checksumFlag, 1);
  compressed.resize(ZSTD_compressBound(bytes.size()));
  const size_t n = ZSTD_compress2(context.get(), compressed.data(), compressed.size(), bytes.data(), bytes.size());
  if (ZSTD_isError(n)) return Status::IOError("cannot compress the bronze copy " + path + ": " + ZSTD_getErrorName(n));
  SL_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path, OpenMode::kTruncate, 0444));
  SL_RETURN_IF_ERROR(file->Append(std::string_view(compressed.data(), n)));
  file->StartWriteBack(0, 0);  // durable at the ingest's SyncFileSystem
  return file->Close();
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
