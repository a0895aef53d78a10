#include "core/bar_batch.h"

#include <algorithm>

namespace stocklake {

void BarBatch::Reserve(size_t rows) {
  ticker.reserve(rows);
  date.reserve(rows);
  open.reserve(rows);
  high.reserve(rows);
  low.reserve(rows);
  close.reserve(rows);
  adj_close.reserve(rows);
  volume.reserve(rows);
  source.reserve(rows);
  line.reserve(rows);
  reason.reserve(rows);
}

void BarBatch::Clear() {
  ticker_names.clear();
  ticker.clear();
  date.clear();
  open.clear();
  high.clear();
  low.clear();
  close.clear();
  adj_close.clear();
  volume.clear();
  source.clear();
  line.clear();
  reason.clear();
}

int32_t BarBatch::InternTicker(std::string_view name) {
  for (size_t i = 0; i < ticker_names.size(); ++i) {
    if (ticker_names[i] == name) return static_cast<int32_t>(i);
  }
  ticker_names.emplace_back(name);
  return static_cast<int32_t>(ticker_names.size() - 1);
}

void BarBatch::Append(int32_t ticker_code, Date d, double o, double h, double l, double c,
                      double adj, int64_t vol, uint32_t source_id, int64_t line_number,
                      RejectReason why) {
  ticker.push_back(ticker_code);
  date.push_back(d);
  open.push_back(o);
  high.push_back(h);
  low.push_back(l);
  close.push_back(c);
  adj_close.push_back(adj);
  volume.push_back(vol);
  source.push_back(source_id);
  line.push_back(line_number);
  reason.push_back(why);
}

void BarBatch::AppendRowFrom(const BarBatch& other, size_t i) {
  const int32_t code =
      other.ticker[i] == kNoTicker ? kNoTicker : InternTicker(other.ticker_names[other.ticker[i]]);
  Append(code, other.date[i], other.open[i], other.high[i], other.low[i], other.close[i],
         other.adj_close[i], other.volume[i], other.source[i], other.line[i], other.reason[i]);
}

void BarBatch::AppendAll(const BarBatch& other) {
  // Re-code the dictionary once, not per row.
  std::vector<int32_t> recode(other.ticker_names.size());
  for (size_t t = 0; t < other.ticker_names.size(); ++t) recode[t] = InternTicker(other.ticker_names[t]);
  // Grow geometrically: an exact reserve per call would copy the batch on every append.
  const size_t needed = size() + other.size();
  if (needed > date.capacity()) Reserve(std::max(needed, 2 * date.capacity()));
  for (size_t i = 0; i < other.size(); ++i) {
    const int32_t code = other.ticker[i] == kNoTicker ? kNoTicker : recode[other.ticker[i]];
    Append(code, other.date[i], other.open[i], other.high[i], other.low[i], other.close[i],
           other.adj_close[i], other.volume[i], other.source[i], other.line[i], other.reason[i]);
  }
}

}  // namespace stocklake
