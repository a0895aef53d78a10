#include "lake/parquet_writer.h"

#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "core/byte_stream_split.h"
#include "core/env.h"
#include "lake/parquet_format.h"
#include "lake/thrift_compact.h"

namespace stocklake {

namespace pq = parquet_internal;

namespace {

constexpr size_t kFlushBytes = 8 << 20;
constexpr size_t kDirectWriteBytes = 256 << 10;

//! Where encoded bytes go: a memory buffer that, when backed by a file descriptor,
//! drains to the file whenever it grows past kFlushBytes.
class Sink {
 public:
  //! Writes to `file`; without one, only collects the bytes in buffer().
  explicit Sink(WritableFile* file) : file_(file) {}
  uint64_t offset() const { return flushed_ + buf_.size(); }
  //! Buffers small pieces; a large one (a column chunk) goes to the file as it is, after
  //! what is buffered, instead of being copied into the buffer first.
  Status Append(std::string_view bytes) {
    if (file_ == nullptr || bytes.size() < kDirectWriteBytes) {
      buf_.append(bytes.data(), bytes.size());
      return Status::OK();
    }
    SL_RETURN_IF_ERROR(Flush());
    SL_RETURN_IF_ERROR(file_->Append(bytes));
    flushed_ += bytes.size();
    return Status::OK();
  }
  std::string& buffer() { return buf_; }
  Status MaybeFlush() { return buf_.size() >= kFlushBytes ? Flush() : Status::OK(); }
  Status Flush() {
    if (file_ == nullptr || buf_.empty()) return Status::OK();
    SL_RETURN_IF_ERROR(file_->Append(buf_));
    flushed_ += buf_.size();
    buf_.clear();
    return Status::OK();
  }

 private:
  WritableFile* file_;
  std::string buf_;
  uint64_t flushed_ = 0;
};

struct ChunkMeta {
  int32_t physical_type = 0;
  std::vector<int32_t> encodings;
  int64_t num_values = 0;
  int64_t total_uncompressed = 0;
  int64_t total_compressed = 0;
  int64_t data_page_offset = 0;
  int64_t dictionary_page_offset = -1;
  bool has_min_max = false;
  std::string min_value;  // plain-encoded
  std::string max_value;
  int64_t null_count = 0;
};

struct RowGroupMeta {
  std::vector<ChunkMeta> chunks;
  int64_t num_rows = 0;
  int64_t file_offset = 0;
};

int32_t PhysicalTypeOf(ColumnType type) {
  switch (type) {
    case ColumnType::kDate:
    case ColumnType::kInt32: return pq::kInt32;
    case ColumnType::kInt64: return pq::kInt64;
    case ColumnType::kDouble: return pq::kDouble;
    case ColumnType::kString: return pq::kByteArray;
  }
  return pq::kInt64;
}

bool IsOptional(const Column& c) { return c.nullable || !c.valid.empty(); }

template <typename T>
std::string PlainBytes(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}

void AppendPlainByteArray(std::string_view v, std::string* out) {
  const uint32_t len = static_cast<uint32_t>(v.size());
  char prefix[4];
  std::memcpy(prefix, &len, 4);
  out->append(prefix, 4);
  out->append(v.data(), v.size());
}

//! Encodes one column chunk (dictionary page + data pages) into a private buffer with
//! offsets relative to the chunk's start. Each thread owns one, so buffers and the zstd
//! context are reused across chunks without sharing.
class ChunkEncoder {
 public:
  explicit ChunkEncoder(const ParquetWriteOptions& options) : options_(options) {}
  ~ChunkEncoder() {
    if (zstd_ != nullptr) ZSTD_freeCCtx(zstd_);
  }
  ChunkEncoder(const ChunkEncoder&) = delete;
  ChunkEncoder& operator=(const ChunkEncoder&) = delete;

  //! Replaces `*out` with the encoded rows [begin, end) of `column` and fills `meta`.
  Status Encode(const Column& column, size_t begin, size_t end, ChunkMeta* meta, std::string* out);

