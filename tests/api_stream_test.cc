// The lambda serving layer end to end (issue #13, item 3): a batch lake made by the real
// binary, a speed layer filled by the real `generate-trades`, `publish` and `stream
// --once` (and, where a test needs exact values, by ServingStore::CommitStreamBatch), the
// server in-process over real HTTP. Intraday bars against the store's windows and a
// roll-up computed here; the provisional daily bar until the batch loads its day; the
// reconciliation of speed and batch in /api/v1/quality; the server-sent event stream read
// by httplib's client and by curl: existing rows, then a commit made while connected,
// Last-Event-ID, bounded streams that leave ordinary requests alone, and a clean end.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "api_test_util.h"
#include "core/date.h"
#include "serve/tokens.h"
#include "store/serving_store.h"
#include "stream/trade_event.h"
#include "test_util.h"

namespace stocklake {
namespace {

using nlohmann::json;
using testing::RunCommand;
using testing::RunningServer;
using testing::StocklakeBinary;
using testing::TempDir;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kDay = 86'400'000;

//! One event of a server-sent event stream.
struct Event {
  std::string type;
  std::string id;
  std::string data;
};

//! Parses complete events out of `buffer` (consumed), skipping comments; `retry` lines
//! are recorded as events of type "retry".
std::vector<Event> ParseEvents(std::string* buffer) {
  std::vector<Event> out;
  size_t end;
  while ((end = buffer->find("\n\n")) != std::string::npos) {
    std::istringstream block(buffer->substr(0, end));
    buffer->erase(0, end + 2);
    Event e;
    std::string line;
    while (std::getline(block, line)) {
      if (line.starts_with(":")) continue;
      const size_t colon = line.find(": ");
      const std::string field = line.substr(0, colon), value = colon == std::string::npos ? "" : line.substr(colon + 2);
      if (field == "event") e.type = value;
      if (field == "id") e.id = value;
      if (field == "data") e.data = value;
      if (field == "retry") e.type = "retry";
    }
    if (!e.type.empty()) out.push_back(e);
  }
  return out;
}

//! A client of GET /api/v1/stream/bars on its own thread, collecting the events.
class StreamReader {
 public:
  StreamReader(int port, const std::string& token, const std::string& tickers, const std::string& last_event_id = "")
      : thread_([=, this] {
          httplib::Client c("127.0.0.1", port);
          c.set_read_timeout(10, 0);
          httplib::Headers headers = {{"Authorization", "Bearer " + token}};
          if (!last_event_id.empty()) headers.emplace("Last-Event-ID", last_event_id);
          auto r = c.Get(
              "/api/v1/stream/bars?tickers=" + tickers, headers,
              [this](const httplib::Response& response) {
                std::lock_guard lock(mu_);
                status_ = response.status;
                content_type_ = response.get_header_value("Content-Type");
                cv_.notify_all();
                return true;
              },
              [this](const char* data, size_t length) {
                std::lock_guard lock(mu_);
                buffer_.append(data, length);
                for (Event& e : ParseEvents(&buffer_)) events_.push_back(std::move(e));
                cv_.notify_all();
                return !stop_;
              });
          std::lock_guard lock(mu_);
          ended_ = true;
          ended_cleanly_ = static_cast<bool>(r);
          cv_.notify_all();
        }) {}
  ~StreamReader() {
    Stop();
    thread_.join();
  }

  //! Makes the client hang up at the next chunk it receives.
  void Stop() {
    std::lock_guard lock(mu_);
    stop_ = true;
  }

  //! Waits until `done(events, ended)` holds (true) or 15 s pass (false).
  template <typename F>
  bool WaitFor(F&& done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(15), [&] { return done(events_, ended_); });
  }

