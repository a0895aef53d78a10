#include "lake/parquet_reader.h"

#include <new>
#include <stdexcept>

#include "core/files.h"
#include "lake/parquet_column_decoder.h"
#include "lake/parquet_footer.h"

namespace stocklake {

using parquet_internal::ColumnDecoder;
using parquet_internal::ParsedFile;
using parquet_internal::RowGroupMd;

namespace {

Result<Table> DecodeFile(std::string_view data, const std::string& name, const std::vector<std::string>* wanted) {
  ParsedFile parsed;
  SL_RETURN_IF_ERROR(parquet_internal::ParseFooter(data, name, &parsed));
  std::vector<size_t> selected;
  if (wanted == nullptr) {
    for (size_t c = 0; c < parsed.columns.size(); ++c) selected.push_back(c);
  } else {
    for (const std::string& w : *wanted) {
      size_t found = parsed.columns.size();
      for (size_t c = 0; c < parsed.columns.size(); ++c) {
        if (parsed.columns[c].name == w) {
          found = c;
          break;
        }
      }
      if (found == parsed.columns.size()) return Status::NotFound(name + ": no column named '" + w + "'");
      selected.push_back(found);
    }
  }
  // Every chunk's page headers must back the footer's row counts before those size the
  // output: otherwise a few corrupt footer bytes could ask for gigabytes.
  for (size_t c : selected) {
    ColumnDecoder checker(data, name, parsed.columns[c], parsed.physical_types[c], nullptr);
    for (size_t g = 0; g < parsed.meta.row_groups.size(); ++g) {
      const RowGroupMd& rg = parsed.meta.row_groups[g];
      SL_RETURN_IF_ERROR(checker.CheckChunk(rg.columns[c].meta, g, static_cast<size_t>(rg.num_rows)));
    }
  }
  const auto rows = static_cast<size_t>(parsed.meta.num_rows);
  Table table;
  table.columns.reserve(selected.size());
  for (size_t c : selected) {
    const ParquetColumnInfo& info = parsed.columns[c];
    Column column(info.name, info.type, info.nullable);
    switch (info.type) {
      case ColumnType::kDate:
      case ColumnType::kInt32: column.i32.resize(rows); break;
      case ColumnType::kInt64: column.i64.resize(rows); break;
      case ColumnType::kDouble: column.f64.resize(rows); break;
      case ColumnType::kString: column.codes.resize(rows); break;
    }
    if (info.nullable) column.valid.resize(rows);
    table.columns.push_back(std::move(column));
  }
  for (size_t k = 0; k < selected.size(); ++k) {
    const size_t c = selected[k];
    Column& column = table.columns[k];
    ColumnDecoder decoder(data, name, parsed.columns[c], parsed.physical_types[c], &column);
    size_t row = 0;
    for (size_t g = 0; g < parsed.meta.row_groups.size(); ++g) {
      const RowGroupMd& rg = parsed.meta.row_groups[g];
      const auto group_rows = static_cast<size_t>(rg.num_rows);
      SL_RETURN_IF_ERROR(decoder.ReadChunk(rg.columns[c].meta, g, row, group_rows));
      row += group_rows;
    }
    decoder.Finish();
  }
  return table;
}

}  // namespace

Result<Table> DecodeParquet(std::string_view data, const std::string& name, const std::vector<std::string>* columns) {
  try {
    return DecodeFile(data, name, columns);
  } catch (const std::bad_alloc&) {
    return Status::Corruption(name + ": sizes in the file exhaust memory (corrupt metadata?)");
  } catch (const std::length_error&) {
    return Status::Corruption(name + ": sizes in the file exceed limits (corrupt metadata?)");
  }
}

Result<ParquetFileInfo> ReadParquetMetadata(const std::string& path) {
  SL_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  try {
    ParsedFile parsed;
    SL_RETURN_IF_ERROR(parquet_internal::ParseFooter(file.data(), path, &parsed));
    return parquet_internal::MakeFileInfo(parsed);
  } catch (const std::bad_alloc&) {
    return Status::Corruption(path + ": footer sizes exhaust memory (corrupt metadata?)");
  } catch (const std::length_error&) {
    return Status::Corruption(path + ": footer sizes exceed limits (corrupt metadata?)");
  }
}

Result<Table> ReadParquetFile(const std::string& path) {
  SL_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  return DecodeParquet(file.data(), path, nullptr);
}

Result<Table> ReadParquetFile(const std::string& path, const std::vector<std::string>& columns) {
  SL_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  return DecodeParquet(file.data(), path, &columns);
}

}  // namespace stocklake