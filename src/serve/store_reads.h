// Read-only queries the REST API needs beyond ServingStore's query layer: one ticker's
// indicators over a date range, the tickers table with its date spans (keyset-paged),
// and reject counts by reason. They read the serving store's own tables through a
// second, read-only connection (SQLite or libpq, chosen by the same URL), with
// parameterised statements only. Candidates to move into ServingStore itself.
//
// Not thread-safe: one per thread, like ServingStore.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/date.h"
#include "core/status.h"
#include "core/table.h"

namespace stocklake {

//! Totals over the tickers table.
struct TickerTotals {
  int64_t tickers = 0;
  Date first_date = kNullDate;
  Date last_date = kNullDate;
};

class StoreReads {
 public:
  virtual ~StoreReads() = default;

  //! Opens a read-only connection to the store at `url` (`sqlite:PATH` or
  //! `postgresql://...`, as OpenServingStore takes them).
  static Result<std::unique_ptr<StoreReads>> Open(const std::string& url);

  //! gold/indicators rows of `ticker` with from <= date <= to (kNullDate = open),
  //! ordered by date, at most `limit` rows.
  Result<Table> Indicators(std::string_view ticker, Date from, Date to, int64_t limit);

  //! Tickers starting with `prefix` and sorting after `after` (byte-wise; "" = from the
  //! first), ascending, at most `limit`. Columns: ticker, first_date, last_date, days.
  Result<Table> Tickers(std::string_view prefix, std::string_view after, int64_t limit);

  Result<TickerTotals> Totals();

  //! reason -> rows of the rejects table.
  Result<std::map<std::string, int64_t>> RejectCountsByReason();

 protected:
  using Param = std::variant<int64_t, std::string>;
  //! Runs `sql` ($1..$N placeholders) and appends its rows to `out`, whose columns give
  //! the types in select-list order.
  virtual Status Query(const std::string& sql, const std::vector<Param>& params, Table* out) = 0;

 private:
  //! The bucket the lake assigns `ticker` to (the log's PartitionForKey over the store's
  //! bucket count, read from sync_state once per connection; `refresh` reads it again),
  //! or -1 for an empty store. Naming the bucket lets PostgreSQL plan only its partition.
  Result<int64_t> BucketOf(std::string_view ticker, bool refresh);
  //! `ticker`'s bucket as the tickers table records it, or -1 for a ticker not stored.
  Result<int64_t> StoredBucketOf(std::string_view ticker);

  int partitions_ = 0;  //!< the store's bucket count; 0 = not read yet
};

}  // namespace stocklake
