#include "lake/parquet_column_decoder.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "core/byte_stream_split.h"

namespace stocklake::parquet_internal {

namespace {

// What a page may ask the reader to allocate. Its decompressed size must be
//  - at most kMaxPageBytes (parquet_format.h, which the writer honours too);
//  - at most what the codec can expand the page's compressed bytes to (MaxExpansion),
//    so a small corrupt file cannot claim large pages.

//! The largest output per input byte the codec can produce; 0 for codecs we do not
//! read (Decompress refuses those). Snappy: a 3-byte copy yields at most 64 bytes.
//! Deflate: at best 1-bit codes for length 258 and distance, 258 bytes per 2 bits
//! (1032:1). Zstd: a 4-byte RLE block (3-byte header, 1 byte) yields at most one
//! 128 KiB block (32768:1).
uint64_t MaxExpansion(int32_t codec) {
  switch (codec) {
    case kUncompressed: return 1;
    case kSnappy: return 22;  // > 64 / 3
    case kGzip: return 1032;
    case kZstd: return 32768;
    default: return 0;
  }
}

}  // namespace

Status ColumnDecoder::CheckDecompressedSize(size_t compressed, size_t uncompressed) const {
  if (uncompressed > kMaxPageBytes) {
    return Corrupt("page declares " + std::to_string(uncompressed) + " uncompressed bytes, more than the " +
                   std::to_string(kMaxPageBytes) + " a page may hold");
  }
  const uint64_t ratio = MaxExpansion(codec_);
  if (ratio != 0 && uncompressed > compressed * ratio) {
    return Corrupt("page declares " + std::to_string(uncompressed) + " uncompressed bytes from " +
                   std::to_string(compressed) + " compressed bytes, more than codec " + std::to_string(codec_) +
                   " can expand to (" + std::to_string(ratio) + ":1)");
  }
  return Status::OK();
}

char* ColumnDecoder::DecompressBuffer(size_t n) {
  if (n > decompressed_capacity_) {
    decompressed_.reset();  // never hold two buffers
    decompressed_.reset(new char[n]);
    decompressed_capacity_ = n;
  }
  return decompressed_.get();
}

Status ColumnDecoder::Decompress(std::string_view in, size_t uncompressed_size, std::string_view* out) {
  if (codec_ != kUncompressed) SL_RETURN_IF_ERROR(CheckDecompressedSize(in.size(), uncompressed_size));
  switch (codec_) {
    case kUncompressed:
      if (in.size() != uncompressed_size) return Corrupt("uncompressed page size disagrees with its header");
      *out = in;
      return Status::OK();
    case kSnappy: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &n) || n != uncompressed_size) {
        return Corrupt("bad snappy page header");
      }
      char* buffer = DecompressBuffer(n);
      if (!snappy::RawUncompress(in.data(), in.size(), buffer)) return Corrupt("bad snappy page data");
      *out = std::string_view(buffer, n);
      return Status::OK();
    }
    case kZstd: {
      const unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
      if (declared == ZSTD_CONTENTSIZE_ERROR) return Corrupt("bad zstd frame");
      if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != uncompressed_size) {
        return Corrupt("zstd frame size disagrees with the page header");
      }
      char* buffer = DecompressBuffer(uncompressed_size);
      const size_t n = ZSTD_decompress(buffer, uncompressed_size, in.data(), in.size());
      if (ZSTD_isError(n) || n != uncompressed_size) return Corrupt("bad zstd page data");
      *out = std::string_view(buffer, n);
      return Status::OK();
    }
    case kGzip: {
      char* buffer = DecompressBuffer(uncompressed_size);
      z_stream zs{};
      if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::IOError("zlib init failed");
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      zs.avail_in = static_cast<uInt>(in.size());
      zs.next_out = reinterpret_cast<Bytef*>(buffer);
      zs.avail_out = static_cast<uInt>(uncompressed_size);
      const int rc = inflate(&zs, Z_FINISH);
      const size_t n = zs.total_out;
      inflateEnd(&zs);
      if (rc != Z_STREAM_END || n != uncompressed_size) return Corrupt("bad gzip page data");
      *out = std::string_view(buffer, n);
      return Status::OK();
    }
    default:
      return Status::NotSupported(name_ + ": column '" + info_.name + "': compression codec " + std::to_string(codec_) +
                                  " is not supported (use snappy, zstd, gzip or none)");
  }
}

