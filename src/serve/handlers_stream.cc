// /api/v1/stream: the speed layer live. GET /api/v1/stream/bars is a server-sent event
// stream of intraday_bars rows as stream processors commit them; GET
// /api/v1/stream/symbols lists the symbols the speed layer has windows of.
//
// A stream polls the store on a connection of its own and sends every row whose
// updated_at is newer than what it sent, in (updated_at, symbol, window_start) order, as
//   event: bar / id: <updated_at, Unix ms> / data: <the row as JSON>
// Each event's id is the newest updated_at sent so far, so ids never decrease. A client
// resuming with Last-Event-ID T gets every row with updated_at >= T: the commit of T
// again (its rows may repeat: apply rows by symbol and window_start), then what followed.
//
// Commits become visible out of updated_at order when processors commit concurrently
// (PostgreSQL stamps a commit with its transaction's start), so each poll reads again the
// rows of the last kVisibilityLagMs and skips those already sent.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <tuple>

#include "serve/handlers.h"
#include "serve/intraday_output.h"
#include "stream/trade_event.h"

namespace stocklake {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kPollInterval{250};
constexpr int64_t kVisibilityLagMs = 5000;
constexpr int64_t kRowsPerPoll = 1000;
constexpr size_t kMaxStreamTickers = 100;
//! How long an EventSource waits before reconnecting (the stream's `retry:`).
constexpr int kRetryMs = 1000;
//! 9999-12-31T23:59:59.999Z: no later time is an id this stream sends.
constexpr int64_t kLastMillis = 253'402'300'799'999;

//! The tickers parameter: comma-separated tickers, normalised, each once, in order.
Result<std::vector<std::string>> ParseTickerList(ParamText text) {
  if (!text || text->empty()) {
    return Status::InvalidArgument("tickers is required: a comma-separated list, e.g. tickers=AAPL,MSFT");
  }
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= text->size()) {
    size_t end = text->find(',', begin);
    if (end == std::string_view::npos) end = text->size();
    auto ticker = NormalizeTicker(text->substr(begin, end - begin));
    if (!ticker.ok()) return Status::InvalidArgument("tickers: " + ticker.status().message());
    if (std::find(out.begin(), out.end(), *ticker) == out.end()) out.push_back(std::move(*ticker));
    begin = end + 1;
  }
  if (out.size() > kMaxStreamTickers) {
    return Status::InvalidArgument("tickers: at most " + std::to_string(kMaxStreamTickers) + " per stream");
  }
  return out;
}

//! Last-Event-ID: an id this stream sent (Unix ms); nullopt when absent.
Result<std::optional<int64_t>> ParseLastEventId(const std::string& text) {
  if (text.empty()) return std::optional<int64_t>();
  auto id = CursorInt(text);
  if (!id.ok() || *id > kLastMillis)
    return Status::InvalidArgument("Last-Event-ID '" + text + "' is not an id this stream sent");
  return std::optional<int64_t>(*id);
}

//! One client's stream: its store connection, where it stands, and its stream slot
//! (given back when the last copy of the content provider holding it is destroyed).
class BarStream {
 public:
  BarStream(ApiContext& ctx, std::unique_ptr<ServingStore> store, std::vector<std::string> symbols,
            std::optional<int64_t> resume_from)
      : ctx_(ctx), store_(std::move(store)), symbols_(std::move(symbols)) {
    if (resume_from) floor_ = *resume_from;
  }
  ~BarStream() { ctx_.ReleaseStreamSlot(); }
  BarStream(const BarStream&) = delete;
  BarStream& operator=(const BarStream&) = delete;

  //! One turn of httplib's chunked content provider: waits for the next poll (unless a
  //! page is pending), then writes the new rows, or a keep-alive comment when quiet for
  //! long. Ends the answer cleanly when the server stops; false (the connection is
  //! dropped) when the store fails or the client is gone.
  bool Provide(httplib::DataSink& sink) {
    std::string out;
    if (!started_) {
      started_ = true;
      std::string names;
      for (const std::string& s : symbols_) names += (names.empty() ? "" : ",") + s;
      out = "retry: " + std::to_string(kRetryMs) + "\n: intraday bars of " + names + "\n\n";
    } else {
      const bool stopping =
          page_pending_ ? ctx_.WaitWhileServing(std::chrono::milliseconds(0)) : ctx_.WaitWhileServing(kPollInterval);
      if (stopping) {
        sink.done();
        return true;
      }
      Status st = Poll(&out);
      if (!st.ok()) {
        std::fprintf(stderr, "stocklake serve: GET /api/v1/stream/bars: %s\n", st.ToString().c_str());
        return false;
      }
      if (out.empty() && Clock::now() - last_write_ >= std::chrono::milliseconds(ctx_.options.stream_keepalive_ms)) {
        out = ": keep-alive\n\n";
      }
    }
    if (out.empty()) return true;
    last_write_ = Clock::now();
    return sink.write(out.data(), out.size());
  }

