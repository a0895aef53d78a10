#include "ingest/yahoo_client.h"

#include <curl/curl.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "core/files.h"
#include "ingest/ticker.h"

namespace stocklake {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A full 10y/max daily chart is a few MB; anything far larger is not a chart and must not
// exhaust memory.
constexpr size_t kMaxBodyBytes = size_t{64} << 20;

constexpr const char* kValidRanges[] = {"1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"};

std::string UpperCase(const std::string& text) {
  std::string out = text;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// RFC 3986 unreserved characters stay, everything else is %XX: '^' and '=' occur in
// real symbols ("^GSPC", "EURUSD=X").
std::string PercentEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Excerpt(std::string_view text) {
  constexpr size_t kMax = 200;
  return text.size() <= kMax ? std::string(text) : std::string(text.substr(0, kMax)) + "...";
}

Status InitCurlOnce() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (code != CURLE_OK) {
    return Status::IOError(std::string("libcurl initialisation failed: ") + curl_easy_strerror(code));
  }
  return Status::OK();
}

// Spaces request starts 1/rate apart across threads: each caller reserves the next free
// slot under the lock and sleeps outside it, so waiting threads do not serialise on it.
class RequestPacer {
 public:
  explicit RequestPacer(double requests_per_second)
      : interval_(requests_per_second > 0 ? std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(1.0 / requests_per_second))
                                          : Clock::duration::zero()) {}

  void WaitForSlot() {
    if (interval_ == Clock::duration::zero()) return;
    Clock::time_point slot;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slot = std::max(Clock::now(), next_slot_);
      next_slot_ = slot + interval_;
    }
    std::this_thread::sleep_until(slot);
  }

 private:
  const Clock::duration interval_;
  std::mutex mutex_;
  Clock::time_point next_slot_{};
};

// Curl easy handles kept between requests: a handle keeps its connection alive, so
// consecutive requests to Yahoo skip the TCP and TLS handshakes.
class HandlePool {
 public:
  ~HandlePool() {
    for (CURL* handle : idle_) curl_easy_cleanup(handle);
  }
  CURL* Take() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        CURL* handle = idle_.back();
        idle_.pop_back();
        return handle;
      }
    }
    return curl_easy_init();
  }
  void Return(CURL* handle) {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(handle);
  }

 private:
  std::mutex mutex_;
  std::vector<CURL*> idle_;
};

struct Attempt {
  CURLcode curl_code = CURLE_OK;
  std::string curl_error;  // libcurl's detail when curl_code != CURLE_OK
  long http_status = 0;
  std::string body;
  std::optional<milliseconds> retry_after;
};

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t bytes = size * count;
  if (body->size() + bytes > kMaxBodyBytes) return 0;  // makes curl fail with CURLE_WRITE_ERROR
  body->append(data, bytes);
  return bytes;
}

// Retry-After is either delay-seconds or an HTTP-date (RFC 9110 10.2.3).
std::optional<milliseconds> ParseRetryAfter(const char* value) {
  char* end = nullptr;
  const long long seconds = std::strtoll(value, &end, 10);
  if (end != value) {
    while (*end == ' ' || *end == '\t') ++end;
    if (*end == '\0') return milliseconds(std::max(0LL, seconds) * 1000);
  }
  const time_t when = curl_getdate(value, nullptr);
  if (when == -1) return std::nullopt;
  return milliseconds(std::max<long long>(0, static_cast<long long>(when - std::time(nullptr))) * 1000);
}

bool IsRetryableCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return true;
    default: return false;
  }
}

bool IsRetryableHttpStatus(long status) { return status == 429 || (status >= 500 && status <= 599); }