int32_t ColumnDecoder::Intern(std::string_view s) {
  auto it = interned_.find(s);
  if (it != interned_.end()) return it->second;
  const auto code = static_cast<int32_t>(out_->dictionary.size());
  out_->dictionary.emplace_back(s);
  interned_.emplace(std::string(s), code);
  return code;
}

Status ColumnDecoder::ChunkBytes(const ColumnMetaMd& meta, size_t rows, std::string_view* chunk, int64_t* start) const {
  if (meta.num_values < 0 || static_cast<uint64_t>(meta.num_values) != rows) {
    return Corrupt("chunk holds " + std::to_string(meta.num_values) + " values for " + std::to_string(rows) + " rows");
  }
  *start = meta.data_page_offset;
  if (meta.dictionary_page_offset > 0 && meta.dictionary_page_offset < *start) *start = meta.dictionary_page_offset;
  // Pages lie between the leading magic and the footer.
  const int64_t limit = static_cast<int64_t>(file_.size()) - 8;
  if (*start < 4 || *start >= limit || meta.total_compressed < 0 || meta.total_compressed > limit - *start) {
    return Corrupt("chunk byte range [" + std::to_string(*start) + ", +" + std::to_string(meta.total_compressed) +
                   ") lies outside the file");
  }
  *chunk = file_.substr(static_cast<size_t>(*start), static_cast<size_t>(meta.total_compressed));
  return Status::OK();
}

Status ColumnDecoder::NextPage(std::string_view chunk, int64_t start, size_t* pos, PageHeaderMd* header,
                               std::string_view* page) const {
  ThriftCompactReader r(chunk.substr(*pos));
  DecodePageHeader(r, header);
  if (!r.ok()) return Corrupt("bad page header at offset " + std::to_string(start + *pos) + ": " + r.error());
  *pos += r.position();
  if (header->compressed_size < 0 || header->uncompressed_size < 0 ||
      static_cast<size_t>(header->compressed_size) > chunk.size() - *pos) {
    return Corrupt("page at offset " + std::to_string(start + *pos) + " runs past its chunk");
  }
  *page = chunk.substr(*pos, static_cast<size_t>(header->compressed_size));
  *pos += static_cast<size_t>(header->compressed_size);
  return Status::OK();
}

Status ColumnDecoder::CheckChunk(const ColumnMetaMd& meta, size_t row_group, size_t rows) {
  row_group_ = row_group;
  codec_ = meta.codec;
  std::string_view chunk;
  int64_t start;
  SL_RETURN_IF_ERROR(ChunkBytes(meta, rows, &chunk, &start));
  size_t declared = 0;
  size_t pos = 0;
  while (declared < rows) {
    if (pos >= chunk.size()) {
      return Corrupt("data pages declare " + std::to_string(declared) + " values but the footer counts " +
                     std::to_string(rows) + " rows");
    }
    const int64_t offset = start + static_cast<int64_t>(pos);
    PageHeaderMd header;
    std::string_view page;
    SL_RETURN_IF_ERROR(NextPage(chunk, start, &pos, &header, &page));
    const auto uncompressed = static_cast<size_t>(header.uncompressed_size);
    if (header.type == kDictionaryPage) {
      if (!header.has_dictionary) return Corrupt("dictionary page without its header");
      SL_RETURN_IF_ERROR(CheckDecompressedSize(page.size(), uncompressed));
      continue;
    }
    if (header.type != kDataPage && header.type != kDataPageV2) continue;
    if (!header.has_data) return Corrupt("data page without its header");
    const DataPageHeaderMd& d = header.data;
    if (d.num_values < 0 || static_cast<size_t>(d.num_values) > rows - declared) {
      return Corrupt("data page at offset " + std::to_string(offset) + " declares " + std::to_string(d.num_values) +
                     " values, more than the " + std::to_string(rows - declared) + " left of the chunk's " +
                     std::to_string(rows));
    }
    const auto n = static_cast<size_t>(d.num_values);
    size_t value_bytes = uncompressed;
    if (header.type == kDataPage) {
      SL_RETURN_IF_ERROR(CheckDecompressedSize(page.size(), uncompressed));
    } else {
      if (d.definition_levels_byte_length < 0 || d.repetition_levels_byte_length != 0) {
        return Corrupt("bad level lengths in data page v2");
      }
      const auto levels = static_cast<size_t>(d.definition_levels_byte_length);
      if (levels > page.size() || levels > uncompressed) return Corrupt("definition levels run past the page");
      if (d.is_compressed) {
        value_bytes = uncompressed - levels;
        SL_RETURN_IF_ERROR(CheckDecompressedSize(page.size() - levels, value_bytes));
      } else {
        value_bytes = page.size() - levels;
      }
    }
    // Without NULLs every row has a value, and PLAIN / BYTE_STREAM_SPLIT spend at least
    // `width` bytes on each; RLE-based encodings (and NULL runs) can hold many rows in
    // few bytes, so their counts are verified as the pages decode.
    size_t width = 0;
    if (d.encoding == kPlain || (d.encoding == kByteStreamSplit && physical_type_ != kByteArray)) {
      width = physical_type_ == kInt64 || physical_type_ == kDouble ? 8 : 4;
    }
    if (!info_.nullable && width > 0 && value_bytes / width < n) {
      return Corrupt("data page at offset " + std::to_string(offset) + " declares " + std::to_string(n) +
                     " values in " + std::to_string(value_bytes) + " bytes");
    }
    declared += n;
  }
  return Status::OK();
}