  //! The bar events received so far.
  std::vector<Event> Bars() {
    std::lock_guard lock(mu_);
    std::vector<Event> out;
    for (const Event& e : events_) {
      if (e.type == "bar") out.push_back(e);
    }
    return out;
  }
  int status() {
    std::lock_guard lock(mu_);
    return status_;
  }
  std::string content_type() {
    std::lock_guard lock(mu_);
    return content_type_;
  }
  bool ended_cleanly() {
    std::lock_guard lock(mu_);
    return ended_ && ended_cleanly_;
  }
  //! Waits for the stream's first bytes (its `retry:` line).
  bool WaitStarted() {
    return WaitFor([](const std::vector<Event>& events, bool ended) { return ended || !events.empty(); }) &&
           status() == 200;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string buffer_;
  std::vector<Event> events_;
  int status_ = 0;
  std::string content_type_;
  bool stop_ = false;
  bool ended_ = false;
  bool ended_cleanly_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

class ApiStreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    lake_ = dir_->Join("lake");
    auto gen = RunCommand(StocklakeBinary() + " generate --tickers 3 --days 40 --seed 11 --out " + dir_->Join("in"));
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    auto run = RunCommand(StocklakeBinary() + " run --quiet --input " + dir_->Join("in") + " --lake " + lake_);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    // 6000 trades of 3 symbols, 2 a second: 50 minutes of 1-minute windows.
    const std::string trades = dir_->Join("trades.jsonl");
    auto trade_gen = RunCommand(StocklakeBinary() + " generate-trades --out " + trades +
                                " --events 6000 --symbols 3 --seed 5 --rate 2 --late 0.01");
    ASSERT_EQ(trade_gen.exit_code, 0) << trade_gen.output;
    auto publish = RunCommand(StocklakeBinary() + " publish --lake " + lake_ + " --topic trades --input " + trades);
    ASSERT_EQ(publish.exit_code, 0) << publish.output;
    auto stream = RunCommand(StocklakeBinary() + " stream --once --lake " + lake_);
    ASSERT_EQ(stream.exit_code, 0) << stream.output;
    auto symbols = Store()->IntradaySymbols();
    ASSERT_TRUE(symbols.ok());
    trade_symbols_ = new std::vector<std::string>();
    for (size_t r = 0; r < symbols->num_rows(); ++r) trade_symbols_->emplace_back(symbols->columns[0].StringAt(r));

    viewer_ = new std::string(*CreateToken(lake_, Role::kViewer, "vera", 0));
    analyst_ = new std::string(*CreateToken(lake_, Role::kAnalyst, "anna", 0));
    ServeOptions o;
    o.lake_dir = lake_;
    o.rate_limit = 0;
    o.web_dir = dir_->Join("web");
    // Few workers and two stream slots: a stream that took an ordinary worker would show.
    o.threads = 2;
    o.max_streams = 2;
    o.stream_keepalive_ms = 200;
    server_ = new RunningServer(o);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete viewer_;
    delete analyst_;
    delete trade_symbols_;
    delete dir_;
  }

  static std::string StoreUrl() { return "sqlite:" + lake_ + "/_store/stocklake.sqlite"; }
  static std::unique_ptr<ServingStore> Store() {
    auto store = OpenServingStore(StoreUrl());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  static httplib::Result Get(const std::string& path, const std::string& token = *viewer_,
                             httplib::Headers headers = {}) {
    return testing::GetAs(server_->port(), path, token, std::move(headers));
  }
  static json GetJson(const std::string& path) { return testing::GetJsonAs(server_->port(), path, *viewer_); }

  //! The symbols the stream processor wrote (before any test committed its own).
  static const std::vector<std::string>& TradeSymbols() { return *trade_symbols_; }
  //! A batch ticker.
  static std::string BatchTicker() { return GetJson("/api/v1/tickers?limit=1")["data"][0]["ticker"]; }
  //! A stream of `tickers` once it started (slots of streams just closed may take a
  //! keep-alive to come free); nullptr when none started within 5 s.
  static std::unique_ptr<StreamReader> OpenStream(const std::string& tickers, const std::string& last_event_id = "") {
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto reader = std::make_unique<StreamReader>(server_->port(), *viewer_, tickers, last_event_id);
      if (reader->WaitStarted()) return reader;
      reader.reset();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return nullptr;
  }
  //! The stored windows of `symbol`.
  static Table Windows(const std::string& symbol) {
    IntradayBarsQuery q;
    q.symbol = symbol;
    q.limit = 100000;
    auto t = Store()->IntradayBars(q);
    EXPECT_TRUE(t.ok());
    return *t;
  }
  //! Every page of an intraday bars request, following next_cursor.
  static std::vector<json> AllPages(const std::string& path) {
    std::vector<json> rows;
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
      json j = GetJson(path + (cursor.empty() ? "" : "&cursor=" + cursor));
      for (const json& row : j["data"]) rows.push_back(row);
      if (j["next_cursor"].is_null()) break;
      cursor = j["next_cursor"];
    }
    return rows;
  }

