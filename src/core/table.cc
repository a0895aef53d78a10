#include "core/table.h"

namespace stocklake {

size_t Column::size() const {
  switch (type) {
    case ColumnType::kDate:
    case ColumnType::kInt32: return i32.size();
    case ColumnType::kInt64: return i64.size();
    case ColumnType::kDouble: return f64.size();
    case ColumnType::kString: return codes.size();
  }
  return 0;
}

void Column::Reserve(size_t rows) {
  switch (type) {
    case ColumnType::kDate:
    case ColumnType::kInt32: i32.reserve(rows); break;
    case ColumnType::kInt64: i64.reserve(rows); break;
    case ColumnType::kDouble: f64.reserve(rows); break;
    case ColumnType::kString: codes.reserve(rows); break;
  }
  if (nullable) valid.reserve(rows);
}

void Column::AppendNull() {
  nullable = true;
  if (valid.size() < size()) valid.resize(size(), 1);
  switch (type) {
    case ColumnType::kDate:
    case ColumnType::kInt32: i32.push_back(0); break;
    case ColumnType::kInt64: i64.push_back(0); break;
    case ColumnType::kDouble: f64.push_back(0); break;
    case ColumnType::kString: codes.push_back(0); break;
  }
  valid.push_back(0);
}

namespace {
// `valid` exists only once a column has seen a NULL; from then on it grows with it.
inline void MarkPresent(std::vector<uint8_t>& valid) {
  if (!valid.empty()) valid.push_back(1);
}
}  // namespace

void Column::AppendInt32(int32_t v) {
  MarkPresent(valid);
  i32.push_back(v);
}
void Column::AppendInt64(int64_t v) {
  MarkPresent(valid);
  i64.push_back(v);
}
void Column::AppendDouble(double v) {
  MarkPresent(valid);
  f64.push_back(v);
}
void Column::AppendCode(int32_t code) {
  MarkPresent(valid);
  codes.push_back(code);
}

Column* Table::Find(std::string_view name) {
  for (auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const Column* Table::Find(std::string_view name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

StringColumnBuilder::StringColumnBuilder(Column* column) : column_(column) {
  for (size_t code = 0; code < column->dictionary.size(); ++code) {
    codes_.emplace(column->dictionary[code], static_cast<int32_t>(code));
  }
}

void StringColumnBuilder::Append(std::string_view value) {
  auto it = codes_.find(std::string(value));
  int32_t code;
  if (it == codes_.end()) {
    code = static_cast<int32_t>(column_->dictionary.size());
    column_->dictionary.emplace_back(value);
    codes_.emplace(std::string(value), code);
  } else {
    code = it->second;
  }
  column_->AppendCode(code);
}

}  // namespace stocklake
