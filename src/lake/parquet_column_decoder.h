// Decoding of one column's chunks, page by page, into a stocklake Column (internal to the
// Parquet reader): decompression with allocation bounds, dictionaries, definition levels,
// and the PLAIN / RLE_DICTIONARY / BYTE_STREAM_SPLIT / DELTA_BINARY_PACKED encodings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/table.h"
#include "lake/parquet_footer.h"

namespace stocklake::parquet_internal {

//! Lets the interning map look up string_views without building a std::string.
struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

//! Decodes the column chunks of one output column, row group after row group.
class ColumnDecoder {
 public:
  ColumnDecoder(std::string_view file, const std::string& name, const ParquetColumnInfo& info, int32_t physical_type,
                Column* out)
      : file_(file), name_(name), info_(info), physical_type_(physical_type), out_(out) {}

  //! Walks one chunk's page headers without decoding the pages, before DecodeFile sizes
  //! the output from the footer's row counts: the data pages must declare exactly
  //! `rows` values, and each page's sizes must be possible for its codec and encoding.
  //! Does not touch the output.
  Status CheckChunk(const ColumnMetaMd& meta, size_t row_group, size_t rows);
  //! Decodes one chunk into rows [row_begin, row_begin + rows) of the output.
  Status ReadChunk(const ColumnMetaMd& meta, size_t row_group, size_t row_begin, size_t rows);
  //! Drops the validity vector when no NULL was seen (Table's convention).
  void Finish() {
    if (!saw_null_) out_->valid.clear();
  }

 private:
  Status Corrupt(const std::string& what) const {
    return Status::Corruption(name_ + ": column '" + info_.name + "' row group " + std::to_string(row_group_) + ": " +
                              what);
  }
  //! The chunk's bytes (`start` is their file offset), after checking its value count.
  Status ChunkBytes(const ColumnMetaMd& meta, size_t rows, std::string_view* chunk, int64_t* start) const;
  //! Reads the page header at chunk[*pos] and the page body after it; advances *pos.
  Status NextPage(std::string_view chunk, int64_t start, size_t* pos, PageHeaderMd* header,
                  std::string_view* page) const;
  //! Refuses a decompressed size beyond kMaxPageBytes or the codec's expansion limit.
  Status CheckDecompressedSize(size_t compressed, size_t uncompressed) const;
  //! A buffer of at least n bytes, not zero-filled (the decompressor writes it).
  char* DecompressBuffer(size_t n);
  Status Decompress(std::string_view in, size_t uncompressed_size, std::string_view* out);
  Status ReadDictionaryPage(std::string_view body, int32_t num_values);
  Status ReadDataPage(const PageHeaderMd& header, std::string_view page);
  //! Decodes the `present` non-NULL values of rows [row, row + n) from `values`.
  Status DecodeValues(int32_t encoding, std::string_view values, size_t row, size_t n, size_t present);
  template <typename T>
  Status DecodeFixed(int32_t encoding, std::string_view values, T* dst, size_t present);
  Status DecodeStrings(int32_t encoding, std::string_view values, int32_t* dst, size_t present);
  Status DecodeIndices(std::string_view values, size_t present);
  template <typename T>
  Status DecodeDeltaBinaryPacked(std::string_view values, T* dst, size_t present, size_t* consumed);
  int32_t Intern(std::string_view s);
  //! Spreads `present` values packed at the start of [row, row+n) to their valid rows.
  template <typename T>
  void Scatter(T* base, size_t row, size_t n, size_t present);

  std::string_view file_;
  const std::string& name_;
  const ParquetColumnInfo& info_;
  int32_t physical_type_;
  Column* out_;
  size_t row_group_ = 0;
  int32_t codec_ = 0;
  size_t next_row_ = 0;
  bool saw_null_ = false;

  // Current chunk's dictionary, typed as the column is.
  bool has_dictionary_ = false;
  std::vector<int32_t> dict_i32_;
  std::vector<int64_t> dict_i64_;
  std::vector<double> dict_f64_;
  std::vector<int32_t> dict_codes_;  // string dictionary entry -> output dictionary code

  std::unordered_map<std::string, int32_t, TransparentHash, std::equal_to<>> interned_;
  std::unique_ptr<char[]> decompressed_;
  size_t decompressed_capacity_ = 0;
  std::vector<uint32_t> scratch_;
};

}  // namespace stocklake::parquet_internal
