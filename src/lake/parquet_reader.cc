#include "lake/parquet_reader.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "core/byte_stream_split.h"
#include "core/files.h"
#include "lake/parquet_format.h"
#include "lake/thrift_compact.h"

namespace stocklake {

namespace pq = parquet_internal;

namespace {

bool ReadUleb128(std::string_view data, size_t* pos, uint64_t* out) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= data.size()) return false;
    const uint8_t b = static_cast<uint8_t>(data[(*pos)++]);
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = result;
      return true;
    }
  }
  return false;
}

}  // namespace

namespace parquet_internal {

namespace {

// Loads up to 8 bytes at `p` (fewer near `end`), little-endian, zero-filled.
inline uint64_t LoadBits(const uint8_t* p, const uint8_t* end) {
  uint64_t v = 0;
  const size_t avail = static_cast<size_t>(end - p);
  std::memcpy(&v, p, avail >= 8 ? 8 : avail);
  return v;
}

}  // namespace

bool DecodeRleHybrid(std::string_view data, int bit_width, size_t n, uint32_t* out) {
  if (bit_width < 0 || bit_width > 32) return false;
  const uint64_t mask = bit_width == 32 ? 0xffffffffull : ((1ull << bit_width) - 1);
  const size_t value_bytes = static_cast<size_t>(bit_width + 7) / 8;
  size_t pos = 0;
  size_t produced = 0;
  while (produced < n) {
    uint64_t header;
    if (!ReadUleb128(data, &pos, &header)) return false;
    if (header & 1) {
      const uint64_t groups = header >> 1;
      if (groups == 0 || groups > (uint64_t{1} << 40)) return false;
      const uint64_t run_bytes = groups * static_cast<uint64_t>(bit_width);
      const size_t available = data.size() - pos;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(groups * 8, n - produced));
      const uint64_t need_bits = static_cast<uint64_t>(take) * bit_width;
      if ((need_bits + 7) / 8 > available) return false;
      const auto* base = reinterpret_cast<const uint8_t*>(data.data() + pos);
      const auto* end = base + available;
      uint64_t bit = 0;
      for (size_t k = 0; k < take; ++k) {
        const uint8_t* p = base + (bit >> 3);
        out[produced + k] = bit_width == 0 ? 0 : static_cast<uint32_t>((LoadBits(p, end) >> (bit & 7)) & mask);
        bit += bit_width;
      }
      produced += take;
      // Some writers cut the final run short of whole groups; we already have our values.
      pos += static_cast<size_t>(std::min<uint64_t>(run_bytes, available));
    } else {
      const uint64_t count = header >> 1;
      if (count == 0) return false;
      if (data.size() - pos < value_bytes) return false;
      uint64_t value = 0;
      for (size_t b = 0; b < value_bytes; ++b)
        value |= static_cast<uint64_t>(static_cast<uint8_t>(data[pos + b])) << (8 * b);
      pos += value_bytes;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(count, n - produced));
      std::fill(out + produced, out + produced + take, static_cast<uint32_t>(value));
      produced += take;
    }
  }
  return true;
}

}  // namespace parquet_internal

namespace {

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
  int32_t definition_level_encoding = pq::kRle;
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
  int32_t dictionary_encoding = pq::kPlain;
};

// Checks a field's wire type; a mismatch means the bytes are not what we think.
bool Expect(ThriftCompactReader& r, ThriftType actual, ThriftType wanted) {
  if (actual == wanted) return true;
  r.Fail("unexpected field type " + std::to_string(static_cast<int>(actual)));
  return false;
}

bool IsBoolType(ThriftType t) { return t == ThriftType::kBoolTrue || t == ThriftType::kBoolFalse; }

void DecodeLogicalType(ThriftCompactReader& r, SchemaElementMd* e) {
  r.BeginStruct();
  int16_t id;
  ThriftType t;
  while (r.NextField(&id, &t)) {
    if (e->logical_type == 0) e->logical_type = id;
    r.Skip(t);
  }
  r.EndStruct();
}

