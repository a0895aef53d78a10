// Reads Parquet files back into Tables, and their footers alone for planning (row counts,
// schemas, per-row-group statistics). Handles stocklake's own files and flat files other
// writers (DuckDB) produce: PLAIN / RLE_DICTIONARY / PLAIN_DICTIONARY / BYTE_STREAM_SPLIT
// / DELTA_BINARY_PACKED encodings, data pages v1 and v2, snappy / zstd / gzip /
// uncompressed. Malformed input yields Status::Corruption naming the file, never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table.h"

namespace stocklake {

//! Statistics of one column in one row group, as the footer records them.
struct ParquetColumnStats {
  //! False when the writer recorded no min/max (or only NaN / unusable ones).
  bool has_min_max = false;
  // The typed min/max: *_int for kDate/kInt32/kInt64, *_double for kDouble, *_string
  // for kString (byte-wise order).
  int64_t min_int = 0;
  int64_t max_int = 0;
  double min_double = 0;
  double max_double = 0;
  std::string min_string;
  std::string max_string;
  //! -1 when the writer recorded no null count.
  int64_t null_count = -1;
};

struct ParquetColumnInfo {
  std::string name;
  ColumnType type = ColumnType::kInt64;
  bool nullable = false;
};

struct ParquetRowGroupInfo {
  int64_t num_rows = 0;
  //! One per schema column, in schema order.
  std::vector<ParquetColumnStats> columns;
};

struct ParquetFileInfo {
  int64_t num_rows = 0;
  std::vector<ParquetColumnInfo> columns;
  int num_row_groups = 0;
  std::vector<ParquetRowGroupInfo> row_groups;
  std::string created_by;
};

//! Reads only the footer. Corruption if the file is not valid Parquet; NotSupported for
//! nested schemas or column types stocklake has no ColumnType for.
Result<ParquetFileInfo> ReadParquetMetadata(const std::string& path);

//! Reads a whole file back into a Table (column order as in the file).
Result<Table> ReadParquetFile(const std::string& path);

//! Reads only the named columns, in the order given; NotFound names a missing column.
Result<Table> ReadParquetFile(const std::string& path, const std::vector<std::string>& columns);

//! Decodes a Parquet file already in memory; `name` is used in error messages.
Result<Table> DecodeParquet(std::string_view data, const std::string& name,
                            const std::vector<std::string>* columns = nullptr);

}  // namespace stocklake