std::string DescribeAttempt(const Attempt& attempt) {
  if (attempt.curl_code != CURLE_OK) {
    std::string text = std::string("curl error ") + std::to_string(attempt.curl_code) + " (" +
                       curl_easy_strerror(attempt.curl_code) + ")";
    if (!attempt.curl_error.empty()) text += ": " + attempt.curl_error;
    return text;
  }
  std::string text = "HTTP " + std::to_string(attempt.http_status);
  if (!attempt.body.empty()) text += " '" + Excerpt(attempt.body) + "'";
  return text;
}

// Yahoo's own account of a failure: chart.error {code, description}, when the body has it.
std::optional<std::string> ChartErrorDescription(simdjson::dom::element root) {
  simdjson::dom::element error;
  if (root["chart"]["error"].get(error) != simdjson::SUCCESS || error.is_null()) return std::nullopt;
  std::string_view code, description;
  std::string text;
  if (error["code"].get(code) == simdjson::SUCCESS) text += std::string(code);
  if (error["description"].get(description) == simdjson::SUCCESS) {
    text += (text.empty() ? "" : ": ") + std::string(description);
  }
  if (text.empty()) text = Excerpt(simdjson::to_string(error));
  return text;
}

}  // namespace

bool IsValidYahooRange(const std::string& range) {
  return std::find(std::begin(kValidRanges), std::end(kValidRanges), range) != std::end(kValidRanges);
}

bool IsValidYahooSymbol(const std::string& symbol) {
  if (symbol.empty() || symbol.size() > kMaxYahooSymbolLength) return false;
  for (unsigned char c : symbol) {
    if (!std::isalnum(c) && c != '.' && c != '-' && c != '^' && c != '=' && c != '_') return false;
  }
  // The symbol names a file and the reader takes meta.symbol as the ticker: both need a
  // valid ticker.
  return IsValidTicker(UpperCase(symbol));
}

namespace {

Status CheckSymbol(const std::string& symbol) {
  if (IsValidYahooSymbol(symbol)) return Status::OK();
  return Status::InvalidArgument("Yahoo symbol '" + Excerpt(symbol) + "': expected 1.." +
                                 std::to_string(kMaxYahooSymbolLength) +
                                 " letters, digits and . - ^ = _ (not starting with '.', no \"..\"), e.g. AAPL, "
                                 "BRK-B, ^GSPC, EURUSD=X");
}

Status CheckRange(const std::string& range) {
  if (IsValidYahooRange(range)) return Status::OK();
  return Status::InvalidArgument("Yahoo range '" + Excerpt(range) +
                                 "': expected one of 1d 5d 1mo 3mo 6mo 1y 2y 5y 10y ytd max");
}

}  // namespace

struct YahooClient::State {
  YahooClientOptions options;
  RequestPacer pacer;
  HandlePool handles;
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> retries{0};

  explicit State(YahooClientOptions o) : options(std::move(o)), pacer(options.requests_per_second) {}

  Attempt Perform(const std::string& url);
  milliseconds BackoffBefore(int retry, const Attempt& failed) const;
};

Attempt YahooClient::State::Perform(const std::string& url) {
  Attempt attempt;
  CURL* handle = handles.Take();
  if (handle == nullptr) {
    attempt.curl_code = CURLE_FAILED_INIT;
    attempt.curl_error = "curl_easy_init returned null";
    return attempt;
  }
  // Reset keeps the handle's live connections but drops every option of the last use.
  curl_easy_reset(handle);
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // timeouts must not use signals: threads
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(handle, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(handle, CURLOPT_ACCEPT_ENCODING, "");  // whatever this libcurl decodes
  curl_easy_setopt(handle, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &attempt.body);

  pacer.WaitForSlot();
  requests.fetch_add(1, std::memory_order_relaxed);
  attempt.curl_code = curl_easy_perform(handle);
  if (attempt.curl_code == CURLE_OK) {
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &attempt.http_status);
    curl_header* header = nullptr;
    if (curl_easy_header(handle, "Retry-After", 0, CURLH_HEADER, -1, &header) == CURLHE_OK) {
      attempt.retry_after = ParseRetryAfter(header->value);
    }
  } else {
    attempt.curl_error = error_buffer;
    if (attempt.curl_code == CURLE_WRITE_ERROR) {
      attempt.curl_error = "response body larger than " + std::to_string(kMaxBodyBytes >> 20) + " MiB";
    }
  }
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);  // the buffer dies with this frame
  handles.Return(handle);
  return attempt;
}

