#include "serve/table_output.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <type_traits>

#include "core/date.h"
#include "lake/parquet_writer.h"

namespace stocklake {

namespace {

std::vector<const Column*> Resolve(const Table& table, const std::vector<std::string_view>& names) {
  std::vector<const Column*> out;
  out.reserve(names.size());
  for (std::string_view n : names) out.push_back(table.Find(n));
  return out;
}

nlohmann::json CellToJson(const Column& c, size_t row) {
  if (c.IsNull(row)) return nullptr;
  switch (c.type) {
    case ColumnType::kDate: return FormatDate(c.i32[row]);
    case ColumnType::kInt32: return c.i32[row];
    case ColumnType::kInt64: return c.i64[row];
    case ColumnType::kDouble: return std::isfinite(c.f64[row]) ? nlohmann::json(c.f64[row]) : nlohmann::json(nullptr);
    case ColumnType::kString: return std::string(c.StringAt(row));
  }
  return nullptr;
}

void AppendCsvField(std::string_view text, std::string* out) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char ch : text) {
    if (ch == '"') out->push_back('"');
    out->push_back(ch);
  }
  out->push_back('"');
}

void AppendCsvCell(const Column& c, size_t row, std::string* out) {
  if (c.IsNull(row)) return;
  char buf[32];
  switch (c.type) {
    case ColumnType::kDate: out->append(FormatDate(c.i32[row])); return;
    case ColumnType::kInt32: out->append(std::to_string(c.i32[row])); return;
    case ColumnType::kInt64: out->append(std::to_string(c.i64[row])); return;
    case ColumnType::kDouble:
      if (!std::isfinite(c.f64[row])) return;
      // %.17g round-trips every double exactly.
      std::snprintf(buf, sizeof buf, "%.17g", c.f64[row]);
      out->append(buf);
      return;
    case ColumnType::kString: AppendCsvField(c.StringAt(row), out); return;
  }
}

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out->append(buf);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

void AppendJsonCell(const Column& c, size_t row, std::string* out) {
  if (c.IsNull(row)) {
    out->append("null");
    return;
  }
  char buf[32];
  switch (c.type) {
    case ColumnType::kDate:
      out->push_back('"');
      out->append(FormatDate(c.i32[row]));
      out->push_back('"');
      return;
    case ColumnType::kInt32: out->append(buf, std::to_chars(buf, buf + sizeof buf, c.i32[row]).ptr); return;
    case ColumnType::kInt64: out->append(buf, std::to_chars(buf, buf + sizeof buf, c.i64[row]).ptr); return;
    case ColumnType::kDouble: {
      const double v = c.f64[row];
      if (!std::isfinite(v)) {
        out->append("null");
        return;
      }
      char* end = std::to_chars(buf, buf + sizeof buf, v).ptr;
      out->append(buf, end);
      // Keep doubles recognisably floating point, as a DOM serialiser writes them.
      if (std::string_view(buf, static_cast<size_t>(end - buf)).find_first_of(".e") == std::string_view::npos) {
        out->append(".0");
      }
      return;
    }
    case ColumnType::kString: AppendJsonString(c.StringAt(row), out); return;
  }
}

}  // namespace

nlohmann::json RowToJson(const Table& table, const std::vector<std::string_view>& columns, size_t row) {
  nlohmann::json obj = nlohmann::json::object();
  for (std::string_view name : columns) {
    const Column* c = table.Find(name);
    obj[std::string(name)] = c == nullptr ? nlohmann::json(nullptr) : CellToJson(*c, row);
  }
  return obj;
}

nlohmann::json SliceToJson(const TableSlice& slice) {
  nlohmann::json rows = nlohmann::json::array();
  const std::vector<const Column*> cols = Resolve(*slice.table, slice.columns);
  for (size_t r = slice.begin; r < slice.end; ++r) {
    nlohmann::json obj = nlohmann::json::object();
    for (size_t i = 0; i < cols.size(); ++i) {
      obj[std::string(slice.columns[i])] = cols[i] == nullptr ? nlohmann::json(nullptr) : CellToJson(*cols[i], r);
    }
    rows.push_back(std::move(obj));
  }
  return rows;
}

std::string SliceToJsonText(const TableSlice& slice) {
  const std::vector<const Column*> cols = Resolve(*slice.table, slice.columns);
  std::vector<std::string> keys;
  for (std::string_view name : slice.columns) {
    std::string key;
    AppendJsonString(name, &key);
    key.push_back(':');
    keys.push_back(std::move(key));
  }
  std::string out = "[";
  out.reserve(2 + (slice.end - slice.begin) * cols.size() * 24);
  for (size_t r = slice.begin; r < slice.end; ++r) {
    if (r > slice.begin) out.push_back(',');
    out.push_back('{');
    for (size_t i = 0; i < cols.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(keys[i]);
      if (cols[i] == nullptr)
        out.append("null");
      else
        AppendJsonCell(*cols[i], r, &out);
    }
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

std::string SliceToCsv(const TableSlice& slice) {
  std::string out;
  for (size_t i = 0; i < slice.columns.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendCsvField(slice.columns[i], &out);
  }
  out += "\r\n";
  const std::vector<const Column*> cols = Resolve(*slice.table, slice.columns);
  for (size_t r = slice.begin; r < slice.end; ++r) {
    for (size_t i = 0; i < cols.size(); ++i) {
      if (i > 0) out.push_back(',');
      if (cols[i] != nullptr) AppendCsvCell(*cols[i], r, &out);
    }
    out += "\r\n";
  }
  return out;
}

Result<std::string> SliceToParquet(const TableSlice& slice) {
  Table out;
  for (std::string_view name : slice.columns) {
    const Column* c = slice.table->Find(name);
    if (c == nullptr) return Status::InvalidArgument("no column '" + std::string(name) + "' to export");
    Column copy(c->name, c->type, c->nullable);
    auto range = [&](const auto& v) {
      return std::remove_cvref_t<decltype(v)>(v.begin() + slice.begin, v.begin() + slice.end);
    };
    switch (c->type) {
      case ColumnType::kDate:
      case ColumnType::kInt32: copy.i32 = range(c->i32); break;
      case ColumnType::kInt64: copy.i64 = range(c->i64); break;
      case ColumnType::kDouble: copy.f64 = range(c->f64); break;
      case ColumnType::kString:
        copy.dictionary = c->dictionary;
        copy.codes = range(c->codes);
        break;
    }
    if (!c->valid.empty()) copy.valid = range(c->valid);
    out.columns.push_back(std::move(copy));
  }
  ParquetWriteOptions options;
  options.threads = 1;
  options.fsync = false;
  return EncodeParquet(out, options);
}

}  // namespace stocklake
