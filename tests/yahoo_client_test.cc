// Tests of the Yahoo Finance chart client (issue #3) against a local HTTP server that
// serves v8 chart fixtures (tests/data/yahoo) and can be told to fail: HTTP 429 / 5xx,
// Retry-After, a dropped connection, a slow answer. Saved bodies are read back with
// stocklake's own reader and compared with the fixtures' numbers, written out here.
#include "ingest/yahoo_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/bar_batch.h"
#include "core/date.h"
#include "core/files.h"
#include "ingest/bar_reader.h"
#include "ingest/source_files.h"
#include "serve/http.h"
#include "test_util.h"

namespace stocklake {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::FixturePath;
using testing::TempDir;

std::string Fixture(const std::string& name) {
  Result<std::string> text = ReadFileToString(FixturePath("yahoo/" + name));
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : std::string();
}

// What the server is told to do instead of answering one request.
struct Fault {
  int status = 0;                    // answer with this status (and a short body)
  std::optional<int> retry_after_s;  // with this Retry-After header
  bool drop_connection = false;      // send headers, then close before the body
  milliseconds delay{0};             // wait this long first
};

Fault HttpError(int status, std::optional<int> retry_after_s = std::nullopt) {
  Fault fault;
  fault.status = status;
  fault.retry_after_s = retry_after_s;
  return fault;
}
Fault DroppedConnection() {
  Fault fault;
  fault.drop_connection = true;
  return fault;
}
Fault SlowAnswer(milliseconds delay) {
  Fault fault;
  fault.delay = delay;
  return fault;
}

struct SeenRequest {
  std::string path;    // decoded
  std::string target;  // as sent, still percent-encoded
  std::multimap<std::string, std::string> params;
  std::string user_agent;
  Clock::time_point at;
};

std::string UpperCase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// A stand-in for query1.finance.yahoo.com on 127.0.0.1: serves each known symbol's
// fixture (symbols are case-insensitive, as at Yahoo), Yahoo's 404 body for any other,
// and the queued faults first.
class FakeYahoo {
 public:
  FakeYahoo() {
    bodies_["AAPL"] = {200, Fixture("AAPL.json")};
    bodies_["MSFT"] = {200, Fixture("MSFT.json")};
    bodies_["^GSPC"] = {200, Fixture("GSPC.json")};
    server_.set_keep_alive_timeout(1);
    // Without it, Nagle's algorithm holds each body back for the client's delayed ACK
    // (40 ms on loopback) on every request over a kept-alive connection.
    server_.set_tcp_nodelay(true);
    server_.Get(R"(.*/v8/finance/chart/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the server runs, so wait for that.
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~FakeYahoo() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Serve(const std::string& symbol, int status, std::string body) {
    std::lock_guard<std::mutex> lock(mutex_);
    bodies_[symbol] = {status, std::move(body)};
  }
  void FailNext(int times, const Fault& fault) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int i = 0; i < times; ++i) faults_.push_back(fault);
  }
  std::vector<SeenRequest> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::optional<Fault> fault;
    std::pair<int, std::string> answer{404, Fixture("not_found.json")};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      seen_.push_back({req.path,
                       req.target,
                       {req.params.begin(), req.params.end()},
                       req.get_header_value("User-Agent"),
                       Clock::now()});
      if (!faults_.empty()) {
        fault = faults_.front();
        faults_.pop_front();
      }
      if (auto it = bodies_.find(UpperCase(req.matches[1].str())); it != bodies_.end()) answer = it->second;
    }
    if (fault) {
      std::this_thread::sleep_for(fault->delay);
      if (fault->drop_connection) {
        // A provider that fails makes httplib close the connection after the headers.
        res.set_content_provider(1000, "application/json", [](size_t, size_t, httplib::DataSink&) { return false; });
        return;
      }
      if (fault->status != 0) {
        res.status = fault->status;
        if (fault->retry_after_s) res.set_header("Retry-After", std::to_string(*fault->retry_after_s));
        res.set_content("Too Many Requests or server trouble", "text/plain");
        return;
      }
    }
    res.status = answer.first;
    res.set_content(answer.second, "application/json;charset=utf-8");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, std::pair<int, std::string>> bodies_;
  std::deque<Fault> faults_;
  std::vector<SeenRequest> seen_;
};