milliseconds YahooClient::State::BackoffBefore(int retry, const Attempt& failed) const {
  const milliseconds cap = options.backoff_cap;
  if (failed.retry_after) return std::min(*failed.retry_after, cap);
  // base * 2^(retry-1), compared as cap >> shift so that the doubling cannot overflow.
  const int shift = std::min(retry - 1, 62);
  const int64_t base = options.backoff_base.count();
  const milliseconds full = base > (cap.count() >> shift) ? cap : milliseconds(base << shift);
  // Jitter keeps clients that failed together from retrying together; the lower half is
  // kept so that a retry is never immediate.
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<int64_t> half(full.count() / 2, full.count());
  return milliseconds(half(random));
}

Result<std::unique_ptr<YahooClient>> YahooClient::Create(YahooClientOptions options) {
  if (options.base_url == kYahooDefaultBaseUrl) {
    const char* env = std::getenv(kYahooBaseUrlEnv);
    if (env != nullptr && env[0] != '\0') options.base_url = env;
  }
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  if (!options.base_url.starts_with("http://") && !options.base_url.starts_with("https://")) {
    return Status::InvalidArgument(
        "Yahoo base URL '" + options.base_url + "' (options or $" + std::string(kYahooBaseUrlEnv) +
        "): expected http://HOST[:PORT] or https://HOST[:PORT], e.g. " + kYahooDefaultBaseUrl);
  }
  if (options.max_attempts < 1) {
    return Status::InvalidArgument("Yahoo client: max_attempts is " + std::to_string(options.max_attempts) +
                                   "; it counts the first request, so it must be at least 1");
  }
  if (options.backoff_base.count() < 0 || options.backoff_cap.count() < 0 || options.connect_timeout.count() < 0 ||
      options.total_timeout.count() < 0) {
    return Status::InvalidArgument("Yahoo client: backoffs and timeouts must not be negative");
  }
  SL_RETURN_IF_ERROR(InitCurlOnce());
  return std::unique_ptr<YahooClient>(new YahooClient(std::make_unique<State>(std::move(options))));
}

YahooClient::YahooClient(std::unique_ptr<State> state) : state_(std::move(state)) {}
YahooClient::~YahooClient() = default;

const std::string& YahooClient::base_url() const { return state_->options.base_url; }
const YahooClientOptions& YahooClient::options() const { return state_->options; }

YahooClientCounters YahooClient::counters() const {
  return {state_->requests.load(std::memory_order_relaxed), state_->retries.load(std::memory_order_relaxed)};
}

std::string YahooClient::ChartUrl(const std::string& symbol, const std::string& range) const {
  return state_->options.base_url + "/v8/finance/chart/" + PercentEncode(symbol) + "?range=" + PercentEncode(range) +
         "&interval=1d&events=div%2Csplits&includeAdjustedClose=true";
}