void DecodeSchemaElement(ThriftCompactReader& r, SchemaElementMd* e) {
  r.BeginStruct();
  int16_t id;
  ThriftType t;
  while (r.NextField(&id, &t)) {
    switch (id) {
      case 1:
        if (Expect(r, t, ThriftType::kI32)) e->type = r.ReadI32();
        break;
      case 3:
        if (Expect(r, t, ThriftType::kI32)) e->repetition = r.ReadI32();
        break;
      case 4:
        if (Expect(r, t, ThriftType::kBinary)) e->name = std::string(r.ReadBinary());
        break;
      case 5:
        if (Expect(r, t, ThriftType::kI32)) e->num_children = r.ReadI32();
        break;
      case 6:
        if (Expect(r, t, ThriftType::kI32)) e->converted_type = r.ReadI32();
        break;
      case 10:
        if (Expect(r, t, ThriftType::kStruct)) DecodeLogicalType(r, e);
        break;
      default: r.Skip(t);
    }
  }
  r.EndStruct();
}

void DecodeStatistics(ThriftCompactReader& r, StatisticsMd* s) {
  r.BeginStruct();
  int16_t id;
  ThriftType t;
  while (r.NextField(&id, &t)) {
    switch (id) {
      case 1:
        if (Expect(r, t, ThriftType::kBinary)) s->legacy_max = std::string(r.ReadBinary()), s->has_legacy_max = true;
        break;
      case 2:
        if (Expect(r, t, ThriftType::kBinary)) s->legacy_min = std::string(r.ReadBinary()), s->has_legacy_min = true;
        break;
      case 3:
        if (Expect(r, t, ThriftType::kI64)) s->null_count = r.ReadI64();
        break;
      case 5:
        if (Expect(r, t, ThriftType::kBinary)) s->max_value = std::string(r.ReadBinary()), s->has_max = true;
        break;
      case 6:
        if (Expect(r, t, ThriftType::kBinary)) s->min_value = std::string(r.ReadBinary()), s->has_min = true;
        break;
      default: r.Skip(t);
    }
  }
  r.EndStruct();
}

void DecodeColumnMeta(ThriftCompactReader& r, ColumnMetaMd* m) {
  r.BeginStruct();
  int16_t id;
  ThriftType t;
  while (r.NextField(&id, &t)) {
    switch (id) {
      case 1:
        if (Expect(r, t, ThriftType::kI32)) m->type = r.ReadI32();
        break;
      case 4:
        if (Expect(r, t, ThriftType::kI32)) m->codec = r.ReadI32();
        break;
      case 5:
        if (Expect(r, t, ThriftType::kI64)) m->num_values = r.ReadI64();
        break;
      case 7:
        if (Expect(r, t, ThriftType::kI64)) m->total_compressed = r.ReadI64();
        break;
      case 9:
        if (Expect(r, t, ThriftType::kI64)) m->data_page_offset = r.ReadI64();
        break;
      case 11:
        if (Expect(r, t, ThriftType::kI64)) m->dictionary_page_offset = r.ReadI64();
        break;
      case 12:
        if (Expect(r, t, ThriftType::kStruct)) DecodeStatistics(r, &m->stats);
        break;
      default: r.Skip(t);
    }
  }
  r.EndStruct();
}

void DecodeColumnChunk(ThriftCompactReader& r, ColumnChunkMd* c) {
  r.BeginStruct();
  int16_t id;
  ThriftType t;
  while (r.NextField(&id, &t)) {
    switch (id) {
      case 1:
        c->has_file_path = true;
        r.Skip(t);
        break;
      case 3:
        if (Expect(r, t, ThriftType::kStruct)) {
          c->has_meta = true;
          DecodeColumnMeta(r, &c->meta);
        }
        break;
      default: r.Skip(t);
    }
  }
  r.EndStruct();
  // Refused while decoding, not after: a list of empty structs (one byte each) would
  // otherwise fill memory with ~200-byte entries before the footer checks ran.
  if (!c->has_file_path && (!c->has_meta || c->meta.type < 0)) r.Fail("column chunk without metadata or type");
}

