// The embedded backend of MessageLog: a directory of append-only segment files per
// partition, durable at Flush, that recovers from a crash mid-write by cutting the torn
// tail back to the last whole batch.
//
// Layout:
//   DIR/<topic>/topic.json                  {"partitions": N}, replaced atomically
//   DIR/<topic>/<partition>/<base>.log      segments; <base> = first offset, 20 digits
//   DIR/_groups/<group>.json                committed offsets, replaced atomically
//   DIR/.lock                               flock'ed while a FileLog has the directory open
// A segment is a sequence of batches, each a 24-byte header
//   u32 magic 0x31424C53 ("SLB1"), u32 payload length, u32 CRC32 (zlib) of the bytes from
//   base offset to the end of the payload, i64 base offset, u32 record count
// followed by its records: u32 key length, u32 value length, key bytes, value bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/env.h"
#include "core/status.h"
#include "log/message_log.h"

namespace stocklake {

struct FileLogOptions {
  size_t segment_bytes = 256 << 20;  // roll to a new segment file past this size
  int64_t retention_bytes = -1;      // per partition; -1 = unlimited. Whole old segments are deleted.
  int64_t retention_ms = -1;         // by segment age (last-modified); -1 = unlimited
  size_t batch_bytes = 1 << 20;      // records are buffered and written in batches of about this size
  Env* env = Env::Default();         // every file access of the log goes through it
};

//! MessageLog over files in one directory (layout above). Appends are buffered in memory per
//! partition and written in large batches; Flush writes and fsyncs. Opening scans batch headers
//! to build a sparse offset index, verifies the checksums of each partition's last segment
//! (the only place a crash can tear a write) and truncates a torn or corrupt tail; damage
//! followed by valid batches is not a torn tail and makes that partition's calls return
//! Corruption instead of silently skipping records. One FileLog per directory at a time.
class FileLog : public MessageLog {
 public:
  static Result<std::unique_ptr<FileLog>> Open(const std::string& dir, const FileLogOptions& options = {});
  //! Writes and fsyncs what is buffered, like Flush, ignoring errors (call Flush to see them).
  ~FileLog() override;

  Status EnsureTopic(const std::string& topic, int partitions) override;
  Result<int> PartitionCount(const std::string& topic) override;
  Status Produce(const std::string& topic, int partition, std::string_view key, std::string_view value) override;
  Status Flush() override;
  Result<int64_t> EndOffset(const std::string& topic, int partition) override;
  Result<int64_t> BeginOffset(const std::string& topic, int partition) override;
  Result<std::vector<LogRecord>> Fetch(const std::string& topic, int partition, int64_t offset,
                                       size_t max_bytes) override;
  Status CommitOffset(const std::string& group, const std::string& topic, int partition, int64_t next_offset) override;
  Result<int64_t> CommittedOffset(const std::string& group, const std::string& topic, int partition) override;

  //! Applies retention now (also done at open and after Flush): deletes a partition's oldest
  //! segments, never the one being appended to, while the partition stays above
  //! retention_bytes without it or while it is older than retention_ms.
  Status ApplyRetention();

 private:
  struct Impl;
  explicit FileLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

//! Opens (creating when missing) the file log in `dir`.
Result<std::unique_ptr<MessageLog>> OpenFileLog(const std::string& dir, const FileLogOptions& options = {});

}  // namespace stocklake
