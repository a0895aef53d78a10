// DailySeries: one ticker's accepted bars as columns, the input of the indicator and
// period-bar kernels. Building it (grouping by ticker, ordering by date, resolving
// duplicates) is the caller's job; the kernels rely on its invariant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/date.h"

namespace stocklake {

//! One ticker's accepted bars, ascending by date, one row per date (duplicates already
//! resolved). All columns have the same length.
struct DailySeries {
  std::vector<Date> date;
  std::vector<double> open, high, low, close, adj_close;
  std::vector<int64_t> volume;

  size_t size() const { return date.size(); }
  bool empty() const { return date.empty(); }
  //! Empties every column, keeping capacity so the series can be refilled without allocating.
  void Clear();
  void Reserve(size_t rows);
  void Append(Date d, double o, double h, double l, double c, double adj, int64_t vol);
};

}  // namespace stocklake