Status ColumnDecoder::ReadChunk(const ColumnMetaMd& meta, size_t row_group, size_t row_begin, size_t rows) {
  row_group_ = row_group;
  codec_ = meta.codec;
  has_dictionary_ = false;
  next_row_ = row_begin;
  std::string_view chunk;
  int64_t start;
  SL_RETURN_IF_ERROR(ChunkBytes(meta, rows, &chunk, &start));
  const size_t end_row = row_begin + rows;
  size_t pos = 0;
  while (next_row_ < end_row) {
    if (pos >= chunk.size()) {
      return Corrupt("pages end after " + std::to_string(next_row_ - row_begin) + " of " + std::to_string(rows) +
                     " values");
    }
    PageHeaderMd header;
    std::string_view page;
    SL_RETURN_IF_ERROR(NextPage(chunk, start, &pos, &header, &page));
    if (header.type == kDictionaryPage) {
      if (!header.has_dictionary) return Corrupt("dictionary page without its header");
      std::string_view body;
      SL_RETURN_IF_ERROR(Decompress(page, static_cast<size_t>(header.uncompressed_size), &body));
      SL_RETURN_IF_ERROR(ReadDictionaryPage(body, header.dictionary_num_values));
    } else if (header.type == kDataPage || header.type == kDataPageV2) {
      if (!header.has_data) return Corrupt("data page without its header");
      if (header.data.num_values < 0 || static_cast<size_t>(header.data.num_values) > end_row - next_row_) {
        return Corrupt("data page holds " + std::to_string(header.data.num_values) + " values, more than remain");
      }
      SL_RETURN_IF_ERROR(ReadDataPage(header, page));
    }
    // Index pages and unknown page types carry nothing we need.
  }
  return Status::OK();
}

Status ColumnDecoder::ReadDictionaryPage(std::string_view body, int32_t num_values) {
  if (num_values < 0) return Corrupt("negative dictionary size");
  const auto n = static_cast<size_t>(num_values);
  has_dictionary_ = true;
  switch (physical_type_) {
    case kInt32:
    case kInt64:
    case kDouble: {
      const size_t width = physical_type_ == kInt32 ? 4 : 8;
      if (body.size() / width < n) return Corrupt("dictionary page shorter than its " + std::to_string(n) + " values");
      void* dst;
      if (physical_type_ == kInt32) {
        dict_i32_.resize(n);
        dst = dict_i32_.data();
      } else if (physical_type_ == kInt64) {
        dict_i64_.resize(n);
        dst = dict_i64_.data();
      } else {
        dict_f64_.resize(n);
        dst = dict_f64_.data();
      }
      if (n > 0) std::memcpy(dst, body.data(), n * width);
      return Status::OK();
    }
    case kByteArray: {
      if (n > body.size() / 4) return Corrupt("dictionary page shorter than its " + std::to_string(n) + " values");
      dict_codes_.resize(n);
      size_t pos = 0;
      for (size_t i = 0; i < n; ++i) {
        if (body.size() - pos < 4) return Corrupt("dictionary page truncated");
        uint32_t len;
        std::memcpy(&len, body.data() + pos, 4);
        pos += 4;
        if (len > body.size() - pos) return Corrupt("dictionary string runs past its page");
        dict_codes_[i] = Intern(body.substr(pos, len));
        pos += len;
      }
      return Status::OK();
    }
    default: return Corrupt("unsupported physical type");
  }
}