Result<std::string> YahooClient::FetchChart(const std::string& symbol, const std::string& range) {
  SL_RETURN_IF_ERROR(CheckSymbol(symbol));
  SL_RETURN_IF_ERROR(CheckRange(range));
  const std::string url = ChartUrl(symbol, range);
  const std::string where = "Yahoo chart of " + symbol + " (GET " + url + ")";
  const int max_attempts = state_->options.max_attempts;
  Attempt attempt;
  int attempts = 0;
  while (true) {
    attempt = state_->Perform(url);
    ++attempts;
    const bool retryable = attempt.curl_code != CURLE_OK ? IsRetryableCurlError(attempt.curl_code)
                                                         : IsRetryableHttpStatus(attempt.http_status);
    if (!retryable || attempts >= max_attempts) break;
    std::this_thread::sleep_for(state_->BackoffBefore(attempts, attempt));
    state_->retries.fetch_add(1, std::memory_order_relaxed);
  }

  if (attempt.curl_code != CURLE_OK || IsRetryableHttpStatus(attempt.http_status)) {
    const bool gave_up = attempt.curl_code == CURLE_OK || IsRetryableCurlError(attempt.curl_code);
    return Status::IOError(where + ": " + (gave_up ? "still failing" : "failed, not retryable,") + " after " +
                           std::to_string(attempts) + " attempt(s); last: " + DescribeAttempt(attempt) +
                           ". Yahoo may be throttling (lower the request rate, retry later) or unreachable "
                           "(check the network and $" +
                           kYahooBaseUrlEnv + ")");
  }

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const bool is_json = parser.parse(attempt.body).get(root) == simdjson::SUCCESS;
  const std::optional<std::string> chart_error = is_json ? ChartErrorDescription(root) : std::nullopt;
  if (attempt.http_status == 404 || chart_error) {
    return Status::NotFound(where + ": Yahoo has no chart (HTTP " + std::to_string(attempt.http_status) + ": " +
                            chart_error.value_or(Excerpt(attempt.body)) + "); check the symbol");
  }
  if (attempt.http_status != 200) {
    return Status::IOError(where + ": unexpected " + DescribeAttempt(attempt) + " (not retried)");
  }
  std::string_view meta_symbol;
  int64_t gmtoffset;
  if (!is_json) {
    return Status::Corruption(where + ": HTTP 200 but the body is not JSON: '" + Excerpt(attempt.body) +
                              "'; is the base URL a Yahoo v8 chart endpoint?");
  }
  if (root["chart"]["result"].at(0)["meta"]["symbol"].get(meta_symbol) != simdjson::SUCCESS ||
      root["chart"]["result"].at(0)["meta"]["gmtoffset"].get(gmtoffset) != simdjson::SUCCESS) {
    return Status::Corruption(where +
                              ": HTTP 200 but the body is not a v8 chart (no chart.result[0].meta with a string "
                              "symbol and an integer gmtoffset): '" +
                              Excerpt(attempt.body) + "'");
  }
  return std::move(attempt.body);
}

Result<std::vector<YahooDownload>> DownloadCharts(YahooClient& client, const std::vector<std::string>& symbols,
                                                  const std::string& range, const std::string& out_dir) {
  if (symbols.empty()) return Status::InvalidArgument("Yahoo download: no symbols given");
  SL_RETURN_IF_ERROR(CheckRange(range));
  std::set<std::string> seen;
  for (const std::string& symbol : symbols) {
    SL_RETURN_IF_ERROR(CheckSymbol(symbol));
    if (!seen.insert(UpperCase(symbol)).second) {
      return Status::InvalidArgument("Yahoo symbol " + symbol + " is given twice (symbols are case-insensitive); " +
                                     "each is saved as " + UpperCase(symbol) + ".json, so give it once");
    }
  }
  SL_RETURN_IF_ERROR(CreateDirectories(out_dir));

  std::vector<YahooDownload> downloads;
  downloads.reserve(symbols.size());
  for (const std::string& symbol : symbols) {
    YahooDownload& download = downloads.emplace_back();
    download.symbol = symbol;
    Result<std::string> body = client.FetchChart(symbol, range);
    if (!body.ok()) {
      download.status = body.status();
      continue;
    }
    const std::string path = out_dir + "/" + UpperCase(symbol) + ".json";
    download.status = WriteFileAtomic(path, *body);
    if (!download.status.ok()) continue;
    download.path = path;
    download.bytes = body->size();
  }
  return downloads;
}

}  // namespace stocklake
