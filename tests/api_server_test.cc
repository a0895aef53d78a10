// End-to-end tests of the REST API (issue #5): a lake made by the real binary, the server
// in-process on a thread (and once as the real binary), every endpoint over real HTTP on
// loopback, values checked against the serving store's tables recomputed here; every
// auth and role refusal, rate limits, the audit log, TLS, and a real Prometheus scrape.
#include "serve/api_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "api_test_util.h"
#include "core/date.h"
#include "core/files.h"
#include "core/sha256.h"
#include "lake/parquet_reader.h"
#include "lake/snapshot.h"
#include "lake/table_schemas.h"
#include "prometheus_harness.h"
#include "serve/http.h"
#include "serve/tokens.h"
#include "store/serving_store.h"
#include "test_util.h"

namespace stocklake {
namespace {

using nlohmann::json;
using testing::RunCommand;
using testing::RunningServer;
using testing::SpawnServe;
using testing::StocklakeBinary;
using testing::StopChild;
using testing::TempDir;

// ---- The shared lake --------------------------------------------------------------------

struct Tokens {
  std::string viewer, analyst, admin, limited, revoked;
};

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    lake_ = dir_->Join("lake");
    auto gen = RunCommand(StocklakeBinary() + " generate --tickers 6 --days 420 --seed 11 --bad-rows 0.02 --out " +
                          dir_->Join("in"));
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    auto run = RunCommand(StocklakeBinary() + " run --quiet --input " + dir_->Join("in") + " --lake " + lake_);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    tokens_ = new Tokens();
    tokens_->viewer = *CreateToken(lake_, Role::kViewer, "vera", 0);
    tokens_->analyst = *CreateToken(lake_, Role::kAnalyst, "anna", 0);
    tokens_->admin = *CreateToken(lake_, Role::kAdmin, "adam", 0);
    tokens_->limited = *CreateToken(lake_, Role::kViewer, "slow", 2);
    tokens_->revoked = *CreateToken(lake_, Role::kAdmin, "gone", 0);
    ASSERT_TRUE(RevokeToken(lake_, "gone").ok());
    auto store = OpenServingStore("sqlite:" + lake_ + "/_store/stocklake.sqlite");
    ASSERT_TRUE(store.ok());
    tables_ = new std::map<std::string, Table, std::less<>>();
    for (std::string_view t : {kSilverBars, kGoldIndicators, kGoldBarsMonthly, kRejects}) {
      (*tables_)[std::string(t)] = *(*store)->ScanTable(t);
    }
    ServeOptions o;
    o.lake_dir = lake_;
    o.rate_limit = 0;
    o.web_dir = dir_->Join("web");
    testing::WriteTextFile(dir_->Join("web/index.html"), "<html>stocklake dashboard</html>");
    server_ = new RunningServer(o);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete tables_;
    delete tokens_;
    delete dir_;
  }

  static httplib::Result Get(const std::string& path, const std::string& token, httplib::Headers headers = {}) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_decompress(false);
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return c.Get(path, headers);
  }
  static json GetJson(const std::string& path, const std::string& token = tokens_->viewer) {
    auto r = Get(path, token);
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  //! Checks a refusal: status and the contract's error body.
  static void ExpectError(const httplib::Result& r, int status, const std::string& code) {
    testing::ExpectApiError(r, status, code);
  }

  static const Table& T(std::string_view name) { return tables_->find(name)->second; }
  //! Rows of `table` whose ticker is `ticker`, in store order.
  static std::vector<size_t> RowsOf(const Table& t, const std::string& ticker) {
    std::vector<size_t> rows;
    const Column* c = t.Find("ticker");
    for (size_t r = 0; r < t.num_rows(); ++r) {
      if (!c->IsNull(r) && c->StringAt(r) == ticker) rows.push_back(r);
    }
    return rows;
  }
  static std::string FirstTicker() { return std::string(T(kSilverBars).Find("ticker")->StringAt(0)); }

  static TempDir* dir_;
  static std::string lake_;
  static Tokens* tokens_;
  static std::map<std::string, Table, std::less<>>* tables_;
  static RunningServer* server_;
};
TempDir* ApiTest::dir_ = nullptr;
std::string ApiTest::lake_;
Tokens* ApiTest::tokens_ = nullptr;
std::map<std::string, Table, std::less<>>* ApiTest::tables_ = nullptr;
RunningServer* ApiTest::server_ = nullptr;

//! A cell as the API must write it.
json Expected(const Column& c, size_t r) {
  if (c.IsNull(r)) return nullptr;
  switch (c.type) {
    case ColumnType::kDate: return FormatDate(c.i32[r]);
    case ColumnType::kInt32: return c.i32[r];
    case ColumnType::kInt64: return c.i64[r];
    case ColumnType::kDouble: return c.f64[r];
    case ColumnType::kString: return std::string(c.StringAt(r));
  }
  return nullptr;
}