Status ColumnDecoder::ReadDataPage(const PageHeaderMd& header, std::string_view page) {
  const DataPageHeaderMd& d = header.data;
  const auto n = static_cast<size_t>(d.num_values);
  const size_t row = next_row_;
  std::string_view levels;
  std::string_view values;
  if (header.type == kDataPage) {
    std::string_view body;
    SL_RETURN_IF_ERROR(Decompress(page, static_cast<size_t>(header.uncompressed_size), &body));
    if (info_.nullable) {
      if (d.definition_level_encoding != kRle) {
        return Status::NotSupported(name_ + ": column '" + info_.name + "': definition level encoding " +
                                    std::to_string(d.definition_level_encoding) + " (only RLE is supported)");
      }
      if (body.size() < 4) return Corrupt("data page too short for its definition levels");
      uint32_t length;
      std::memcpy(&length, body.data(), 4);
      if (length > body.size() - 4) return Corrupt("definition levels run past the page");
      levels = body.substr(4, length);
      values = body.substr(4 + length);
    } else {
      values = body;
    }
  } else {
    if (d.definition_levels_byte_length < 0 || d.repetition_levels_byte_length != 0) {
      return Corrupt("bad level lengths in data page v2");
    }
    const auto levels_length = static_cast<size_t>(d.definition_levels_byte_length);
    if (levels_length > page.size()) return Corrupt("definition levels run past the page");
    levels = page.substr(0, levels_length);
    const std::string_view rest = page.substr(levels_length);
    if (header.uncompressed_size < d.definition_levels_byte_length) return Corrupt("bad v2 page sizes");
    const size_t values_size = static_cast<size_t>(header.uncompressed_size) - levels_length;
    if (d.is_compressed) {
      SL_RETURN_IF_ERROR(Decompress(rest, values_size, &values));
    } else {
      values = rest;
    }
  }

  size_t present = n;
  if (info_.nullable) {
    scratch_.resize(n);
    if (!DecodeRleHybrid(levels, 1, n, scratch_.data())) return Corrupt("bad definition levels");
    uint8_t* valid = out_->valid.data() + row;
    present = 0;
    for (size_t i = 0; i < n; ++i) {
      valid[i] = static_cast<uint8_t>(scratch_[i] != 0);
      present += valid[i];
    }
    if (present != n) saw_null_ = true;
  }
  SL_RETURN_IF_ERROR(DecodeValues(d.encoding, values, row, n, present));
  next_row_ += n;
  return Status::OK();
}

template <typename T>
void ColumnDecoder::Scatter(T* base, size_t row, size_t n, size_t present) {
  if (present == n) return;
  const uint8_t* valid = out_->valid.data() + row;
  T* dst = base + row;
  size_t j = present;
  // Back to front, so packed values are moved before their slots are overwritten.
  for (size_t i = n; i-- > 0;) {
    if (valid[i]) {
      dst[i] = dst[--j];
    } else {
      dst[i] = T{};
    }
  }
}

Status ColumnDecoder::DecodeIndices(std::string_view values, size_t present) {
  if (!has_dictionary_) return Corrupt("dictionary-encoded page without a dictionary page");
  if (present == 0) return Status::OK();
  if (values.empty()) return Corrupt("dictionary page data is empty");
  const int bit_width = static_cast<uint8_t>(values[0]);
  scratch_.resize(present);
  if (!DecodeRleHybrid(values.substr(1), bit_width, present, scratch_.data())) {
    return Corrupt("bad dictionary indices");
  }
  return Status::OK();
}

