// Table and Column: typed columnar data as the lake stores it (one Parquet file holds
// one Table). Strings are dictionary-coded, matching Parquet's dictionary encoding and
// sparing a std::string per row. Nulls are a validity vector, never NaN.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace stocklake {

enum class ColumnType : uint8_t {
  kDate,    // int32 days since 1970-01-01 (Parquet INT32 / DATE)
  kInt32,   // Parquet INT32
  kInt64,   // Parquet INT64
  kDouble,  // Parquet DOUBLE
  kString,  // Parquet BYTE_ARRAY / UTF8
};

struct Column {
  std::string name;
  ColumnType type = ColumnType::kInt64;
  bool nullable = false;

  std::vector<int32_t> i32;             // kDate, kInt32
  std::vector<int64_t> i64;             // kInt64
  std::vector<double> f64;              // kDouble
  std::vector<std::string> dictionary;  // kString: distinct values
  std::vector<int32_t> codes;           // kString: per row, index into dictionary
  //! Per row: 1 = value present, 0 = NULL. Empty means every row is present. The
  //! value slot of a NULL row exists but is meaningless.
  std::vector<uint8_t> valid;

  Column() = default;
  Column(std::string column_name, ColumnType column_type, bool is_nullable)
      : name(std::move(column_name)), type(column_type), nullable(is_nullable) {}

  size_t size() const;
  bool IsNull(size_t row) const { return !valid.empty() && valid[row] == 0; }
  std::string_view StringAt(size_t row) const { return dictionary[codes[row]]; }
  void Reserve(size_t rows);
  //! Appends a NULL (marks the column nullable and fills the value slot with zero).
  void AppendNull();
  void AppendInt32(int32_t v);
  void AppendInt64(int64_t v);
  void AppendDouble(double v);
  //! Appends a string by its dictionary code (the caller manages `dictionary`).
  void AppendCode(int32_t code);
};

//! Appends strings to a dictionary-coded column, coding each distinct value once.
class StringColumnBuilder {
 public:
  explicit StringColumnBuilder(Column* column);
  void Append(std::string_view value);

 private:
  Column* column_;
  std::unordered_map<std::string, int32_t> codes_;
};

struct Table {
  std::vector<Column> columns;

  size_t num_rows() const { return columns.empty() ? 0 : columns[0].size(); }
  //! nullptr when there is no column of that name.
  Column* Find(std::string_view name);
  const Column* Find(std::string_view name) const;
};

}  // namespace stocklake