// Millisecond backoffs, no rate limit: every test but the timing ones stays fast.
YahooClientOptions FastOptions(const std::string& base_url) {
  YahooClientOptions options;
  options.base_url = base_url;
  options.max_attempts = 5;
  options.backoff_base = milliseconds(1);
  options.backoff_cap = milliseconds(20);
  options.requests_per_second = 0;
  options.connect_timeout = milliseconds(2000);
  options.total_timeout = milliseconds(5000);
  return options;
}

std::unique_ptr<YahooClient> MakeClient(const YahooClientOptions& options) {
  Result<std::unique_ptr<YahooClient>> client = YahooClient::Create(options);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(*client) : nullptr;
}

BarBatch ReadSaved(const std::string& path, const std::string& name) {
  BarBatch batch;
  Result<ReadStats> stats = ReadBarsFromFile(SourceFile{path, name, 0}, 1, &batch);
  EXPECT_TRUE(stats.ok()) << stats.status().ToString();
  if (stats.ok()) {
    EXPECT_EQ(stats->warning, "");
  }
  return batch;
}

std::string TickerAt(const BarBatch& batch, size_t row) {
  return batch.ticker[row] == kNoTicker ? "<none>" : batch.ticker_names[batch.ticker[row]];
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// ---- Success: the saved body is an input stocklake reads ----------------------------------

TEST(YahooClientTest, SavedChartReadsBackAsTheFixtureRows) {
  FakeYahoo yahoo;
  YahooClientOptions options = FastOptions(yahoo.url());
  options.user_agent = "stocklake-test/1";
  auto client = MakeClient(options);
  TempDir dir;

  Result<std::vector<YahooDownload>> downloads = DownloadCharts(*client, {"AAPL"}, "5d", dir.Join("charts"));
  ASSERT_TRUE(downloads.ok()) << downloads.status().ToString();
  ASSERT_EQ(downloads->size(), 1u);
  const YahooDownload& aapl = (*downloads)[0];
  ASSERT_TRUE(aapl.status.ok()) << aapl.status.ToString();
  EXPECT_EQ(aapl.path, dir.Join("charts/AAPL.json"));
  EXPECT_EQ(*ReadFileToString(aapl.path), Fixture("AAPL.json"));
  EXPECT_EQ(aapl.bytes, Fixture("AAPL.json").size());

  const std::vector<SeenRequest> seen = yahoo.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/v8/finance/chart/AAPL");
  const std::multimap<std::string, std::string> expected_params{
      {"range", "5d"}, {"interval", "1d"}, {"events", "div,splits"}, {"includeAdjustedClose", "true"}};
  EXPECT_EQ(seen[0].params, expected_params);
  EXPECT_EQ(seen[0].user_agent, "stocklake-test/1");
  EXPECT_EQ(client->counters().requests, 1);
  EXPECT_EQ(client->counters().retries, 0);

  // Timestamps are 09:30 New York time (14:30 UTC, gmtoffset -18000).
  const BarBatch bars = ReadSaved(aapl.path, "AAPL.json");
  ASSERT_EQ(bars.size(), 5u);
  const char* dates[] = {"2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(TickerAt(bars, i), "AAPL");
    EXPECT_EQ(FormatDate(bars.date[i]), dates[i]);
    EXPECT_EQ(bars.reason[i], RejectReason::kNone) << i;
    EXPECT_EQ(bars.line[i], static_cast<int64_t>(i + 1));
  }
  EXPECT_DOUBLE_EQ(bars.open[0], 187.14999389648438);
  EXPECT_DOUBLE_EQ(bars.high[0], 188.44000244140625);
  EXPECT_DOUBLE_EQ(bars.low[0], 183.88999938964844);
  EXPECT_DOUBLE_EQ(bars.close[0], 185.63999938964844);
  EXPECT_DOUBLE_EQ(bars.adj_close[0], 184.73497009277344);
  EXPECT_EQ(bars.volume[0], 82488700);
  EXPECT_DOUBLE_EQ(bars.close[1], 184.25);
  EXPECT_DOUBLE_EQ(bars.low[3], 180.1699981689453);
  EXPECT_DOUBLE_EQ(bars.open[4], 182.08999633789062);
  EXPECT_DOUBLE_EQ(bars.close[4], 185.55999755859375);
  EXPECT_DOUBLE_EQ(bars.adj_close[4], 184.65338134765625);
  EXPECT_EQ(bars.volume[4], 59144500);
}

TEST(YahooClientTest, SymbolIsPercentEncodedAndNamesTheFile) {
  FakeYahoo yahoo;
  auto client = MakeClient(FastOptions(yahoo.url()));
  TempDir dir;
  Result<std::vector<YahooDownload>> downloads = DownloadCharts(*client, {"^gspc"}, "1mo", dir.path());
  ASSERT_TRUE(downloads.ok()) << downloads.status().ToString();
  ASSERT_EQ(yahoo.requests().size(), 1u);
  EXPECT_TRUE(yahoo.requests()[0].target.starts_with("/v8/finance/chart/%5Egspc?range=1mo&"))
      << yahoo.requests()[0].target;
  EXPECT_EQ(yahoo.requests()[0].path, "/v8/finance/chart/^gspc");
  ASSERT_TRUE((*downloads)[0].status.ok()) << (*downloads)[0].status.ToString();
  // The file is named by the upper-cased symbol, so "^gspc" and "^GSPC" share one file.
  EXPECT_EQ((*downloads)[0].path, dir.Join("^GSPC.json"));
  // Daylight saving time: 13:30 UTC with gmtoffset -14400 is still the same day.
  const BarBatch bars = ReadSaved((*downloads)[0].path, "^GSPC.json");
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(TickerAt(bars, 0), "^GSPC");
  EXPECT_EQ(FormatDate(bars.date[0]), "2024-03-14");
  EXPECT_EQ(FormatDate(bars.date[1]), "2024-03-15");
  EXPECT_DOUBLE_EQ(bars.close[1], 5117.08984375);
  EXPECT_EQ(bars.volume[1], 7753670000);
}

TEST(YahooClientTest, DownloadReportsAnUnknownSymbolAndSavesTheOthers) {
  FakeYahoo yahoo;
  auto client = MakeClient(FastOptions(yahoo.url()));
  TempDir dir;
  Result<std::vector<YahooDownload>> downloads = DownloadCharts(*client, {"AAPL", "NOSUCH", "msft"}, "10y", dir.path());
  ASSERT_TRUE(downloads.ok()) << downloads.status().ToString();
  ASSERT_EQ(downloads->size(), 3u);
  EXPECT_TRUE((*downloads)[0].status.ok()) << (*downloads)[0].status.ToString();
  EXPECT_EQ((*downloads)[1].symbol, "NOSUCH");
  EXPECT_TRUE((*downloads)[1].status.IsNotFound()) << (*downloads)[1].status.ToString();
  EXPECT_TRUE(Contains((*downloads)[1].status.message(), "No data found, symbol may be delisted"));
  EXPECT_TRUE(Contains((*downloads)[1].status.message(), "NOSUCH"));
  EXPECT_EQ((*downloads)[1].path, "");
  EXPECT_TRUE((*downloads)[2].status.ok()) << (*downloads)[2].status.ToString();
  EXPECT_EQ((*downloads)[2].path, dir.Join("MSFT.json"));
  EXPECT_EQ(*ListDirectory(dir.path()), (std::vector<std::string>{"AAPL.json", "MSFT.json"}));
  // A 404 is an answer, not a failure to retry.
  EXPECT_EQ(yahoo.requests().size(), 3u);
  EXPECT_EQ(client->counters().retries, 0);

  // The MSFT fixture has a null open on 2024-02-14 (and a dividend event): that entry is
  // a parse error, the others are bars.
  const BarBatch bars = ReadSaved(dir.Join("MSFT.json"), "MSFT.json");
  ASSERT_EQ(bars.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(TickerAt(bars, i), "MSFT");
    EXPECT_EQ(bars.reason[i], i == 2 ? RejectReason::kParseError : RejectReason::kNone) << i;
  }
  EXPECT_EQ(FormatDate(bars.date[0]), "2024-02-12");
  EXPECT_EQ(FormatDate(bars.date[4]), "2024-02-16");
  EXPECT_DOUBLE_EQ(bars.open[3], 408.1400146484375);
  EXPECT_DOUBLE_EQ(bars.adj_close[4], 402.5299377441406);
  EXPECT_EQ(bars.volume[1], 27824900);
}

// ---- Retries --------------------------------------------------------------------------

TEST(YahooClientTest, RetriesAfter429) {
  FakeYahoo yahoo;
  yahoo.FailNext(1, HttpError(429));
  auto client = MakeClient(FastOptions(yahoo.url()));
  Result<std::string> body = client->FetchChart("AAPL", "1y");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, Fixture("AAPL.json"));
  EXPECT_EQ(yahoo.requests().size(), 2u);
  EXPECT_EQ(client->counters().requests, 2);
  EXPECT_EQ(client->counters().retries, 1);
}

