// Writes a Table as an Apache Parquet file: one flat schema, data pages v1, plain or
// dictionary encoding, zstd/snappy/no compression, min/max/null-count statistics per
// column chunk. Written by stocklake itself because Debian ships no Parquet library.
#pragma once

#include <cstddef>
#include <string>

#include "core/env.h"
#include "core/status.h"
#include "core/table.h"

namespace stocklake {

enum class ParquetCompression { kNone, kSnappy, kZstd };

struct ParquetWriteOptions {
  ParquetCompression compression = ParquetCompression::kZstd;
  int zstd_level = 1;
  size_t row_group_rows = 1 << 20;  //!< rows per row group
  size_t page_rows = 64 * 1024;     //!< rows per data page (approx.)
  //! A string column chunk whose distinct values take more PLAIN bytes than this is
  //! written PLAIN instead of dictionary-encoded (parquet-mr's default limit).
  size_t dictionary_max_bytes = 1 << 20;
  //! DOUBLE columns as BYTE_STREAM_SPLIT (the bytes of each value position stored as
  //! separate streams): prices and indicators then compress several times better and
  //! faster than PLAIN, whose mantissa bytes look random to the compressor.
  bool byte_stream_split_doubles = true;
  //! true: fsync before returning. false: only start the write-back (the caller makes
  //! many files durable with one SyncFileSystem, and the disk works while it computes).
  bool fsync = true;
  //! Threads encoding column chunks of a row group in parallel; 0 = one per core. The
  //! file's bytes do not depend on it.
  int threads = 0;
  //! Where the file is written.
  Env* env = Env::Default();
};

//! Writes `table` to a new Parquet file at `path` (replacing any file there) and fsyncs
//! it (unless options.fsync is false). Column types map to: kDate -> INT32 + DATE logical type; kInt32 -> INT32; kInt64
//! -> INT64; kDouble -> DOUBLE; kString -> BYTE_ARRAY + STRING(UTF8) logical type,
//! dictionary-encoded (RLE_DICTIONARY with a PLAIN dictionary page), falling back to
//! PLAIN when the dictionary is large. Nullable columns are OPTIONAL with RLE/bit-packed
//! hybrid definition levels; others REQUIRED. Memory use stays near one row group of
//! encoded output. On error no partial file is left behind.
//! InvalidArgument if columns differ in length, a name is empty or duplicated, or a
//! string code is outside its dictionary.
Status WriteParquetFile(const std::string& path, const Table& table, const ParquetWriteOptions& options = {});

//! The bytes WriteParquetFile would write, in memory.
Result<std::string> EncodeParquet(const Table& table, const ParquetWriteOptions& options = {});

}  // namespace stocklake