template <typename T>
Status ColumnDecoder::DecodeDeltaBinaryPacked(std::string_view values, T* dst, size_t present, size_t* consumed) {
  // <block size> <miniblocks per block> <total count> <first value>, then blocks of
  // <min delta> <miniblock bit widths> <miniblocks>.
  size_t pos = 0;
  uint64_t block_size, miniblocks, total, first_zz;
  if (!ReadUleb128(values, &pos, &block_size) || !ReadUleb128(values, &pos, &miniblocks) ||
      !ReadUleb128(values, &pos, &total) || !ReadUleb128(values, &pos, &first_zz)) {
    return Corrupt("bad DELTA_BINARY_PACKED header");
  }
  if (block_size == 0 || block_size % 128 != 0 || miniblocks == 0 || block_size % miniblocks != 0 ||
      (block_size / miniblocks) % 32 != 0 || block_size > (1u << 20) || total < present) {
    return Corrupt("bad DELTA_BINARY_PACKED block layout");
  }
  const size_t per_miniblock = block_size / miniblocks;
  auto unzigzag = [](uint64_t z) { return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1)); };
  uint64_t last = static_cast<uint64_t>(unzigzag(first_zz));
  size_t produced = 0;
  if (present > 0) dst[produced++] = static_cast<T>(static_cast<int64_t>(last));
  while (produced < present) {
    uint64_t min_delta_zz;
    if (!ReadUleb128(values, &pos, &min_delta_zz)) return Corrupt("truncated DELTA_BINARY_PACKED block");
    const uint64_t min_delta = static_cast<uint64_t>(unzigzag(min_delta_zz));
    if (values.size() - pos < miniblocks) return Corrupt("truncated DELTA_BINARY_PACKED widths");
    const std::string_view widths = values.substr(pos, miniblocks);
    pos += miniblocks;
    for (size_t m = 0; m < miniblocks && produced < present; ++m) {
      const int width = static_cast<uint8_t>(widths[m]);
      if (width > 64) return Corrupt("bad DELTA_BINARY_PACKED bit width");
      const size_t bytes = per_miniblock * width / 8;
      const size_t available = values.size() - pos;
      const size_t take = std::min(per_miniblock, present - produced);
      if ((take * width + 7) / 8 > available) return Corrupt("truncated DELTA_BINARY_PACKED miniblock");
      const auto* base = reinterpret_cast<const uint8_t*>(values.data() + pos);
      for (size_t k = 0; k < take; ++k) {
        uint64_t delta = 0;
        const uint64_t bit = static_cast<uint64_t>(k) * width;
        for (int b = 0; b < width;) {
          const uint64_t at = bit + b;
          const int in_byte = static_cast<int>(at & 7);
          const int chunk = std::min(8 - in_byte, width - b);
          const uint64_t byte = base[at >> 3];
          delta |= ((byte >> in_byte) & ((1u << chunk) - 1)) << b;
          b += chunk;
        }
        last = last + min_delta + delta;  // wraps like the writer's arithmetic
        dst[produced++] = static_cast<T>(static_cast<int64_t>(last));
      }
      pos += std::min(bytes, available);
    }
  }
  *consumed = pos;
  return Status::OK();
}