TEST(YahooClientTest, RetriesAfterTwo503s) {
  FakeYahoo yahoo;
  yahoo.FailNext(2, HttpError(503));
  auto client = MakeClient(FastOptions(yahoo.url()));
  Result<std::string> body = client->FetchChart("MSFT", "max");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, Fixture("MSFT.json"));
  EXPECT_EQ(yahoo.requests().size(), 3u);
  EXPECT_EQ(client->counters().retries, 2);
}

TEST(YahooClientTest, PersistentServerErrorGivesUpAfterMaxAttempts) {
  FakeYahoo yahoo;
  yahoo.FailNext(100, HttpError(500));
  YahooClientOptions options = FastOptions(yahoo.url());
  options.max_attempts = 4;
  auto client = MakeClient(options);
  Result<std::string> body = client->FetchChart("AAPL", "5y");
  ASSERT_TRUE(body.status().IsIOError()) << body.status().ToString();
  EXPECT_EQ(yahoo.requests().size(), 4u);
  EXPECT_EQ(client->counters().requests, 4);
  EXPECT_EQ(client->counters().retries, 3);
  const std::string& message = body.status().message();
  EXPECT_TRUE(Contains(message, "AAPL")) << message;
  EXPECT_TRUE(Contains(message, client->ChartUrl("AAPL", "5y"))) << message;
  EXPECT_TRUE(Contains(message, "HTTP 500")) << message;
  EXPECT_TRUE(Contains(message, "4 attempt")) << message;
}

