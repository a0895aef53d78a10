// How the API writes the speed layer's bars (rows of ServingStore::IntradayBars and
// IntradayUpdates): one JSON object per bar for the JSON answers and the server-sent
// events, and the same rows as a Table for CSV and Parquet. Times are RFC 3339 UTC text
// with milliseconds in every format; `final` is a JSON boolean, 0 or 1 in CSV and Parquet.
#pragma once

#include <cstddef>
#include <string>

#include "core/table.h"

namespace stocklake {

//! Row `row` of `bars` as a JSON object: symbol (when `with_symbol`), window_start,
//! window_end, open, high, low, close, vwap (null when unknown), volume, trades, final,
//! updated_at, and windows when `bars` has that column (a rolled-up bar).
std::string IntradayBarJson(const Table& bars, size_t row, bool with_symbol);

//! Rows [begin, end) of `bars` as a JSON array of IntradayBarJson objects.
std::string IntradayBarsJson(const Table& bars, size_t begin, size_t end, bool with_symbol);

//! Rows [begin, end) of `bars` with the columns IntradayBarJson writes, in its order,
//! times as text: for SendPage's CSV and Parquet.
Table IntradayExportTable(const Table& bars, size_t begin, size_t end, bool with_symbol);

}  // namespace stocklake
