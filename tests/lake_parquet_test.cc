// Tests of the Parquet writer and reader: the Thrift and RLE building blocks against
// hand-computed bytes, round trips through our own reader, DuckDB as an independent
// reader (and writer), and corrupt files that must fail cleanly.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/date.h"
#include "core/files.h"
#include "lake/parquet_format.h"
#include "lake/parquet_reader.h"
#include "lake/parquet_writer.h"
#include "lake/thrift_compact.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::RunCommand;
using testing::TempDir;
namespace pq = parquet_internal;

// ---------------------------------------------------------------------------------
// Helpers

//! A table with every column type, NULLs in some columns, negative values (to exercise
//! signed statistics) and a non-ASCII string.
Table MakeTable(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Table t;
  t.columns.emplace_back("date", ColumnType::kDate, true);
  t.columns.emplace_back("i32", ColumnType::kInt32, false);
  t.columns.emplace_back("i64", ColumnType::kInt64, true);
  t.columns.emplace_back("f64", ColumnType::kDouble, false);
  t.columns.emplace_back("f64n", ColumnType::kDouble, true);
  t.columns.emplace_back("sym", ColumnType::kString, false);
  t.columns.emplace_back("note", ColumnType::kString, true);
  for (int k = 0; k < 50; ++k) t.columns[5].dictionary.push_back("SYM" + std::to_string(k));
  t.columns[6].dictionary = {"zeta", "", "\xce\xb1lpha"};
  std::uniform_real_distribution<double> real(-1e6, 1e6);
  for (size_t r = 0; r < rows; ++r) {
    if (r % 11 == 3) {
      t.columns[0].AppendNull();
    } else {
      t.columns[0].AppendInt32(static_cast<int32_t>((r * 37) % 40000) - 20000);
    }
    t.columns[1].AppendInt32(static_cast<int32_t>(rng()));
    if (r % 7 == 0) {
      t.columns[2].AppendNull();
    } else {
      t.columns[2].AppendInt64(static_cast<int64_t>(rng() % (1ull << 40)) - (1ll << 39));
    }
    t.columns[3].AppendDouble(real(rng));
    if (r % 5 == 1) {
      t.columns[4].AppendNull();
    } else {
      t.columns[4].AppendDouble(real(rng));
    }
    t.columns[5].AppendCode(static_cast<int32_t>(rng() % 50));
    if (r % 13 == 0) {
      t.columns[6].AppendNull();
    } else {
      t.columns[6].AppendCode(static_cast<int32_t>(rng() % 3));
    }
  }
  return t;
}

bool SameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0; }

//! Compares tables by meaning: names, types, nullability, NULL positions and values
//! (strings by content, since dictionary codes may be renumbered).
void ExpectTablesEqual(const Table& expected, const Table& actual) {
  ASSERT_EQ(expected.columns.size(), actual.columns.size());
  ASSERT_EQ(expected.num_rows(), actual.num_rows());
  for (size_t c = 0; c < expected.columns.size(); ++c) {
    const Column& e = expected.columns[c];
    const Column& a = actual.columns[c];
    SCOPED_TRACE("column " + e.name);
    EXPECT_EQ(e.name, a.name);
    ASSERT_EQ(e.type, a.type);
    EXPECT_EQ(e.nullable, a.nullable);
    ASSERT_EQ(a.size(), expected.num_rows());
    if (!a.valid.empty()) {
      ASSERT_EQ(a.valid.size(), a.size());
    }
    for (size_t r = 0; r < e.size(); ++r) {
      ASSERT_EQ(e.IsNull(r), a.IsNull(r)) << "row " << r;
      if (e.IsNull(r)) continue;
      switch (e.type) {
        case ColumnType::kDate:
        case ColumnType::kInt32: ASSERT_EQ(e.i32[r], a.i32[r]) << "row " << r; break;
        case ColumnType::kInt64: ASSERT_EQ(e.i64[r], a.i64[r]) << "row " << r; break;
        case ColumnType::kDouble: ASSERT_TRUE(SameDouble(e.f64[r], a.f64[r])) << "row " << r; break;
        case ColumnType::kString: ASSERT_EQ(e.StringAt(r), a.StringAt(r)) << "row " << r; break;
      }
    }
  }
}

nlohmann::json DuckDb(const std::string& sql) {
  const std::string command =
      "node " + std::string(STOCKLAKE_SOURCE_DIR) + "/tests/node/duckdb_query.mjs \"" + sql + "\"";
  const testing::CommandResult result = RunCommand(command);
  EXPECT_EQ(result.exit_code, 0) << sql << "\n" << result.output;
  if (result.exit_code != 0) return nlohmann::json::array();
  return nlohmann::json::parse(result.output);
}