TEST(YahooClientTest, BackoffDoublesFromTheBase) {
  FakeYahoo yahoo;
  yahoo.FailNext(3, HttpError(503));
  YahooClientOptions options = FastOptions(yahoo.url());
  options.backoff_base = milliseconds(40);
  options.backoff_cap = milliseconds(1000);
  auto client = MakeClient(options);
  ASSERT_TRUE(client->FetchChart("AAPL", "1d").ok());
  const std::vector<SeenRequest> seen = yahoo.requests();
  ASSERT_EQ(seen.size(), 4u);
  // Retry n waits at least half of base * 2^(n-1) (the jitter takes at most half).
  EXPECT_GE(seen[1].at - seen[0].at, milliseconds(20));
  EXPECT_GE(seen[2].at - seen[1].at, milliseconds(40));
  EXPECT_GE(seen[3].at - seen[2].at, milliseconds(80));
}

TEST(YahooClientTest, RetryAfterIsHonoured) {
  FakeYahoo yahoo;
  yahoo.FailNext(1, HttpError(429, 1));
  YahooClientOptions options = FastOptions(yahoo.url());
  options.backoff_cap = milliseconds(5000);  // above Retry-After, so it is not cut short
  auto client = MakeClient(options);
  ASSERT_TRUE(client->FetchChart("AAPL", "1d").ok());
  const std::vector<SeenRequest> seen = yahoo.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GE(seen[1].at - seen[0].at, milliseconds(1000));
}

TEST(YahooClientTest, RetryAfterIsCappedByTheBackoffCap) {
  FakeYahoo yahoo;
  yahoo.FailNext(1, HttpError(503, 120));
  auto client = MakeClient(FastOptions(yahoo.url()));  // cap 20 ms
  const Clock::time_point start = Clock::now();
  ASSERT_TRUE(client->FetchChart("AAPL", "1d").ok());
  // Not a speed target: honouring the full 120 s would take that long.
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(60));
  EXPECT_EQ(client->counters().retries, 1);
}