void ExpectRowMatches(const json& row, const Table& t, size_t r, const std::vector<std::string>& columns) {
  ASSERT_EQ(row.size(), columns.size()) << row.dump();
  for (const std::string& name : columns) {
    const Column* c = t.Find(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(row[name], Expected(*c, r)) << name << " in " << row.dump();
  }
}

const std::vector<std::string> kDayColumns = {"date", "open", "high", "low", "close", "adj_close", "volume"};
const std::vector<std::string> kPeriodColumns = {"period_start", "period_end", "open",   "high",         "low",
                                                 "close",        "adj_close",  "volume", "trading_days", "return"};
std::vector<std::string> IndicatorColumns() {
  std::vector<std::string> out;
  for (const Column& c : EmptyTableFor(kGoldIndicators).columns) {
    if (c.name != "ticker") out.push_back(c.name);
  }
  return out;
}

// ---- Endpoints ----------------------------------------------------------------------------

TEST_F(ApiTest, HealthReadyOpenApiAndDashboard) {
  EXPECT_EQ(GetJson("/healthz", ""), json({{"status", "ok"}}));
  auto snapshot = LoadCurrentSnapshot(lake_);
  EXPECT_EQ(GetJson("/readyz", ""), json({{"status", "ready"}, {"snapshot_id", snapshot->id}}));
  auto index = Get("/", "");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_NE(index->body.find("stocklake dashboard"), std::string::npos);

  const json doc = GetJson("/api/v1/openapi.json", "");
  ASSERT_TRUE(doc.is_object());
  EXPECT_TRUE(doc["openapi"].get<std::string>().starts_with("3.0."));
  EXPECT_TRUE(doc["info"].contains("title") && doc["info"].contains("version"));
  for (const char* path :
       {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/api/v1/tickers", "/api/v1/tickers/{ticker}/bars",
        "/api/v1/tickers/{ticker}/indicators", "/api/v1/tickers/{ticker}/indicators/latest", "/api/v1/cross-section",
        "/api/v1/runs", "/api/v1/rejects", "/api/v1/quality"}) {
    ASSERT_TRUE(doc["paths"].contains(path)) << path;
    for (const auto& [method, op] : doc["paths"][path].items()) EXPECT_TRUE(op.contains("responses")) << path << method;
  }
  EXPECT_TRUE(doc["paths"]["/api/v1/runs"].contains("post"));
  // Every $ref resolves inside the document.
  std::function<void(const json&)> check_refs = [&](const json& j) {
    if (j.is_object()) {
      if (j.contains("$ref")) {
        const std::string ref = j["$ref"];
        ASSERT_TRUE(ref.starts_with("#/"));
        EXPECT_TRUE(doc.contains(json::json_pointer(ref.substr(1)))) << ref;
      }
      for (const auto& [k, v] : j.items()) check_refs(v);
    } else if (j.is_array()) {
      for (const json& v : j) check_refs(v);
    }
  };
  check_refs(doc);
}

TEST_F(ApiTest, TickersMatchTheStoreAndPagesWalkEveryOne) {
  // Independent: spans recomputed from every silver bar.
  struct Span {
    std::string first, last;
    int64_t days = 0;
  };
  std::map<std::string, Span> want;
  const Table& bars = T(kSilverBars);
  for (size_t r = 0; r < bars.num_rows(); ++r) {
    Span& s = want[std::string(bars.Find("ticker")->StringAt(r))];
    const std::string d = FormatDate(bars.Find("date")->i32[r]);
    if (s.first.empty() || d < s.first) s.first = d;
    if (s.last.empty() || d > s.last) s.last = d;
    ++s.days;
  }
  ASSERT_EQ(want.size(), 6u);
  std::vector<json> got;
  std::string cursor;
  int pages = 0;
  do {
    const json page = GetJson("/api/v1/tickers?limit=4" + (cursor.empty() ? "" : "&cursor=" + cursor));
    for (const json& row : page["data"]) got.push_back(row);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 2);
  ASSERT_EQ(got.size(), want.size());
  auto it = want.begin();
  for (const json& row : got) {
    EXPECT_EQ(row["ticker"], it->first);
    EXPECT_EQ(row["first_date"], it->second.first);
    EXPECT_EQ(row["last_date"], it->second.last);
    EXPECT_EQ(row["days"], it->second.days);
    ++it;
  }
  // Prefix: case-insensitive, exact prefix semantics.
  const std::string first = want.begin()->first;
  const json one = GetJson("/api/v1/tickers?prefix=" + first.substr(0, 1));
  for (const json& row : one["data"]) EXPECT_TRUE(row["ticker"].get<std::string>().starts_with(first.substr(0, 1)));
  EXPECT_GE(one["data"].size(), 1u);
  EXPECT_EQ(GetJson("/api/v1/tickers?prefix=ZZZZ9")["data"].size(), 0u);
}

TEST_F(ApiTest, DailyBarsRangeAndPaginationLoseNothing) {
  const std::string ticker = FirstTicker();
  const Table& bars = T(kSilverBars);
  std::vector<size_t> rows = RowsOf(bars, ticker);
  ASSERT_GT(rows.size(), 100u);
  const std::string from = FormatDate(bars.Find("date")->i32[rows[10]]);
  const std::string to = FormatDate(bars.Find("date")->i32[rows[80]]);
  std::vector<json> got;
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    const json page = GetJson("/api/v1/tickers/" + ticker + "/bars?from=" + from + "&to=" + to + "&limit=7" +
                              (cursor.empty() ? "" : "&cursor=" + cursor));
    EXPECT_LE(page["data"].size(), 7u);
    for (const json& row : page["data"]) {
      EXPECT_TRUE(seen.insert(row["date"].get<std::string>()).second) << "repeated " << row.dump();
      got.push_back(row);
    }
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 100);
  ASSERT_EQ(got.size(), 71u);
  EXPECT_EQ(pages, 11);
  for (size_t i = 0; i < got.size(); ++i) ExpectRowMatches(got[i], bars, rows[10 + i], kDayColumns);
  // Lower-case tickers are accepted.
  std::string lower = ticker;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(GetJson("/api/v1/tickers/" + lower + "/bars?limit=3")["data"][0],
            got.empty() ? json() : GetJson("/api/v1/tickers/" + ticker + "/bars?limit=3")["data"][0]);
}