//! DuckDB prints BIGINT / HUGEINT as strings and smaller numbers as numbers.
double AsDouble(const nlohmann::json& v) { return v.is_string() ? std::stod(v.get<std::string>()) : v.get<double>(); }
int64_t AsInt(const nlohmann::json& v) { return v.is_string() ? std::stoll(v.get<std::string>()) : v.get<int64_t>(); }

// ---------------------------------------------------------------------------------
// Building blocks against hand-computed bytes

TEST(ThriftCompact, KnownBytes) {
  std::string out;
  ThriftCompactWriter w(&out);
  w.BeginStruct();
  w.FieldI32(1, 5);       // delta 1, type 5; zigzag(5) = 10
  w.FieldI64(20, -1);     // delta 19 > 15: long form: type 6, zigzag(20) = 40; zigzag(-1) = 1
  w.FieldBool(21, true);  // delta 1, type 1
  w.FieldBinary(22, "ab");
  w.EndStruct();
  const std::string expected(
      "\x15\x0a\x06\x28\x01\x11\x18\x02"
      "ab\x00",
      11);
  EXPECT_EQ(out, expected);
}

TEST(ThriftCompact, RoundTripAndSkipsUnknownFields) {
  std::string out;
  ThriftCompactWriter w(&out);
  w.BeginStruct();
  w.FieldI32(1, -123456);
  w.BeginStructField(2);
  w.FieldListHeader(1, ThriftType::kI32, 20);
  for (int i = 0; i < 20; ++i) w.ListI32(i * 1000 - 7);
  w.FieldBool(2, false);
  w.EndStruct();
  w.FieldI64(300, std::numeric_limits<int64_t>::min());
  w.EndStruct();

  ThriftCompactReader r(out);
  r.BeginStruct();
  int16_t id;
  ThriftType type;
  ASSERT_TRUE(r.NextField(&id, &type));
  EXPECT_EQ(id, 1);
  EXPECT_EQ(r.ReadI32(), -123456);
  ASSERT_TRUE(r.NextField(&id, &type));
  EXPECT_EQ(id, 2);
  r.Skip(type);  // the nested struct with its list
  ASSERT_TRUE(r.NextField(&id, &type));
  EXPECT_EQ(id, 300);
  EXPECT_EQ(r.ReadI64(), std::numeric_limits<int64_t>::min());
  EXPECT_FALSE(r.NextField(&id, &type));
  EXPECT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.position(), out.size());

  // Every truncation fails cleanly.
  for (size_t len = 0; len < out.size(); ++len) {
    ThriftCompactReader t(std::string_view(out).substr(0, len));
    t.BeginStruct();
    while (t.NextField(&id, &type)) t.Skip(type);
    EXPECT_FALSE(t.ok()) << "prefix " << len;
  }
}

TEST(RleHybrid, KnownBytes) {
  // The spec's example: 0..7 bit-packed with width 3 is 0x88 0xC6 0xFA after the header
  // (1 group: (1 << 1) | 1 = 3).
  const uint32_t literal[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  std::string out;
  pq::AppendRleHybrid(literal, 8, 3, &out);
  EXPECT_EQ(out, std::string("\x03\x88\xc6\xfa"));
  // Ten 1s at width 1: one RLE run, header 10 << 1 = 20, value byte 1.
  const uint8_t ones[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  out.clear();
  pq::AppendRleHybridBytes(ones, 10, &out);
  EXPECT_EQ(out, std::string("\x14\x01"));
  // 300 at width 9 in one run of 8: header 16, value little-endian in 2 bytes.
  const uint32_t run[8] = {300, 300, 300, 300, 300, 300, 300, 300};
  out.clear();
  pq::AppendRleHybrid(run, 8, 9, &out);
  EXPECT_EQ(out, std::string("\x10\x2c\x01", 3));
}

TEST(RleHybrid, RandomRoundTrips) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const int width = trial % 33;
    const size_t n = rng() % 2000;
    const uint32_t mask = width == 32 ? 0xffffffffu : (1u << width) - 1;
    std::vector<uint32_t> values;
    while (values.size() < n) {
      const uint32_t v = rng() & mask;
      // Mix long runs, short runs and noise so both run kinds and their joins appear.
      const size_t repeat = rng() % 4 == 0 ? rng() % 40 : 1 + rng() % 3;
      for (size_t k = 0; k < repeat && values.size() < n; ++k) values.push_back(v);
    }
    std::string encoded;
    pq::AppendRleHybrid(values.data(), values.size(), width, &encoded);
    std::vector<uint32_t> decoded(n + 1, 0xdeadbeef);
    ASSERT_TRUE(pq::DecodeRleHybrid(encoded, width, n, decoded.data())) << "trial " << trial;
    EXPECT_EQ(decoded.back(), 0xdeadbeef);  // nothing written past n
    decoded.pop_back();
    ASSERT_EQ(values, decoded) << "trial " << trial << " width " << width;
    // Asking for more values than were encoded fails instead of inventing them, once
    // the zero padding of the last bit-packed group is used up.
    std::vector<uint32_t> more(n + 9);
    EXPECT_FALSE(pq::DecodeRleHybrid(encoded, width, n + 9, more.data()));
  }
}

