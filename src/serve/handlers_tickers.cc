// /api/v1/tickers and one ticker's bars and indicators.
#include <algorithm>

#include "lake/table_schemas.h"
#include "serve/handlers.h"

namespace stocklake {

namespace {

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

void HandleBars(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  TickerPageRequest page;
  if (!ParseTickerPageRequest(req, res, {"interval", "from", "to", "limit", "cursor", "format"}, &page)) return;
  auto& [format, ticker, limit] = page;
  BarsQuery q;
  std::string cursor;
  if (!ParseRange(req, res, 'b', &q.from, &q.to, &cursor)) return;
  if (req.has_param("interval")) {
    auto interval = ParseBarInterval(req.get_param_value("interval"));
    if (!interval.ok()) return SendError(res, BadRequest("interval must be day, week, month or quarter"));
    q.interval = *interval;
  }
  q.ticker = ticker;
  const bool daily = q.interval == BarInterval::kDay;
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
