// Tests that corrupt sizes in a Parquet file cannot make the reader allocate more than
// the file can hold: footer row counts, page header sizes and value counts, Thrift list
// lengths. Each file is small; the reads run with the address space capped so a
// regression fails (as "exhaust memory") instead of taking the machine's memory.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "lake/parquet_format.h"
#include "lake/parquet_reader.h"
#include "lake/parquet_writer.h"
#include "lake/thrift_compact.h"
#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define STOCKLAKE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STOCKLAKE_ASAN 1
#endif
#endif

#ifdef STOCKLAKE_ASAN
// ASan reserves terabytes of shadow memory, so RLIMIT_AS cannot cap it; instead any
// single allocation above 1 GiB aborts this test binary.
extern "C" const char* __asan_default_options() { return "max_allocation_size_mb=1024"; }
#endif

namespace stocklake {
namespace {

using testing::TempDir;
namespace pq = parquet_internal;

// ---------------------------------------------------------------------------------
// Helpers

#ifndef STOCKLAKE_ASAN
//! Address space the read may add to what the process already maps.
constexpr uint64_t kHeadroomBytes = uint64_t{512} << 20;

uint64_t MappedBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0;
  statm >> pages;
  return pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}
#endif

//! Reads `path` with the address space capped at its current size plus kHeadroomBytes
//! (outside ASan), so an attempt to allocate gigabytes fails fast as bad_alloc.
Status ReadCapped(const std::string& path) {
  Status status;
  auto read = [&] {
    Result<Table> table = ReadParquetFile(path);
    status = table.ok() ? Status::OK() : table.status();
  };
#ifdef STOCKLAKE_ASAN
  read();
#else
  rlimit old_limit;
  EXPECT_EQ(getrlimit(RLIMIT_AS, &old_limit), 0);
  rlimit capped = old_limit;
  capped.rlim_cur = MappedBytes() + kHeadroomBytes;
  if (old_limit.rlim_cur != RLIM_INFINITY && old_limit.rlim_cur < capped.rlim_cur) capped.rlim_cur = old_limit.rlim_cur;
  EXPECT_EQ(setrlimit(RLIMIT_AS, &capped), 0);
  read();
  EXPECT_EQ(setrlimit(RLIMIT_AS, &old_limit), 0);
#endif
  return status;
}

//! Expects a Corruption naming `path` and saying `what`, not one that came from running
//! out of memory.
void ExpectRefused(const Status& status, const std::string& path, const std::string& what) {
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(status.message().find(path), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find(what), std::string::npos) << status.ToString();
  EXPECT_EQ(status.message().find("exhaust memory"), std::string::npos) << status.ToString();
}

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

std::string ZigZagVarint(int64_t v) {
  std::string out;
  AppendVarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), &out);
  return out;
}

std::string Footer(const std::string& file) {
  uint32_t length;
  std::memcpy(&length, file.data() + file.size() - 8, 4);
  return file.substr(file.size() - 8 - length, length);
}

//! `file` with its footer replaced (the pages before it stay where they are).
std::string WithFooter(const std::string& file, const std::string& footer) {
  const std::string old = Footer(file);
  std::string out = file.substr(0, file.size() - 8 - old.size()) + footer;
  const auto length = static_cast<uint32_t>(footer.size());
  out.append(reinterpret_cast<const char*>(&length), 4);
  out.append("PAR1", 4);
  return out;
}

//! Replaces every occurrence of `from` in `s`; returns how many there were.
int ReplaceAll(std::string* s, const std::string& from, const std::string& to) {
  int n = 0;
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size())) {
    s->replace(at, from.size(), to);
    ++n;
  }
  return n;
}

//! A file of one REQUIRED INT64 column "v" in one row group of `rows` rows whose chunk
//! holds `pages` (each a page header and its bytes), built by hand so that every size
//! in it can be chosen.
std::string CraftFile(int32_t codec, int64_t rows, const std::string& pages) {
  std::string file = "PAR1" + pages;
  std::string footer;
  ThriftCompactWriter w(&footer);
  w.FieldI32(1, 1);  // version
  w.FieldListHeader(2, ThriftType::kStruct, 2);
  w.BeginStruct();
  w.FieldBinary(4, "schema");
  w.FieldI32(5, 1);  // num_children
  w.EndStruct();
  w.BeginStruct();
  w.FieldI32(1, pq::kInt64);
  w.FieldI32(3, pq::kRequired);
  w.FieldBinary(4, "v");
  w.EndStruct();
  w.FieldI64(3, rows);
  w.FieldListHeader(4, ThriftType::kStruct, 1);
  w.BeginStruct();  // RowGroup
  w.FieldListHeader(1, ThriftType::kStruct, 1);
  w.BeginStruct();  // ColumnChunk
  w.FieldI64(2, 4);
  w.BeginStructField(3);  // ColumnMetaData
  w.FieldI32(1, pq::kInt64);
  w.FieldListHeader(2, ThriftType::kI32, 1);
  w.ListI32(pq::kPlain);
  w.FieldListHeader(3, ThriftType::kBinary, 1);
  w.ListBinary("v");
  w.FieldI32(4, codec);
  w.FieldI64(5, rows);
  w.FieldI64(6, static_cast<int64_t>(pages.size()));
  w.FieldI64(7, static_cast<int64_t>(pages.size()));
  w.FieldI64(9, 4);  // data_page_offset
  w.EndStruct();
  w.EndStruct();
  w.FieldI64(2, static_cast<int64_t>(pages.size()));
  w.FieldI64(3, rows);
  w.EndStruct();
  w.EndStruct();
  file += footer;
  const auto length = static_cast<uint32_t>(footer.size());
  file.append(reinterpret_cast<const char*>(&length), 4);
  file.append("PAR1", 4);
  return file;
}