// ---------------------------------------------------------------------------------
// Round trips through our own reader

class ParquetCodecTest : public ::testing::TestWithParam<ParquetCompression> {};

TEST_P(ParquetCodecTest, RoundTripManyRowGroupsAndPages) {
  TempDir dir;
  const Table table = MakeTable(10007, 1);
  ParquetWriteOptions options;
  options.compression = GetParam();
  options.row_group_rows = 3000;
  options.page_rows = 700;
  const std::string path = dir.Join("t.parquet");
  ASSERT_TRUE(WriteParquetFile(path, table, options).ok());
  Result<Table> read = ReadParquetFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ExpectTablesEqual(table, *read);

  Result<ParquetFileInfo> info = ReadParquetMetadata(path);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->num_rows, 10007);
  EXPECT_EQ(info->num_row_groups, 4);
  EXPECT_EQ(info->created_by, "stocklake");

  // The in-memory encoder produces the same bytes.
  Result<std::string> bytes = EncodeParquet(table, options);
  ASSERT_TRUE(bytes.ok());
  Result<std::string> on_disk = ReadFileToString(path);
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(*bytes, *on_disk);
}

INSTANTIATE_TEST_SUITE_P(Codecs, ParquetCodecTest,
                         ::testing::Values(ParquetCompression::kNone, ParquetCompression::kSnappy,
                                           ParquetCompression::kZstd));

TEST(ParquetRoundTrip, BytesDoNotDependOnThreadCount) {
  const Table table = MakeTable(4000, 12);
  ParquetWriteOptions one;
  one.threads = 1;
  one.row_group_rows = 1500;
  ParquetWriteOptions many = one;
  many.threads = 3;
  Result<std::string> a = EncodeParquet(table, one);
  Result<std::string> b = EncodeParquet(table, many);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(*a == *b);
}

TEST(ParquetRoundTrip, StatisticsMatchAnIndependentComputation) {
  TempDir dir;
  const Table table = MakeTable(5000, 2);
  ParquetWriteOptions options;
  options.row_group_rows = 1500;
  const std::string path = dir.Join("s.parquet");
  ASSERT_TRUE(WriteParquetFile(path, table, options).ok());
  Result<ParquetFileInfo> info = ReadParquetMetadata(path);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_EQ(info->columns.size(), table.columns.size());
  for (size_t c = 0; c < table.columns.size(); ++c) {
    EXPECT_EQ(info->columns[c].name, table.columns[c].name);
    EXPECT_EQ(info->columns[c].type, table.columns[c].type);
    EXPECT_EQ(info->columns[c].nullable, table.columns[c].nullable);
  }
  ASSERT_EQ(info->row_groups.size(), 4u);
  for (size_t g = 0; g < 4; ++g) {
    const size_t begin = g * 1500;
    const size_t end = std::min<size_t>(5000, begin + 1500);
    EXPECT_EQ(info->row_groups[g].num_rows, static_cast<int64_t>(end - begin));
    for (size_t c = 0; c < table.columns.size(); ++c) {
      const Column& col = table.columns[c];
      const ParquetColumnStats& s = info->row_groups[g].columns[c];
      SCOPED_TRACE(col.name + " group " + std::to_string(g));
      int64_t nulls = 0;
      int64_t lo_i = std::numeric_limits<int64_t>::max(), hi_i = std::numeric_limits<int64_t>::min();
      double lo_d = INFINITY, hi_d = -INFINITY;
      std::string lo_s, hi_s;
      bool any = false;
      for (size_t r = begin; r < end; ++r) {
        if (col.IsNull(r)) {
          ++nulls;
          continue;
        }
        switch (col.type) {
          case ColumnType::kDate:
          case ColumnType::kInt32:
            lo_i = std::min<int64_t>(lo_i, col.i32[r]);
            hi_i = std::max<int64_t>(hi_i, col.i32[r]);
            break;
          case ColumnType::kInt64:
            lo_i = std::min(lo_i, col.i64[r]);
            hi_i = std::max(hi_i, col.i64[r]);
            break;
          case ColumnType::kDouble:
            lo_d = std::min(lo_d, col.f64[r]);
            hi_d = std::max(hi_d, col.f64[r]);
            break;
          case ColumnType::kString: {
            const std::string v(col.StringAt(r));
            if (!any || v < lo_s) lo_s = v;
            if (!any || v > hi_s) hi_s = v;
            break;
          }
        }
        any = true;
      }
      EXPECT_EQ(s.null_count, nulls);
      ASSERT_TRUE(s.has_min_max);
      switch (col.type) {
        case ColumnType::kDate:
        case ColumnType::kInt32:
        case ColumnType::kInt64:
          EXPECT_EQ(s.min_int, lo_i);
          EXPECT_EQ(s.max_int, hi_i);
          EXPECT_LT(lo_i, 0);  // the data straddles zero, so signed order matters
          break;
        case ColumnType::kDouble:
          EXPECT_EQ(s.min_double, lo_d);
          EXPECT_EQ(s.max_double, hi_d);
          break;
        case ColumnType::kString:
          EXPECT_EQ(s.min_string, lo_s);
          EXPECT_EQ(s.max_string, hi_s);
          break;
      }
    }
  }
}

