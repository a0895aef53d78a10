// Parquet footer and page-header decoding for the reader (internal): the Thrift structures
// with just the fields stocklake uses, decoded from the compact protocol, and the checked
// view of a whole footer (schema resolved to ColumnTypes, row counts consistent).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "lake/parquet_format.h"
#include "lake/parquet_reader.h"
#include "lake/thrift_compact.h"

namespace stocklake::parquet_internal {

// ---------------------------------------------------------------------------------
// Footer structures: just the fields stocklake uses.

struct SchemaElementMd {
  int32_t type = -1;
  int32_t repetition = -1;
  std::string name;
  int32_t num_children = -1;
  int32_t converted_type = -1;
  int16_t logical_type = 0;  // field id set in the LogicalType union; 0 when absent
};

struct StatisticsMd {
  bool has_min = false;
  bool has_max = false;
  std::string min_value;
  std::string max_value;
  bool has_legacy_min = false;
  bool has_legacy_max = false;
  std::string legacy_min;
  std::string legacy_max;
  int64_t null_count = -1;
};

struct ColumnMetaMd {
  int32_t type = -1;
  int32_t codec = 0;
  int64_t num_values = -1;
  int64_t total_compressed = -1;
  int64_t data_page_offset = -1;
  int64_t dictionary_page_offset = -1;
  StatisticsMd stats;
};

struct ColumnChunkMd {
  bool has_meta = false;
  bool has_file_path = false;
  ColumnMetaMd meta;
};

struct RowGroupMd {
  std::vector<ColumnChunkMd> columns;
  int64_t num_rows = -1;
};

struct FileMetaMd {
  std::vector<SchemaElementMd> schema;
  int64_t num_rows = -1;
  std::vector<RowGroupMd> row_groups;
  std::string created_by;
  bool has_schema = false;
  bool has_row_groups = false;
};

struct DataPageHeaderMd {
  int32_t num_values = -1;
  int32_t encoding = -1;
  int32_t definition_level_encoding = kRle;
  int32_t num_nulls = -1;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;
};

struct PageHeaderMd {
  int32_t type = -1;
  int32_t uncompressed_size = -1;
  int32_t compressed_size = -1;
  bool has_data = false;
  bool has_dictionary = false;
  DataPageHeaderMd data;  // v1 or v2, by `type`
  int32_t dictionary_num_values = -1;
  int32_t dictionary_encoding = kPlain;
};

//! Decodes one page header (data page v1/v2 or dictionary page); errors are left in `r`.
void DecodePageHeader(ThriftCompactReader& r, PageHeaderMd* h);

//! A footer decoded and checked: the schema's leaf columns with their stocklake types.
struct ParsedFile {
  FileMetaMd meta;
  std::vector<ParquetColumnInfo> columns;
  std::vector<int32_t> physical_types;
};

//! Decodes and checks the footer of the file `data` (`name` in error messages):
//! Corruption when it is not valid Parquet or its sizes are inconsistent.
Status ParseFooter(std::string_view data, const std::string& name, ParsedFile* out);

//! The public view of a parsed footer (ReadParquetMetadata).
ParquetFileInfo MakeFileInfo(const ParsedFile& parsed);

}  // namespace stocklake::parquet_internal