TEST_F(ApiTest, MonthlyBarsOverlapTheRange) {
  const std::string ticker = FirstTicker();
  const Table& months = T(kGoldBarsMonthly);
  std::vector<size_t> rows = RowsOf(months, ticker);
  ASSERT_GT(rows.size(), 6u);
  // Mid-month bounds: the months containing them are included.
  const Date from = months.Find("period_start")->i32[rows[2]] + 5;
  const Date to = months.Find("period_start")->i32[rows[5]] + 3;
  const json page =
      GetJson("/api/v1/tickers/" + ticker + "/bars?interval=month&from=" + FormatDate(from) + "&to=" + FormatDate(to));
  std::vector<size_t> want;
  for (size_t r : rows) {
    if (months.Find("period_end")->i32[r] >= from && months.Find("period_start")->i32[r] <= to) want.push_back(r);
  }
  ASSERT_EQ(page["data"].size(), want.size());
  EXPECT_EQ(want.size(), 4u);
  for (size_t i = 0; i < want.size(); ++i) ExpectRowMatches(page["data"][i], months, want[i], kPeriodColumns);
}

TEST_F(ApiTest, IndicatorsAndLatest) {
  const std::string ticker = FirstTicker();
  const Table& ind = T(kGoldIndicators);
  std::vector<size_t> rows = RowsOf(ind, ticker);
  std::vector<json> got;
  std::string cursor;
  do {
    const json page =
        GetJson("/api/v1/tickers/" + ticker + "/indicators?limit=150" + (cursor.empty() ? "" : "&cursor=" + cursor));
    for (const json& row : page["data"]) got.push_back(row);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
  } while (!cursor.empty() && got.size() < 10000);
  ASSERT_EQ(got.size(), rows.size());
  for (size_t i = 0; i < got.size(); ++i) ExpectRowMatches(got[i], ind, rows[i], IndicatorColumns());
  // sma_200 is defined from the 200th bar on (null before): the JSON carries the NULLs.
  EXPECT_TRUE(got[0]["sma_200"].is_null());
  EXPECT_FALSE(got[250]["sma_200"].is_null());
  ExpectRowMatches(GetJson("/api/v1/tickers/" + ticker + "/indicators/latest"), ind, rows.back(), IndicatorColumns());
}