TEST(ParquetRoundTrip, EmptyTableKeepsItsSchema) {
  TempDir dir;
  const Table table = MakeTable(0, 3);
  const std::string path = dir.Join("empty.parquet");
  ASSERT_TRUE(WriteParquetFile(path, table).ok());
  Result<Table> read = ReadParquetFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ExpectTablesEqual(table, *read);
  Result<ParquetFileInfo> info = ReadParquetMetadata(path);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->num_rows, 0);
  EXPECT_EQ(info->num_row_groups, 0);
}

TEST(ParquetRoundTrip, SpecialDoublesAndAllNullChunks) {
  Table t;
  t.columns.emplace_back("x", ColumnType::kDouble, true);
  t.columns.emplace_back("s", ColumnType::kString, true);
  const double values[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0, 1e-310, std::numeric_limits<double>::max()};
  for (double v : values) t.columns[0].AppendDouble(v);
  for (size_t i = 0; i < 7; ++i) t.columns[1].AppendNull();  // string column, no values at all
  for (size_t i = 0; i < 5; ++i) t.columns[0].AppendDouble(NAN);
  for (size_t i = 0; i < 5; ++i) t.columns[1].AppendNull();
  ParquetWriteOptions options;
  options.row_group_rows = 7;  // second group: only NaN and NULL
  Result<std::string> bytes = EncodeParquet(t, options);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  TempDir dir;
  testing::WriteTextFile(dir.Join("d.parquet"), *bytes);
  Result<Table> read = ReadParquetFile(dir.Join("d.parquet"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ExpectTablesEqual(t, *read);
  Result<ParquetFileInfo> info = ReadParquetMetadata(dir.Join("d.parquet"));
  ASSERT_TRUE(info.ok());
  const ParquetColumnStats& first = info->row_groups[0].columns[0];
  ASSERT_TRUE(first.has_min_max);
  EXPECT_EQ(first.min_double, -INFINITY);
  EXPECT_EQ(first.max_double, INFINITY);
  EXPECT_FALSE(info->row_groups[1].columns[0].has_min_max);  // only NaN there
  EXPECT_FALSE(info->row_groups[0].columns[1].has_min_max);
  EXPECT_EQ(info->row_groups[0].columns[1].null_count, 7);
}

TEST(ParquetRoundTrip, LargeDictionaryFallsBackToPlain) {
  Table t;
  t.columns.emplace_back("id", ColumnType::kString, false);
  Column& c = t.columns[0];
  for (int i = 0; i < 3000; ++i) c.dictionary.push_back("long-identifier-" + std::to_string(i * 7919));
  for (int i = 0; i < 6000; ++i) c.AppendCode((i * 31) % 3000);
  ParquetWriteOptions small_limit;
  small_limit.dictionary_max_bytes = 4096;
  small_limit.page_rows = 1000;
  Result<std::string> plain = EncodeParquet(t, small_limit);
  Result<std::string> dict = EncodeParquet(t, ParquetWriteOptions{});
  ASSERT_TRUE(plain.ok() && dict.ok());
  TempDir dir;
  testing::WriteTextFile(dir.Join("plain.parquet"), *plain);
  testing::WriteTextFile(dir.Join("dict.parquet"), *dict);
  for (const char* name : {"plain.parquet", "dict.parquet"}) {
    Result<Table> read = ReadParquetFile(dir.Join(name));
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    ExpectTablesEqual(t, *read);
  }
  const nlohmann::json rows =
      DuckDb("SELECT file_name, encodings FROM parquet_metadata('" + dir.Join("*.parquet") + "') ORDER BY file_name");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[0]["encodings"].get<std::string>().find("RLE_DICTIONARY"), std::string::npos);  // dict.parquet
  EXPECT_EQ(rows[1]["encodings"].get<std::string>().find("DICTIONARY"), std::string::npos);      // plain.parquet
}

TEST(ParquetRoundTrip, ReadsSelectedColumns) {
  TempDir dir;
  const Table table = MakeTable(1000, 4);
  ASSERT_TRUE(WriteParquetFile(dir.Join("p.parquet"), table).ok());
  Result<Table> read = ReadParquetFile(dir.Join("p.parquet"), {"note", "i32"});
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  Table expected;
  expected.columns = {table.columns[6], table.columns[1]};
  ExpectTablesEqual(expected, *read);
  Result<Table> missing = ReadParquetFile(dir.Join("p.parquet"), {"nope"});
  EXPECT_TRUE(missing.status().IsNotFound());
}

TEST(ParquetWriter, RejectsInvalidTables) {
  Table uneven;
  uneven.columns.emplace_back("a", ColumnType::kInt32, false);
  uneven.columns.emplace_back("b", ColumnType::kInt32, false);
  uneven.columns[0].AppendInt32(1);
  EXPECT_TRUE(EncodeParquet(uneven).status().IsInvalidArgument());

  Table bad_code;
  bad_code.columns.emplace_back("s", ColumnType::kString, false);
  bad_code.columns[0].dictionary = {"x"};
  bad_code.columns[0].AppendCode(1);
  EXPECT_TRUE(EncodeParquet(bad_code).status().IsInvalidArgument());

  Table duplicate;
  duplicate.columns.emplace_back("a", ColumnType::kInt32, false);
  duplicate.columns.emplace_back("a", ColumnType::kInt32, false);
  EXPECT_TRUE(EncodeParquet(duplicate).status().IsInvalidArgument());

  TempDir dir;
  EXPECT_TRUE(WriteParquetFile(dir.Join("no/such/dir/x.parquet"), MakeTable(3, 1)).IsIOError());
  EXPECT_FALSE(WriteParquetFile(dir.Join("u.parquet"), uneven).ok());
  EXPECT_FALSE(PathExists(dir.Join("u.parquet")));  // no partial file left behind
}

// ---------------------------------------------------------------------------------
// Corrupt input

TEST(ParquetReader, TruncatedFilesFailCleanly) {
  TempDir dir;
  ParquetWriteOptions options;
  options.row_group_rows = 40;
  options.page_rows = 15;
  Result<std::string> bytes = EncodeParquet(MakeTable(100, 5), options);
  ASSERT_TRUE(bytes.ok());
  const std::string path = dir.Join("trunc.parquet");
  for (size_t len = 0; len < bytes->size(); ++len) {
    Result<Table> read = DecodeParquet(std::string_view(*bytes).substr(0, len), path);
    ASSERT_FALSE(read.ok()) << "prefix " << len;
    EXPECT_TRUE(read.status().IsCorruption()) << read.status().ToString();
  }
  testing::WriteTextFile(path, bytes->substr(0, bytes->size() - 3));
  Result<Table> read = ReadParquetFile(path);
  ASSERT_TRUE(read.status().IsCorruption());
  EXPECT_NE(read.status().message().find(path), std::string::npos) << read.status().ToString();
  EXPECT_TRUE(ReadParquetMetadata(path).status().IsCorruption());
}

TEST(ParquetReader, FlippedBytesNeverCrash) {
  ParquetWriteOptions options;
  options.row_group_rows = 40;
  options.page_rows = 15;
  for (ParquetCompression codec : {ParquetCompression::kNone, ParquetCompression::kSnappy, ParquetCompression::kZstd}) {
    options.compression = codec;
    Result<std::string> bytes = EncodeParquet(MakeTable(100, 6), options);
    ASSERT_TRUE(bytes.ok());
    uint32_t footer_length;
    std::memcpy(&footer_length, bytes->data() + bytes->size() - 8, 4);
    const size_t footer_start = bytes->size() - 8 - footer_length;
    // Every footer byte, and every 7th page byte, flipped one at a time. A flip may go
    // unnoticed (e.g. inside a value) but must never crash or read out of bounds.
    int failures = 0;
    for (size_t i = 0; i < bytes->size(); ++i) {
      if (i < footer_start && i % 7 != 0) continue;
      std::string damaged = *bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ 0xff);
      Result<Table> read = DecodeParquet(damaged, "flip.parquet");
      if (!read.ok()) {
        ++failures;
        EXPECT_NE(read.status().message().find("flip.parquet"), std::string::npos) << read.status().ToString();
      }
    }
    EXPECT_GT(failures, 0);
  }
  // The footer length itself pointing outside the file.
  Result<std::string> bytes = EncodeParquet(MakeTable(10, 6));
  std::string damaged = *bytes;
  damaged[damaged.size() - 5] = '\x7f';
  Result<Table> read = DecodeParquet(damaged, "len.parquet");
  EXPECT_TRUE(read.status().IsCorruption()) << read.status().ToString();
}