 private:
  template <typename T>
  Status WriteFixedChunk(const Column& column, const std::vector<T>& values, size_t begin, size_t end, ChunkMeta* meta);
  Status WriteStringChunk(const Column& column, size_t begin, size_t end, ChunkMeta* meta);
  //! Appends definition levels (with v1's 4-byte length prefix) for rows [begin, end).
  void AppendDefinitionLevels(const Column& column, size_t begin, size_t end);
  size_t PageRows(size_t chunk_rows) const;
  //! Rewrites the 8-byte values in page_ from `at` on as BYTE_STREAM_SPLIT: all first
  //! bytes, then all second bytes, and so on.
  void SplitByteStreams(size_t at);
  //! Compresses page_ and appends header + body to out_.
  Status FlushPage(pq::PageType type, int32_t num_values, int32_t encoding, ChunkMeta* meta);

  const ParquetWriteOptions& options_;
  std::string* out_ = nullptr;
  ZSTD_CCtx* zstd_ = nullptr;
  std::string page_;        // uncompressed page body
  std::string compressed_;  // compressed page body (sized to the largest bound seen)
  std::string header_;
  std::string split_scratch_;
  std::vector<uint32_t> indices_;
  std::vector<int32_t> chunk_code_;        // table dictionary code -> chunk dictionary index
  std::vector<int32_t> chunk_dictionary_;  // chunk dictionary index -> table code
};

//! Lays out the whole file: magic, row groups (column chunks encoded by ChunkEncoders,
//! in parallel when allowed), footer.
class ParquetEncoder {
 public:
  ParquetEncoder(const Table& table, const ParquetWriteOptions& options, Sink* sink)
      : table_(table), options_(options), sink_(sink) {}

  Status Encode();

 private:
  Status Validate() const;
  //! Encodes the chunks of rows [begin, end) and appends them to the sink in column order.
  Status WriteRowGroup(size_t begin, size_t end, RowGroupMeta* rg);
  //! Moves an encoded chunk into the sink, turning its relative offsets into file offsets.
  Status AppendChunk(std::string* chunk, ChunkMeta* meta);
  Status WriteFooter(const std::vector<RowGroupMeta>& row_groups);