  static TempDir* dir_;
  static std::string lake_;
  static std::string* viewer_;
  static std::string* analyst_;
  static RunningServer* server_;
  static std::vector<std::string>* trade_symbols_;
};

TempDir* ApiStreamTest::dir_ = nullptr;
std::string ApiStreamTest::lake_;
std::string* ApiStreamTest::viewer_ = nullptr;
std::string* ApiStreamTest::analyst_ = nullptr;
RunningServer* ApiStreamTest::server_ = nullptr;
std::vector<std::string>* ApiStreamTest::trade_symbols_ = nullptr;

int64_t Millis(const json& text) {
  int64_t ms = 0;
  EXPECT_TRUE(ParseRfc3339Millis(text.get<std::string>(), &ms)) << text;
  return ms;
}

//! A window of `symbol` at `start` with distinct, exactly representable numbers.
IntradayBarRow Window(const std::string& symbol, int64_t start, double open, double high, double low, double close,
                      int64_t volume, bool final = true) {
  IntradayBarRow b;
  b.symbol = symbol;
  b.window_start_ms = start;
  b.window_end_ms = start + kMinute;
  b.open = open;
  b.high = high;
  b.low = low;
  b.close = close;
  b.vwap = (high + low + close) / 3;
  b.volume = volume;
  b.trades = 3;
  b.final = final;
  return b;
}

// ---- Intraday bars ---------------------------------------------------------------------

TEST_F(ApiStreamTest, OneMinuteBarsAreTheStoredWindows) {
  const auto symbols = TradeSymbols();
  ASSERT_EQ(symbols.size(), 3u);
  for (const std::string& symbol : symbols) {
    SCOPED_TRACE(symbol);
    const Table w = Windows(symbol);
    ASSERT_GE(w.num_rows(), 45u) << "50 minutes of trades";
    const std::vector<json> bars = AllPages("/api/v1/tickers/" + symbol + "/bars?interval=1m&limit=17");
    ASSERT_EQ(bars.size(), w.num_rows());
    for (size_t r = 0; r < bars.size(); ++r) {
      const json& b = bars[r];
      EXPECT_EQ(Millis(b["window_start"]), w.columns[1].i64[r]);
      EXPECT_EQ(Millis(b["window_end"]), w.columns[2].i64[r]);
      EXPECT_EQ(b["open"].get<double>(), w.columns[3].f64[r]);
      EXPECT_EQ(b["high"].get<double>(), w.columns[4].f64[r]);
      EXPECT_EQ(b["low"].get<double>(), w.columns[5].f64[r]);
      EXPECT_EQ(b["close"].get<double>(), w.columns[6].f64[r]);
      EXPECT_EQ(b["vwap"].get<double>(), w.columns[7].f64[r]) << "a lone window keeps its vwap exactly";
      EXPECT_EQ(b["volume"].get<int64_t>(), w.columns[8].i64[r]);
      EXPECT_EQ(b["trades"].get<int64_t>(), w.columns[9].i64[r]);
      EXPECT_EQ(b["final"].get<bool>(), w.columns[10].i32[r] != 0);
      EXPECT_EQ(Millis(b["updated_at"]), w.columns[11].i64[r]);
      EXPECT_EQ(b["windows"], 1);
      EXPECT_FALSE(b.contains("symbol"));
    }
  }
}

TEST_F(ApiStreamTest, FiveMinuteAndHourBarsRollUpTheWindows) {
  for (const std::string& symbol : TradeSymbols()) {
    const Table w = Windows(symbol);
    for (const auto& [name, interval] : {std::pair{"5m", 5 * kMinute}, std::pair{"1h", 60 * kMinute}}) {
      SCOPED_TRACE(symbol + " " + name);
      // Computed here: the windows grouped by the epoch-aligned bar of their start.
      struct Expected {
        double open, high, low, close, pv = 0;
        int64_t volume = 0, trades = 0, windows = 0;
        bool final = true;
      };
      std::map<int64_t, Expected> want;
      for (size_t r = 0; r < w.num_rows(); ++r) {
        const int64_t start = w.columns[1].i64[r] / interval * interval;
        auto [it, fresh] =
            want.try_emplace(start, Expected{w.columns[3].f64[r], w.columns[4].f64[r], w.columns[5].f64[r], 0});
        Expected& e = it->second;
        e.high = std::max(e.high, w.columns[4].f64[r]);
        e.low = std::min(e.low, w.columns[5].f64[r]);
        e.close = w.columns[6].f64[r];  // windows come ordered by start
        e.pv += w.columns[7].f64[r] * static_cast<double>(w.columns[8].i64[r]);
        e.volume += w.columns[8].i64[r];
        e.trades += w.columns[9].i64[r];
        e.final = e.final && w.columns[10].i32[r] != 0;
        ++e.windows;
      }
      const std::vector<json> bars = AllPages("/api/v1/tickers/" + symbol + "/bars?interval=" + name + "&limit=4");
      ASSERT_EQ(bars.size(), want.size());
      auto it = want.begin();
      for (const json& b : bars) {
        const auto& [start, e] = *it++;
        EXPECT_EQ(Millis(b["window_start"]), start);
        EXPECT_EQ(Millis(b["window_end"]), start + interval);
        EXPECT_EQ(b["open"].get<double>(), e.open);
        EXPECT_EQ(b["high"].get<double>(), e.high);
        EXPECT_EQ(b["low"].get<double>(), e.low);
        EXPECT_EQ(b["close"].get<double>(), e.close);
        EXPECT_EQ(b["volume"].get<int64_t>(), e.volume);
        EXPECT_EQ(b["trades"].get<int64_t>(), e.trades);
        EXPECT_EQ(b["windows"].get<int64_t>(), e.windows);
        EXPECT_EQ(b["final"].get<bool>(), e.final);
        const double vwap = e.pv / static_cast<double>(e.volume);
        EXPECT_NEAR(b["vwap"].get<double>(), vwap, vwap * 1e-12);
      }
    }
  }
}

TEST_F(ApiStreamTest, RangesTakeWholeBarsAndExportsHaveTheSameRows) {
  const std::string symbol = TradeSymbols()[0];
  const std::string path = "/api/v1/tickers/" + symbol + "/bars?interval=5m";
  const std::vector<json> all = AllPages(path);
  ASSERT_GE(all.size(), 6u);
  // A time inside a bar takes that whole bar; a date the whole day.
  const int64_t third = Millis(all[2]["window_start"]);
  const json some = GetJson(path + "&from=" + FormatRfc3339Millis(third + 90'000) +
                            "&to=" + FormatRfc3339Millis(third + 5 * kMinute + 1));
  ASSERT_EQ(some["data"].size(), 2u);
  EXPECT_EQ(some["data"][0], all[2]);
  EXPECT_EQ(some["data"][1], all[3]);
  const std::string day = FormatDate(static_cast<Date>(third / kDay));
  EXPECT_EQ(GetJson(path + "&from=" + day + "&to=" + day + "&limit=5000")["data"].size(), all.size());
  EXPECT_EQ(GetJson(path + "&to=" + FormatDate(static_cast<Date>(third / kDay) - 1))["data"].size(), 0u);

  auto csv = Get(path + "&format=csv&limit=3", *analyst_);
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200) << csv->body;
  std::istringstream lines(csv->body);
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  if (header.ends_with('\r')) header.pop_back();  // RFC 4180 line ends
  EXPECT_EQ(header, "window_start,window_end,open,high,low,close,vwap,volume,trades,final,updated_at,windows");
  EXPECT_TRUE(first.starts_with(all[0]["window_start"].get<std::string>() + ",")) << first;
  EXPECT_FALSE(csv->get_header_value("X-Next-Cursor").empty());
  EXPECT_EQ(Get(path + "&format=csv")->status, 403) << "exports need the analyst role";
}

TEST_F(ApiStreamTest, IntervalsThatDoNotFitTheStoredWindowsAre400) {
  // A processor run with --window 5m stores 5-minute windows.
  std::vector<IntradayBarRow> five;
  const int64_t start = (int64_t{20000} * 24 * 60 + 14 * 60 + 30) * kMinute;
  for (int i = 0; i < 12; ++i) {
    IntradayBarRow b = Window("ZFIVE", start + i * 5 * kMinute, 10, 11, 9, 10.5, 100);
    b.window_end_ms = b.window_start_ms + 5 * kMinute;
    five.push_back(b);
  }
  ASSERT_TRUE(Store()->CommitStreamBatch("trades", five, {}).ok());
  testing::ExpectApiError(Get("/api/v1/tickers/ZFIVE/bars?interval=1m"), 400, "bad_request",
                          "the stored windows of ZFIVE are 5 minutes wide: an interval of 1 minute does not fit");
  EXPECT_EQ(GetJson("/api/v1/tickers/ZFIVE/bars?interval=5m")["data"].size(), 12u);
  EXPECT_EQ(GetJson("/api/v1/tickers/ZFIVE/bars?interval=1h")["data"].size(), 2u) << "14:30 to 15:25";

  const std::string path = "/api/v1/tickers/" + TradeSymbols()[0] + "/bars";
  testing::ExpectApiError(Get(path + "?interval=2m"), 400, "bad_request", "interval must be day");
  testing::ExpectApiError(Get(path + "?interval=5m&from=yesterday"), 400, "bad_request", "from must be a date");
  testing::ExpectApiError(Get(path + "?interval=5m&from=2025-01-03&to=2025-01-02"), 400, "bad_request",
                          "from is after to");
  testing::ExpectApiError(Get(path + "?interval=5m&cursor=garbage"), 400, "bad_request", "cursor");
  const json daily = GetJson("/api/v1/tickers/" + BatchTicker() + "/bars?limit=1");
  ASSERT_FALSE(daily["next_cursor"].is_null());
  testing::ExpectApiError(Get(path + "?interval=1m&cursor=" + daily["next_cursor"].get<std::string>()), 400,
                          "bad_request", "cursor");  // a daily cursor is not an intraday one
  testing::ExpectApiError(Get("/api/v1/tickers/NOSUCH/bars?interval=1m"), 404, "not_found", "NOSUCH");
  testing::ExpectApiError(Get(path + "?interval=1m", ""), 401, "unauthorized");
}

// ---- The provisional daily bar and the reconciliation --------------------------------

TEST_F(ApiStreamTest, TheSpeedLayerShowsTodayUntilTheBatchLoadsItAndIsReconciled) {
  const json tickers = GetJson("/api/v1/tickers");
  ASSERT_GE(tickers["data"].size(), 1u);
  const std::string ticker = tickers["data"][0]["ticker"];
  Date last = 0;
  const std::string last_text = tickers["data"][0]["last_date"];
  ASSERT_TRUE(ParseIsoDate(last_text.data(), last_text.size(), &last));
  const std::string bars_path = "/api/v1/tickers/" + ticker + "/bars?limit=5000";
  const json batch = GetJson(bars_path)["data"];
  ASSERT_GE(batch.size(), 2u);
  const json& last_bar = batch[batch.size() - 1];
  const json& before_bar = batch[batch.size() - 2];
  ASSERT_EQ(last_bar["date"], last_text);
  Date before = 0;
  ASSERT_TRUE(ParseIsoDate(before_bar["date"].get<std::string>().data(), 10, &before));
  for (const json& b : batch) EXPECT_FALSE(b.contains("provisional")) << "batch bars have no provisional field";

  // The speed layer's day as three windows with the batch bar's numbers: open of the
  // first, the high in the second, the low and close in the third, the volume split.
  auto day_windows = [&](Date d, double open, double high, double low, double close, int64_t volume) {
    const int64_t at = (int64_t{d} * 24 * 60 + 14 * 60 + 30) * kMinute;
    const double mid = (open + close) / 2;
    return std::vector<IntradayBarRow>{
        Window(ticker, at, open, std::max(open, mid), std::min(open, mid), mid, volume - 300),
        Window(ticker, at + kMinute, mid, high, mid, mid, 200),
        Window(ticker, at + 2 * kMinute, mid, std::max(mid, close), low, close, 100)};
  };
  auto equal_day = [&](Date d, const json& bar) {
    return day_windows(d, bar["open"], bar["high"], bar["low"], bar["close"], bar["volume"]);
  };
  std::vector<IntradayBarRow> windows = equal_day(last, last_bar);
  // The day before differs: a close 1e-6 off, relatively (within the day's high and low).
  const double batch_close = before_bar["close"];
  const double planted_close = batch_close * (batch_close < before_bar["high"].get<double>() ? 1 + 1e-6 : 1 - 1e-6);
  for (IntradayBarRow& w : day_windows(before, before_bar["open"], before_bar["high"], before_bar["low"], planted_close,
                                       before_bar["volume"])) {
    windows.push_back(w);
  }
  // The next weekday: the speed layer only.
  Date next = last + 1;
  while (WeekdayMondayZero(next) >= 5) ++next;
  const json next_bar = {{"open", 50.25}, {"high", 52.5}, {"low", 49.75}, {"close", 51.125}, {"volume", 4321}};
  for (IntradayBarRow& w : equal_day(next, next_bar)) windows.push_back(w);
  ASSERT_TRUE(Store()->CommitStreamBatch("trades", windows, {}).ok());

  auto first = Get(bars_path);
  ASSERT_TRUE(first);
  json shown = json::parse(first->body)["data"];
  ASSERT_EQ(shown.size(), batch.size() + 1);
  const json& provisional = shown.back();
  EXPECT_EQ(provisional["date"], FormatDate(next));
  EXPECT_EQ(provisional["provisional"], true);
  EXPECT_EQ(provisional["open"], 50.25);
  EXPECT_EQ(provisional["high"], 52.5);
  EXPECT_EQ(provisional["low"], 49.75);
  EXPECT_EQ(provisional["close"], 51.125);
  EXPECT_EQ(provisional["volume"], 4321);
  EXPECT_TRUE(provisional["adj_close"].is_null());
  for (size_t i = 0; i < batch.size(); ++i) EXPECT_EQ(shown[i], batch[i]);
  // Paged as one sequence: a page ending at the last batch bar points at the provisional.
  json page = GetJson("/api/v1/tickers/" + ticker + "/bars?from=" + last_text + "&limit=1");
  ASSERT_EQ(page["data"].size(), 1u);
  EXPECT_EQ(page["data"][0]["date"], last_text);
  ASSERT_FALSE(page["next_cursor"].is_null());
  page = GetJson("/api/v1/tickers/" + ticker + "/bars?limit=1&cursor=" + page["next_cursor"].get<std::string>());
  ASSERT_EQ(page["data"].size(), 1u);
  EXPECT_EQ(page["data"][0]["provisional"], true);
  EXPECT_TRUE(page["next_cursor"].is_null());
  EXPECT_EQ(GetJson(bars_path + "&to=" + last_text)["data"].size(), batch.size()) << "to before the provisional day";
  // Exports are the batch's bars only.
  auto csv = Get(bars_path + "&format=csv", *analyst_);
  ASSERT_TRUE(csv);
  EXPECT_EQ(std::count(csv->body.begin(), csv->body.end(), '\n'), static_cast<long>(batch.size() + 1));
  EXPECT_EQ(csv->body.find(FormatDate(next)), std::string::npos);

  // A new window of the day changes the answer: the old ETag no longer matches.
  const std::string etag = first->get_header_value("ETag");
  EXPECT_EQ(Get(bars_path, *viewer_, {{"If-None-Match", etag}})->status, 304);
  const int64_t late_start = (int64_t{next} * 24 * 60 + 20 * 60) * kMinute;
  ASSERT_TRUE(Store()->CommitStreamBatch("trades", {Window(ticker, late_start, 51, 53.5, 50, 52, 10)}, {}).ok());
  auto changed = Get(bars_path, *viewer_, {{"If-None-Match", etag}});
  ASSERT_EQ(changed->status, 200);
  const json updated = json::parse(changed->body)["data"].back();
  EXPECT_EQ(updated["high"], 53.5);
  EXPECT_EQ(updated["close"], 52);
  EXPECT_EQ(updated["volume"], 4331);

  // The reconciliation compares the two days both layers have and reports the planted one.
  json q = GetJson("/api/v1/quality")["reconciliation"];
  EXPECT_EQ(q["days_compared"], 2) << q.dump();
  EXPECT_EQ(q["days_differing"], 1) << q.dump();
  EXPECT_EQ(q["price_tolerance"], 1e-9);
  ASSERT_EQ(q["differences"].size(), 1u);
  const json& diff = q["differences"][0];
  EXPECT_EQ(diff["ticker"], ticker);
  EXPECT_EQ(diff["date"], FormatDate(before));
  ASSERT_EQ(diff["fields"].size(), 1u) << diff.dump();
  EXPECT_EQ(diff["fields"][0]["field"], "close");
  EXPECT_EQ(diff["fields"][0]["speed"].get<double>(), planted_close);
  EXPECT_EQ(diff["fields"][0]["batch"], before_bar["close"]);
  EXPECT_EQ(diff["fields"][0]["relative_difference"].get<double>(), RelativeDifference(planted_close, batch_close));

  // The batch loads the next day (a new version of the ticker's file, that day appended,
  // equal to the speed layer's day): the provisional bar is gone, the day is reconciled.
  std::string file;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_->Join("in"))) {
    std::string name = entry.path().filename().string();
    name = name.substr(0, name.find('.'));
    std::transform(name.begin(), name.end(), name.begin(), ::toupper);
    if (name == ticker) file = entry.path().string();
  }
  ASSERT_FALSE(file.empty()) << "the input file of " << ticker;
  {
    std::ofstream out(file, std::ios::app);
    out << FormatDate(next) << ",50.25,53.5,49.75,52," << 4331 << ",0\n";
  }
  auto run = RunCommand(StocklakeBinary() + " run --quiet --input " + dir_->Join("in") + " --lake " + lake_);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  shown = GetJson(bars_path)["data"];
  ASSERT_EQ(shown.size(), batch.size() + 1);
  EXPECT_EQ(shown.back()["date"], FormatDate(next));
  EXPECT_FALSE(shown.back().contains("provisional")) << "the batch's bar now: " << shown.back().dump();
  EXPECT_EQ(shown.back()["close"], 52);
  q = GetJson("/api/v1/quality")["reconciliation"];
  EXPECT_EQ(q["days_compared"], 3) << q.dump();
  EXPECT_EQ(q["days_differing"], 1) << "equal days are not reported: " << q.dump();
}