// ---------------------------------------------------------------------------------
// DuckDB as the independent reader

TEST(ParquetDuckDb, ReadsOurFileWithTypesValuesAndStatistics) {
  TempDir dir;
  const size_t rows = 20000;
  const Table table = MakeTable(rows, 9);
  ParquetWriteOptions options;
  options.row_group_rows = 8000;
  options.page_rows = 3000;
  const std::string path = dir.Join("ours.parquet");
  ASSERT_TRUE(WriteParquetFile(path, table, options).ok());
  const std::string src = "read_parquet('" + path + "')";

  // Types as DuckDB sees them.
  const nlohmann::json describe = DuckDb("DESCRIBE SELECT * FROM " + src);
  const std::vector<std::pair<std::string, std::string>> expected_types = {
      {"date", "DATE"},   {"i32", "INTEGER"}, {"i64", "BIGINT"},  {"f64", "DOUBLE"},
      {"f64n", "DOUBLE"}, {"sym", "VARCHAR"}, {"note", "VARCHAR"}};
  ASSERT_EQ(describe.size(), expected_types.size()) << describe.dump();
  for (size_t i = 0; i < expected_types.size(); ++i) {
    EXPECT_EQ(describe[i]["column_name"], expected_types[i].first);
    EXPECT_EQ(describe[i]["column_type"], expected_types[i].second);
  }

  // Aggregates computed independently here.
  int64_t date_nulls = 0, date_sum = 0, i32_sum = 0, i64_nulls = 0, i64_sum = 0, note_nulls = 0, alpha = 0;
  int32_t date_min = INT32_MAX, date_max = INT32_MIN;
  double f64_sum = 0, f64n_sum = 0;
  std::map<std::string, int64_t> sym_counts;
  for (size_t r = 0; r < rows; ++r) {
    const auto& c = table.columns;
    if (c[0].IsNull(r)) {
      ++date_nulls;
    } else {
      date_sum += c[0].i32[r];
      date_min = std::min(date_min, c[0].i32[r]);
      date_max = std::max(date_max, c[0].i32[r]);
    }
    i32_sum += c[1].i32[r];
    if (c[2].IsNull(r)) {
      ++i64_nulls;
    } else {
      i64_sum += c[2].i64[r];
    }
    f64_sum += c[3].f64[r];
    if (!c[4].IsNull(r)) f64n_sum += c[4].f64[r];
    ++sym_counts[std::string(c[5].StringAt(r))];
    if (c[6].IsNull(r)) {
      ++note_nulls;
    } else if (c[6].StringAt(r) == "\xce\xb1lpha") {
      ++alpha;
    }
  }
  const nlohmann::json agg = DuckDb(
      "SELECT count(*) AS n, count(*) - count(date) AS date_nulls, sum(date - DATE '1970-01-01') AS date_sum, "
      "CAST(min(date) AS VARCHAR) AS date_min, CAST(max(date) AS VARCHAR) AS date_max, sum(i32) AS i32_sum, "
      "count(*) - count(i64) AS i64_nulls, sum(i64) AS i64_sum, sum(f64) AS f64_sum, sum(f64n) AS f64n_sum, "
      "count(*) - count(note) AS note_nulls, count(*) FILTER (WHERE note = 'αlpha') AS alpha, "
      "count(DISTINCT sym) AS syms, count(*) FILTER (WHERE sym = 'SYM7') AS sym7 FROM " +
      src);
  ASSERT_EQ(agg.size(), 1u);
  const nlohmann::json& a = agg[0];
  EXPECT_EQ(AsInt(a["n"]), static_cast<int64_t>(rows));
  EXPECT_EQ(AsInt(a["date_nulls"]), date_nulls);
  EXPECT_EQ(AsInt(a["date_sum"]), date_sum);
  EXPECT_EQ(a["date_min"], FormatDate(date_min));
  EXPECT_EQ(a["date_max"], FormatDate(date_max));
  EXPECT_EQ(AsInt(a["i32_sum"]), i32_sum);
  EXPECT_EQ(AsInt(a["i64_nulls"]), i64_nulls);
  EXPECT_EQ(AsInt(a["i64_sum"]), i64_sum);
  EXPECT_NEAR(AsDouble(a["f64_sum"]), f64_sum, 1e-6 * std::abs(f64_sum) + 1e-3);
  EXPECT_NEAR(AsDouble(a["f64n_sum"]), f64n_sum, 1e-6 * std::abs(f64n_sum) + 1e-3);
  EXPECT_EQ(AsInt(a["note_nulls"]), note_nulls);
  EXPECT_EQ(AsInt(a["alpha"]), alpha);
  EXPECT_EQ(AsInt(a["syms"]), static_cast<int64_t>(sym_counts.size()));
  EXPECT_EQ(AsInt(a["sym7"]), sym_counts["SYM7"]);

  // A few specific rows, including NULLs (row 0: i64 and note are NULL; row 3: date).
  const nlohmann::json picked = DuckDb(
      "SELECT file_row_number AS r, CAST(date AS VARCHAR) AS date, i32, i64, f64, sym, note FROM read_parquet('" +
      path + "', file_row_number = true) WHERE r IN (0, 3, 8001, 19999) ORDER BY r");
  ASSERT_EQ(picked.size(), 4u);
  const size_t wanted[] = {0, 3, 8001, 19999};
  for (size_t k = 0; k < 4; ++k) {
    const size_t r = wanted[k];
    const nlohmann::json& row = picked[k];
    const auto& c = table.columns;
    SCOPED_TRACE("row " + std::to_string(r));
    if (c[0].IsNull(r)) {
      EXPECT_TRUE(row["date"].is_null());
    } else {
      EXPECT_EQ(row["date"], FormatDate(c[0].i32[r]));
    }
    EXPECT_EQ(AsInt(row["i32"]), c[1].i32[r]);
    if (c[2].IsNull(r)) {
      EXPECT_TRUE(row["i64"].is_null());
    } else {
      EXPECT_EQ(AsInt(row["i64"]), c[2].i64[r]);
    }
    EXPECT_EQ(AsDouble(row["f64"]), c[3].f64[r]);
    EXPECT_EQ(row["sym"], std::string(c[5].StringAt(r)));
    if (c[6].IsNull(r)) {
      EXPECT_TRUE(row["note"].is_null());
    } else {
      EXPECT_EQ(row["note"], std::string(c[6].StringAt(r)));
    }
  }

  // Statistics as DuckDB decodes them from our footer.
  const nlohmann::json meta = DuckDb(
      "SELECT row_group_id, path_in_schema, stats_min_value, stats_max_value, stats_null_count, compression "
      "FROM parquet_metadata('" +
      path + "') WHERE path_in_schema IN ('i64', 'sym') ORDER BY row_group_id, column_id");
  ASSERT_EQ(meta.size(), 6u) << meta.dump();
  for (const nlohmann::json& m : meta) {
    const size_t g = AsInt(m["row_group_id"]);
    const size_t begin = g * 8000;
    const size_t end = std::min(rows, begin + 8000);
    EXPECT_EQ(m["compression"], "ZSTD");
    if (m["path_in_schema"] == "i64") {
      const Column& col = table.columns[2];
      int64_t lo = INT64_MAX, hi = INT64_MIN, nulls = 0;
      for (size_t r = begin; r < end; ++r) {
        if (col.IsNull(r)) {
          ++nulls;
        } else {
          lo = std::min(lo, col.i64[r]);
          hi = std::max(hi, col.i64[r]);
        }
      }
      EXPECT_EQ(AsInt(m["stats_min_value"]), lo);
      EXPECT_EQ(AsInt(m["stats_max_value"]), hi);
      EXPECT_EQ(AsInt(m["stats_null_count"]), nulls);
    } else {
      std::string lo = "~", hi;
      for (size_t r = begin; r < end; ++r) {
        lo = std::min(lo, std::string(table.columns[5].StringAt(r)));
        hi = std::max(hi, std::string(table.columns[5].StringAt(r)));
      }
      EXPECT_EQ(m["stats_min_value"], lo);
      EXPECT_EQ(m["stats_max_value"], hi);
      EXPECT_EQ(AsInt(m["stats_null_count"]), 0);
    }
  }
}

