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

}  // namespace stocklake