 private:
  using Key = std::tuple<int64_t, std::string, int64_t>;  // updated_at, symbol, window_start

  //! Reads one page of rows after the stream's position and appends their events.
  Status Poll(std::string* out) {
    if (!page_pending_) {
      // A new round: every row of updated_at >= RoundStart(), those already sent skipped.
      position_ = {RoundStart() - 1, "", 0};
      Forget();
    }
    SL_ASSIGN_OR_RETURN(Table rows, store_->IntradayUpdates({symbols_, position_, kRowsPerPoll}));
    const Column& symbol = *rows.Find("symbol");
    const Column& start = *rows.Find("window_start");
    const Column& updated = *rows.Find("updated_at");
    for (size_t r = 0; r < rows.num_rows(); ++r) {
      Key key{updated.i64[r], std::string(symbol.StringAt(r)), start.i64[r]};
      if (!sent_.insert(key).second) continue;
      high_ = std::max(high_, updated.i64[r]);
      *out += "event: bar\nid: " + std::to_string(high_) + "\ndata: " + IntradayBarJson(rows, r, true) + "\n\n";
    }
    page_pending_ = rows.num_rows() == static_cast<size_t>(kRowsPerPoll);
    if (page_pending_) {
      const size_t last = rows.num_rows() - 1;
      position_ = {updated.i64[last], std::string(symbol.StringAt(last)), start.i64[last]};
      Forget();
    }
    return Status::OK();
  }

  //! The oldest updated_at the next round reads.
  int64_t RoundStart() const { return std::max(floor_, high_ - kVisibilityLagMs); }
  //! Drops the sent rows no round reads again.
  void Forget() {
    const int64_t start = RoundStart();
    std::erase_if(sent_, [&](const Key& k) { return std::get<0>(k) < start; });
  }

  ApiContext& ctx_;
  std::unique_ptr<ServingStore> store_;
  const std::vector<std::string> symbols_;
  //! Rows with updated_at below it are never sent (a resumed stream's Last-Event-ID).
  int64_t floor_ = 0;
  int64_t high_ = 0;  //!< the newest updated_at sent
  IntradayPosition position_;
  bool page_pending_ = false;
  bool started_ = false;
  std::set<Key> sent_;  //!< rows sent that a later round may read again
  Clock::time_point last_write_ = Clock::now();
};

}  // namespace

void HandleStreamBars(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {"tickers"}); !st.ok()) return SendBadRequest(res, st);
  auto symbols = ParseTickerList(Param(req, "tickers"));
  if (!symbols.ok()) return SendBadRequest(res, symbols.status());
  auto resume = ParseLastEventId(req.get_header_value("Last-Event-ID"));
  if (!resume.ok()) return SendBadRequest(res, resume.status());
  if (!ctx.TryAcquireStreamSlot()) {
    res.set_header("Retry-After", "5");
    return SendError(res, {503, "unavailable",
                           "all " + std::to_string(ctx.options.max_streams) +
                               " event streams of this server are taken; retry later"});
  }
  // From here the stream owns the slot: BarStream gives it back.
  auto store = OpenServingStore(ctx.store_url);
  if (!store.ok()) {
    ctx.ReleaseStreamSlot();
    return SendInternalError(req, res, store.status(), "the serving store cannot be reached");
  }
  auto stream = std::make_shared<BarStream>(ctx, std::move(*store), std::move(*symbols), *resume);
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");  // nginx: pass events through at once
  res.set_chunked_content_provider("text/event-stream",
                                   [stream](size_t, httplib::DataSink& sink) { return stream->Provide(sink); });
}

void HandleStreamSymbols(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  ctx.WithStoreTaggedByBody(req, res, [&](ServingStore& store, const LakeSnapshot& snap) -> Status {
    SL_ASSIGN_OR_RETURN(Table t, store.IntradaySymbols());
    nlohmann::json data = nlohmann::json::array();
    for (size_t r = 0; r < t.num_rows(); ++r) {
      data.push_back({{"symbol", t.columns[0].StringAt(r)},
                      {"windows", t.columns[1].i64[r]},
                      {"first_window_start", FormatRfc3339Millis(t.columns[2].i64[r])},
                      {"last_window_start", FormatRfc3339Millis(t.columns[3].i64[r])},
                      {"updated_at", FormatRfc3339Millis(t.columns[4].i64[r])},
                      {"window_seconds", static_cast<double>(t.columns[5].i64[r]) / 1000.0}});
    }
    const nlohmann::json body = {{"data", data}};
    if (NotModified(req, res, snap.id, body.dump())) return Status::OK();
    SendJson(res, body);
    return Status::OK();
  });
}

}  // namespace stocklake
