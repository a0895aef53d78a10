// /api/v1/tickers and one ticker's bars and indicators. A ticker's bars come from the
// batch (daily and period bars) and from the speed layer: intraday bars, and the
// provisional daily bars of the days the batch does not have yet.
#include <algorithm>

#include "lake/table_schemas.h"
#include "serve/handlers.h"
#include "serve/intraday_output.h"

namespace stocklake {

namespace {

constexpr int64_t kDayMs = 86'400'000;

//! The bar width of an intraday interval name, or 0 for any other name.
int64_t IntradayIntervalMs(std::string_view name) {
  if (name == "1m") return 60'000;
  if (name == "5m") return 300'000;
  if (name == "1h") return 3'600'000;
  return 0;
}

//! What an answer built from speed-layer rows depends on, for its ETag: how many rows and
//! the newest updated_at among them (every commit touching a row advances it).
std::string SpeedLayerVersion(const Table& bars) {
  if (bars.num_rows() == 0) return "";
  const Column* updated = bars.Find("updated_at");
  return std::to_string(bars.num_rows()) + "@" +
         std::to_string(*std::max_element(updated->i64.begin(), updated->i64.end()));
}

//! Whether `ticker` has any rows (the tickers table), for 404 on empty answers.
Result<bool> TickerExists(ServingStore& store, const std::string& ticker) {
  SL_ASSIGN_OR_RETURN(Table t, store.Tickers({ticker, "", 1}));
  return t.num_rows() == 1 && t.columns[0].StringAt(0) == ticker;
}

//! The columns an indicators answer has: the lake's, less the ticker.
const std::vector<std::string_view>& IndicatorColumns() {
  static const Table schema = EmptyTableFor(kGoldIndicators);
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const Column& c : schema.columns) {
      if (c.name != "ticker") out.push_back(c.name);
    }
    return out;
  }();
  return names;
}

//! The date range of a bars or indicators request: from, to, and the cursor (the first
//! date of the next page) of `kind`. Answers 400 and returns false when malformed.
bool ParseRange(const httplib::Request& req, httplib::Response& res, char kind, Date* from, Date* to,
                std::string* cursor) {
  auto f = ParseDateParam("from", Param(req, "from"));
  auto t = f.ok() ? ParseDateParam("to", Param(req, "to")) : Result<Date>(f.status());
  if (!t.ok()) {
    SendBadRequest(res, t.status());
    return false;
  }
  *from = *f;
  *to = *t;
  if (*from != kNullDate && *to != kNullDate && *from > *to) {
    SendError(res, BadRequest("from is after to"));
    return false;
  }
  auto c = ParseCursor(Param(req, "cursor"), kind);
  if (!c.ok()) {
    SendBadRequest(res, c.status());
    return false;
  }
  *cursor = std::move(*c);
  if (!cursor->empty()) {
    auto after = CursorDate(*cursor);
    if (!after.ok()) {
      SendBadRequest(res, after.status());
      return false;
    }
    *from = *from == kNullDate ? *after : std::max(*from, *after);
  }
  return true;
}

//! What every one-ticker page request names: the answer's format, the ticker, the limit.
struct TickerPageRequest {
  Format format;
  std::string ticker;
  int limit = 0;
};

//! Checks the parameter names and parses format, ticker (the path's) and limit; answers
//! 400 and returns false when one is malformed.
bool ParseTickerPageRequest(const httplib::Request& req, httplib::Response& res,
                            std::initializer_list<std::string_view> allowed, TickerPageRequest* out) {
  Status st = CheckParamNames(req.params, allowed);
  auto format = st.ok() ? ParseFormat(Param(req, "format"), req.get_header_value("Accept")) : Result<Format>(st);
  auto ticker = format.ok() ? NormalizeTicker(req.matches[1].str()) : Result<std::string>(format.status());
  auto limit =
      ticker.ok() ? ParseLimit(Param(req, "limit"), kDefaultPageLimit, kMaxPageLimit) : Result<int>(ticker.status());
  if (!limit.ok()) {
    SendBadRequest(res, limit.status());
    return false;
  }
  *out = {*format, std::move(*ticker), *limit};
  return true;
}