// `max_columns`: the schema's column count when the schema came first (as writers put
// it), else SIZE_MAX.
void DecodeRowGroup(ThriftCompactReader& r, size_t max_columns, RowGroupMd* g) {
  r.BeginStruct();
  int16_t id;
  ThriftType t;
  while (r.NextField(&id, &t)) {
    switch (id) {
      case 1: {
        if (!Expect(r, t, ThriftType::kList)) break;
        ThriftType element;
        uint32_t size;
        r.ReadListHeader(&element, &size);
        if (size > 0 && !Expect(r, element, ThriftType::kStruct)) break;
        if (size > max_columns) {
          r.Fail("row group lists " + std::to_string(size) + " column chunks for " + std::to_string(max_columns) +
                 " schema columns");
          break;
        }
        // Grown as chunks decode, so a corrupt size allocates no more than the bytes hold.
        for (uint32_t i = 0; i < size && r.ok(); ++i) DecodeColumnChunk(r, &g->columns.emplace_back());
        break;
      }
      case 3:
        if (Expect(r, t, ThriftType::kI64)) g->num_rows = r.ReadI64();
        break;
      default: r.Skip(t);
    }
  }
  r.EndStruct();
}

void DecodeFileMeta(ThriftCompactReader& r, FileMetaMd* f) {
  r.BeginStruct();
  int16_t id;
  ThriftType t;
  while (r.NextField(&id, &t)) {
    switch (id) {
      case 2: {
        if (!Expect(r, t, ThriftType::kList)) break;
        ThriftType element;
        uint32_t size;
        r.ReadListHeader(&element, &size);
        if (size > 0 && !Expect(r, element, ThriftType::kStruct)) break;
        for (uint32_t i = 0; i < size && r.ok(); ++i) DecodeSchemaElement(r, &f->schema.emplace_back());
        f->has_schema = true;
        break;
      }
      case 3:
        if (Expect(r, t, ThriftType::kI64)) f->num_rows = r.ReadI64();
        break;
      case 4: {
        if (!Expect(r, t, ThriftType::kList)) break;
        ThriftType element;
        uint32_t size;
        r.ReadListHeader(&element, &size);
        if (size > 0 && !Expect(r, element, ThriftType::kStruct)) break;
        const size_t max_columns = f->has_schema && !f->schema.empty() ? f->schema.size() - 1 : SIZE_MAX;
        for (uint32_t i = 0; i < size && r.ok(); ++i) DecodeRowGroup(r, max_columns, &f->row_groups.emplace_back());
        f->has_row_groups = true;
        break;
      }
      case 6:
        if (Expect(r, t, ThriftType::kBinary)) f->created_by = std::string(r.ReadBinary());
        break;
      default: r.Skip(t);
    }
  }
  r.EndStruct();
}

void DecodeDataPageHeader(ThriftCompactReader& r, bool v2, DataPageHeaderMd* d) {
  r.BeginStruct();
  int16_t id;
  ThriftType t;
  while (r.NextField(&id, &t)) {
    if (id == 1 && Expect(r, t, ThriftType::kI32)) {
      d->num_values = r.ReadI32();
    } else if (!v2 && id == 2 && Expect(r, t, ThriftType::kI32)) {
      d->encoding = r.ReadI32();
    } else if (!v2 && id == 3 && Expect(r, t, ThriftType::kI32)) {
      d->definition_level_encoding = r.ReadI32();
    } else if (v2 && id == 2 && Expect(r, t, ThriftType::kI32)) {
      d->num_nulls = r.ReadI32();
    } else if (v2 && id == 4 && Expect(r, t, ThriftType::kI32)) {
      d->encoding = r.ReadI32();
    } else if (v2 && id == 5 && Expect(r, t, ThriftType::kI32)) {
      d->definition_levels_byte_length = r.ReadI32();
    } else if (v2 && id == 6 && Expect(r, t, ThriftType::kI32)) {
      d->repetition_levels_byte_length = r.ReadI32();
    } else if (v2 && id == 7 && IsBoolType(t)) {
      d->is_compressed = r.FieldBool(t);
    } else {
      r.Skip(t);
    }
  }
  r.EndStruct();
}