TEST_F(ApiTest, CrossSectionRanksEveryTickerAtTheDate) {
  const Table& bars = T(kSilverBars);
  const Table& ind = T(kGoldIndicators);
  const Date date = bars.Find("date")->i32[RowsOf(bars, FirstTicker())[300]];
  struct Row {
    std::string ticker;
    double close;
    int64_t volume;
    std::optional<double> r1;
  };
  std::vector<Row> rows;
  for (size_t r = 0; r < ind.num_rows(); ++r) {
    if (ind.Find("date")->i32[r] != date) continue;
    Row row{std::string(ind.Find("ticker")->StringAt(r)), ind.Find("close")->f64[r], 0, std::nullopt};
    if (!ind.Find("return_1d")->IsNull(r)) row.r1 = ind.Find("return_1d")->f64[r];
    for (size_t b : RowsOf(bars, row.ticker)) {
      if (bars.Find("date")->i32[b] == date) row.volume = bars.Find("volume")->i64[b];
    }
    rows.push_back(row);
  }
  ASSERT_GE(rows.size(), 3u);
  std::vector<Row> gainers = rows;
  std::sort(gainers.begin(), gainers.end(),
            [](const Row& a, const Row& b) { return *a.r1 != *b.r1 ? *a.r1 > *b.r1 : a.ticker < b.ticker; });
  const json g = GetJson("/api/v1/cross-section?date=" + FormatDate(date) + "&kind=top_gainers&limit=3");
  EXPECT_EQ(g["date"], FormatDate(date));
  EXPECT_EQ(g["kind"], "top_gainers");
  ASSERT_EQ(g["data"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(g["data"][i]["ticker"], gainers[i].ticker);
    EXPECT_EQ(g["data"][i]["close"], gainers[i].close);
    EXPECT_EQ(g["data"][i]["volume"], gainers[i].volume);
    EXPECT_EQ(g["data"][i]["return_1d"], *gainers[i].r1);
    EXPECT_EQ(g["data"][i]["date"], FormatDate(date));
  }
  const json l = GetJson("/api/v1/cross-section?date=" + FormatDate(date) + "&kind=top_losers&limit=1");
  EXPECT_EQ(l["data"][0]["ticker"], gainers.back().ticker);
  std::vector<Row> traded = rows;
  std::sort(traded.begin(), traded.end(), [](const Row& a, const Row& b) {
    return a.volume != b.volume ? a.volume > b.volume : a.ticker < b.ticker;
  });
  const json m = GetJson("/api/v1/cross-section?date=" + FormatDate(date) + "&kind=most_traded");
  ASSERT_EQ(m["data"].size(), traded.size());
  for (size_t i = 0; i < traded.size(); ++i) EXPECT_EQ(m["data"][i]["ticker"], traded[i].ticker);
}

TEST_F(ApiTest, RunsQualityAndRejects) {
  auto snapshot = LoadCurrentSnapshot(lake_);
  const json run = json::parse(snapshot->run_summary_json);
  const json runs = GetJson("/api/v1/runs");
  ASSERT_EQ(runs["data"].size(), 1u);
  EXPECT_EQ(runs["data"][0]["snapshot_id"], snapshot->id);
  EXPECT_EQ(runs["data"][0]["committed_at"], snapshot->committed_at);
  for (const char* k : {"rows_read", "accepted", "rejected", "duplicates"}) EXPECT_EQ(runs["data"][0][k], run[k]) << k;

  const Table& rejects = T(kRejects);
  std::map<std::string, int64_t> by_reason;
  for (size_t r = 0; r < rejects.num_rows(); ++r) ++by_reason[std::string(rejects.Find("reason")->StringAt(r))];
  ASSERT_GT(rejects.num_rows(), 5u);
  const json q = GetJson("/api/v1/quality");
  EXPECT_EQ(q["snapshot_id"], snapshot->id);
  for (const char* k : {"rows_read", "accepted", "rejected", "duplicates"}) EXPECT_EQ(q[k], run[k]) << k;
  for (const auto& [reason, n] : by_reason) EXPECT_EQ(q["rejected_by_reason"][reason], n) << reason;
  EXPECT_EQ(q["tickers"], 6);
  std::string first = "9999", last;
  const Table& bars = T(kSilverBars);
  for (size_t r = 0; r < bars.num_rows(); ++r) {
    first = std::min(first, FormatDate(bars.Find("date")->i32[r]));
    last = std::max(last, FormatDate(bars.Find("date")->i32[r]));
  }
  EXPECT_EQ(q["first_date"], first);
  EXPECT_EQ(q["last_date"], last);

  // Every reject, page by page, in store order; then one reason filtered.
  std::vector<json> got;
  std::string cursor;
  do {
    const json page = GetJson("/api/v1/rejects?limit=4" + (cursor.empty() ? "" : "&cursor=" + cursor));
    for (const json& row : page["data"]) got.push_back(row);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
  } while (!cursor.empty() && got.size() < 10000);
  ASSERT_EQ(got.size(), rejects.num_rows());
  for (size_t i = 0; i < got.size(); ++i)
    ExpectRowMatches(got[i], rejects, i, {"source_file", "line", "ticker", "date", "reason"});
  const std::string reason = by_reason.begin()->first;
  const json filtered = GetJson("/api/v1/rejects?reason=" + reason);
  EXPECT_EQ(static_cast<int64_t>(filtered["data"].size()), by_reason.begin()->second);
  for (const json& row : filtered["data"]) EXPECT_EQ(row["reason"], reason);
}

// ---- Formats, caching, compression --------------------------------------------------------

TEST_F(ApiTest, CsvAndParquetExportsMatchJson) {
  const std::string ticker = FirstTicker();
  const std::string path = "/api/v1/tickers/" + ticker + "/indicators?limit=300";
  const json page = GetJson(path);
  auto csv = Get(path + "&format=csv", tokens_->analyst);
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200) << csv->body;
  EXPECT_TRUE(csv->get_header_value("Content-Type").starts_with("text/csv"));
  std::istringstream lines(csv->body);
  std::string line;
  std::getline(lines, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> header;
  for (std::string_view rest = line; !rest.empty();) {
    const size_t comma = rest.find(',');
    header.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
  }
  EXPECT_EQ(header, IndicatorColumns());
  size_t n = 0;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    size_t start = 0;
    while (true) {
      const size_t comma = line.find(',', start);
      cells.push_back(line.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    ASSERT_EQ(cells.size(), header.size());
    const json& row = page["data"][n];
    for (size_t c = 0; c < header.size(); ++c) {
      const json& v = row[header[c]];
      if (v.is_null())
        EXPECT_EQ(cells[c], "");
      else if (v.is_string())
        EXPECT_EQ(cells[c], v.get<std::string>());
      else if (v.is_number_float())
        EXPECT_EQ(std::strtod(cells[c].c_str(), nullptr), v.get<double>()) << header[c];
      else
        EXPECT_EQ(std::strtoll(cells[c].c_str(), nullptr, 10), v.get<int64_t>());
    }
    ++n;
  }
  EXPECT_EQ(n, page["data"].size());
  // Accept: text/csv works too.
  auto by_accept = Get(path, tokens_->analyst, {{"Accept", "text/csv"}});
  ASSERT_TRUE(by_accept);
  EXPECT_EQ(by_accept->body, csv->body);

  auto pq = Get(path + "&format=parquet", tokens_->admin);
  ASSERT_TRUE(pq);
  ASSERT_EQ(pq->status, 200);
  EXPECT_EQ(pq->get_header_value("Content-Type"), "application/vnd.apache.parquet");
  auto table = DecodeParquet(pq->body, "response");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  ASSERT_EQ(table->num_rows(), page["data"].size());
  for (size_t r = 0; r < table->num_rows(); ++r) ExpectRowMatches(page["data"][r], *table, r, IndicatorColumns());
}

TEST_F(ApiTest, ETagAnswers304AndGzipCompresses) {
  const std::string path = "/api/v1/tickers/" + FirstTicker() + "/bars";
  auto first = Get(path, tokens_->viewer);
  ASSERT_TRUE(first);
  const std::string etag = first->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');  // strong
  auto again = Get(path, tokens_->viewer, {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto other = Get(path + "?limit=5", tokens_->viewer, {{"If-None-Match", etag}});
  EXPECT_EQ(other->status, 200);
  EXPECT_NE(other->get_header_value("ETag"), etag);

  auto gz = Get(path, tokens_->viewer, {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  ASSERT_GE(gz->body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz->body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz->body[1]), 0x8b);
  EXPECT_LT(gz->body.size(), first->body.size() / 2);
  EXPECT_NE(gz->get_header_value("ETag"), etag);  // another representation, another tag
  // A client that decompresses gets the same JSON.
  httplib::Client c("127.0.0.1", server_->port());
  auto decoded = c.Get(path, {{"Authorization", "Bearer " + tokens_->viewer}, {"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->body, first->body);
}

// ---- Security -------------------------------------------------------------------------------

TEST_F(ApiTest, EveryAuthAndRoleRefusal) {
  const std::string bars = "/api/v1/tickers/" + FirstTicker() + "/bars";
  ExpectError(Get(bars, ""), 401, "unauthorized");
  ExpectError(Get(bars, "not-a-token"), 401, "unauthorized");
  ExpectError(Get(bars, tokens_->revoked), 401, "unauthorized");
  {
    httplib::Client c("127.0.0.1", server_->port());
    ExpectError(c.Get(bars, {{"Authorization", "Basic dXNlcjpwYXNz"}}), 401, "unauthorized");
  }
  ExpectError(Get("/metrics", ""), 401, "unauthorized");
  ExpectError(Get(bars + "?format=csv", tokens_->viewer), 403, "forbidden");
  ExpectError(Get(bars + "?format=parquet", tokens_->viewer), 403, "forbidden");
  ExpectError(Get(bars, tokens_->viewer, {{"Accept", "text/csv"}}), 403, "forbidden");
  EXPECT_EQ(Get(bars + "?format=csv", tokens_->analyst)->status, 200);
  httplib::Client c("127.0.0.1", server_->port());
  ExpectError(c.Post("/api/v1/runs", {{"Authorization", "Bearer " + tokens_->analyst}}, "", "application/json"), 403,
              "forbidden");
  ExpectError(c.Post("/api/v1/runs", {{"Authorization", "Bearer " + tokens_->viewer}}, "", "application/json"), 403,
              "forbidden");
  ExpectError(c.Post("/api/v1/runs", httplib::Headers{}, "", "application/json"), 401, "unauthorized");
  // Admin passes the role check; this server has no inputs configured.
  auto admin = c.Post("/api/v1/runs", {{"Authorization", "Bearer " + tokens_->admin}}, "", "application/json");
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 501);
}

TEST_F(ApiTest, AdminManagesTokensOverTheApi) {
  httplib::Client c("127.0.0.1", server_->port());
  const httplib::Headers admin = {{"Authorization", "Bearer " + tokens_->admin}};
  const httplib::Headers analyst = {{"Authorization", "Bearer " + tokens_->analyst}};
  const std::string body = R"({"role":"viewer","name":"dash-board","rate_limit":5})";
  ExpectError(c.Post("/api/v1/tokens", analyst, body, "application/json"), 403, "forbidden");
  ExpectError(c.Get("/api/v1/tokens", analyst), 403, "forbidden");
  ExpectError(c.Post("/api/v1/tokens", admin, R"({"role":"root"})", "application/json"), 400, "bad_request");
  ExpectError(c.Post("/api/v1/tokens", admin, R"({"role":"viewer","name":"a b"})", "application/json"), 400,
              "bad_request");
  ExpectError(c.Post("/api/v1/tokens", admin, "not json", "application/json"), 400, "bad_request");

  auto created = c.Post("/api/v1/tokens", admin, body, "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  const json token = json::parse(created->body);
  const std::string text = token["token"];
  EXPECT_EQ(token["role"], "viewer");
  EXPECT_EQ(token["name"], "dash-board");
  // The new token reads data at once, and is a viewer: no exports.
  EXPECT_EQ(Get("/api/v1/quality", text)->status, 200);
  ExpectError(Get("/api/v1/rejects?format=csv", text), 403, "forbidden");

  auto listed = c.Get("/api/v1/tokens", admin);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200);
  EXPECT_EQ(listed->body.find(text), std::string::npos);             // never the secret
  EXPECT_EQ(listed->body.find(Sha256Hex(text)), std::string::npos);  // nor its hash
  EXPECT_NE(listed->body.find("\"dash-board\""), std::string::npos);

  auto revoked = c.Delete("/api/v1/tokens/dash-board", admin);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, 200) << revoked->body;
  ExpectError(Get("/api/v1/quality", text), 401, "unauthorized");
  ExpectError(c.Delete("/api/v1/tokens/dash-board", admin), 404, "not_found");
}

TEST_F(ApiTest, RateLimitAnswers429WithRetryAfter) {
  int ok = 0, limited = 0;
  std::string retry_after;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 8; ++i) {
    auto r = Get("/api/v1/quality", tokens_->limited);
    ASSERT_TRUE(r);
    if (r->status == 200) ++ok;
    if (r->status == 429) {
      ++limited;
      retry_after = r->get_header_value("Retry-After");
      ExpectError(r, 429, "rate_limited");
    }
  }
  // A burst of 2, plus what refilled at 2/s while the loop ran (a loaded machine is slow).
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int allowed = 2 + static_cast<int>(seconds * 2) + 1;
  EXPECT_LE(ok, allowed);
  EXPECT_GE(limited, 8 - allowed);
  EXPECT_GE(limited, 1);
  EXPECT_EQ(retry_after, "1");
  // Other tokens are not affected.
  EXPECT_EQ(Get("/api/v1/quality", tokens_->viewer)->status, 200);
}

TEST_F(ApiTest, BadParametersAnswer400AndInjectionIsHarmless) {
  const std::string t = "/api/v1/tickers/" + FirstTicker();
  for (const std::string& path :
       {t + "/bars?from=2020-13-01", t + "/bars?to=yesterday", t + "/bars?from=2020-02-01&to=2020-01-01",
        t + "/bars?interval=hour", t + "/bars?limit=0", t + "/bars?limit=5001", t + "/bars?limit=1e3",
        t + "/bars?limit=-1", t + "/bars?cursor=%%%",
        t + "/bars?cursor=" + std::string("dDpBQUE"),  // a tickers cursor
        t + "/bars?format=xml", t + "/bars?colour=red", t + "/bars?limit=1&limit=2", t + "/indicators?from=2020-02-30",
        std::string("/api/v1/cross-section"), std::string("/api/v1/cross-section?date=2020-01-02&kind=best"),
        std::string("/api/v1/rejects?reason=bogus"),
        // Cursors of the right kind whose value is not a number:
        // "r:abc", "r:-5", "r:12x", "o:1e3", "o:-1"
        std::string("/api/v1/runs?cursor=cjphYmM"), std::string("/api/v1/runs?cursor=cjotNQ"),
        std::string("/api/v1/runs?cursor=cjoxMng"), std::string("/api/v1/rejects?cursor=bzoxZTM"),
        std::string("/api/v1/rejects?cursor=bzotMQ"), std::string("/api/v1/runs?cursor=%%%"),
        std::string("/api/v1/runs?limit=0"), std::string("/api/v1/runs?limit=ten"), std::string("/api/v1/runs?since=1"),
        std::string("/api/v1/runs?format=csv"),
        std::string("/api/v1/tickers?cursor=cjox"),  // a runs cursor
        std::string("/api/v1/tickers?format=yaml"), std::string("/api/v1/rejects?limit=99999999"),
        std::string("/api/v1/quality?verbose=1"), t + "/indicators?to=2020-1-1",
        t + "/indicators/latest?date=2020-01-02", std::string("/api/v1/cross-section?date=2020-01-02&limit=x"),
        std::string("/api/v1/tickers?prefix=%27%3B--"), std::string("/api/v1/tickers/A%27%20OR%201%3D1--/bars"),
        std::string("/api/v1/tickers/%2E%2E/bars"), std::string("/api/v1/tickers/") + std::string(40, 'A') + "/bars",
        std::string("/api/v1/rejects?ticker=x%22%29%3B%20DROP%20TABLE%20stocks%3B--")}) {
    SCOPED_TRACE(path);
    ExpectError(Get(path, tokens_->viewer), 400, "bad_request");
  }
  ExpectError(Get("/api/v1/tickers/ZZZZ/bars", tokens_->viewer), 404, "not_found");
  ExpectError(Get("/api/v1/tickers/ZZZZ/indicators/latest", tokens_->viewer), 404, "not_found");
  ExpectError(Get("/api/v1/nothing", tokens_->viewer), 404, "not_found");
  // The store is intact after the injection attempts.
  EXPECT_EQ(GetJson("/api/v1/tickers")["data"].size(), 6u);
}

TEST_F(ApiTest, AuditLogRecordsEveryRequestAndNoToken) {
  // Enough requests of this test's own: under ctest each test runs in a fresh process.
  for (int i = 0; i < 10; ++i) Get("/api/v1/tickers", tokens_->viewer);
  Get("/api/v1/quality", tokens_->analyst);
  Get("/api/v1/quality", "wrong-token-text");
  // A line is written once its response is sent, by the worker that served it, so the
  // last request's line may come before an earlier one's: wait for both.
  const std::string refused_line = "\"path\":\"/api/v1/quality\",\"remote\":\"127.0.0.1\",\"role\":\"\",\"status\":401";
  const std::string analyst_line =
      "\"path\":\"/api/v1/quality\",\"remote\":\"127.0.0.1\",\"role\":\"analyst\",\"status\":200";
  Result<std::string> text = std::string();
  for (int i = 0; i < 200; ++i) {
    text = ReadFileToString(lake_ + "/_stocklake/audit.log");
    ASSERT_TRUE(text.ok());
    if (text->find(refused_line) != std::string::npos && text->find(analyst_line) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::istringstream in(*text);
  std::string line;
  int anna = 0, refused = 0, lines = 0;
  while (std::getline(in, line)) {
    const json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    for (const char* k : {"time", "who", "method", "path", "status", "duration_ms"}) EXPECT_TRUE(j.contains(k)) << line;
    if (j["who"] == "anna" && j["path"] == "/api/v1/quality" && j["status"] == 200) ++anna;
    if (j["status"] == 401 && j["path"] == "/api/v1/quality") ++refused;
    ++lines;
  }
  EXPECT_GE(anna, 1);
  EXPECT_GE(refused, 1);
  EXPECT_GT(lines, 10);
  for (const std::string* token :
       {&tokens_->viewer, &tokens_->analyst, &tokens_->admin, &tokens_->limited, &tokens_->revoked}) {
    EXPECT_EQ(text->find(*token), std::string::npos);
  }
  EXPECT_EQ(text->find("wrong-token-text"), std::string::npos);
  // The token file holds hashes only.
  auto tokens_file = ReadFileToString(TokenFilePath(lake_));
  EXPECT_EQ(tokens_file->find(tokens_->admin), std::string::npos);
  EXPECT_NE(tokens_file->find(Sha256Hex(tokens_->admin)), std::string::npos);
}

TEST_F(ApiTest, MetricsCountRequestsAndDescribeTheLake) {
  Get("/api/v1/quality", tokens_->viewer);
  // A request is counted once its response has been sent: poll for it.
  auto r = Get("/metrics", tokens_->viewer);
  for (int i = 0; i < 100 && r && r->body.find("endpoint=\"quality\",status=\"200\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    r = Get("/metrics", tokens_->viewer);
  }
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_TRUE(r->get_header_value("Content-Type").starts_with("text/plain"));
  EXPECT_NE(r->body.find("stocklake_http_requests_total{endpoint=\"quality\",status=\"200\"}"), std::string::npos);
  EXPECT_NE(r->body.find("stocklake_http_request_duration_seconds_bucket{endpoint=\"quality\""), std::string::npos);
  const int64_t bars = static_cast<int64_t>(T(kSilverBars).num_rows());
  EXPECT_NE(r->body.find("stocklake_table_rows{table=\"silver/bars\"} " + std::to_string(bars)), std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("stocklake_last_successful_run_timestamp_seconds "), std::string::npos);
  for (const char* stage : {"ingest", "clean", "lake"}) {
    EXPECT_NE(r->body.find(std::string("stocklake_last_run_stage_seconds{stage=\"") + stage + "\"}"), std::string::npos)
        << stage << "\n"
        << r->body;
    EXPECT_NE(r->body.find(std::string("stocklake_last_run_stage_rows{stage=\"") + stage + "\"}"), std::string::npos)
        << stage;
  }
}

TEST_F(ApiTest, AdminStartsAConfiguredRun) {
  // A lake of its own: the run changes it.
  TempDir dir;
  const std::string lake = dir.Join("lake");
  ASSERT_EQ(RunCommand(StocklakeBinary() + " generate --tickers 2 --days 60 --seed 1 --out " + dir.Join("a")).exit_code,
            0);
  ASSERT_EQ(RunCommand(StocklakeBinary() + " generate --tickers 3 --days 60 --seed 2 --out " + dir.Join("b")).exit_code,
            0);
  ASSERT_EQ(RunCommand(StocklakeBinary() + " run --quiet --input " + dir.Join("a") + " --lake " + lake).exit_code, 0);
  const std::string admin = *CreateToken(lake, Role::kAdmin, "ops", 0);
  ServeOptions o;
  o.lake_dir = lake;
  o.run_inputs = {dir.Join("a"), dir.Join("b")};
  o.stocklake_binary = StocklakeBinary();
  RunningServer server(o);
  httplib::Client c("127.0.0.1", server.port());
  const httplib::Headers auth = {{"Authorization", "Bearer " + admin}};
  auto started = c.Post("/api/v1/runs", auth, "", "application/json");
  ASSERT_TRUE(started);
  EXPECT_EQ(started->status, 202) << started->body;
  json runs;
  for (int i = 0; i < 300; ++i) {
    auto r = c.Get("/api/v1/runs", auth);
    runs = json::parse(r->body, nullptr, false);
    if (runs["data"].size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(runs["data"].size(), 2u);
  EXPECT_EQ(runs["data"][1]["snapshot_id"], 2);
  EXPECT_EQ(runs["data"][1]["files_skipped"], 2);  // input a was already in the lake
  auto quality = c.Get("/api/v1/quality", auth);
  const json q = json::parse(quality->body);
  EXPECT_EQ(q["snapshot_id"], 2);
  EXPECT_GE(q["tickers"].get<int>(), 3);
}

TEST_F(ApiTest, ASpawnedRunHasNoBlockedSignals) {
  // `serve` blocks SIGINT and SIGTERM before its threads start (a sigwait thread takes
  // them); the run it spawns must not inherit that mask, or it ignores the SIGTERM that
  // stops it. The "stocklake binary" here runs cat on /proc/self/status through env
  // (no shell: dash resets its signal mask), which lands in the runs log.
  TempDir dir;
  const std::string script = dir.Join("fake-stocklake");
  testing::WriteTextFile(script, "#!/usr/bin/env -S cat -- /proc/self/status\n");
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  const std::string log = lake_ + "/_stocklake/serve-runs.log";
  std::remove(log.c_str());
  ServeOptions o;
  o.lake_dir = lake_;
  o.rate_limit = 0;
  o.run_inputs = {dir.Join("unused")};
  o.stocklake_binary = script;
  sigset_t blocked, previous;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGTERM);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &blocked, &previous), 0);  // as serve_command does
  {
    RunningServer server(o);  // its threads inherit the blocked mask
    ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &previous, nullptr), 0);
    httplib::Client c("127.0.0.1", server.port());
    auto started = c.Post("/api/v1/runs", {{"Authorization", "Bearer " + tokens_->admin}}, "", "application/json");
    ASSERT_TRUE(started);
    ASSERT_EQ(started->status, 202) << started->body;
    std::map<std::string, std::string> masks;
    for (int i = 0; i < 200 && masks.count("SigIgn") == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::ifstream in(log);
      std::string line;
      while (std::getline(in, line)) {
        if (!line.starts_with("Sig")) continue;
        const size_t colon = line.find(':');
        masks[line.substr(0, colon)] = line.substr(line.find_first_not_of(" \t", colon + 1));
      }
    }
    ASSERT_EQ(masks.count("SigIgn"), 1u) << "the run did not report its masks";
    EXPECT_EQ(masks["SigBlk"], "0000000000000000") << "the run inherited blocked signals";
    // glibc's own real-time signals (32, 33) may show as ignored; the stopping ones not.
    const uint64_t ignored = std::stoull(masks["SigIgn"], nullptr, 16);
    EXPECT_EQ(ignored & ((1u << (SIGINT - 1)) | (1u << (SIGTERM - 1))), 0u) << masks["SigIgn"];
  }
}

// ---- The real binary, TLS, Prometheus ----------------------------------------------------------

TEST_F(ApiTest, RealBinaryServesAndRefusesAnonymousOffLoopback) {
  auto refused = RunCommand(StocklakeBinary() + " serve --lake " + lake_ + " --listen 0.0.0.0:0 --allow-anonymous");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.output.find("loopback"), std::string::npos) << refused.output;

  auto [pid, port] = SpawnServe({"--lake", lake_, "--listen", "127.0.0.1:0", "--allow-anonymous"});
  ASSERT_GT(pid, 0);
  ASSERT_GT(port, 0);
  httplib::Client c("127.0.0.1", port);
  auto anon = c.Get("/api/v1/tickers/" + FirstTicker() + "/bars?limit=2");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 200);
  EXPECT_EQ(json::parse(anon->body)["data"].size(), 2u);
  // Anonymous is a viewer: no exports, and a bad token is still refused.
  EXPECT_EQ(c.Get("/api/v1/rejects?format=csv")->status, 403);
  EXPECT_EQ(c.Get("/api/v1/rejects", {{"Authorization", "Bearer nope"}})->status, 401);
  EXPECT_EQ(StopChild(pid), 0);

  // Without --allow-anonymous the same request needs a token.
  auto [pid2, port2] = SpawnServe({"--lake", lake_, "--listen", "127.0.0.1:0"});
  ASSERT_GT(port2, 0);
  httplib::Client c2("127.0.0.1", port2);
  EXPECT_EQ(c2.Get("/api/v1/quality")->status, 401);
  EXPECT_EQ(c2.Get("/api/v1/quality", {{"Authorization", "Bearer " + tokens_->viewer}})->status, 200);
  EXPECT_EQ(StopChild(pid2), 0);
}

TEST_F(ApiTest, ServesOverTls) {
  const std::string cert = dir_->Join("cert.pem"), key = dir_->Join("key.pem");
  auto gen = RunCommand("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout " + key +
                        " -out " + cert);
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  ServeOptions o;
  o.lake_dir = lake_;
  o.tls_cert = cert;
  o.tls_key = key;
  RunningServer tls(o);
  ASSERT_GT(tls.port(), 0);
  httplib::SSLClient c("localhost", tls.port());
  c.set_ca_cert_path(cert.c_str());
  c.enable_server_certificate_verification(true);
  auto r = c.Get("/api/v1/quality", {{"Authorization", "Bearer " + tokens_->viewer}});
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["tickers"], 6);
  // Plain HTTP to the TLS port gets no answer.
  httplib::Client plain("127.0.0.1", tls.port());
  plain.set_read_timeout(2, 0);
  auto p = plain.Get("/healthz");
  EXPECT_TRUE(!p || p->status != 200);
}

TEST_F(ApiTest, PrometheusScrapesTheMetrics) {
  const std::string conf = dir_->Join("prometheus.yml");
  testing::WriteTextFile(conf,
                         "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: stocklake\n"
                         "    authorization:\n      type: Bearer\n      credentials: " +
                             tokens_->viewer + "\n    static_configs:\n      - targets: ['127.0.0.1:" +
                             std::to_string(server_->port()) + "']\n");
  testing::PrometheusServer prom(conf, dir_->Join("prom"));
  ASSERT_TRUE(prom.running()) << prom.error();
  EXPECT_TRUE(prom.WaitUntilUp("stocklake", std::chrono::seconds(15)));
  const json rows = prom.Query("stocklake_table_rows{table=\"silver/bars\"}");
  ASSERT_TRUE(rows.is_object());
  ASSERT_FALSE(rows["data"]["result"].empty()) << rows.dump();
  EXPECT_EQ(rows["data"]["result"][0]["value"][1], std::to_string(T(kSilverBars).num_rows()));
}

}  // namespace
}  // namespace stocklake