//! Answers one page of a ticker's rows `t` (read with limit + 1, so a row beyond `limit`
//! means a next page starting at its `key_column` date), or 404 when the first page is
//! empty because the ticker is unknown.
Status SendTickerPage(ServingStore& store, httplib::Response& res, const std::string& ticker, const Table& t,
                      bool first_page, int limit, Format format, char cursor_kind, std::string_view key_column,
                      std::vector<std::string_view> columns, const char* file_stem) {
  if (t.num_rows() == 0 && first_page) {
    SL_ASSIGN_OR_RETURN(bool exists, TickerExists(store, ticker));
    if (!exists) {
      SendError(res, {404, "not_found", "no ticker " + ticker});
      return Status::OK();
    }
  }
  const size_t n = std::min<size_t>(t.num_rows(), static_cast<size_t>(limit));
  std::optional<std::string> next;
  if (t.num_rows() > n) next = MakeCursor(cursor_kind, FormatDate(t.Find(key_column)->i32[n]));
  SendPage(res, format, {&t, std::move(columns), 0, n}, next, file_stem);
  return Status::OK();
}

}  // namespace

void HandleTickers(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {"prefix", "limit", "cursor", "format"}); !st.ok())
    return SendBadRequest(res, st);
  auto format = ParseFormat(Param(req, "format"), req.get_header_value("Accept"));
  if (!format.ok()) return SendBadRequest(res, format.status());
  auto limit = ParseLimit(Param(req, "limit"), kDefaultPageLimit, kMaxPageLimit);
  if (!limit.ok()) return SendBadRequest(res, limit.status());
  auto after = ParseCursor(Param(req, "cursor"), 't');
  if (!after.ok()) return SendBadRequest(res, after.status());
  std::string prefix = req.get_param_value("prefix");
  if (!prefix.empty()) {
    auto normal = NormalizeTicker(prefix);
    if (!normal.ok()) return SendError(res, BadRequest("prefix: " + normal.status().message()));
    prefix = std::move(*normal);
  }
  ctx.WithStore(req, res, [&](ServingStore& store, const LakeSnapshot&) -> Status {
    SL_ASSIGN_OR_RETURN(Table t, store.Tickers({prefix, *after, *limit + 1}));
    std::optional<std::string> next;
    const size_t n = std::min<size_t>(t.num_rows(), static_cast<size_t>(*limit));
    if (t.num_rows() > n) next = MakeCursor('t', t.columns[0].StringAt(n - 1));
    SendPage(res, *format, {&t, {"ticker", "first_date", "last_date", "days"}, 0, n}, next, "tickers");
    return Status::OK();
  });
}