void DecodePageHeader(ThriftCompactReader& r, PageHeaderMd* h) {
  r.BeginStruct();
  int16_t id;
  ThriftType t;
  while (r.NextField(&id, &t)) {
    switch (id) {
      case 1:
        if (Expect(r, t, ThriftType::kI32)) h->type = r.ReadI32();
        break;
      case 2:
        if (Expect(r, t, ThriftType::kI32)) h->uncompressed_size = r.ReadI32();
        break;
      case 3:
        if (Expect(r, t, ThriftType::kI32)) h->compressed_size = r.ReadI32();
        break;
      case 5:
      case 8:
        if (Expect(r, t, ThriftType::kStruct)) {
          h->has_data = true;
          DecodeDataPageHeader(r, id == 8, &h->data);
        }
        break;
      case 7:
        if (Expect(r, t, ThriftType::kStruct)) {
          h->has_dictionary = true;
          r.BeginStruct();
          int16_t did;
          ThriftType dt;
          while (r.NextField(&did, &dt)) {
            if (did == 1 && Expect(r, dt, ThriftType::kI32)) {
              h->dictionary_num_values = r.ReadI32();
            } else if (did == 2 && Expect(r, dt, ThriftType::kI32)) {
              h->dictionary_encoding = r.ReadI32();
            } else {
              r.Skip(dt);
            }
          }
          r.EndStruct();
        }
        break;
      default: r.Skip(t);
    }
  }
  r.EndStruct();
}

// ---------------------------------------------------------------------------------
// File-level parsing.

struct ParsedFile {
  FileMetaMd meta;
  std::vector<ParquetColumnInfo> columns;
  std::vector<int32_t> physical_types;
};

Status ResolveColumnType(const SchemaElementMd& e, ParquetColumnInfo* info) {
  const int32_t ct = e.converted_type;
  const int16_t lt = e.logical_type;
  auto unsupported = [&](const char* what) {
    return Status::NotSupported("column '" + e.name + "': " + what + " (physical type " + std::to_string(e.type) +
                                ", converted type " + std::to_string(ct) + ", logical type " + std::to_string(lt) +
                                ") has no stocklake column type");
  };
  switch (e.type) {
    case pq::kInt32:
      if (ct == pq::kDate || lt == 6) {
        info->type = ColumnType::kDate;
      } else if ((ct == -1 || ct == 11 || ct == 12 || ct == 15 || ct == 16 || ct == 17) && (lt == 0 || lt == 10)) {
        info->type = ColumnType::kInt32;  // plain or INT_8/16/32, UINT_8/16 integers
      } else {
        return unsupported("annotated INT32");
      }
      return Status::OK();
    case pq::kInt64:
      if ((ct == -1 || ct == 18) && (lt == 0 || lt == 10)) {
        info->type = ColumnType::kInt64;
        return Status::OK();
      }
      return unsupported("annotated INT64");
    case pq::kDouble: info->type = ColumnType::kDouble; return Status::OK();
    case pq::kByteArray: info->type = ColumnType::kString; return Status::OK();
    default: return unsupported("physical type");
  }
}

