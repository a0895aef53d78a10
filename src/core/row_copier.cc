#include "core/row_copier.h"

namespace stocklake {

RowCopier::RowCopier(Table* to) : to_(to), codes_(to->columns.size()) {
  for (size_t c = 0; c < to->columns.size(); ++c) {
    const Column& col = to->columns[c];
    for (size_t code = 0; code < col.dictionary.size(); ++code) {
      codes_[c].emplace(col.dictionary[code], static_cast<int32_t>(code));
    }
  }
}

void RowCopier::Append(const Table& from, size_t row) {
  for (size_t c = 0; c < to_->columns.size(); ++c) {
    const Column& src = from.columns[c];
    Column& dst = to_->columns[c];
    if (src.IsNull(row)) {
      dst.AppendNull();
      continue;
    }
    switch (dst.type) {
      case ColumnType::kDate:
      case ColumnType::kInt32: dst.AppendInt32(src.i32[row]); break;
      case ColumnType::kInt64: dst.AppendInt64(src.i64[row]); break;
      case ColumnType::kDouble: dst.AppendDouble(src.f64[row]); break;
      case ColumnType::kString: {
        const std::string& value = src.dictionary[src.codes[row]];
        auto [it, inserted] = codes_[c].try_emplace(value, static_cast<int32_t>(dst.dictionary.size()));
        if (inserted) dst.dictionary.push_back(value);
        dst.AppendCode(it->second);
        break;
      }
    }
  }
}

Table TakeRows(const Table& table, std::span<const size_t> rows) {
  Table out;
  for (const Column& src : table.columns) {
    Column& dst = out.columns.emplace_back(src.name, src.type, src.nullable);
    auto gather = [&](const auto& from, auto& to) {
      to.reserve(rows.size());
      for (size_t r : rows) to.push_back(from[r]);
    };
    switch (src.type) {
      case ColumnType::kDate:
      case ColumnType::kInt32: gather(src.i32, dst.i32); break;
      case ColumnType::kInt64: gather(src.i64, dst.i64); break;
      case ColumnType::kDouble: gather(src.f64, dst.f64); break;
      case ColumnType::kString:
        dst.dictionary = src.dictionary;
        gather(src.codes, dst.codes);
        break;
    }
    if (!src.valid.empty()) gather(src.valid, dst.valid);
  }
  return out;
}

}  // namespace stocklake
