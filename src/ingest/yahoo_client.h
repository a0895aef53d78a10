// The live source of daily bars: a client for Yahoo Finance's v8 chart endpoint (over
// libcurl) and the download of several symbols' charts into files that the readers of
// bar_reader.h ingest like any other input (reference-job.md "Input": a `.json` file is
// a v8 chart body). Yahoo throttles hard, so every request through one client is paced
// by one rate limit and retried with capped exponential backoff on 429, 5xx and
// transport errors; what still fails is an error value naming the symbol and the URL.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace stocklake {

inline constexpr char kYahooDefaultBaseUrl[] = "https://query1.finance.yahoo.com";
//! Environment variable that replaces kYahooDefaultBaseUrl (not an explicit base_url).
inline constexpr char kYahooBaseUrlEnv[] = "STOCKLAKE_YAHOO_URL";
//! Longest symbol FetchChart accepts, in bytes.
inline constexpr size_t kMaxYahooSymbolLength = 20;

struct YahooClientOptions {
  //! "http[s]://host[:port][/prefix]"; requests go to {base_url}/v8/finance/chart/...
  //! When left at kYahooDefaultBaseUrl, a non-empty $STOCKLAKE_YAHOO_URL is used instead.
  std::string base_url = kYahooDefaultBaseUrl;
  //! Requests per FetchChart, the first included (>= 1).
  int max_attempts = 5;
  //! Wait before retry n (1-based) is drawn uniformly from [d/2, d] with
  //! d = min(backoff_cap, backoff_base * 2^(n-1)); a Retry-After header replaces it
  //! (still capped by backoff_cap).
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_cap{30000};
  //! Starts of consecutive requests through one client (retries included, from any
  //! thread) are at least 1/requests_per_second apart; no bursts. <= 0: no limit.
  double requests_per_second = 2.0;
  //! 0 for either timeout: none (libcurl's defaults). A timeout is retried like a 5xx.
  std::chrono::milliseconds connect_timeout{10000};
  //! Whole request, connect and body included.
  std::chrono::milliseconds total_timeout{30000};
  //! Yahoo answers 429 to requests without a browser-like User-Agent.
  std::string user_agent = "Mozilla/5.0 (X11; Linux x86_64) stocklake/1.0";
};

//! What a client has done since it was created.
struct YahooClientCounters {
  int64_t requests = 0;  //!< HTTP requests started (every attempt).
  int64_t retries = 0;   //!< Attempts after the first of a FetchChart.
};

//! True for the ranges the v8 chart endpoint accepts with interval=1d:
//! 1d 5d 1mo 3mo 6mo 1y 2y 5y 10y ytd max.
bool IsValidYahooRange(const std::string& range);

//! True for 1..kMaxYahooSymbolLength bytes of letters, digits and . - ^ = _ that,
//! upper-cased, are a valid ticker (ticker.h: no leading '.', no "..").
bool IsValidYahooSymbol(const std::string& symbol);

//! Fetches v8 chart bodies. Thread-safe: any number of threads may call FetchChart at
//! once; they share the rate limit, the counters and a pool of libcurl handles (which
//! keeps connections to Yahoo alive between requests).
class YahooClient {
 public:
  //! InvalidArgument when the (resolved) base URL is not http:// or https://, or
  //! max_attempts < 1, or a backoff or timeout is negative; IOError if libcurl cannot be
  //! initialised.
  static Result<std::unique_ptr<YahooClient>> Create(YahooClientOptions options);
  ~YahooClient();
  YahooClient(const YahooClient&) = delete;
  YahooClient& operator=(const YahooClient&) = delete;

  //! GETs {base}/v8/finance/chart/{symbol}?range={range}&interval=1d&events=div%2Csplits
  //! &includeAdjustedClose=true and returns the body, which is a chart:
  //! chart.result[0] with a string meta.symbol and an integer meta.gmtoffset.
  //! - InvalidArgument (no request made) for a bad symbol or range, naming it;
  //! - NotFound with Yahoo's description for a 404 or a non-null chart.error;
  //! - Corruption for a 200 whose body is not such a chart;
  //! - IOError for another 4xx (not retried), a non-retryable transport error, or when
  //!   429 / 5xx / transport errors persist for max_attempts requests; the message names
  //!   the symbol, the URL, the last HTTP status or curl error and the attempt count.
  Result<std::string> FetchChart(const std::string& symbol, const std::string& range);

  //! The URL FetchChart requests (symbol percent-encoded); no validation.
  std::string ChartUrl(const std::string& symbol, const std::string& range) const;

  //! The base URL in use, after the environment override, without a trailing '/'.
  const std::string& base_url() const;
  const YahooClientOptions& options() const;
  YahooClientCounters counters() const;

 private:
  struct State;
  explicit YahooClient(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

//! One symbol's outcome in DownloadCharts: the file written, or why there is none.
struct YahooDownload {
  std::string symbol;  //!< As given.
  Status status;       //!< OK, or FetchChart's / the write's error.
  std::string path;    //!< out_dir/<SYMBOL>.json (upper-cased) when status is OK.
  size_t bytes = 0;    //!< Body size when status is OK.
};

//! Fetches each symbol's chart in order and writes each body atomically (core/files.h
//! WriteFileAtomic) to out_dir/<upper-cased symbol>.json, replacing an older file; a
//! symbol that fails leaves its file as it was and does not stop the others. Returns
//! one entry per symbol, in the order given. Errors for the whole call, before any
//! request: InvalidArgument for no symbols, a bad symbol or range, or a symbol given
//! twice (case-insensitively); the error of creating out_dir.
Result<std::vector<YahooDownload>> DownloadCharts(YahooClient& client, const std::vector<std::string>& symbols,
                                                  const std::string& range, const std::string& out_dir);

}  // namespace stocklake