//! A v1 data page header (PLAIN values) followed by `body`.
std::string DataPage(int32_t num_values, int32_t uncompressed_size, const std::string& body) {
  std::string out;
  ThriftCompactWriter w(&out);
  w.FieldI32(1, pq::kDataPage);
  w.FieldI32(2, uncompressed_size);
  w.FieldI32(3, static_cast<int32_t>(body.size()));
  w.BeginStructField(5);
  w.FieldI32(1, num_values);
  w.FieldI32(2, pq::kPlain);
  w.FieldI32(3, pq::kRle);
  w.FieldI32(4, pq::kRle);
  w.EndStruct();
  w.EndStruct();
  return out + body;
}

std::string Int64Values(size_t n) {
  std::string out(n * 8, '\0');
  for (size_t i = 0; i < n; ++i) {
    const auto v = static_cast<int64_t>(i);
    std::memcpy(out.data() + 8 * i, &v, 8);
  }
  return out;
}

std::string Gzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

//! A zstd frame that does not record its content size (as some writers emit), so only
//! the page header says how large the page is.
std::string ZstdWithoutContentSize(const std::string& in) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  EXPECT_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)));
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const size_t n = ZSTD_compress2(cctx, out.data(), out.size(), in.data(), in.size());
  EXPECT_FALSE(ZSTD_isError(n));
  ZSTD_freeCCtx(cctx);
  out.resize(n);
  return out;
}

//! One row group, every column type, some NULLs: written by the project's writer.
Table MakeTable(size_t rows) {
  Table t;
  t.columns.emplace_back("i32", ColumnType::kInt32, false);
  t.columns.emplace_back("i64", ColumnType::kInt64, true);
  t.columns.emplace_back("f64", ColumnType::kDouble, false);
  t.columns.emplace_back("sym", ColumnType::kString, false);
  t.columns[3].dictionary = {"AAA", "BBB", "CCC"};
  for (size_t r = 0; r < rows; ++r) {
    t.columns[0].AppendInt32(static_cast<int32_t>(r));
    if (r % 5 == 0) {
      t.columns[1].AppendNull();
    } else {
      t.columns[1].AppendInt64(static_cast<int64_t>(r) * 1000);
    }
    t.columns[2].AppendDouble(static_cast<double>(r) / 8);
    t.columns[3].AppendCode(static_cast<int32_t>(r % 3));
  }
  return t;
}

// ---------------------------------------------------------------------------------
// Row counts

TEST(ParquetReaderBounds, CraftedFileReads) {
  // The hand-built layout the other tests corrupt is itself a valid file.
  TempDir dir;
  const std::string path = dir.Join("ok.parquet");
  testing::WriteTextFile(path, CraftFile(pq::kUncompressed, 100, DataPage(100, 800, Int64Values(100))));
  Result<Table> table = ReadParquetFile(path);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  ASSERT_EQ(table->num_rows(), 100u);
  EXPECT_EQ(table->columns[0].i64[99], 99);
  testing::WriteTextFile(path, CraftFile(pq::kGzip, 100, DataPage(100, 800, Gzip(Int64Values(100)))));
  ASSERT_TRUE(ReadParquetFile(path).ok());
}

TEST(ParquetReaderBounds, FooterRowCountBeyondThePagesIsRefused) {
  // The footer's num_rows, the row group's and every column chunk's num_values raised
  // together from 1000 to 2^30, consistent with each other but not with the pages,
  // which hold 1000 values per column: sized from the footer, the output would take
  // ~25 GiB.
  Result<std::string> bytes = EncodeParquet(MakeTable(1000), ParquetWriteOptions{});
  ASSERT_TRUE(bytes.ok());
  std::string footer = Footer(*bytes);
  // Field header 0x16 (next field id, i64) then zigzag(1000): FileMetaData.num_rows,
  // RowGroup.num_rows and ColumnMetaData.num_values (field 5 after codec).
  const int replaced = ReplaceAll(&footer, "\x16" + ZigZagVarint(1000), "\x16" + ZigZagVarint(int64_t{1} << 30));
  ASSERT_EQ(replaced, 2 + 4);
  TempDir dir;
  const std::string path = dir.Join("rows.parquet");
  testing::WriteTextFile(path, WithFooter(*bytes, footer));
  Result<ParquetFileInfo> info = ReadParquetMetadata(path);
  ASSERT_TRUE(info.ok()) << info.status().ToString();  // the footer alone is consistent
  ASSERT_EQ(info->num_rows, int64_t{1} << 30);
  ExpectRefused(ReadCapped(path), path, "data pages declare 1000 values but the footer counts 1073741824 rows");
}