Status ParseFooter(std::string_view data, const std::string& name, ParsedFile* out) {
  auto corrupt = [&](const std::string& what) { return Status::Corruption(name + ": " + what); };
  if (data.size() < 12) return corrupt("file of " + std::to_string(data.size()) + " bytes is too short for Parquet");
  if (std::memcmp(data.data(), pq::kMagic, 4) != 0) return corrupt("missing PAR1 magic at the start");
  if (std::memcmp(data.data() + data.size() - 4, pq::kMagic, 4) != 0) {
    return corrupt("missing PAR1 magic at the end (truncated or not Parquet)");
  }
  uint32_t footer_length;
  std::memcpy(&footer_length, data.data() + data.size() - 8, 4);
  if (footer_length > data.size() - 12) {
    return corrupt("footer length " + std::to_string(footer_length) + " exceeds the file size " +
                   std::to_string(data.size()));
  }
  const std::string_view footer = data.substr(data.size() - 8 - footer_length, footer_length);
  ThriftCompactReader r(footer);
  FileMetaMd& m = out->meta;
  DecodeFileMeta(r, &m);
  if (!r.ok()) return corrupt("bad footer metadata: " + r.error());
  if (!m.has_schema || m.num_rows < 0 || !m.has_row_groups)
    return corrupt("footer lacks schema, num_rows or row_groups");
  if (m.schema.empty()) return corrupt("empty schema");
  const SchemaElementMd& root = m.schema[0];
  if (root.num_children < 0 || static_cast<size_t>(root.num_children) != m.schema.size() - 1) {
    return Status::NotSupported(name + ": nested schema (root has " + std::to_string(root.num_children) +
                                " children, " + std::to_string(m.schema.size() - 1) + " schema elements follow)");
  }
  for (size_t i = 1; i < m.schema.size(); ++i) {
    const SchemaElementMd& e = m.schema[i];
    if (e.num_children > 0 || e.type < 0) return Status::NotSupported(name + ": nested column '" + e.name + "'");
    if (e.repetition == pq::kRepeated) return Status::NotSupported(name + ": repeated column '" + e.name + "'");
    ParquetColumnInfo info;
    info.name = e.name;
    info.nullable = e.repetition == pq::kOptional;
    Status st = ResolveColumnType(e, &info);
    if (!st.ok()) return st.WithContext(name);
    out->columns.push_back(std::move(info));
    out->physical_types.push_back(e.type);
  }
  int64_t total_rows = 0;
  for (size_t g = 0; g < m.row_groups.size(); ++g) {
    const RowGroupMd& rg = m.row_groups[g];
    const std::string where = "row group " + std::to_string(g);
    if (rg.num_rows < 0) return corrupt(where + " has no row count");
    if (rg.columns.size() != out->columns.size()) {
      return corrupt(where + " has " + std::to_string(rg.columns.size()) + " column chunks for " +
                     std::to_string(out->columns.size()) + " columns");
    }
    for (size_t c = 0; c < rg.columns.size(); ++c) {
      const ColumnChunkMd& chunk = rg.columns[c];
      if (chunk.has_file_path) return Status::NotSupported(name + ": column chunk in another file");
      if (!chunk.has_meta) return corrupt(where + " column '" + out->columns[c].name + "' lacks metadata");
      if (chunk.meta.type != out->physical_types[c]) {
        return corrupt(where + " column '" + out->columns[c].name + "' type disagrees with the schema");
      }
    }
    if (rg.num_rows > std::numeric_limits<int64_t>::max() - total_rows) return corrupt("row counts overflow");
    total_rows += rg.num_rows;
  }
  if (total_rows != m.num_rows) {
    return corrupt("row groups hold " + std::to_string(total_rows) + " rows but the footer says " +
                   std::to_string(m.num_rows));
  }
  if (m.num_rows > std::numeric_limits<int32_t>::max()) {
    return Status::NotSupported(name + ": more than 2^31 rows in one file");
  }
  return Status::OK();
}

