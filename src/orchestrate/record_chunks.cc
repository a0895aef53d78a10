#include "orchestrate/record_chunks.h"

#include <algorithm>
#include <vector>

#include "log/bar_codec.h"

namespace stocklake {

Status ForEachTickerRecord(const BarBatch& batch, std::string_view unknown_ticker_key,
                           const std::function<Status(std::string_view key, std::string value)>& emit) {
  if (batch.empty()) return Status::OK();
  const bool one_ticker =
      std::all_of(batch.ticker.begin(), batch.ticker.end(), [&](int32_t code) { return code == batch.ticker[0]; });
  if (one_ticker) {
    // The common case (a per-ticker file): encode slices directly, no copy.
    const std::string_view key =
        batch.ticker[0] == kNoTicker ? unknown_ticker_key : std::string_view(batch.ticker_names[batch.ticker[0]]);
    for (size_t from = 0; from < batch.size(); from += kMaxRowsPerRecord) {
      SL_RETURN_IF_ERROR(emit(key, EncodeBarBatchRows(batch, from, std::min(batch.size(), from + kMaxRowsPerRecord))));
    }
    return Status::OK();
  }
  // Counting sort of row indices by ticker code; slot 0 holds the unknown ticker.
  const size_t slots = batch.ticker_names.size() + 1;
  std::vector<size_t> start(slots + 1, 0);
  for (int32_t code : batch.ticker) ++start[static_cast<size_t>(code + 1) + 1];
  for (size_t s = 1; s <= slots; ++s) start[s] += start[s - 1];
  std::vector<size_t> order(batch.size());
  std::vector<size_t> fill(start.begin(), start.end() - 1);
  for (size_t i = 0; i < batch.size(); ++i) order[fill[static_cast<size_t>(batch.ticker[i] + 1)]++] = i;

  BarBatch chunk;
  for (size_t s = 0; s < slots; ++s) {
    const std::string_view key = s == 0 ? unknown_ticker_key : std::string_view(batch.ticker_names[s - 1]);
    for (size_t from = start[s]; from < start[s + 1]; from += kMaxRowsPerRecord) {
      const size_t to = std::min(start[s + 1], from + kMaxRowsPerRecord);
      chunk.Clear();
      chunk.AppendRows(batch, order.data() + from, to - from);
      SL_RETURN_IF_ERROR(emit(key, EncodeBarBatch(chunk)));
    }
  }
  return Status::OK();
}

}  // namespace stocklake
