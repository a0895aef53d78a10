// Splits a batch into per-ticker records for the log: Kafka partitions by key, so each
// record holds one ticker's rows (keyed by the ticker) in input order, at most
// kMaxRowsPerRecord rows. Rows whose ticker is unknown are keyed by their source file.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/bar_batch.h"
#include "core/status.h"

namespace stocklake {

inline constexpr size_t kMaxRowsPerRecord = 32768;

//! Calls emit(key, encoded record value) for every chunk; stops at and returns the
//! first error.
Status ForEachTickerRecord(const BarBatch& batch, std::string_view unknown_ticker_key,
                           const std::function<Status(std::string_view key, std::string value)>& emit);

}  // namespace stocklake