TEST(YahooClientTest, RetriesADroppedConnectionAndATimeout) {
  FakeYahoo yahoo;
  yahoo.FailNext(1, DroppedConnection());
  yahoo.FailNext(1, SlowAnswer(milliseconds(1000)));
  YahooClientOptions options = FastOptions(yahoo.url());
  options.total_timeout = milliseconds(300);
  auto client = MakeClient(options);
  Result<std::string> body = client->FetchChart("AAPL", "3mo");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, Fixture("AAPL.json"));
  EXPECT_EQ(yahoo.requests().size(), 3u);
  EXPECT_EQ(client->counters().retries, 2);
}

TEST(YahooClientTest, RefusedConnectionIsRetriedThenAnIOError) {
  const std::string url = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  YahooClientOptions options = FastOptions(url);
  options.max_attempts = 3;
  auto client = MakeClient(options);
  Result<std::string> body = client->FetchChart("AAPL", "6mo");
  ASSERT_TRUE(body.status().IsIOError()) << body.status().ToString();
  const std::string& message = body.status().message();
  EXPECT_TRUE(Contains(message, url + "/v8/finance/chart/AAPL?range=6mo")) << message;
  EXPECT_TRUE(Contains(message, "curl error 7")) << message;  // CURLE_COULDNT_CONNECT
  EXPECT_TRUE(Contains(message, "3 attempt")) << message;
  EXPECT_EQ(client->counters().requests, 3);
  EXPECT_EQ(client->counters().retries, 2);
}

// ---- Answers that are not retried --------------------------------------------------------

TEST(YahooClientTest, ChartErrorIsNotFoundWhateverTheStatus) {
  FakeYahoo yahoo;
  yahoo.Serve("DELISTED", 200, Fixture("not_found.json"));
  auto client = MakeClient(FastOptions(yahoo.url()));
  for (const char* symbol : {"DELISTED", "ZZZZZ"}) {  // 200 with chart.error; 404
    Result<std::string> body = client->FetchChart(symbol, "1y");
    ASSERT_TRUE(body.status().IsNotFound()) << body.status().ToString();
    EXPECT_TRUE(Contains(body.status().message(), "No data found, symbol may be delisted"));
    EXPECT_TRUE(Contains(body.status().message(), symbol));
  }
  EXPECT_EQ(yahoo.requests().size(), 2u);
}

TEST(YahooClientTest, BodyThatIsNotAChartIsCorruption) {
  FakeYahoo yahoo;
  yahoo.Serve("HTML", 200, "<html><body>consent.yahoo.com</body></html>");
  yahoo.Serve("EMPTY", 200, R"({"chart":{"result":[],"error":null}})");
  yahoo.Serve("NOMETA", 200, R"({"chart":{"result":[{"timestamp":[1]}],"error":null}})");
  auto client = MakeClient(FastOptions(yahoo.url()));
  for (const char* symbol : {"HTML", "EMPTY", "NOMETA"}) {
    Result<std::string> body = client->FetchChart(symbol, "1y");
    EXPECT_TRUE(body.status().IsCorruption()) << symbol << ": " << body.status().ToString();
  }
  EXPECT_EQ(yahoo.requests().size(), 3u);
}

TEST(YahooClientTest, OtherClientErrorIsAnIOErrorWithoutRetry) {
  FakeYahoo yahoo;
  yahoo.Serve("AAPL", 403, "Forbidden");
  auto client = MakeClient(FastOptions(yahoo.url()));
  Result<std::string> body = client->FetchChart("AAPL", "1y");
  ASSERT_TRUE(body.status().IsIOError()) << body.status().ToString();
  EXPECT_TRUE(Contains(body.status().message(), "HTTP 403")) << body.status().message();
  EXPECT_EQ(yahoo.requests().size(), 1u);
}

