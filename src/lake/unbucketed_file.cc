#include "lake/unbucketed_file.h"

#include "lake/parquet_writer.h"

namespace stocklake {

Result<DataFile> WriteUnbucketedFile(const std::string& lake_dir, std::string_view table_name,
                                     const std::string& partition, const std::string& name_tag, const Table& table,
                                     Env* env) {
  DataFile file;
  file.path = UnbucketedFileName(std::string(table_name), name_tag);
  file.bucket = kUnbucketed;
  file.partition = partition;
  file.rows = static_cast<int64_t>(table.num_rows());
  const std::string full = lake_dir + "/" + file.path;
  SL_RETURN_IF_ERROR(env->CreateDirectories(full.substr(0, full.rfind('/'))));
  ParquetWriteOptions options;
  options.env = env;
  options.fsync = true;  // durable before a snapshot may list it
  SL_RETURN_IF_ERROR(WriteParquetFile(full, table, options));
  SL_RETURN_IF_ERROR(env->SyncDirectory(full.substr(0, full.rfind('/'))));  // its name too
  SL_ASSIGN_OR_RETURN(FileInfo info, env->GetFileInfo(full));
  file.bytes = static_cast<int64_t>(info.size);
  return file;
}

}  // namespace stocklake