TEST(ParquetDuckDb, ReadsEmptyAndSnappyFiles) {
  TempDir dir;
  ParquetWriteOptions snappy;
  snappy.compression = ParquetCompression::kSnappy;
  const Table table = MakeTable(3000, 10);
  ASSERT_TRUE(WriteParquetFile(dir.Join("s.parquet"), table, snappy).ok());
  ASSERT_TRUE(WriteParquetFile(dir.Join("e.parquet"), MakeTable(0, 10)).ok());
  int64_t i32_sum = 0;
  for (int32_t v : table.columns[1].i32) i32_sum += v;
  const nlohmann::json rows =
      DuckDb("SELECT (SELECT count(*) FROM read_parquet('" + dir.Join("e.parquet") +
             "')) AS empty_rows, (SELECT sum(i32) FROM read_parquet('" + dir.Join("s.parquet") + "')) AS s");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(AsInt(rows[0]["empty_rows"]), 0);
  EXPECT_EQ(AsInt(rows[0]["s"]), i32_sum);
}

// ---------------------------------------------------------------------------------
// DuckDB as the independent writer

//! What the DuckDB-written files below hold, computed here from the same formulas.
void ExpectDuckDbTable(const Table& t, int64_t rows) {
  ASSERT_EQ(t.num_rows(), static_cast<size_t>(rows));
  const Column* a = t.Find("a");
  const Column* b = t.Find("b");
  const Column* c = t.Find("c");
  const Column* d = t.Find("d");
  const Column* s = t.Find("s");
  const Column* n = t.Find("n");
  ASSERT_TRUE(a && b && c && d && s && n);
  EXPECT_EQ(a->type, ColumnType::kInt32);
  EXPECT_EQ(b->type, ColumnType::kInt64);
  EXPECT_EQ(c->type, ColumnType::kDouble);
  EXPECT_EQ(d->type, ColumnType::kDate);
  EXPECT_EQ(s->type, ColumnType::kString);
  EXPECT_EQ(n->type, ColumnType::kInt64);
  for (int64_t i = 0; i < rows; ++i) {
    const auto r = static_cast<size_t>(i);
    ASSERT_EQ(a->i32[r], static_cast<int32_t>(i) - 1000) << i;
    ASSERT_EQ(b->i64[r], i * 1000000007LL) << i;
    ASSERT_EQ(c->f64[r], static_cast<double>(i) / 4.0) << i;
    ASSERT_EQ(d->i32[r], DaysFromCivil(2020, 1, 1) + static_cast<int32_t>(i % 100)) << i;
    ASSERT_EQ(s->StringAt(r), "sym" + std::to_string(i % 7)) << i;
    ASSERT_EQ(n->IsNull(r), i % 5 == 0) << i;
    if (i % 5 != 0) {
      ASSERT_EQ(n->i64[r], i) << i;
    }
  }
}

