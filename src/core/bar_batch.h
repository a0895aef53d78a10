// BarBatch: the columnar batch of daily bars that flows from the readers through the
// log into processing. Struct of arrays; tickers are dictionary-coded so a batch of a
// million rows holds each ticker string once. Every row carries its lineage (source id
// and line) so any stage can say where a value came from and redeliveries can be
// recognised.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/reject_reason.h"

namespace stocklake {

//! Ticker code meaning "ticker unknown" (SQL NULL in the rejects table).
inline constexpr int32_t kNoTicker = -1;

struct BarBatch {
  std::vector<std::string> ticker_names;  // dictionary: code -> upper-case ticker

  std::vector<int32_t> ticker;  // code into ticker_names, or kNoTicker
  std::vector<Date> date;       // kNullDate when the date did not parse
  std::vector<double> open;
  std::vector<double> high;
  std::vector<double> low;
  std::vector<double> close;
  std::vector<double> adj_close;  // = close where the input gives no adjusted close
  std::vector<int64_t> volume;
  std::vector<uint32_t> source;      // id of the source file in the run's source registry
  std::vector<int64_t> line;         // 1-based physical line (JSON: index into timestamp[])
  std::vector<RejectReason> reason;  // kNone while the row is still a candidate

  size_t size() const { return date.size(); }
  bool empty() const { return date.empty(); }
  void Reserve(size_t rows);
  void Clear();

  //! Returns the code of `name`, adding it to the dictionary when new. Linear in the
  //! number of distinct tickers; readers cache the code per file.
  int32_t InternTicker(std::string_view name);

  //! Appends one row; the caller fills every column through this call only, so the
  //! columns always have equal length.
  void Append(int32_t ticker_code, Date d, double o, double h, double l, double c, double adj, int64_t vol,
              uint32_t source_id, int64_t line_number, RejectReason why);

  //! Appends row `row` of `other`, re-coding its ticker into this batch's dictionary.
  void AppendRowFrom(const BarBatch& other, size_t row);

  //! Appends every row of `other`.
  void AppendAll(const BarBatch& other);

  //! Appends the rows of `other` listed in `rows`, in that order.
  void AppendRows(const BarBatch& other, const size_t* rows, size_t count);
};

}  // namespace stocklake