TEST(ParquetReaderBounds, PlainPageCannotDeclareMoreValuesThanItsBytes) {
  // 2^30 rows claimed by the footer and by the one page header, whose PLAIN body holds
  // 1000 INT64 values.
  TempDir dir;
  const std::string path = dir.Join("plain.parquet");
  const int32_t rows = 1 << 30;
  testing::WriteTextFile(path, CraftFile(pq::kUncompressed, rows, DataPage(rows, 8000, Int64Values(1000))));
  ExpectRefused(ReadCapped(path), path, "declares 1073741824 values in 8000 bytes");
}

// ---------------------------------------------------------------------------------
// Page sizes

TEST(ParquetReaderBounds, UncompressedPageSizeAboveOneGibIsRefused) {
  TempDir dir;
  const std::string path = dir.Join("page.parquet");
  const std::string values = Int64Values(100);
  const int32_t huge = 0x7fffffff;
  testing::WriteTextFile(path, CraftFile(pq::kGzip, 100, DataPage(100, huge, Gzip(values))));
  ExpectRefused(ReadCapped(path), path, "page declares 2147483647 uncompressed bytes, more than the 1073741824");
  testing::WriteTextFile(path, CraftFile(pq::kZstd, 100, DataPage(100, huge, ZstdWithoutContentSize(values))));
  ExpectRefused(ReadCapped(path), path, "page declares 2147483647 uncompressed bytes, more than the 1073741824");
}

TEST(ParquetReaderBounds, UncompressedPageSizeBeyondTheCodecRatioIsRefused) {
  // 256 MiB claimed from a few hundred compressed bytes: more than deflate (1032:1) or
  // zstd (32768:1) can expand them to.
  TempDir dir;
  const std::string path = dir.Join("ratio.parquet");
  const std::string values = Int64Values(100);
  const int32_t claimed = 256 << 20;
  testing::WriteTextFile(path, CraftFile(pq::kGzip, 100, DataPage(100, claimed, Gzip(values))));
  ExpectRefused(ReadCapped(path), path, "more than codec 2 can expand to (1032:1)");
  testing::WriteTextFile(path, CraftFile(pq::kZstd, 100, DataPage(100, claimed, ZstdWithoutContentSize(values))));
  ExpectRefused(ReadCapped(path), path, "more than codec 6 can expand to (32768:1)");
}

// ---------------------------------------------------------------------------------
// Thrift list lengths

TEST(ParquetReaderBounds, ListLongerThanTheContainerLimitIsRefused) {
  // A schema list declaring 1.5 million elements, all present (empty structs, one byte
  // each): past the 1,000,000-element limit, refused before any is decoded.
  const uint32_t n = 1500 * 1000;
  std::string footer;
  ThriftCompactWriter w(&footer);
  w.FieldI32(1, 1);
  w.FieldListHeader(2, ThriftType::kStruct, n);
  footer.append(n, '\0');
  footer.push_back('\0');
  Result<std::string> bytes = EncodeParquet(MakeTable(10), ParquetWriteOptions{});
  ASSERT_TRUE(bytes.ok());
  TempDir dir;
  const std::string path = dir.Join("list.parquet");
  testing::WriteTextFile(path, WithFooter(*bytes, footer));
  ExpectRefused(ReadCapped(path), path, "list size 1500000 too large");
  EXPECT_TRUE(ReadParquetMetadata(path).status().IsCorruption());
}

TEST(ParquetReaderBounds, RowGroupWithMoreChunksThanColumnsIsRefusedWhileDecoding) {
  // The first row group's column list (4 chunks) claims 200: refused at its header,
  // before chunk entries are made for it.
  Result<std::string> bytes = EncodeParquet(MakeTable(10), ParquetWriteOptions{});
  ASSERT_TRUE(bytes.ok());
  std::string footer = Footer(*bytes);
  // RowGroup field 1 (list) then list header: size 4, element type struct.
  const std::string list_header = "\x19\x4c";
  const size_t at = footer.find(list_header);
  ASSERT_NE(at, std::string::npos);
  footer.replace(
      at, list_header.size(), std::string("\x19\xfc", 2) + [] {
        std::string v;
        AppendVarint(200, &v);
        return v;
      }());
  TempDir dir;
  const std::string path = dir.Join("chunks.parquet");
  testing::WriteTextFile(path, WithFooter(*bytes, footer));
  ExpectRefused(ReadCapped(path), path, "row group lists 200 column chunks for 4 schema columns");
}

}  // namespace
}  // namespace stocklake