TEST(ParquetDuckDb, OurReaderReadsDuckDbFiles) {
  TempDir dir;
  const int64_t rows = 30000;
  const std::string select =
      "SELECT (i - 1000)::INTEGER AS a, (i * 1000000007)::BIGINT AS b, i / 4.0 AS c, "
      "DATE '2020-01-01' + (i % 100)::INTEGER AS d, 'sym' || (i % 7) AS s, "
      "CASE WHEN i % 5 = 0 THEN NULL ELSE i END AS n FROM range(" +
      std::to_string(rows) + ") t(i)";
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"zstd.parquet", "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 10000"},
      {"snappy.parquet", "FORMAT parquet"},
      {"none.parquet", "FORMAT parquet, COMPRESSION uncompressed"},
      {"gzip.parquet", "FORMAT parquet, COMPRESSION gzip"},
      {"v2.parquet", "FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2"},
  };
  std::string sql;
  for (const auto& [name, opts] : variants) {
    sql += "COPY (" + select + ") TO '" + dir.Join(name) + "' (" + opts + "); ";
  }
  sql += "SELECT 1 AS done";
  DuckDb(sql);
  for (const auto& [name, opts] : variants) {
    SCOPED_TRACE(name);
    Result<Table> read = ReadParquetFile(dir.Join(name));
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    ExpectDuckDbTable(*read, rows);
    Result<ParquetFileInfo> info = ReadParquetMetadata(dir.Join(name));
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->num_rows, rows);
    const ParquetColumnStats& a_stats = info->row_groups[0].columns[0];
    ASSERT_TRUE(a_stats.has_min_max);
    EXPECT_EQ(a_stats.min_int, -1000);
    EXPECT_TRUE(info->columns[5].nullable);
  }
}

// ---------------------------------------------------------------------------------
// Throughput (reported, loosely bounded so a broken fast path is noticed)

}  // namespace
}  // namespace stocklake
