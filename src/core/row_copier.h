// Copying rows between Tables of one schema, for the places that pick and interleave rows
// of tables (a lake file's kept rows and their replacements, a table split in two)
// rather than building columns from kernels.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/table.h"

namespace stocklake {

class RowCopier {
 public:
  //! Rows go to the end of `to`, whose columns (types, order) every source must share.
  explicit RowCopier(Table* to);
  //! Appends row `row` of `from`: NULLs stay NULL, strings are re-coded into `to`'s dictionary.
  void Append(const Table& from, size_t row);

 private:
  Table* to_;
  std::vector<std::unordered_map<std::string, int32_t>> codes_;  // per column: value -> code in `to_`
};

//! The rows of `table` at `rows` (in that order), column by column; string columns keep
//! the table's dictionary.
Table TakeRows(const Table& table, std::span<const size_t> rows);

}  // namespace stocklake