ParquetColumnStats ConvertStats(const StatisticsMd& s, int32_t physical_type) {
  ParquetColumnStats out;
  out.null_count = s.null_count;
  const std::string* lo = nullptr;
  const std::string* hi = nullptr;
  if (s.has_min && s.has_max) {
    lo = &s.min_value;
    hi = &s.max_value;
  } else if (s.has_legacy_min && s.has_legacy_max && physical_type != pq::kByteArray) {
    // The legacy fields used signed order, which is right for numbers but not strings.
    lo = &s.legacy_min;
    hi = &s.legacy_max;
  }
  if (lo == nullptr) return out;
  switch (physical_type) {
    case pq::kInt32: {
      if (lo->size() != 4 || hi->size() != 4) return out;
      int32_t a, b;
      std::memcpy(&a, lo->data(), 4);
      std::memcpy(&b, hi->data(), 4);
      out.min_int = a;
      out.max_int = b;
      out.has_min_max = true;
      return out;
    }
    case pq::kInt64: {
      if (lo->size() != 8 || hi->size() != 8) return out;
      std::memcpy(&out.min_int, lo->data(), 8);
      std::memcpy(&out.max_int, hi->data(), 8);
      out.has_min_max = true;
      return out;
    }
    case pq::kDouble: {
      if (lo->size() != 8 || hi->size() != 8) return out;
      std::memcpy(&out.min_double, lo->data(), 8);
      std::memcpy(&out.max_double, hi->data(), 8);
      out.has_min_max = !std::isnan(out.min_double) && !std::isnan(out.max_double);
      return out;
    }
    case pq::kByteArray:
      out.min_string = *lo;
      out.max_string = *hi;
      out.has_min_max = true;
      return out;
    default: return out;
  }
}

ParquetFileInfo MakeFileInfo(const ParsedFile& parsed) {
  ParquetFileInfo info;
  info.num_rows = parsed.meta.num_rows;
  info.columns = parsed.columns;
  info.num_row_groups = static_cast<int>(parsed.meta.row_groups.size());
  info.created_by = parsed.meta.created_by;
  for (const RowGroupMd& rg : parsed.meta.row_groups) {
    ParquetRowGroupInfo g;
    g.num_rows = rg.num_rows;
    for (size_t c = 0; c < rg.columns.size(); ++c) {
      g.columns.push_back(ConvertStats(rg.columns[c].meta.stats, parsed.physical_types[c]));
    }
    info.row_groups.push_back(std::move(g));
  }
  return info;
}

// ---------------------------------------------------------------------------------
// Column chunk decoding.

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
    case pq::kUncompressed: return 1;
    case pq::kSnappy: return 22;  // > 64 / 3
    case pq::kGzip: return 1032;
    case pq::kZstd: return 32768;
    default: return 0;
  }
}

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

