// Internal vocabulary of the Parquet file format shared by the writer and the reader:
// the Thrift enum values from parquet.thrift and the RLE/bit-packed hybrid codec used for
// definition levels and dictionary indices (parquet_rle.cc). Not part of the lake's public surface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stocklake::parquet_internal {

inline constexpr char kMagic[4] = {'P', 'A', 'R', '1'};

//! The largest page (decompressed) stocklake writes or reads: 1 GiB, far above the ~1 MiB
//! pages parquet-mr and Arrow write and the 512 KiB of a default stocklake page (64 Ki
//! doubles), and half of what a corrupt int32 size could claim.
inline constexpr size_t kMaxPageBytes = size_t{1} << 30;

//! parquet.thrift `Type`.
enum PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

//! parquet.thrift `ConvertedType` (the ones we write or recognise).
enum ConvertedType : int32_t { kUtf8 = 0, kDate = 6 };

//! parquet.thrift `FieldRepetitionType`.
enum Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };

//! parquet.thrift `Encoding`.
enum Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

//! parquet.thrift `CompressionCodec`.
enum Codec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7
};

//! parquet.thrift `PageType`.
enum PageType : int32_t { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };

//! Number of bits needed to store values 0..max_value (0 for max_value == 0).
inline int BitWidth(uint32_t max_value) {
  int w = 0;
  while (max_value != 0) {
    ++w;
    max_value >>= 1;
  }
  return w;
}

//! Reads an unsigned LEB128 varint at data[*pos], advancing *pos. False when the data ends
//! inside it or it exceeds 64 bits.
bool ReadUleb128(std::string_view data, size_t* pos, uint64_t* out);

//! Appends the RLE/bit-packed hybrid encoding of `values[0..n)` (each < 2^bit_width) to
//! `out`, without any length prefix. Runs of 8+ equal values become RLE runs, the rest
//! bit-packed groups of 8.
void AppendRleHybrid(const uint32_t* values, size_t n, int bit_width, std::string* out);
//! Same for definition levels given as 0/1 bytes (bit width 1).
void AppendRleHybridBytes(const uint8_t* values, size_t n, std::string* out);

//! Decodes exactly `n` values of the hybrid encoding from `data`. Returns false when the
//! data ends early or is malformed. Values are written as uint32.
bool DecodeRleHybrid(std::string_view data, int bit_width, size_t n, uint32_t* out);

}  // namespace stocklake::parquet_internal
