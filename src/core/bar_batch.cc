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

void BarBatch::Append(int32_t ticker_code, Date d, double o, double h, double l, double c, double adj, int64_t vol,
                      uint32_t source_id, int64_t line_number, RejectReason why) {
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
  const int32_t code = other.ticker[i] == kNoTicker ? kNoTicker : InternTicker(other.ticker_names[other.ticker[i]]);
  Append(code, other.date[i], other.open[i], other.high[i], other.low[i], other.close[i], other.adj_close[i],
         other.volume[i], other.source[i], other.line[i], other.reason[i]);
}

namespace {

// Rewrites the ticker codes appended from `other` (from index `base` on) into `into`'s
// dictionary, interning each name once, and only the names actually used.
void RecodeTickers(BarBatch* into, const BarBatch& other, size_t base) {
  std::vector<int32_t> recode(other.ticker_names.size(), kNoTicker);
  for (size_t i = base; i < into->ticker.size(); ++i) {
    const int32_t code = into->ticker[i];
    if (code == kNoTicker) continue;
    if (recode[code] == kNoTicker) recode[code] = into->InternTicker(other.ticker_names[code]);
    into->ticker[i] = recode[code];
  }
}

template <typename T>
void AppendColumn(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

template <typename T>
void GatherColumn(std::vector<T>& to, const std::vector<T>& from, const size_t* rows, size_t count) {
  const size_t base = to.size();
  to.resize(base + count);
  for (size_t k = 0; k < count; ++k) to[base + k] = from[rows[k]];
}

}  // namespace

void BarBatch::AppendAll(const BarBatch& other) {
  // Grow geometrically: an exact reserve per call would copy the batch on every append.
  const size_t needed = size() + other.size();
  if (needed > date.capacity()) Reserve(std::max(needed, 2 * date.capacity()));
  const size_t base = ticker.size();
  AppendColumn(ticker, other.ticker);
  RecodeTickers(this, other, base);
  AppendColumn(date, other.date);
  AppendColumn(open, other.open);
  AppendColumn(high, other.high);
  AppendColumn(low, other.low);
  AppendColumn(close, other.close);
  AppendColumn(adj_close, other.adj_close);
  AppendColumn(volume, other.volume);
  AppendColumn(source, other.source);
  AppendColumn(line, other.line);
  AppendColumn(reason, other.reason);
}

void BarBatch::AppendRows(const BarBatch& other, const size_t* rows, size_t count) {
  const size_t base = ticker.size();
  GatherColumn(ticker, other.ticker, rows, count);
  RecodeTickers(this, other, base);
  GatherColumn(date, other.date, rows, count);
  GatherColumn(open, other.open, rows, count);
  GatherColumn(high, other.high, rows, count);
  GatherColumn(low, other.low, rows, count);
  GatherColumn(close, other.close, rows, count);
  GatherColumn(adj_close, other.adj_close, rows, count);
  GatherColumn(volume, other.volume, rows, count);
  GatherColumn(source, other.source, rows, count);
  GatherColumn(line, other.line, rows, count);
  GatherColumn(reason, other.reason, rows, count);
}

}  // namespace stocklake