namespace {

//! The speed layer's days of `ticker` after its newest batch bar with from <= day <= to
//! (kNullDate open), rolled up from intraday_bars (columns of IntradayBars, one row per
//! UTC day). None when the stored windows do not fit whole days.
Result<Table> ProvisionalDays(ServingStore& store, const std::string& ticker, Date from, Date to) {
  SL_ASSIGN_OR_RETURN(Table known, store.Tickers({ticker, "", 1}));
  Date first = from;
  if (known.num_rows() == 1 && known.columns[0].StringAt(0) == ticker && !known.columns[2].IsNull(0)) {
    const Date after_batch = known.columns[2].i32[0] + 1;
    first = first == kNullDate ? after_batch : std::max(first, after_batch);
  }
  IntradayBarsQuery q;
  q.symbol = ticker;
  q.interval_ms = kDayMs;
  q.limit = kMaxPageLimit + 1;
  if (first != kNullDate) q.from_ms = int64_t{first} * kDayMs;
  if (to != kNullDate) q.to_ms = int64_t{to} * kDayMs;
  Result<Table> days = store.IntradayBars(q);
  if (!days.ok() && days.status().IsInvalidArgument()) return Table();
  return days;
}

//! The JSON of provisional day `row` of `days` (ProvisionalDays): a daily bar marked
//! provisional, without an adjusted close.
std::string ProvisionalDayJson(const Table& days, size_t row) {
  nlohmann::ordered_json j;
  j["date"] = FormatDate(static_cast<Date>(days.Find("window_start")->i64[row] / kDayMs));
  for (const char* price : {"open", "high", "low", "close"}) j[price] = days.Find(price)->f64[row];
  j["adj_close"] = nullptr;
  j["volume"] = days.Find("volume")->i64[row];
  j["provisional"] = true;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

//! JSON daily bars: the batch's rows, then the speed layer's provisional days, paged as
//! one sequence.
void SendDailyBarsJson(ApiContext& ctx, const httplib::Request& req, httplib::Response& res, const BarsQuery& q,
                       bool first_page, int limit) {
  ctx.WithStoreTaggedByBody(req, res, [&](ServingStore& store, const LakeSnapshot& snap) -> Status {
    SL_ASSIGN_OR_RETURN(Table batch, store.Bars(q));
    SL_ASSIGN_OR_RETURN(Table provisional, ProvisionalDays(store, q.ticker, q.from, q.to));
    if (NotModified(req, res, snap.id, SpeedLayerVersion(provisional))) return Status::OK();
    const size_t total = batch.num_rows() + provisional.num_rows();
    if (total == 0 && first_page) {
      SL_ASSIGN_OR_RETURN(bool exists, TickerExists(store, q.ticker));
      if (!exists) {
        SendError(res, {404, "not_found", "no ticker " + q.ticker});
        return Status::OK();
      }
    }
    const size_t n = std::min<size_t>(total, static_cast<size_t>(limit));
    const size_t from_batch = std::min(n, batch.num_rows());
    std::optional<std::string> next;
    if (total > n) {
      const Date d = n < batch.num_rows()
                         ? batch.Find("date")->i32[n]
                         : static_cast<Date>(provisional.Find("window_start")->i64[n - batch.num_rows()] / kDayMs);
      next = MakeCursor('b', FormatDate(d));
    }
    std::string rows =
        SliceToJsonText({&batch, {"date", "open", "high", "low", "close", "adj_close", "volume"}, 0, from_batch});
    for (size_t r = 0; from_batch + r < n; ++r) {
      rows.pop_back();  // ']'
      rows += (rows.size() > 1 ? "," : "") + ProvisionalDayJson(provisional, r) + "]";
    }
    SendJsonRows(res, rows, next);
    return Status::OK();
  });
}

//! GET .../bars?interval=1m|5m|1h: the speed layer's bars rolled up from its windows.
//! from and to are dates or RFC 3339 times; the cursor holds the next bar's start.
void SendIntradayBars(ApiContext& ctx, const httplib::Request& req, httplib::Response& res,
                      const TickerPageRequest& page, int64_t interval_ms) {
  auto from = ParseTimeParam("from", Param(req, "from"), false);
  auto to = from.ok() ? ParseTimeParam("to", Param(req, "to"), true) : Result<std::optional<int64_t>>(from.status());
  auto cursor = to.ok() ? ParseCursor(Param(req, "cursor"), 'm') : Result<std::string>(to.status());
  if (!cursor.ok()) return SendBadRequest(res, cursor.status());
  if (*from && *to && **from > **to) return SendError(res, BadRequest("from is after to"));
  IntradayBarsQuery q;
  q.symbol = page.ticker;
  q.interval_ms = interval_ms;
  q.from_ms = *from;
  q.to_ms = *to;
  q.limit = page.limit + 1;
  if (!cursor->empty()) {
    auto after = CursorInt(*cursor);
    if (!after.ok()) return SendBadRequest(res, after.status());
    q.from_ms = std::max(q.from_ms.value_or(*after), *after);
  }
  ctx.WithStoreTaggedByBody(req, res, [&](ServingStore& store, const LakeSnapshot& snap) -> Status {
    Result<Table> bars = store.IntradayBars(q);
    if (!bars.ok() && bars.status().IsInvalidArgument()) {
      SendBadRequest(res, bars.status());
      return Status::OK();
    }
    SL_RETURN_IF_ERROR(bars.status());
    const Table& t = *bars;
    if (t.num_rows() == 0 && cursor->empty()) {
      // 404 only for a ticker neither layer knows.
      IntradayBarsQuery any;
      any.symbol = q.symbol;
      any.limit = 1;
      SL_ASSIGN_OR_RETURN(Table windows, store.IntradayBars(any));
      SL_ASSIGN_OR_RETURN(bool exists, TickerExists(store, q.symbol));
      if (windows.num_rows() == 0 && !exists) {
        SendError(res, {404, "not_found", "no ticker " + q.symbol + " in the batch or the speed layer"});
        return Status::OK();
      }
    }
    if (NotModified(req, res, snap.id, SpeedLayerVersion(t))) return Status::OK();
    const size_t n = std::min<size_t>(t.num_rows(), static_cast<size_t>(page.limit));
    std::optional<std::string> next;
    if (t.num_rows() > n) next = MakeCursor('m', std::to_string(t.Find("window_start")->i64[n]));
    if (page.format == Format::kJson) {
      SendJsonRows(res, IntradayBarsJson(t, 0, n, false), next);
      return Status::OK();
    }
    const Table out = IntradayExportTable(t, 0, n, false);
    std::vector<std::string_view> columns;
    for (const Column& c : out.columns) columns.push_back(c.name);
    SendPage(res, page.format, {&out, std::move(columns), 0, n}, next, "intraday_bars");
    return Status::OK();
  });
}

}  // namespace

void HandleBars(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  TickerPageRequest page;
  if (!ParseTickerPageRequest(req, res, {"interval", "from", "to", "limit", "cursor", "format"}, &page)) return;
  auto& [format, ticker, limit] = page;
  const std::string interval_name = req.has_param("interval") ? req.get_param_value("interval") : "day";
  if (const int64_t interval_ms = IntradayIntervalMs(interval_name); interval_ms > 0) {
    return SendIntradayBars(ctx, req, res, page, interval_ms);
  }
  BarsQuery q;
  std::string cursor;
  auto interval = ParseBarInterval(interval_name);
  if (!interval.ok()) return SendError(res, BadRequest("interval must be day, week, month, quarter, 1m, 5m or 1h"));
  q.interval = *interval;
  if (!ParseRange(req, res, 'b', &q.from, &q.to, &cursor)) return;
  q.ticker = ticker;
  const bool daily = q.interval == BarInterval::kDay;
  // Exports hold the batch's bars only; JSON daily bars end with the provisional days.
  if (daily && format == Format::kJson) return SendDailyBarsJson(ctx, req, res, q, cursor.empty(), limit);
  ctx.WithStore(req, res, [&](ServingStore& store, const LakeSnapshot&) -> Status {
    SL_ASSIGN_OR_RETURN(Table t, store.Bars(q));
    std::vector<std::string_view> cols =
        daily ? std::vector<std::string_view>{"date", "open", "high", "low", "close", "adj_close", "volume"}
              : std::vector<std::string_view>{"period_start", "period_end", "open",   "high",         "low",
                                              "close",        "adj_close",  "volume", "trading_days", "return"};
    return SendTickerPage(store, res, q.ticker, t, cursor.empty(), limit, format, 'b', daily ? "date" : "period_start",
                          std::move(cols), "bars");
  });
}

void HandleIndicators(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  TickerPageRequest page;
  if (!ParseTickerPageRequest(req, res, {"from", "to", "limit", "cursor", "format"}, &page)) return;
  auto& [format, ticker, limit] = page;
  IndicatorsQuery q;
  std::string cursor;
  if (!ParseRange(req, res, 'i', &q.from, &q.to, &cursor)) return;
  q.ticker = ticker;
  q.limit = limit + 1;
  ctx.WithStore(req, res, [&](ServingStore& store, const LakeSnapshot&) -> Status {
    SL_ASSIGN_OR_RETURN(Table t, store.Indicators(q));
    return SendTickerPage(store, res, q.ticker, t, cursor.empty(), limit, format, 'i', "date", IndicatorColumns(),
                          "indicators");
  });
}

void HandleLatestIndicators(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  auto ticker = NormalizeTicker(req.matches[1].str());
  if (!ticker.ok()) return SendBadRequest(res, ticker.status());
  ctx.WithStore(req, res, [&](ServingStore& store, const LakeSnapshot&) -> Status {
    SL_ASSIGN_OR_RETURN(Table t, store.LatestIndicators(*ticker));
    if (t.num_rows() == 0) {
      SendError(res, {404, "not_found", "no indicators for ticker " + *ticker});
      return Status::OK();
    }
    SendJson(res, RowToJson(t, IndicatorColumns(), 0));
    return Status::OK();
  });
}

}  // namespace stocklake