// ---- The event stream ------------------------------------------------------------------

TEST_F(ApiStreamTest, TheStreamSendsTheRowsThenEachCommitAndResumes) {
  const std::string symbol = TradeSymbols()[1];
  const Table w = Windows(symbol);
  int64_t newest = 0;
  for (int64_t u : w.columns[11].i64) newest = std::max(newest, u);
  std::vector<Event> bars;
  {
    auto opened = OpenStream(symbol + ",ZNONE");
    ASSERT_NE(opened, nullptr);
    StreamReader& reader = *opened;
    ASSERT_TRUE(reader.WaitFor([&](const std::vector<Event>& events, bool) {
      return std::count_if(events.begin(), events.end(), [](const Event& e) { return e.type == "bar"; }) >=
             static_cast<long>(w.num_rows());
    })) << reader.Bars().size()
        << " of " << w.num_rows();
    EXPECT_EQ(reader.status(), 200);
    EXPECT_EQ(reader.content_type(), "text/event-stream");
    bars = reader.Bars();
    ASSERT_EQ(bars.size(), w.num_rows());
    std::map<int64_t, json> by_start;
    int64_t previous_id = 0;
    for (const Event& e : bars) {
      const json j = json::parse(e.data);
      EXPECT_EQ(j["symbol"], symbol);
      by_start[Millis(j["window_start"])] = j;
      const int64_t id = std::stoll(e.id);
      EXPECT_GE(id, previous_id) << "ids never decrease";
      EXPECT_GE(id, Millis(j["updated_at"]));
      previous_id = id;
    }
    EXPECT_EQ(previous_id, newest);
    ASSERT_EQ(by_start.size(), w.num_rows());
    for (size_t r = 0; r < w.num_rows(); ++r) {
      const json& j = by_start[w.columns[1].i64[r]];
      EXPECT_EQ(j["close"].get<double>(), w.columns[6].f64[r]);
      EXPECT_EQ(j["volume"].get<int64_t>(), w.columns[8].i64[r]);
      EXPECT_EQ(Millis(j["updated_at"]), w.columns[11].i64[r]);
    }

    // A window committed while connected arrives, with a later id.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const int64_t start = w.columns[1].i64[w.num_rows() - 1] + 10 * kMinute;
    ASSERT_TRUE(Store()->CommitStreamBatch("trades", {Window(symbol, start, 7, 8, 6, 7.5, 99, false)}, {}).ok());
    ASSERT_TRUE(reader.WaitFor([&](const std::vector<Event>& events, bool) {
      return std::count_if(events.begin(), events.end(), [](const Event& e) { return e.type == "bar"; }) >
             static_cast<long>(w.num_rows());
    }));
    bars = reader.Bars();
    ASSERT_EQ(bars.size(), w.num_rows() + 1) << "each row once";
    const json fresh = json::parse(bars.back().data);
    EXPECT_EQ(Millis(fresh["window_start"]), start);
    EXPECT_EQ(fresh["close"], 7.5);
    EXPECT_EQ(fresh["final"], false);
    EXPECT_GT(std::stoll(bars.back().id), newest);
    EXPECT_EQ(std::stoll(bars.back().id), Millis(fresh["updated_at"]));
  }

  // Resuming at the last id: that commit's row again, and nothing older.
  auto resumed_stream = OpenStream(symbol, bars.back().id);
  ASSERT_NE(resumed_stream, nullptr);
  StreamReader& resumed = *resumed_stream;
  ASSERT_TRUE(resumed.WaitFor([](const std::vector<Event>& events, bool) {
    return std::any_of(events.begin(), events.end(), [](const Event& e) { return e.type == "bar"; });
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // two polls more: nothing else comes
  const auto again = resumed.Bars();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].data, bars.back().data);
  // Resuming at an older id: the rows committed since it.
  auto older_stream = OpenStream(symbol, std::to_string(newest + 1));
  ASSERT_NE(older_stream, nullptr);
  StreamReader& older = *older_stream;
  ASSERT_TRUE(older.WaitFor([](const std::vector<Event>& events, bool) {
    return std::any_of(events.begin(), events.end(), [](const Event& e) { return e.type == "bar"; });
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(older.Bars().size(), 1u);
}

TEST_F(ApiStreamTest, CurlReadsTheStream) {
  const std::string symbol = TradeSymbols()[2];
  const size_t rows = Windows(symbol).num_rows();
  const std::string url =
      "http://127.0.0.1:" + std::to_string(server_->port()) + "/api/v1/stream/bars?tickers=" + symbol;
  // curl hangs up after 2 s; meanwhile the stream sends the rows and keep-alive comments.
  // (The slots of the streams the test before closed come free at their next keep-alive.)
  testing::CommandResult r;
  for (int attempt = 0; attempt < 20; ++attempt) {
    r = RunCommand("curl -sS -N -i --max-time 2 -H 'Authorization: Bearer " + *viewer_ + "' '" + url + "'");
    if (!r.output.starts_with("HTTP/1.1 503")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_NE(r.output.find("Content-Type: text/event-stream"), std::string::npos) << r.output.substr(0, 400);
  EXPECT_NE(r.output.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(r.output.find(": keep-alive"), std::string::npos);
  std::string body = r.output.substr(r.output.find("\r\n\r\n") + 4);
  size_t events = 0;
  for (const Event& e : ParseEvents(&body)) events += e.type == "bar";
  EXPECT_EQ(events, rows);
}

TEST_F(ApiStreamTest, StreamsAreBoundedAndLeaveOrdinaryRequestsAlone) {
  const std::string symbol = TradeSymbols()[0];
  testing::ExpectApiError(Get("/api/v1/stream/bars"), 400, "bad_request", "tickers is required");
  testing::ExpectApiError(Get("/api/v1/stream/bars?tickers=AAPL,bad%20one"), 400, "bad_request", "tickers:");
  testing::ExpectApiError(Get("/api/v1/stream/bars?tickers=AAPL&since=1"), 400, "bad_request", "since");
  testing::ExpectApiError(Get("/api/v1/stream/bars?tickers=AAPL", *viewer_, {{"Last-Event-ID", "x1"}}), 400,
                          "bad_request", "Last-Event-ID");
  testing::ExpectApiError(Get("/api/v1/stream/bars?tickers=AAPL", ""), 401, "unauthorized");

  auto a = OpenStream(symbol);
  auto b = OpenStream(symbol);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  // Both slots taken: a third stream is refused at once...
  auto refused = Get("/api/v1/stream/bars?tickers=" + symbol);
  testing::ExpectApiError(refused, 503, "unavailable", "event streams");
  EXPECT_EQ(refused->get_header_value("Retry-After"), "5");
  // ...while ordinary requests are served (the server has 2 workers besides the streams).
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(Get("/api/v1/tickers/" + symbol + "/bars?interval=5m")->status, 200);
    EXPECT_EQ(Get("/api/v1/quality")->status, 200);
  }
  // A client that goes away gives its slot back (noticed at the next keep-alive).
  a->Stop();
  a.reset();
  EXPECT_NE(OpenStream(symbol), nullptr) << "no stream slot came free after a client left";
}

TEST(ApiStreamStop, StoppingTheServerEndsItsStreamsCleanly) {
  TempDir dir;
  const std::string lake = dir.Join("lake");
  auto gen = RunCommand(StocklakeBinary() + " generate --tickers 1 --days 5 --seed 1 --out " + dir.Join("in"));
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  auto run = RunCommand(StocklakeBinary() + " run --quiet --input " + dir.Join("in") + " --lake " + lake);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string token = *CreateToken(lake, Role::kViewer, "v", 0);
  ServeOptions o;
  o.lake_dir = lake;
  o.web_dir = dir.Join("web");
  auto server = std::make_unique<RunningServer>(o);
  StreamReader reader(server->port(), token, "AAPL");
  ASSERT_TRUE(reader.WaitStarted());
  const auto start = std::chrono::steady_clock::now();
  server.reset();  // Stop() and join
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ASSERT_TRUE(reader.WaitFor([](const std::vector<Event>&, bool ended) { return ended; }));
  EXPECT_TRUE(reader.ended_cleanly()) << "the chunked answer was finished, not cut";
}

}  // namespace
}  // namespace stocklake