Status ColumnDecoder::CheckDecompressedSize(size_t compressed, size_t uncompressed) const {
  if (uncompressed > pq::kMaxPageBytes) {
    return Corrupt("page declares " + std::to_string(uncompressed) + " uncompressed bytes, more than the " +
                   std::to_string(pq::kMaxPageBytes) + " a page may hold");
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
  if (codec_ != pq::kUncompressed) SL_RETURN_IF_ERROR(CheckDecompressedSize(in.size(), uncompressed_size));
  switch (codec_) {
    case pq::kUncompressed:
      if (in.size() != uncompressed_size) return Corrupt("uncompressed page size disagrees with its header");
      *out = in;
      return Status::OK();
    case pq::kSnappy: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &n) || n != uncompressed_size) {
        return Corrupt("bad snappy page header");
      }
      char* buffer = DecompressBuffer(n);
      if (!snappy::RawUncompress(in.data(), in.size(), buffer)) return Corrupt("bad snappy page data");
      *out = std::string_view(buffer, n);
      return Status::OK();
    }
    case pq::kZstd: {
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
    case pq::kGzip: {
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
    if (header.type == pq::kDictionaryPage) {
      if (!header.has_dictionary) return Corrupt("dictionary page without its header");
      SL_RETURN_IF_ERROR(CheckDecompressedSize(page.size(), uncompressed));
      continue;
    }
    if (header.type != pq::kDataPage && header.type != pq::kDataPageV2) continue;
    if (!header.has_data) return Corrupt("data page without its header");
    const DataPageHeaderMd& d = header.data;
    if (d.num_values < 0 || static_cast<size_t>(d.num_values) > rows - declared) {
      return Corrupt("data page at offset " + std::to_string(offset) + " declares " + std::to_string(d.num_values) +
                     " values, more than the " + std::to_string(rows - declared) + " left of the chunk's " +
                     std::to_string(rows));
    }
    const auto n = static_cast<size_t>(d.num_values);
    size_t value_bytes = uncompressed;
    if (header.type == pq::kDataPage) {
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
    if (d.encoding == pq::kPlain || (d.encoding == pq::kByteStreamSplit && physical_type_ != pq::kByteArray)) {
      width = physical_type_ == pq::kInt64 || physical_type_ == pq::kDouble ? 8 : 4;
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
    if (header.type == pq::kDictionaryPage) {
      if (!header.has_dictionary) return Corrupt("dictionary page without its header");
      std::string_view body;
      SL_RETURN_IF_ERROR(Decompress(page, static_cast<size_t>(header.uncompressed_size), &body));
      SL_RETURN_IF_ERROR(ReadDictionaryPage(body, header.dictionary_num_values));
    } else if (header.type == pq::kDataPage || header.type == pq::kDataPageV2) {
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
    case pq::kInt32:
    case pq::kInt64:
    case pq::kDouble: {
      const size_t width = physical_type_ == pq::kInt32 ? 4 : 8;
      if (body.size() / width < n) return Corrupt("dictionary page shorter than its " + std::to_string(n) + " values");
      void* dst;
      if (physical_type_ == pq::kInt32) {
        dict_i32_.resize(n);
        dst = dict_i32_.data();
      } else if (physical_type_ == pq::kInt64) {
        dict_i64_.resize(n);
        dst = dict_i64_.data();
      } else {
        dict_f64_.resize(n);
        dst = dict_f64_.data();
      }
      if (n > 0) std::memcpy(dst, body.data(), n * width);
      return Status::OK();
    }
    case pq::kByteArray: {
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
  if (header.type == pq::kDataPage) {
    std::string_view body;
    SL_RETURN_IF_ERROR(Decompress(page, static_cast<size_t>(header.uncompressed_size), &body));
    if (info_.nullable) {
      if (d.definition_level_encoding != pq::kRle) {
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
    if (!pq::DecodeRleHybrid(levels, 1, n, scratch_.data())) return Corrupt("bad definition levels");
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
  if (!pq::DecodeRleHybrid(values.substr(1), bit_width, present, scratch_.data())) {
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
    case pq::kPlain:
      if (values.size() / sizeof(T) < present) return Corrupt("page holds fewer values than its levels say");
      if (present > 0) std::memcpy(dst, values.data(), present * sizeof(T));
      return Status::OK();
    case pq::kPlainDictionary:
    case pq::kRleDictionary: {
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
    case pq::kByteStreamSplit: {
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
    case pq::kDeltaBinaryPacked:
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
    case pq::kPlain: {
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
    case pq::kPlainDictionary:
    case pq::kRleDictionary: {
      SL_RETURN_IF_ERROR(DecodeIndices(values, present));
      const size_t size = dict_codes_.size();
      for (size_t i = 0; i < present; ++i) {
        if (scratch_[i] >= size) return Corrupt("dictionary index out of range");
        dst[i] = dict_codes_[scratch_[i]];
      }
      return Status::OK();
    }
    case pq::kDeltaLengthByteArray: {
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

// ---------------------------------------------------------------------------------

Result<Table> DecodeFile(std::string_view data, const std::string& name, const std::vector<std::string>* wanted) {
  ParsedFile parsed;
  SL_RETURN_IF_ERROR(ParseFooter(data, name, &parsed));
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
    SL_RETURN_IF_ERROR(ParseFooter(file.data(), path, &parsed));
    return MakeFileInfo(parsed);
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