template <typename T>
Status ColumnDecoder::DecodeFixed(int32_t encoding, std::string_view values, T* dst, size_t present) {
  switch (encoding) {
    case kPlain:
      if (values.size() / sizeof(T) < present) return Corrupt("page holds fewer values than its levels say");
      if (present > 0) std::memcpy(dst, values.data(), present * sizeof(T));
      return Status::OK();
    case kPlainDictionary:
    case kRleDictionary: {
      SL_RETURN_IF_ERROR(DecodeIndices(values, present));
      const std::vector<T>* dict;
      if constexpr (std::is_same_v<T, int32_t>) {
        dict = &dict_i32_;
      } else if constexpr (std::is_same_v<T, int64_t>) {
        dict = &dict_i64_;
      } else {
        dict = &dict_f64_;
      }
      const size_t size = dict->size();
      for (size_t i = 0; i < present; ++i) {
        if (scratch_[i] >= size) return Corrupt("dictionary index out of range");
        dst[i] = (*dict)[scratch_[i]];
      }
      return Status::OK();
    }
    case kByteStreamSplit: {
      if (values.size() / sizeof(T) < present) return Corrupt("page holds fewer values than its levels say");
      // Byte b of value i sits in stream b at position i; streams are `count` long.
      const size_t count = values.size() / sizeof(T);
      if (present == count) {
        JoinByteStreams(values.data(), reinterpret_cast<char*>(dst), count, sizeof(T));
        return Status::OK();
      }
      auto* out_bytes = reinterpret_cast<uint8_t*>(dst);
      const auto* in = reinterpret_cast<const uint8_t*>(values.data());
      for (size_t i = 0; i < present; ++i) {
        for (size_t b = 0; b < sizeof(T); ++b) out_bytes[i * sizeof(T) + b] = in[b * count + i];
      }
      return Status::OK();
    }
    case kDeltaBinaryPacked:
      if constexpr (std::is_integral_v<T>) {
        size_t consumed = 0;
        return DecodeDeltaBinaryPacked(values, dst, present, &consumed);
      }
      [[fallthrough]];
    default:
      return Status::NotSupported(name_ + ": column '" + info_.name + "': value encoding " + std::to_string(encoding) +
                                  " is not supported");
  }
}

Status ColumnDecoder::DecodeStrings(int32_t encoding, std::string_view values, int32_t* dst, size_t present) {
  switch (encoding) {
    case kPlain: {
      size_t pos = 0;
      for (size_t i = 0; i < present; ++i) {
        if (values.size() - pos < 4) return Corrupt("page holds fewer strings than its levels say");
        uint32_t len;
        std::memcpy(&len, values.data() + pos, 4);
        pos += 4;
        if (len > values.size() - pos) return Corrupt("string runs past its page");
        dst[i] = Intern(values.substr(pos, len));
        pos += len;
      }
      return Status::OK();
    }
    case kPlainDictionary:
    case kRleDictionary: {
      SL_RETURN_IF_ERROR(DecodeIndices(values, present));
      const size_t size = dict_codes_.size();
      for (size_t i = 0; i < present; ++i) {
        if (scratch_[i] >= size) return Corrupt("dictionary index out of range");
        dst[i] = dict_codes_[scratch_[i]];
      }
      return Status::OK();
    }
    case kDeltaLengthByteArray: {
      std::vector<int64_t> lengths(present);
      size_t consumed = 0;
      SL_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(values, lengths.data(), present, &consumed));
      size_t pos = consumed;
      for (size_t i = 0; i < present; ++i) {
        if (lengths[i] < 0 || static_cast<uint64_t>(lengths[i]) > values.size() - pos) {
          return Corrupt("string runs past its page");
        }
        dst[i] = Intern(values.substr(pos, static_cast<size_t>(lengths[i])));
        pos += static_cast<size_t>(lengths[i]);
      }
      return Status::OK();
    }
    default:
      return Status::NotSupported(name_ + ": column '" + info_.name + "': string encoding " + std::to_string(encoding) +
                                  " is not supported");
  }
}

Status ColumnDecoder::DecodeValues(int32_t encoding, std::string_view values, size_t row, size_t n, size_t present) {
  switch (info_.type) {
    case ColumnType::kDate:
    case ColumnType::kInt32:
      SL_RETURN_IF_ERROR(DecodeFixed(encoding, values, out_->i32.data() + row, present));
      Scatter(out_->i32.data(), row, n, present);
      return Status::OK();
    case ColumnType::kInt64:
      SL_RETURN_IF_ERROR(DecodeFixed(encoding, values, out_->i64.data() + row, present));
      Scatter(out_->i64.data(), row, n, present);
      return Status::OK();
    case ColumnType::kDouble:
      SL_RETURN_IF_ERROR(DecodeFixed(encoding, values, out_->f64.data() + row, present));
      Scatter(out_->f64.data(), row, n, present);
      return Status::OK();
    case ColumnType::kString:
      SL_RETURN_IF_ERROR(DecodeStrings(encoding, values, out_->codes.data() + row, present));
      Scatter(out_->codes.data(), row, n, present);
      return Status::OK();
  }
  return Status::OK();
}

}  // namespace stocklake::parquet_internal
