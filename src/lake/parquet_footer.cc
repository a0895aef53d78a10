#include "lake/parquet_footer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace stocklake::parquet_internal {

namespace {

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

}  // namespace

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

namespace {

Status ResolveColumnType(const SchemaElementMd& e, ParquetColumnInfo* info) {
  const int32_t ct = e.converted_type;
  const int16_t lt = e.logical_type;
  auto unsupported = [&](const char* what) {
    return Status::NotSupported("column '" + e.name + "': " + what + " (physical type " + std::to_string(e.type) +
                                ", converted type " + std::to_string(ct) + ", logical type " + std::to_string(lt) +
                                ") has no stocklake column type");
  };
  switch (e.type) {
    case kInt32:
      if (ct == kDate || lt == 6) {
        info->type = ColumnType::kDate;
      } else if ((ct == -1 || ct == 11 || ct == 12 || ct == 15 || ct == 16 || ct == 17) && (lt == 0 || lt == 10)) {
        info->type = ColumnType::kInt32;  // plain or INT_8/16/32, UINT_8/16 integers
      } else {
        return unsupported("annotated INT32");
      }
      return Status::OK();
    case kInt64:
      if ((ct == -1 || ct == 18) && (lt == 0 || lt == 10)) {
        info->type = ColumnType::kInt64;
        return Status::OK();
      }
      return unsupported("annotated INT64");
    case kDouble: info->type = ColumnType::kDouble; return Status::OK();
    case kByteArray: info->type = ColumnType::kString; return Status::OK();
    default: return unsupported("physical type");
  }
}

ParquetColumnStats ConvertStats(const StatisticsMd& s, int32_t physical_type) {
  ParquetColumnStats out;
  out.null_count = s.null_count;
  const std::string* lo = nullptr;
  const std::string* hi = nullptr;
  if (s.has_min && s.has_max) {
    lo = &s.min_value;
    hi = &s.max_value;
  } else if (s.has_legacy_min && s.has_legacy_max && physical_type != kByteArray) {
    // The legacy fields used signed order, which is right for numbers but not strings.
    lo = &s.legacy_min;
    hi = &s.legacy_max;
  }
  if (lo == nullptr) return out;
  switch (physical_type) {
    case kInt32: {
      if (lo->size() != 4 || hi->size() != 4) return out;
      int32_t a, b;
      std::memcpy(&a, lo->data(), 4);
      std::memcpy(&b, hi->data(), 4);
      out.min_int = a;
      out.max_int = b;
      out.has_min_max = true;
      return out;
    }
    case kInt64: {
      if (lo->size() != 8 || hi->size() != 8) return out;
      std::memcpy(&out.min_int, lo->data(), 8);
      std::memcpy(&out.max_int, hi->data(), 8);
      out.has_min_max = true;
      return out;
    }
    case kDouble: {
      if (lo->size() != 8 || hi->size() != 8) return out;
      std::memcpy(&out.min_double, lo->data(), 8);
      std::memcpy(&out.max_double, hi->data(), 8);
      out.has_min_max = !std::isnan(out.min_double) && !std::isnan(out.max_double);
      return out;
    }
    case kByteArray:
      out.min_string = *lo;
      out.max_string = *hi;
      out.has_min_max = true;
      return out;
    default: return out;
  }
}

}  // namespace

Status ParseFooter(std::string_view data, const std::string& name, ParsedFile* out) {
  auto corrupt = [&](const std::string& what) { return Status::Corruption(name + ": " + what); };
  if (data.size() < 12) return corrupt("file of " + std::to_string(data.size()) + " bytes is too short for Parquet");
  if (std::memcmp(data.data(), kMagic, 4) != 0) return corrupt("missing PAR1 magic at the start");
  if (std::memcmp(data.data() + data.size() - 4, kMagic, 4) != 0) {
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
    if (e.repetition == kRepeated) return Status::NotSupported(name + ": repeated column '" + e.name + "'");
    ParquetColumnInfo info;
    info.name = e.name;
    info.nullable = e.repetition == kOptional;
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

}  // namespace stocklake::parquet_internal