  const Table& table_;
  const ParquetWriteOptions& options_;
  Sink* sink_;
  std::vector<std::unique_ptr<ChunkEncoder>> encoders_;  // one per worker
};

Status ParquetEncoder::Validate() const {
  if (table_.columns.empty()) return Status::InvalidArgument("cannot write a Parquet file with no columns");
  const size_t rows = table_.num_rows();
  std::unordered_set<std::string_view> names;
  for (const Column& c : table_.columns) {
    if (c.name.empty()) return Status::InvalidArgument("column with an empty name");
    if (!names.insert(c.name).second) return Status::InvalidArgument("duplicate column name '" + c.name + "'");
    if (c.size() != rows) {
      return Status::InvalidArgument("column '" + c.name + "' has " + std::to_string(c.size()) + " rows, expected " +
                                     std::to_string(rows));
    }
    if (!c.valid.empty() && c.valid.size() != rows) {
      return Status::InvalidArgument("column '" + c.name + "' validity has " + std::to_string(c.valid.size()) +
                                     " entries for " + std::to_string(rows) + " rows");
    }
  }
  if (rows > static_cast<size_t>(std::numeric_limits<int32_t>::max()) * 64) {
    return Status::InvalidArgument("table too large for one Parquet file");
  }
  return Status::OK();
}

Status ParquetEncoder::Encode() {
  SL_RETURN_IF_ERROR(Validate());
  size_t workers = options_.threads > 0 ? static_cast<size_t>(options_.threads) : std::thread::hardware_concurrency();
  workers = std::clamp<size_t>(workers, 1, std::max<size_t>(1, table_.columns.size()));
  workers = std::min<size_t>(workers, 16);
  for (size_t i = 0; i < workers; ++i) encoders_.push_back(std::make_unique<ChunkEncoder>(options_));
  SL_RETURN_IF_ERROR(sink_->Append(std::string_view(pq::kMagic, 4)));
  const size_t rows = table_.num_rows();
  const size_t group_rows = options_.row_group_rows == 0 ? rows : options_.row_group_rows;
  std::vector<RowGroupMeta> row_groups;
  for (size_t begin = 0; begin < rows; begin += group_rows) {
    const size_t end = std::min(rows, begin + group_rows);
    RowGroupMeta rg;
    rg.num_rows = static_cast<int64_t>(end - begin);
    rg.file_offset = static_cast<int64_t>(sink_->offset());
    SL_RETURN_IF_ERROR(WriteRowGroup(begin, end, &rg));
    row_groups.push_back(std::move(rg));
  }
  SL_RETURN_IF_ERROR(WriteFooter(row_groups));
  return sink_->Flush();
}

Status ParquetEncoder::AppendChunk(std::string* chunk, ChunkMeta* meta) {
  const auto base = static_cast<int64_t>(sink_->offset());
  meta->data_page_offset += base;
  if (meta->dictionary_page_offset >= 0) meta->dictionary_page_offset += base;
  SL_RETURN_IF_ERROR(sink_->Append(*chunk));
  chunk->clear();
  return sink_->MaybeFlush();
}

Status ParquetEncoder::WriteRowGroup(size_t begin, size_t end, RowGroupMeta* rg) {
  const size_t columns = table_.columns.size();
  rg->chunks.resize(columns);
  if (encoders_.size() == 1) {
    std::string chunk;
    for (size_t c = 0; c < columns; ++c) {
      SL_RETURN_IF_ERROR(encoders_[0]->Encode(table_.columns[c], begin, end, &rg->chunks[c], &chunk));
      SL_RETURN_IF_ERROR(AppendChunk(&chunk, &rg->chunks[c]));
    }
    return Status::OK();
  }
  // Workers claim columns in order; this thread appends finished chunks in column order
  // and frees them, so memory holds only the chunks finished ahead of the next one due.
  std::vector<std::string> chunks(columns);
  std::vector<Status> statuses(columns);
  std::vector<char> done(columns, 0);
  std::atomic<size_t> next{0};
  std::atomic<bool> abort{false};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::thread> threads;
  for (size_t w = 0; w < encoders_.size(); ++w) {
    threads.emplace_back([&, w] {
      for (size_t c = next++; c < columns && !abort; c = next++) {
        Status st = encoders_[w]->Encode(table_.columns[c], begin, end, &rg->chunks[c], &chunks[c]);
        std::lock_guard<std::mutex> lock(mu);
        statuses[c] = std::move(st);
        done[c] = 1;
        cv.notify_all();
      }
    });
  }
  Status result;
  for (size_t c = 0; c < columns && result.ok(); ++c) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done[c] != 0; });
    }
    result = statuses[c];
    if (result.ok()) result = AppendChunk(&chunks[c], &rg->chunks[c]);
  }
  abort = true;
  for (std::thread& t : threads) t.join();
  return result;
}

void ChunkEncoder::AppendDefinitionLevels(const Column& column, size_t begin, size_t end) {
  const size_t length_at = page_.size();
  page_.append(4, '\0');
  if (column.valid.empty()) {
    // Every row present: one RLE run of 1s.
    uint64_t header = static_cast<uint64_t>(end - begin) << 1;
    while (header >= 0x80) {
      page_.push_back(static_cast<char>((header & 0x7f) | 0x80));
      header >>= 7;
    }
    page_.push_back(static_cast<char>(header));
    page_.push_back(1);
  } else {
    pq::AppendRleHybridBytes(column.valid.data() + begin, end - begin, &page_);
  }
  const uint32_t length = static_cast<uint32_t>(page_.size() - length_at - 4);
  std::memcpy(page_.data() + length_at, &length, 4);
}