TEST(YahooClientTest, BadRangeOrSymbolIsRejectedWithoutARequest) {
  FakeYahoo yahoo;
  auto client = MakeClient(FastOptions(yahoo.url()));
  for (const char* range : {"7d", "", "1Y", "10y "}) {
    Result<std::string> body = client->FetchChart("AAPL", range);
    ASSERT_TRUE(body.status().IsInvalidArgument()) << range;
    EXPECT_TRUE(Contains(body.status().message(), "'" + std::string(range) + "'")) << body.status().message();
  }
  for (const char* symbol : {"", "AA PL", "A/B", "../etc", ".A", "A..B", "AAPL,MSFT", "ABCDEFGHIJKLMNOPQRSTU"}) {
    Result<std::string> body = client->FetchChart(symbol, "1y");
    ASSERT_TRUE(body.status().IsInvalidArgument()) << symbol;
    EXPECT_TRUE(Contains(body.status().message(), "'" + std::string(symbol) + "'")) << body.status().message();
  }
  for (const char* symbol : {"BRK-B", "BRK.B", "^GSPC", "EURUSD=X", "0700.HK", "ABCDEFGHIJKLMNOPQRST"}) {
    EXPECT_TRUE(IsValidYahooSymbol(symbol)) << symbol;
  }

  TempDir dir;
  Result<std::vector<YahooDownload>> downloads = DownloadCharts(*client, {"AAPL", "BAD SYMBOL"}, "1y", dir.path());
  EXPECT_TRUE(downloads.status().IsInvalidArgument());
  downloads = DownloadCharts(*client, {"AAPL", "MSFT", "aapl"}, "1y", dir.path());
  EXPECT_TRUE(downloads.status().IsInvalidArgument());
  downloads = DownloadCharts(*client, {"AAPL"}, "2w", dir.path());
  EXPECT_TRUE(downloads.status().IsInvalidArgument());
  downloads = DownloadCharts(*client, {}, "1y", dir.path());
  EXPECT_TRUE(downloads.status().IsInvalidArgument());

  EXPECT_TRUE(yahoo.requests().empty());
  EXPECT_EQ(client->counters().requests, 0);
  EXPECT_TRUE(ListDirectory(dir.path())->empty());
}

// ---- Rate limit -----------------------------------------------------------------------

TEST(YahooClientTest, RateLimitSpacesRequestsFromAllThreads) {
  FakeYahoo yahoo;
  YahooClientOptions options = FastOptions(yahoo.url());
  options.requests_per_second = 10;
  auto client = MakeClient(options);
  // 7 requests at 10/s: the first alone, then 6 from three threads at once. Their starts
  // are at least 6 x 100 ms apart at the client; the server sees them shifted by its own
  // scheduling noise, so the bound asserted is the 0.5 s of 6 requests (one interval spare).
  ASSERT_TRUE(client->FetchChart("AAPL", "1d").ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&client] {
      for (int i = 0; i < 2; ++i) EXPECT_TRUE(client->FetchChart("MSFT", "1d").ok());
    });
  }
  for (std::thread& thread : threads) thread.join();

  const std::vector<SeenRequest> seen = yahoo.requests();
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_GE(seen.back().at - seen.front().at, milliseconds(500));
  EXPECT_EQ(client->counters().requests, 7);
}

// ---- Base URL -------------------------------------------------------------------------

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

TEST(YahooClientTest, EnvironmentReplacesOnlyTheDefaultBaseUrl) {
  FakeYahoo yahoo;
  {
    ScopedEnv env(kYahooBaseUrlEnv, yahoo.url() + "/");
    auto client = MakeClient(FastOptions(kYahooDefaultBaseUrl));
    EXPECT_EQ(client->base_url(), yahoo.url());
    ASSERT_TRUE(client->FetchChart("AAPL", "1d").ok());
    EXPECT_EQ(yahoo.requests().size(), 1u);
  }
  {
    // An explicit base URL wins over the environment (which points nowhere here).
    ScopedEnv env(kYahooBaseUrlEnv, "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()));
    auto client = MakeClient(FastOptions(yahoo.url() + "/proxy"));
    EXPECT_EQ(client->base_url(), yahoo.url() + "/proxy");
    ASSERT_TRUE(client->FetchChart("AAPL", "1d").ok());
    ASSERT_EQ(yahoo.requests().size(), 2u);
    EXPECT_EQ(yahoo.requests()[1].path, "/proxy/v8/finance/chart/AAPL");
  }
  unsetenv(kYahooBaseUrlEnv);
  EXPECT_EQ(MakeClient(YahooClientOptions{})->base_url(), kYahooDefaultBaseUrl);
  EXPECT_EQ(YahooClient::Create(FastOptions("ftp://example.com")).status().code(), Status::Code::kInvalidArgument);
  YahooClientOptions no_attempts = FastOptions(yahoo.url());
  no_attempts.max_attempts = 0;
  EXPECT_TRUE(YahooClient::Create(no_attempts).status().IsInvalidArgument());
}

}  // namespace
}  // namespace stocklake
