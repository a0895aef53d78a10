// How the API writes query results: a Table (or a slice of its rows, with a subset of its
// columns) as JSON objects, CSV with a header row, or a Parquet file. One place so the
// three formats always agree on columns, order and NULLs.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table.h"

namespace stocklake {

//! Rows [begin, end) of `table`, restricted to `columns` (in that order; every name must
//! exist in the table).
struct TableSlice {
  const Table* table = nullptr;
  std::vector<std::string_view> columns;
  size_t begin = 0;
  size_t end = 0;
};

//! One JSON object per row: dates as "YYYY-MM-DD", NULL (and non-finite doubles) as null.
nlohmann::json SliceToJson(const TableSlice& slice);
//! The same rows as JSON text, written directly (no DOM): keys in column order, doubles
//! in their shortest round-trip form. The hot path of the data endpoints.
std::string SliceToJsonText(const TableSlice& slice);
//! Row `row` of `table` as one JSON object over `columns`.
nlohmann::json RowToJson(const Table& table, const std::vector<std::string_view>& columns, size_t row);

//! RFC 4180 CSV: a header row, then one line per row; NULL is an empty field.
std::string SliceToCsv(const TableSlice& slice);

//! A Parquet file (the project's own writer) holding the slice.
Result<std::string> SliceToParquet(const TableSlice& slice);

}  // namespace stocklake