Status ChunkEncoder::FlushPage(pq::PageType type, int32_t num_values, int32_t encoding, ChunkMeta* meta) {
  std::string_view body = page_;
  switch (options_.compression) {
    case ParquetCompression::kNone: break;
    case ParquetCompression::kSnappy: {
      const size_t bound = snappy::MaxCompressedLength(page_.size());
      if (compressed_.size() < bound) compressed_.resize(bound);
      size_t n = 0;
      snappy::RawCompress(page_.data(), page_.size(), compressed_.data(), &n);
      body = std::string_view(compressed_.data(), n);
      break;
    }
    case ParquetCompression::kZstd: {
      if (zstd_ == nullptr) zstd_ = ZSTD_createCCtx();
      if (zstd_ == nullptr) return Status::IOError("cannot allocate a zstd context");
      const size_t bound = ZSTD_compressBound(page_.size());
      if (compressed_.size() < bound) compressed_.resize(bound);
      const size_t n =
          ZSTD_compressCCtx(zstd_, compressed_.data(), bound, page_.data(), page_.size(), options_.zstd_level);
      if (ZSTD_isError(n)) return Status::IOError(std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
      body = std::string_view(compressed_.data(), n);
      break;
    }
  }
  if (page_.size() > pq::kMaxPageBytes) {
    return Status::InvalidArgument("Parquet page larger than 1 GiB (what readers accept); lower page_rows");
  }
  header_.clear();
  ThriftCompactWriter w(&header_);
  w.BeginStruct();
  w.FieldI32(1, type);
  w.FieldI32(2, static_cast<int32_t>(page_.size()));
  w.FieldI32(3, static_cast<int32_t>(body.size()));
  if (type == pq::kDictionaryPage) {
    w.BeginStructField(7);
    w.FieldI32(1, num_values);
    w.FieldI32(2, encoding);
    w.EndStruct();
  } else {
    w.BeginStructField(5);
    w.FieldI32(1, num_values);
    w.FieldI32(2, encoding);
    w.FieldI32(3, pq::kRle);
    w.FieldI32(4, pq::kRle);
    w.EndStruct();
  }
  w.EndStruct();
  out_->append(header_);
  out_->append(body);
  meta->total_uncompressed += static_cast<int64_t>(header_.size() + page_.size());
  meta->total_compressed += static_cast<int64_t>(header_.size() + body.size());
  return Status::OK();
}

Status ChunkEncoder::Encode(const Column& column, size_t begin, size_t end, ChunkMeta* meta, std::string* out) {
  out_ = out;
  out_->clear();
  meta->physical_type = PhysicalTypeOf(column.type);
  meta->num_values = static_cast<int64_t>(end - begin);
  if (!column.valid.empty()) {
    int64_t present = 0;
    for (size_t r = begin; r < end; ++r) present += column.valid[r] != 0;
    meta->null_count = static_cast<int64_t>(end - begin) - present;
  }
  switch (column.type) {
    case ColumnType::kDate:
    case ColumnType::kInt32: return WriteFixedChunk(column, column.i32, begin, end, meta);
    case ColumnType::kInt64: return WriteFixedChunk(column, column.i64, begin, end, meta);
    case ColumnType::kDouble: return WriteFixedChunk(column, column.f64, begin, end, meta);
    case ColumnType::kString: return WriteStringChunk(column, begin, end, meta);
  }
  return Status::InvalidArgument("column '" + column.name + "' has an unknown type");
}

void ChunkEncoder::SplitByteStreams(size_t at) {
  const size_t n = (page_.size() - at) / 8;
  split_scratch_.assign(page_.data() + at, n * 8);
  stocklake::SplitByteStreams(split_scratch_.data(), page_.data() + at, n, 8);
}

size_t ChunkEncoder::PageRows(size_t chunk_rows) const {
  return options_.page_rows == 0 ? chunk_rows : options_.page_rows;
}

template <typename T>
Status ChunkEncoder::WriteFixedChunk(const Column& column, const std::vector<T>& values, size_t begin, size_t end,
                                     ChunkMeta* meta) {
  const T* data = values.data();
  const uint8_t* valid = column.valid.empty() ? nullptr : column.valid.data();
  // Statistics. Doubles skip NaN (every comparison with NaN is false), so a chunk of
  // only NaNs and NULLs has no min/max.
  T lo, hi;
  if constexpr (std::is_floating_point_v<T>) {
    lo = std::numeric_limits<T>::infinity();
    hi = -std::numeric_limits<T>::infinity();
  } else {
    lo = std::numeric_limits<T>::max();
    hi = std::numeric_limits<T>::lowest();
  }
  bool any = false;
  if (valid == nullptr) {
    for (size_t r = begin; r < end; ++r) {
      lo = data[r] < lo ? data[r] : lo;
      hi = data[r] > hi ? data[r] : hi;
    }
    any = end > begin;
  } else {
    for (size_t r = begin; r < end; ++r) {
      if (valid[r] == 0) continue;
      any = true;
      lo = data[r] < lo ? data[r] : lo;
      hi = data[r] > hi ? data[r] : hi;
    }
  }
  if constexpr (std::is_floating_point_v<T>) {
    any = any && lo <= hi;
    // The spec asks for -0.0 as a zero minimum and +0.0 as a zero maximum, so readers
    // pruning on either sign of zero stay correct.
    if (lo == 0) lo = -0.0;
    if (hi == 0) hi = 0.0;
  }
  if (any) {
    meta->has_min_max = true;
    meta->min_value = PlainBytes(lo);
    meta->max_value = PlainBytes(hi);
  }

  const bool optional = IsOptional(column);
  const size_t page_rows = PageRows(end - begin);
  meta->data_page_offset = static_cast<int64_t>(out_->size());
  for (size_t page_begin = begin; page_begin < end; page_begin += page_rows) {
    const size_t page_end = std::min(end, page_begin + page_rows);
    page_.clear();
    if (optional) AppendDefinitionLevels(column, page_begin, page_end);
    const size_t at = page_.size();
    if (valid == nullptr) {
      page_.append(reinterpret_cast<const char*>(data + page_begin), (page_end - page_begin) * sizeof(T));
    } else {
      page_.resize(at + (page_end - page_begin) * sizeof(T));
      char* dst = page_.data() + at;
      for (size_t r = page_begin; r < page_end; ++r) {
        std::memcpy(dst, &data[r], sizeof(T));
        dst += valid[r] != 0 ? sizeof(T) : 0;  // branch-free gather of present values
      }
      page_.resize(static_cast<size_t>(dst - page_.data()));
    }
    int32_t encoding = pq::kPlain;
    if constexpr (std::is_same_v<T, double>) {
      if (options_.byte_stream_split_doubles) {
        SplitByteStreams(at);
        encoding = pq::kByteStreamSplit;
      }
    }
    SL_RETURN_IF_ERROR(FlushPage(pq::kDataPage, static_cast<int32_t>(page_end - page_begin), encoding, meta));
  }
  if (std::is_same_v<T, double> && options_.byte_stream_split_doubles) {
    meta->encodings = {pq::kByteStreamSplit, pq::kRle};
  } else {
    meta->encodings = {pq::kPlain, pq::kRle};
  }
  return Status::OK();
}

Status ChunkEncoder::WriteStringChunk(const Column& column, size_t begin, size_t end, ChunkMeta* meta) {
  const std::vector<std::string>& dictionary = column.dictionary;
  const int32_t* codes = column.codes.data();
  const uint8_t* valid = column.valid.empty() ? nullptr : column.valid.data();
  // The chunk's own dictionary: the table codes this chunk uses, in first-use order.
  chunk_code_.assign(dictionary.size(), -1);
  chunk_dictionary_.clear();
  size_t dictionary_bytes = 0;
  for (size_t r = begin; r < end; ++r) {
    if (valid != nullptr && valid[r] == 0) continue;
    const int32_t code = codes[r];
    if (code < 0 || static_cast<size_t>(code) >= dictionary.size()) {
      return Status::InvalidArgument("column '" + column.name + "' row " + std::to_string(r) + ": string code " +
                                     std::to_string(code) + " outside its dictionary of " +
                                     std::to_string(dictionary.size()));
    }
    if (chunk_code_[code] < 0) {
      chunk_code_[code] = static_cast<int32_t>(chunk_dictionary_.size());
      chunk_dictionary_.push_back(code);
      dictionary_bytes += 4 + dictionary[code].size();
    }
  }
  if (!chunk_dictionary_.empty()) {
    std::string_view lo = dictionary[chunk_dictionary_[0]];
    std::string_view hi = lo;
    for (int32_t code : chunk_dictionary_) {
      const std::string_view v = dictionary[code];
      if (v < lo) lo = v;  // char_traits<char> compares as unsigned bytes
      if (v > hi) hi = v;
    }
    meta->has_min_max = true;
    meta->min_value = std::string(lo);
    meta->max_value = std::string(hi);
  }

  const bool optional = IsOptional(column);
  const size_t page_rows = PageRows(end - begin);
  const bool use_dictionary = dictionary_bytes <= options_.dictionary_max_bytes;
  if (use_dictionary) {
    page_.clear();
    for (int32_t code : chunk_dictionary_) AppendPlainByteArray(dictionary[code], &page_);
    meta->dictionary_page_offset = static_cast<int64_t>(out_->size());
    SL_RETURN_IF_ERROR(
        FlushPage(pq::kDictionaryPage, static_cast<int32_t>(chunk_dictionary_.size()), pq::kPlain, meta));
  }
  const int bit_width =
      std::max(1, pq::BitWidth(chunk_dictionary_.empty() ? 0 : static_cast<uint32_t>(chunk_dictionary_.size() - 1)));
  meta->data_page_offset = static_cast<int64_t>(out_->size());
  for (size_t page_begin = begin; page_begin < end; page_begin += page_rows) {
    const size_t page_end = std::min(end, page_begin + page_rows);
    page_.clear();
    if (optional) AppendDefinitionLevels(column, page_begin, page_end);
    if (use_dictionary) {
      page_.push_back(static_cast<char>(bit_width));
      indices_.clear();
      for (size_t r = page_begin; r < page_end; ++r) {
        if (valid != nullptr && valid[r] == 0) continue;
        indices_.push_back(static_cast<uint32_t>(chunk_code_[codes[r]]));
      }
      pq::AppendRleHybrid(indices_.data(), indices_.size(), bit_width, &page_);
    } else {
      for (size_t r = page_begin; r < page_end; ++r) {
        if (valid != nullptr && valid[r] == 0) continue;
        AppendPlainByteArray(dictionary[codes[r]], &page_);
      }
    }
    SL_RETURN_IF_ERROR(FlushPage(pq::kDataPage, static_cast<int32_t>(page_end - page_begin),
                                 use_dictionary ? pq::kRleDictionary : pq::kPlain, meta));
  }
  if (use_dictionary) {
    meta->encodings = {pq::kPlain, pq::kRle, pq::kRleDictionary};
  } else {
    meta->encodings = {pq::kPlain, pq::kRle};
  }
  return Status::OK();
}

int32_t CodecOf(ParquetCompression compression) {
  switch (compression) {
    case ParquetCompression::kNone: return pq::kUncompressed;
    case ParquetCompression::kSnappy: return pq::kSnappy;
    case ParquetCompression::kZstd: return pq::kZstd;
  }
  return pq::kUncompressed;
}

Status ParquetEncoder::WriteFooter(const std::vector<RowGroupMeta>& row_groups) {
  std::string footer;
  ThriftCompactWriter w(&footer);
  const auto& columns = table_.columns;
  w.BeginStruct();
  w.FieldI32(1, 2);  // version: uses RLE_DICTIONARY, a format 2 encoding
  w.FieldListHeader(2, ThriftType::kStruct, static_cast<uint32_t>(columns.size() + 1));
  w.BeginStruct();
  w.FieldBinary(4, "schema");
  w.FieldI32(5, static_cast<int32_t>(columns.size()));
  w.EndStruct();
  for (const Column& c : columns) {
    w.BeginStruct();
    w.FieldI32(1, PhysicalTypeOf(c.type));
    w.FieldI32(3, IsOptional(c) ? pq::kOptional : pq::kRequired);
    w.FieldBinary(4, c.name);
    // Both the legacy ConvertedType and the LogicalType, so old and new readers agree.
    if (c.type == ColumnType::kDate || c.type == ColumnType::kString) {
      w.FieldI32(6, c.type == ColumnType::kDate ? pq::kDate : pq::kUtf8);
      w.BeginStructField(10);
      w.BeginStructField(c.type == ColumnType::kDate ? 6 : 1);  // LogicalType.DATE / .STRING
      w.EndStruct();
      w.EndStruct();
    }
    w.EndStruct();
  }
  w.FieldI64(3, static_cast<int64_t>(table_.num_rows()));
  w.FieldListHeader(4, ThriftType::kStruct, static_cast<uint32_t>(row_groups.size()));
  const int32_t codec = CodecOf(options_.compression);
  for (const RowGroupMeta& rg : row_groups) {
    int64_t total_uncompressed = 0;
    int64_t total_compressed = 0;
    w.BeginStruct();
    w.FieldListHeader(1, ThriftType::kStruct, static_cast<uint32_t>(rg.chunks.size()));
    for (size_t c = 0; c < rg.chunks.size(); ++c) {
      const ChunkMeta& m = rg.chunks[c];
      total_uncompressed += m.total_uncompressed;
      total_compressed += m.total_compressed;
      const int64_t chunk_start = m.dictionary_page_offset >= 0 ? m.dictionary_page_offset : m.data_page_offset;
      w.BeginStruct();
      w.FieldI64(2, chunk_start);
      w.BeginStructField(3);
      w.FieldI32(1, m.physical_type);
      w.FieldListHeader(2, ThriftType::kI32, static_cast<uint32_t>(m.encodings.size()));
      for (int32_t e : m.encodings) w.ListI32(e);
      w.FieldListHeader(3, ThriftType::kBinary, 1);
      w.ListBinary(columns[c].name);
      w.FieldI32(4, codec);
      w.FieldI64(5, m.num_values);
      w.FieldI64(6, m.total_uncompressed);
      w.FieldI64(7, m.total_compressed);
      w.FieldI64(9, m.data_page_offset);
      if (m.dictionary_page_offset >= 0) w.FieldI64(11, m.dictionary_page_offset);
      w.BeginStructField(12);
      w.FieldI64(3, m.null_count);
      if (m.has_min_max) {
        w.FieldBinary(5, m.max_value);
        w.FieldBinary(6, m.min_value);
      }
      w.EndStruct();  // Statistics
      w.EndStruct();  // ColumnMetaData
      w.EndStruct();  // ColumnChunk
    }
    w.FieldI64(2, total_uncompressed);
    w.FieldI64(3, rg.num_rows);
    w.FieldI64(5, rg.file_offset);
    w.FieldI64(6, total_compressed);
    w.EndStruct();
  }
  w.FieldBinary(6, "stocklake");
  // TYPE_ORDER for every column: min_value/max_value follow the type's natural order.
  w.FieldListHeader(7, ThriftType::kStruct, static_cast<uint32_t>(columns.size()));
  for (size_t c = 0; c < columns.size(); ++c) {
    w.BeginStruct();
    w.BeginStructField(1);
    w.EndStruct();
    w.EndStruct();
  }
  w.EndStruct();
  SL_RETURN_IF_ERROR(sink_->Append(footer));
  const uint32_t length = static_cast<uint32_t>(footer.size());
  char tail[8];
  std::memcpy(tail, &length, 4);
  std::memcpy(tail + 4, pq::kMagic, 4);
  SL_RETURN_IF_ERROR(sink_->Append(std::string_view(tail, 8)));
  return Status::OK();
}

}  // namespace

Result<std::string> EncodeParquet(const Table& table, const ParquetWriteOptions& options) {
  Sink sink(nullptr);
  ParquetEncoder encoder(table, options, &sink);
  SL_RETURN_IF_ERROR(encoder.Encode());
  return std::move(sink.buffer());
}

Status WriteParquetFile(const std::string& path, const Table& table, const ParquetWriteOptions& options) {
  Env* env = options.env;
  SL_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path, OpenMode::kTruncate));
  Status status;
  {
    Sink sink(file.get());
    ParquetEncoder encoder(table, options, &sink);
    status = encoder.Encode().WithContext("writing " + path);
  }
  if (status.ok() && options.fsync) status = file->Sync();
  if (status.ok() && !options.fsync) file->StartWriteBack(0, 0);
  if (Status closed = file->Close(); status.ok()) status = closed;
  if (!status.ok()) (void)env->RemoveFile(path);  // the error above is the one to report
  return status;
}

}  // namespace stocklake
