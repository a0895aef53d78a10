#include "serve/api_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "core/date.h"
#include "core/files.h"
#include "core/reject_reason.h"
#include "ingest/ticker.h"
#include "lake/snapshot.h"
#include "serve/api_metrics.h"
#include "serve/audit_log.h"
#include "serve/http.h"
#include "serve/openapi.h"
#include "serve/rate_limiter.h"
#include "serve/table_output.h"
#include "serve/tokens.h"
#include "store/serving_store.h"

extern char** environ;

namespace stocklake {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kDefaultPageLimit = 500;
constexpr int kMaxPageLimit = 5000;

// ---- Errors -------------------------------------------------------------------------

//! A request the API refuses: HTTP status, contract error code, message.
struct ApiError {
  int status;
  std::string code;
  std::string message;
};

ApiError BadRequest(std::string message) { return {400, "bad_request", std::move(message)}; }

std::string JsonText(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void SendError(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(JsonText({{"error", {{"code", e.code}, {"message", e.message}}}}), "application/json; charset=utf-8");
}

// ---- Endpoints and who may call them --------------------------------------------------

struct Endpoint {
  std::string_view name;  //!< metrics label
  bool needs_token = true;
  Role min_role = Role::kViewer;
  bool exportable = false;  //!< serves CSV / Parquet to analysts
};

Endpoint Classify(const std::string& method, const std::string& path) {
  if (path == "/healthz") return {"healthz", false};
  if (path == "/readyz") return {"readyz", false};
  if (path == "/api/v1/openapi.json") return {"openapi", false};
  if (path == "/metrics") return {"metrics"};
  if (!path.starts_with("/api/")) return {"static", false};
  if (path == "/api/v1/tickers") return {"tickers", true, Role::kViewer, true};
  if (path == "/api/v1/cross-section") return {"cross_section", true, Role::kViewer, true};
  if (path == "/api/v1/rejects") return {"rejects", true, Role::kViewer, true};
  if (path == "/api/v1/quality") return {"quality"};
  if (path == "/api/v1/tokens" || path.starts_with("/api/v1/tokens/")) return {"tokens", true, Role::kAdmin};
  if (path == "/api/v1/runs") {
    return method == "POST" ? Endpoint{"runs_start", true, Role::kAdmin} : Endpoint{"runs"};
  }
  if (path.starts_with("/api/v1/tickers/")) {
    if (path.ends_with("/bars")) return {"bars", true, Role::kViewer, true};
    if (path.ends_with("/indicators")) return {"indicators", true, Role::kViewer, true};
    if (path.ends_with("/indicators/latest")) return {"indicators_latest"};
  }
  return {"not_found"};
}

enum class Format { kJson, kCsv, kParquet };

//! The format asked for: ?format= wins over Accept.
std::optional<Format> RequestedFormat(const httplib::Request& req, ApiError* error) {
  if (req.has_param("format")) {
    const std::string f = req.get_param_value("format");
    if (f == "json") return Format::kJson;
    if (f == "csv") return Format::kCsv;
    if (f == "parquet") return Format::kParquet;
    *error = BadRequest("format must be json, csv or parquet");
    return std::nullopt;
  }
  const std::string accept = req.get_header_value("Accept");
  if (accept.find("text/csv") != std::string::npos) return Format::kCsv;
  if (accept.find("application/vnd.apache.parquet") != std::string::npos) return Format::kParquet;
  return Format::kJson;
}

// ---- Per-request state, shared by the pre-routing check, the handler and the logger ---
// httplib runs all three for one request on one worker thread.

struct RequestContext {
  bool active = false;
  Clock::time_point start;
  std::string endpoint;
  std::string who;
  std::string role;
};
thread_local RequestContext t_request;

// ---- Parameter validation -------------------------------------------------------------

//! Rejects parameters an endpoint does not take, and repeated ones: a typo must not
//! silently return unfiltered data.
std::optional<ApiError> CheckParamNames(const httplib::Request& req, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : req.params) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || name == a;
    if (!ok) return BadRequest("unknown query parameter '" + name + "'");
    if (req.params.count(name) > 1) return BadRequest("query parameter '" + name + "' given more than once");
  }
  return std::nullopt;
}

bool ParseDateParam(const httplib::Request& req, const char* name, Date* out, ApiError* error) {
  *out = kNullDate;
  if (!req.has_param(name)) return true;
  const std::string v = req.get_param_value(name);
  if (!ParseIsoDate(v.data(), v.size(), out)) {
    *error = BadRequest(std::string(name) + " must be a date YYYY-MM-DD");
    return false;
  }
  return true;
}

bool ParseLimit(const httplib::Request& req, int default_limit, int max_limit, int* out, ApiError* error) {
  *out = default_limit;
  if (!req.has_param("limit")) return true;
  const std::string v = req.get_param_value("limit");
  int64_t n = 0;
  bool ok = !v.empty() && v.size() <= 6;
  for (char c : v) {
    ok = ok && c >= '0' && c <= '9';
    n = n * 10 + (c - '0');
  }
  if (!ok || n < 1 || n > max_limit) {
    *error = BadRequest("limit must be an integer from 1 to " + std::to_string(max_limit));
    return false;
  }
  *out = static_cast<int>(n);
  return true;
}

//! Upper-cases and checks a ticker (the ingest module's alphabet).
bool NormalizeTicker(std::string_view raw, std::string* out, ApiError* error) {
  if (raw.size() > kMaxTickerLength) {
    *error = BadRequest("ticker is longer than " + std::to_string(kMaxTickerLength) + " characters");
    return false;
  }
  std::string t(raw);
  for (char& c : t) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (!IsValidTicker(t)) {
    *error = BadRequest("ticker must be 1-32 characters of A-Z 0-9 . - _ ^ =");
    return false;
  }
  *out = std::move(t);
  return true;
}

// Cursors: "<kind>:<value>" in base64url, so clients treat them as opaque.
std::string Base64UrlEncode(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string MakeCursor(char kind, std::string_view value) {
  std::string raw(1, kind);
  raw += ':';
  raw += value;
  return Base64UrlEncode(raw);
}

//! The cursor's value when it is of `kind`; "" when there is no cursor.
bool ParseCursor(const httplib::Request& req, char kind, std::string* value, ApiError* error) {
  value->clear();
  if (!req.has_param("cursor")) return true;
  const std::string c = req.get_param_value("cursor");
  auto raw = c.size() <= 128 ? Base64UrlDecode(c) : std::nullopt;
  if (!raw || raw->size() < 3 || (*raw)[0] != kind || (*raw)[1] != ':') {
    *error = BadRequest("cursor is not one this endpoint returned");
    return false;
  }
  *value = raw->substr(2);
  return true;
}

//! A cursor value that is a count or id: decimal digits only, no sign, fits int64.
bool CursorInt(const std::string& value, int64_t* out, ApiError* error) {
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, *out);
  if (value.empty() || value[0] == '-' || value[0] == '+' || ec != std::errc() || ptr != end) {
    *error = BadRequest("cursor is not one this endpoint returned");
    return false;
  }
  return true;
}

bool CursorDate(const std::string& value, Date* out, ApiError* error) {
  if (!ParseIsoDate(value.data(), value.size(), out)) {
    *error = BadRequest("cursor is not one this endpoint returned");
    return false;
  }
  return true;
}

//! gzip of `in` (zlib, a gzip wrapper); nullopt if zlib fails.
std::optional<std::string> Gzip(std::string_view in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

// ---- Listening address ----------------------------------------------------------------

Status ParseListenAddress(std::string_view text, std::string* host, int* port) {
  const auto bad = [&] {
    return Status::InvalidArgument("--listen '" + std::string(text) +
                                   "' is not HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)");
  };
  size_t colon;
  if (text.starts_with("[")) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return bad();
    *host = std::string(text.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return bad();
    *host = std::string(text.substr(0, colon));
    if (host->find(':') != std::string::npos) return bad();
  }
  const std::string_view digits = text.substr(colon + 1);
  if (digits.empty() || digits.size() > 5) return bad();
  int p = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return bad();
    p = p * 10 + (c - '0');
  }
  if (p > 65535 || host->empty()) return bad();
  *port = p;
  return Status::OK();
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr addr4;
  if (inet_pton(AF_INET, std::string(host).c_str(), &addr4) == 1) return (ntohl(addr4.s_addr) >> 24) == 127;
  return false;
}

// ---- The server -----------------------------------------------------------------------

struct ApiServer::Impl {
  ServeOptions options;
  std::unique_ptr<httplib::Server> http;
  int port = 0;
  bool tls = false;
  std::string store_url;

  ApiMetrics metrics;
  AuditLog audit;
  RateLimiter limiter;

  // Stores are not thread-safe: a pool, one session (one store connection) per request
  // in flight.
  struct Session {
    std::unique_ptr<ServingStore> store;
  };
  std::mutex pool_mu;
  std::vector<std::unique_ptr<Session>> pool;

  // The lake's current snapshot, re-read when CURRENT changes.
  std::mutex lake_mu;
  std::string current_text;
  std::shared_ptr<const LakeSnapshot> snapshot;

  // Tokens, re-read when the token file is replaced (a revoke takes effect at once).
  std::mutex tokens_mu;
  struct stat tokens_stat {};
  bool tokens_loaded = false;
  std::unordered_map<std::string, TokenRecord> tokens_by_hash;

  // The run POST /api/v1/runs started, if any.
  std::mutex run_mu;
  pid_t run_pid = 0;
  std::thread run_reaper;

  Result<std::unique_ptr<Session>> Acquire() {
    {
      std::lock_guard lock(pool_mu);
      if (!pool.empty()) {
        auto s = std::move(pool.back());
        pool.pop_back();
        return s;
      }
    }
    auto s = std::make_unique<Session>();
    SL_ASSIGN_OR_RETURN(s->store, OpenServingStore(store_url));
    return s;
  }
  void Release(std::unique_ptr<Session> s) {
    std::lock_guard lock(pool_mu);
    pool.push_back(std::move(s));
  }

  Result<std::shared_ptr<const LakeSnapshot>> Snapshot() {
    const std::string current_path = options.lake_dir + "/_stocklake/CURRENT";
    std::string text;
    if (PathExists(current_path)) {
      SL_ASSIGN_OR_RETURN(text, ReadFileToString(current_path));
    }
    std::lock_guard lock(lake_mu);
    if (snapshot == nullptr || text != current_text) {
      SL_ASSIGN_OR_RETURN(LakeSnapshot s, LoadCurrentSnapshot(options.lake_dir));
      snapshot = std::make_shared<const LakeSnapshot>(std::move(s));
      current_text = text;
    }
    return snapshot;
  }

  //! The valid token whose hash matches, or nullopt.
  std::optional<TokenRecord> FindToken(const std::string& token_text, Status* error) {
    const std::string path = TokenFilePath(options.lake_dir);
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    std::lock_guard lock(tokens_mu);
    const bool changed = !tokens_loaded || !exists || st.st_ino != tokens_stat.st_ino ||
                         st.st_mtim.tv_nsec != tokens_stat.st_mtim.tv_nsec ||
                         st.st_mtim.tv_sec != tokens_stat.st_mtim.tv_sec || st.st_size != tokens_stat.st_size;
    if (changed) {
      auto loaded = LoadTokens(options.lake_dir);
      if (!loaded.ok()) {
        *error = loaded.status();
        return std::nullopt;
      }
      tokens_by_hash.clear();
      for (TokenRecord& t : *loaded) {
        if (t.revoked_at.empty()) tokens_by_hash[t.sha256] = std::move(t);
      }
      tokens_stat = st;
      tokens_loaded = exists;
    }
    auto it = tokens_by_hash.find(Sha256Hex(token_text));
    if (it == tokens_by_hash.end()) return std::nullopt;
    return it->second;
  }

  // ---- Before routing: identity, role, rate limit ----
  httplib::Server::HandlerResponse Admit(const httplib::Request& req, httplib::Response& res) {
    t_request = RequestContext{true, Clock::now(), "", "", ""};
    const Endpoint ep = Classify(req.method, req.path);
    t_request.endpoint = std::string(ep.name);
    if (!ep.needs_token) return httplib::Server::HandlerResponse::Unhandled;

    const std::string auth = req.get_header_value("Authorization");
    Role role = Role::kViewer;
    std::string limiter_key;
    double rate = options.rate_limit;
    if (auth.empty()) {
      if (!options.allow_anonymous) {
        res.set_header("WWW-Authenticate", "Bearer");
        SendError(res, {401, "unauthorized", "missing bearer token: send Authorization: Bearer <token>"});
        return httplib::Server::HandlerResponse::Handled;
      }
      t_request.who = "anonymous";
      limiter_key = "anonymous@" + req.remote_addr;
    } else {
      const bool bearer = auth.size() > 7 && (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0);
      Status load_error;
      std::optional<TokenRecord> token = bearer ? FindToken(auth.substr(7), &load_error) : std::nullopt;
      if (!load_error.ok()) {
        SendError(res, {500, "internal", "cannot read the token file"});
        return httplib::Server::HandlerResponse::Handled;
      }
      if (!token) {
        res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        SendError(res, {401, "unauthorized", "invalid, unknown or revoked token"});
        return httplib::Server::HandlerResponse::Handled;
      }
      role = token->role;
      t_request.who = token->name.empty() ? "token:" + token->id : token->name;
      limiter_key = "token:" + token->id;
      if (token->rate_limit > 0) rate = token->rate_limit;
    }
    t_request.role = std::string(RoleName(role));

    Role needed = ep.min_role;
    if (ep.exportable) {
      ApiError format_error;
      auto format = RequestedFormat(req, &format_error);
      if (format && *format != Format::kJson) needed = std::max(needed, Role::kAnalyst);
    }
    if (role < needed) {
      SendError(res, {403, "forbidden",
                      "this needs the " + std::string(RoleName(needed)) + " role; the token has " + t_request.role});
      return httplib::Server::HandlerResponse::Handled;
    }
    double retry_after = 0;
    if (!limiter.Allow(limiter_key, rate, &retry_after)) {
      res.set_header("Retry-After", std::to_string(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(retry_after)))));
      SendError(res, {429, "rate_limited", "too many requests for this token; retry later"});
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void LogRequest(const httplib::Request& req, const httplib::Response& res) {
    const double seconds =
        t_request.active ? std::chrono::duration<double>(Clock::now() - t_request.start).count() : 0.0;
    const std::string endpoint = t_request.active ? t_request.endpoint : "invalid";
    const std::string who = t_request.who.empty() ? "-" : t_request.who;
    audit.Write({who, t_request.role, req.method, req.target.empty() ? req.path : req.target, req.remote_addr,
                 res.status, seconds});
    metrics.ObserveRequest(endpoint, res.status, seconds);
    t_request = RequestContext{};
  }

  // ---- Response helpers ----

  //! Sets ETag and answers 304 when the client has it. The tag covers the snapshot, the
  //! whole request target, the representation asked for and the content coding.
  bool NotModified(const httplib::Request& req, httplib::Response& res, int64_t snapshot_id) {
    const std::string accept_encoding = req.get_header_value("Accept-Encoding");
    uint64_t h = Fnv1a(std::to_string(snapshot_id));
    h = Fnv1a(req.method, Fnv1a("\n", h));
    h = Fnv1a(req.target.empty() ? req.path : req.target, Fnv1a("\n", h));
    h = Fnv1a(req.get_header_value("Accept"), Fnv1a("\n", h));
    h = Fnv1a(accept_encoding.find("br") != std::string::npos     ? "br"
              : accept_encoding.find("gzip") != std::string::npos ? "gzip"
                                                                  : "identity",
              Fnv1a("\n", h));
    char tag[40];
    std::snprintf(tag, sizeof tag, "\"%" PRId64 "-%016" PRIx64 "\"", snapshot_id, h);
    res.set_header("ETag", tag);
    res.set_header("Vary", "Accept, Accept-Encoding, Authorization");
    res.set_header("Cache-Control", "private, no-cache");
    const std::string inm = req.get_header_value("If-None-Match");
    if (!inm.empty() && (inm == "*" || inm.find(tag) != std::string::npos)) {
      res.status = 304;
      return true;
    }
    return false;
  }

  void SendJson(httplib::Response& res, const json& body, int status = 200) {
    res.status = status;
    res.set_content(JsonText(body), "application/json; charset=utf-8");
  }

  //! Writes one page of a table in the requested format.
  void SendPage(httplib::Response& res, Format format, const TableSlice& slice, const std::optional<std::string>& next,
                const char* file_stem) {
    if (next) res.set_header("X-Next-Cursor", *next);
    switch (format) {
      case Format::kJson:
        // Written directly: the data endpoints' hot path (cursors are base64url, no escaping).
        res.set_content(
            "{\"data\":" + SliceToJsonText(slice) + ",\"next_cursor\":" + (next ? "\"" + *next + "\"" : "null") + "}",
            "application/json; charset=utf-8");
        return;
      case Format::kCsv:
        res.set_header("Content-Disposition", std::string("attachment; filename=\"") + file_stem + ".csv\"");
        res.set_content(SliceToCsv(slice), "text/csv; charset=utf-8");
        return;
      case Format::kParquet: {
        auto bytes = SliceToParquet(slice);
        if (!bytes.ok()) {
          SendError(res, {500, "internal", "could not encode Parquet"});
          return;
        }
        res.set_header("Content-Disposition", std::string("attachment; filename=\"") + file_stem + ".parquet\"");
        res.set_content(std::move(*bytes), "application/vnd.apache.parquet");
        return;
      }
    }
  }

  //! Runs `body` with a store session and the current snapshot, mapping failures to 5xx.
  template <typename F>
  void WithStore(const httplib::Request& req, httplib::Response& res, F&& body) {
    auto snap = Snapshot();
    if (!snap.ok()) {
      SendError(res, {503, "internal", "the lake cannot be read"});
      return;
    }
    auto session = Acquire();
    if (!session.ok()) {
      SendError(res, {503, "internal", "the serving store cannot be reached"});
      return;
    }
    if (NotModified(req, res, (*snap)->id)) {
      Release(std::move(*session));
      return;
    }
    Status st = body(**session, **snap);
    if (!st.ok()) {
      std::fprintf(stderr, "stocklake serve: %s %s: %s\n", req.method.c_str(), req.path.c_str(), st.ToString().c_str());
      // A failed connection is dropped rather than reused.
      SendError(res, {500, "internal", "the query failed; see the server log"});
      return;
    }
    Release(std::move(*session));
  }

  // ---- Handlers ----

  void Tickers(const httplib::Request& req, httplib::Response& res) {
    ApiError e;
    if (auto bad = CheckParamNames(req, {"prefix", "limit", "cursor", "format"})) return SendError(res, *bad);
    auto format = RequestedFormat(req, &e);
    int limit;
    std::string after, prefix = req.get_param_value("prefix");
    if (!format || !ParseLimit(req, kDefaultPageLimit, kMaxPageLimit, &limit, &e) ||
        !ParseCursor(req, 't', &after, &e)) {
      return SendError(res, e);
    }
    if (!prefix.empty() && !NormalizeTicker(prefix, &prefix, &e))
      return SendError(res, BadRequest("prefix: " + e.message));
    WithStore(req, res, [&](Session& s, const LakeSnapshot&) -> Status {
      SL_ASSIGN_OR_RETURN(Table t, s.store->Tickers({prefix, after, limit + 1}));
      std::optional<std::string> next;
      const size_t n = std::min<size_t>(t.num_rows(), static_cast<size_t>(limit));
      if (t.num_rows() > n) next = MakeCursor('t', t.columns[0].StringAt(n - 1));
      SendPage(res, *format, {&t, {"ticker", "first_date", "last_date", "days"}, 0, n}, next, "tickers");
      return Status::OK();
    });
  }

  //! Whether `ticker` has any rows (the tickers table), for 404 on empty answers.
  static Result<bool> TickerExists(Session& s, const std::string& ticker) {
    SL_ASSIGN_OR_RETURN(Table t, s.store->Tickers({ticker, "", 1}));
    return t.num_rows() == 1 && t.columns[0].StringAt(0) == ticker;
  }

  void Bars(const httplib::Request& req, httplib::Response& res) {
    ApiError e;
    if (auto bad = CheckParamNames(req, {"interval", "from", "to", "limit", "cursor", "format"}))
      return SendError(res, *bad);
    std::string ticker, cursor;
    BarsQuery q;
    int limit;
    auto format = RequestedFormat(req, &e);
    if (!format || !NormalizeTicker(req.matches[1].str(), &ticker, &e) || !ParseDateParam(req, "from", &q.from, &e) ||
        !ParseDateParam(req, "to", &q.to, &e) || !ParseLimit(req, kDefaultPageLimit, kMaxPageLimit, &limit, &e) ||
        !ParseCursor(req, 'b', &cursor, &e)) {
      return SendError(res, e);
    }
    if (req.has_param("interval")) {
      auto interval = ParseBarInterval(req.get_param_value("interval"));
      if (!interval.ok()) return SendError(res, BadRequest("interval must be day, week, month or quarter"));
      q.interval = *interval;
    }
    if (q.from != kNullDate && q.to != kNullDate && q.from > q.to)
      return SendError(res, BadRequest("from is after to"));
    if (!cursor.empty()) {
      Date after;
      if (!CursorDate(cursor, &after, &e)) return SendError(res, e);
      q.from = q.from == kNullDate ? after : std::max(q.from, after);
    }
    q.ticker = ticker;
    const bool daily = q.interval == BarInterval::kDay;
    WithStore(req, res, [&](Session& s, const LakeSnapshot&) -> Status {
      SL_ASSIGN_OR_RETURN(Table t, s.store->Bars(q));
      if (t.num_rows() == 0 && cursor.empty()) {
        SL_ASSIGN_OR_RETURN(bool exists, TickerExists(s, ticker));
        if (!exists) {
          SendError(res, {404, "not_found", "no ticker " + ticker});
          return Status::OK();
        }
      }
      const size_t n = std::min<size_t>(t.num_rows(), static_cast<size_t>(limit));
      std::optional<std::string> next;
      const Column* key = t.Find(daily ? "date" : "period_start");
      if (t.num_rows() > n) next = MakeCursor('b', FormatDate(key->i32[n]));
      std::vector<std::string_view> cols =
          daily ? std::vector<std::string_view>{"date", "open", "high", "low", "close", "adj_close", "volume"}
                : std::vector<std::string_view>{"period_start", "period_end", "open",   "high",         "low",
                                                "close",        "adj_close",  "volume", "trading_days", "return"};
      SendPage(res, *format, {&t, cols, 0, n}, next, "bars");
      return Status::OK();
    });
  }

  static std::vector<std::string_view> IndicatorColumns() {
    static const Table schema = [] {
      Table t;
      t.columns = {{"date", ColumnType::kDate, false},         {"close", ColumnType::kDouble, false},
                   {"return_1d", ColumnType::kDouble, true},   {"log_return_1d", ColumnType::kDouble, true},
                   {"sma_20", ColumnType::kDouble, true},      {"sma_50", ColumnType::kDouble, true},
                   {"sma_200", ColumnType::kDouble, true},     {"ema_12", ColumnType::kDouble, true},
                   {"ema_26", ColumnType::kDouble, true},      {"macd", ColumnType::kDouble, true},
                   {"macd_signal", ColumnType::kDouble, true}, {"macd_hist", ColumnType::kDouble, true},
                   {"rsi_14", ColumnType::kDouble, true},      {"bb_middle", ColumnType::kDouble, true},
                   {"bb_upper", ColumnType::kDouble, true},    {"bb_lower", ColumnType::kDouble, true},
                   {"atr_14", ColumnType::kDouble, true},      {"volatility_20", ColumnType::kDouble, true},
                   {"obv", ColumnType::kInt64, false}};
      return t;
    }();
    std::vector<std::string_view> names;
    for (const Column& c : schema.columns) names.push_back(c.name);
    return names;
  }

  void Indicators(const httplib::Request& req, httplib::Response& res) {
    ApiError e;
    if (auto bad = CheckParamNames(req, {"from", "to", "limit", "cursor", "format"})) return SendError(res, *bad);
    std::string ticker, cursor;
    Date from, to;
    int limit;
    auto format = RequestedFormat(req, &e);
    if (!format || !NormalizeTicker(req.matches[1].str(), &ticker, &e) || !ParseDateParam(req, "from", &from, &e) ||
        !ParseDateParam(req, "to", &to, &e) || !ParseLimit(req, kDefaultPageLimit, kMaxPageLimit, &limit, &e) ||
        !ParseCursor(req, 'i', &cursor, &e)) {
      return SendError(res, e);
    }
    if (from != kNullDate && to != kNullDate && from > to) return SendError(res, BadRequest("from is after to"));
    if (!cursor.empty()) {
      Date after;
      if (!CursorDate(cursor, &after, &e)) return SendError(res, e);
      from = from == kNullDate ? after : std::max(from, after);
    }
    WithStore(req, res, [&](Session& s, const LakeSnapshot&) -> Status {
      SL_ASSIGN_OR_RETURN(Table t, s.store->Indicators({ticker, from, to, limit + 1}));
      if (t.num_rows() == 0 && cursor.empty()) {
        SL_ASSIGN_OR_RETURN(bool exists, TickerExists(s, ticker));
        if (!exists) {
          SendError(res, {404, "not_found", "no ticker " + ticker});
          return Status::OK();
        }
      }
      const size_t n = std::min<size_t>(t.num_rows(), static_cast<size_t>(limit));
      std::optional<std::string> next;
      if (t.num_rows() > n) next = MakeCursor('i', FormatDate(t.Find("date")->i32[n]));
      SendPage(res, *format, {&t, IndicatorColumns(), 0, n}, next, "indicators");
      return Status::OK();
    });
  }

  void LatestIndicators(const httplib::Request& req, httplib::Response& res) {
    ApiError e;
    if (auto bad = CheckParamNames(req, {})) return SendError(res, *bad);
    std::string ticker;
    if (!NormalizeTicker(req.matches[1].str(), &ticker, &e)) return SendError(res, e);
    WithStore(req, res, [&](Session& s, const LakeSnapshot&) -> Status {
      SL_ASSIGN_OR_RETURN(Table t, s.store->LatestIndicators(ticker));
      if (t.num_rows() == 0) {
        SendError(res, {404, "not_found", "no indicators for ticker " + ticker});
        return Status::OK();
      }
      SendJson(res, RowToJson(t, IndicatorColumns(), 0));
      return Status::OK();
    });
  }

  void CrossSection(const httplib::Request& req, httplib::Response& res) {
    ApiError e;
    if (auto bad = CheckParamNames(req, {"date", "kind", "limit", "format"})) return SendError(res, *bad);
    CrossSectionQuery q;
    auto format = RequestedFormat(req, &e);
    if (!format || !ParseDateParam(req, "date", &q.date, &e) || !ParseLimit(req, 20, kMaxPageLimit, &q.limit, &e)) {
      return SendError(res, e);
    }
    if (q.date == kNullDate) return SendError(res, BadRequest("date is required (YYYY-MM-DD)"));
    const std::string kind = req.has_param("kind") ? req.get_param_value("kind") : "top_gainers";
    if (kind == "top_gainers")
      q.order = CrossSectionOrder::kTopGainers;
    else if (kind == "top_losers")
      q.order = CrossSectionOrder::kTopLosers;
    else if (kind == "most_traded")
      q.order = CrossSectionOrder::kMostTraded;
    else
      return SendError(res, BadRequest("kind must be top_gainers, top_losers or most_traded"));
    WithStore(req, res, [&](Session& s, const LakeSnapshot&) -> Status {
      SL_ASSIGN_OR_RETURN(Table t, s.store->CrossSection(q));
      const TableSlice slice{&t, {"ticker", "date", "close", "volume", "return_1d"}, 0, t.num_rows()};
      if (*format != Format::kJson) {
        SendPage(res, *format, slice, std::nullopt, "cross-section");
      } else {
        SendJson(res, {{"date", FormatDate(q.date)}, {"kind", kind}, {"data", SliceToJson(slice)}});
      }
      return Status::OK();
    });
  }

  static json RunToJson(const RunRecord& r) {
    json summary = json::parse(r.summary_json, nullptr, false);
    if (summary.is_discarded()) summary = json::object();
    return {{"snapshot_id", r.snapshot_id},
            {"committed_at", r.committed_at},
            {"rows_read", r.rows_read},
            {"accepted", r.accepted},
            {"rejected", r.rejected},
            {"duplicates", r.duplicates},
            {"earlier_rows_displaced", r.earlier_rows_displaced},
            {"files_ingested", r.files_ingested},
            {"files_skipped", r.files_skipped},
            {"summary", summary}};
  }

  void Runs(const httplib::Request& req, httplib::Response& res) {
    ApiError e;
    if (auto bad = CheckParamNames(req, {"limit", "cursor"})) return SendError(res, *bad);
    int limit;
    std::string cursor;
    if (!ParseLimit(req, kDefaultPageLimit, kMaxPageLimit, &limit, &e) || !ParseCursor(req, 'r', &cursor, &e)) {
      return SendError(res, e);
    }
    int64_t after = 0;
    if (!cursor.empty() && !CursorInt(cursor, &after, &e)) return SendError(res, e);
    WithStore(req, res, [&](Session& s, const LakeSnapshot&) -> Status {
      SL_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, s.store->Runs());
      json data = json::array();
      std::optional<std::string> next;
      for (const RunRecord& r : runs) {
        if (r.snapshot_id <= after) continue;
        if (static_cast<int>(data.size()) == limit) {
          next = MakeCursor('r', std::to_string(data.back()["snapshot_id"].get<int64_t>()));
          break;
        }
        data.push_back(RunToJson(r));
      }
      SendJson(res, {{"data", data}, {"next_cursor", next ? json(*next) : json(nullptr)}});
      return Status::OK();
    });
  }

  void Rejects(const httplib::Request& req, httplib::Response& res) {
    ApiError e;
    if (auto bad = CheckParamNames(req, {"reason", "ticker", "limit", "cursor", "format"})) return SendError(res, *bad);
    RejectsQuery q;
    int limit;
    std::string cursor;
    auto format = RequestedFormat(req, &e);
    if (!format || !ParseLimit(req, kDefaultPageLimit, kMaxPageLimit, &limit, &e) ||
        !ParseCursor(req, 'o', &cursor, &e)) {
      return SendError(res, e);
    }
    if (req.has_param("reason")) {
      q.reason = req.get_param_value("reason");
      auto reason = RejectReasonFromName(q.reason);
      if (!reason || *reason == RejectReason::kNone) return SendError(res, BadRequest("reason is not a reject reason"));
    }
    if (req.has_param("ticker") && !NormalizeTicker(req.get_param_value("ticker"), &q.ticker, &e)) {
      return SendError(res, e);
    }
    if (!cursor.empty() && !CursorInt(cursor, &q.offset, &e)) return SendError(res, e);
    q.limit = limit + 1;
    WithStore(req, res, [&](Session& s, const LakeSnapshot&) -> Status {
      SL_ASSIGN_OR_RETURN(Table t, s.store->Rejects(q));
      const size_t n = std::min<size_t>(t.num_rows(), static_cast<size_t>(limit));
      std::optional<std::string> next;
      if (t.num_rows() > n) next = MakeCursor('o', std::to_string(q.offset + static_cast<int64_t>(n)));
      SendPage(res, *format, {&t, {"source_file", "line", "ticker", "date", "reason"}, 0, n}, next, "rejects");
      return Status::OK();
    });
  }

  void Quality(const httplib::Request& req, httplib::Response& res) {
    if (auto bad = CheckParamNames(req, {})) return SendError(res, *bad);
    WithStore(req, res, [&](Session& s, const LakeSnapshot& snap) -> Status {
      SL_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, s.store->Runs());
      SL_ASSIGN_OR_RETURN(auto by_reason, s.store->RejectCountsByReason());
      SL_ASSIGN_OR_RETURN(TickerTotals totals, s.store->Totals());
      int64_t rows_read = 0, accepted = 0, rejected = 0, duplicates = 0;
      for (const RunRecord& r : runs) {
        rows_read += r.rows_read;
        accepted += r.accepted;
        rejected += r.rejected;
        duplicates += r.duplicates;
      }
      json reasons = json::object();
      for (int r = 1; r < kRejectReasonCount; ++r)
        reasons[std::string(RejectReasonName(static_cast<RejectReason>(r)))] = 0;
      for (const auto& [reason, n] : by_reason) reasons[reason] = n;
      SendJson(res,
               {{"snapshot_id", snap.id},
                {"runs", runs.size()},
                {"rows_read", rows_read},
                {"accepted", accepted},
                {"rejected", rejected},
                {"duplicates", duplicates},
                {"rejected_by_reason", reasons},
                {"tickers", totals.tickers},
                {"first_date", totals.first_date == kNullDate ? json(nullptr) : json(FormatDate(totals.first_date))},
                {"last_date", totals.last_date == kNullDate ? json(nullptr) : json(FormatDate(totals.last_date))}});
      return Status::OK();
    });
  }

  void Ready(httplib::Response& res) {
    auto snap = Snapshot();
    auto session = snap.ok() ? Acquire() : Result<std::unique_ptr<Session>>(snap.status());
    if (!session.ok())
      return SendJson(res, {{"status", "unavailable"}, {"reason", "the lake or store cannot be read"}}, 503);
    auto version = (*session)->store->SchemaVersion();
    if (!version.ok())
      return SendJson(res, {{"status", "unavailable"}, {"reason", "the store cannot be queried"}}, 503);
    Release(std::move(*session));
    SendJson(res, {{"status", "ready"}, {"snapshot_id", (*snap)->id}});
  }

  void Metrics(httplib::Response& res) {
    auto snap = Snapshot();
    if (snap.ok()) metrics.UpdateLake(**snap);
    res.set_content(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
  }

  void StartRun(const httplib::Request& req, httplib::Response& res) {
    if (auto bad = CheckParamNames(req, {})) return SendError(res, *bad);
    if (options.run_inputs.empty()) {
      return SendError(res, {501, "internal", "no inputs configured: start serve with --run-input PATH"});
    }
    std::lock_guard lock(run_mu);
    if (run_pid > 0)
      return SendError(res, {409, "bad_request", "a run is already in progress (pid " + std::to_string(run_pid) + ")"});
    if (run_reaper.joinable()) run_reaper.join();
    std::vector<std::string> args = {options.stocklake_binary, "run"};
    for (const std::string& in : options.run_inputs) {
      args.push_back("--input");
      args.push_back(in);
    }
    args.insert(args.end(), {"--lake", options.lake_dir, "--store", store_url, "--quiet"});
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log_path = options.lake_dir + "/_stocklake/serve-runs.log";
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    // `serve` blocks SIGINT and SIGTERM in every thread (a sigwait thread takes them), and
    // a spawned process inherits the mask: without resetting it the run would ignore the
    // SIGTERM that stops it. Empty mask, default dispositions.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return SendError(res, {500, "internal", std::string("could not start the run: ") + std::strerror(rc)});
    run_pid = pid;
    run_reaper = std::thread([this, pid] {
      int status = 0;
      waitpid(pid, &status, 0);
      std::lock_guard l(run_mu);
      run_pid = 0;
    });
    SendJson(res, {{"status", "started"}, {"pid", pid}}, 202);
  }

  // ---- Token management (admin) ------------------------------------------------------

  static json TokenJson(const TokenRecord& t) {
    // Never the hash, let alone the text: the id names a token without revealing it.
    return {{"id", t.id},
            {"name", t.name},
            {"role", RoleName(t.role)},
            {"created_at", t.created_at},
            {"rate_limit", t.rate_limit},
            {"revoked_at", t.revoked_at.empty() ? json(nullptr) : json(t.revoked_at)}};
  }

  void ListTokens(const httplib::Request& req, httplib::Response& res) {
    if (auto bad = CheckParamNames(req, {})) return SendError(res, *bad);
    auto tokens = LoadTokens(options.lake_dir);
    if (!tokens.ok()) return SendError(res, {500, "internal", "cannot read the token file"});
    json data = json::array();
    for (const TokenRecord& t : *tokens) data.push_back(TokenJson(t));
    SendJson(res, {{"data", data}, {"next_cursor", nullptr}});
  }

  void CreateTokenEndpoint(const httplib::Request& req, httplib::Response& res) {
    if (auto bad = CheckParamNames(req, {})) return SendError(res, *bad);
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object())
      return SendError(res, BadRequest("body must be a JSON object {\"role\", \"name\", \"rate_limit\"}"));
    for (const auto& [key, value] : body.items()) {
      if (key != "role" && key != "name" && key != "rate_limit")
        return SendError(res, BadRequest("unknown field '" + key + "'"));
    }
    if (!body.contains("role") || !body["role"].is_string())
      return SendError(res, BadRequest("role is required: viewer, analyst or admin"));
    auto role = ParseRole(body["role"].get<std::string>());
    if (!role.ok()) return SendError(res, BadRequest("role must be viewer, analyst or admin"));
    std::string name;
    if (body.contains("name")) {
      if (!body["name"].is_string()) return SendError(res, BadRequest("name must be a string"));
      name = body["name"].get<std::string>();
      const bool plain = name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
                         });
      if (!plain) return SendError(res, BadRequest("name must be at most 64 of [A-Za-z0-9._-]"));
    }
    double rate_limit = 0;
    if (body.contains("rate_limit")) {
      if (!body["rate_limit"].is_number() || body["rate_limit"].get<double>() < 0 ||
          body["rate_limit"].get<double>() > 1e6) {
        return SendError(res, BadRequest("rate_limit must be a number of requests per second, 0 to 1000000"));
      }
      rate_limit = body["rate_limit"].get<double>();
    }
    TokenRecord record;
    auto token = CreateToken(options.lake_dir, *role, name, rate_limit, &record);
    if (!token.ok()) return SendError(res, {500, "internal", "cannot record the new token"});
    json out = TokenJson(record);
    out["token"] = *token;  // shown once, here; only its hash is kept
    res.set_header("Cache-Control", "no-store");
    SendJson(res, out, 201);
  }

  void RevokeTokenEndpoint(const httplib::Request& req, httplib::Response& res) {
    if (auto bad = CheckParamNames(req, {})) return SendError(res, *bad);
    const std::string id_or_name = req.matches[1];
    auto revoked = RevokeToken(options.lake_dir, id_or_name);
    if (!revoked.ok()) {
      if (revoked.status().IsNotFound())
        return SendError(res, {404, "not_found", "no valid token with that id or name"});
      return SendError(res, {500, "internal", "cannot update the token file"});
    }
    SendJson(res, {{"revoked", *revoked}});
  }

  void Routes() {
    httplib::Server& s = *http;
    s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) { return Admit(req, res); });
    // httplib compresses text/* itself but not "application/json; charset=utf-8" (it
    // matches the bare type only), so JSON answers are gzipped here.
    s.set_post_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      if (res.body.size() < 256 || res.has_header("Content-Encoding")) return;
      if (!res.get_header_value("Content-Type").starts_with("application/json")) return;
      const std::string accept = req.get_header_value("Accept-Encoding");
      if (accept.find("gzip") == std::string::npos) return;
      if (auto gz = Gzip(res.body)) {
        res.body = std::move(*gz);
        res.set_header("Content-Encoding", "gzip");
        // httplib has already set Content-Length from the uncompressed body.
        res.headers.erase("Content-Length");
        res.set_header("Content-Length", std::to_string(res.body.size()));
      }
    });
    s.set_logger([this](const httplib::Request& req, const httplib::Response& res) { LogRequest(req, res); });
    s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty() || res.status == 304) return httplib::Server::HandlerResponse::Unhandled;
      if (res.status == 404)
        SendError(res, {404, "not_found", "no such resource: " + req.path});
      else if (res.status == 405)
        SendError(res, {405, "bad_request", "method not allowed"});
      else if (res.status < 500)
        SendError(res, {res.status, "bad_request", "malformed request"});
      else
        SendError(res, {res.status, "internal", "internal error"});
      return httplib::Server::HandlerResponse::Handled;
    }));
    s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      SendError(res, {500, "internal", "internal error"});
    });
    s.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) { SendJson(res, {{"status", "ok"}}); });
    s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) { Ready(res); });
    s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { Metrics(res); });
    s.Get("/api/v1/openapi.json", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(OpenApiDocument()), "application/json; charset=utf-8");
    });
    s.Get("/api/v1/tickers", [this](const httplib::Request& q, httplib::Response& r) { Tickers(q, r); });
    s.Get(R"(/api/v1/tickers/([^/]+)/bars)", [this](const httplib::Request& q, httplib::Response& r) { Bars(q, r); });
    s.Get(R"(/api/v1/tickers/([^/]+)/indicators)",
          [this](const httplib::Request& q, httplib::Response& r) { Indicators(q, r); });
    s.Get(R"(/api/v1/tickers/([^/]+)/indicators/latest)",
          [this](const httplib::Request& q, httplib::Response& r) { LatestIndicators(q, r); });
    s.Get("/api/v1/cross-section", [this](const httplib::Request& q, httplib::Response& r) { CrossSection(q, r); });
    s.Get("/api/v1/runs", [this](const httplib::Request& q, httplib::Response& r) { Runs(q, r); });
    s.Post("/api/v1/runs", [this](const httplib::Request& q, httplib::Response& r) { StartRun(q, r); });
    s.Get("/api/v1/rejects", [this](const httplib::Request& q, httplib::Response& r) { Rejects(q, r); });
    s.Get("/api/v1/quality", [this](const httplib::Request& q, httplib::Response& r) { Quality(q, r); });
    s.Get("/api/v1/tokens", [this](const httplib::Request& q, httplib::Response& r) { ListTokens(q, r); });
    s.Post("/api/v1/tokens", [this](const httplib::Request& q, httplib::Response& r) { CreateTokenEndpoint(q, r); });
    s.Delete(R"(/api/v1/tokens/([A-Za-z0-9._-]{1,64}))",
             [this](const httplib::Request& q, httplib::Response& r) { RevokeTokenEndpoint(q, r); });
  }
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() {
  Stop();
  // The reaper touches Impl: wait for a run still in progress.
  std::thread reaper;
  {
    std::lock_guard lock(impl_->run_mu);
    reaper = std::move(impl_->run_reaper);
  }
  if (reaper.joinable()) reaper.join();
}

Result<std::unique_ptr<ApiServer>> ApiServer::Create(const ServeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  ServeOptions& o = impl->options;
  if (o.lake_dir.empty()) return Status::InvalidArgument("--lake is required");
  if (!PathExists(o.lake_dir + "/_stocklake")) {
    return Status::NotFound("no lake at " + o.lake_dir + ": run `stocklake run --lake " + o.lake_dir + "` first");
  }
  if (o.allow_anonymous && !IsLoopbackHost(o.host)) {
    return Status::InvalidArgument(
        "--allow-anonymous is only allowed when listening on a loopback address "
        "(127.0.0.1, ::1, localhost), not " +
        o.host);
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) return Status::InvalidArgument("--tls-cert and --tls-key go together");
  if (o.web_dir.empty()) o.web_dir = STOCKLAKE_WEB_DIR;
  if (o.stocklake_binary.empty()) {
    char buf[4096];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) o.stocklake_binary.assign(buf, static_cast<size_t>(n));
  }
  impl->store_url = o.store_url.empty() ? "sqlite:" + o.lake_dir + "/_store/stocklake.sqlite" : o.store_url;
  if (impl->store_url.starts_with("sqlite:") && !PathExists(impl->store_url.substr(7))) {
    return Status::NotFound("no serving store at " + impl->store_url.substr(7) +
                            ": run `stocklake run` with a store first");
  }
  {
    // Fail at start, not at the first request, when the store is unreachable.
    SL_ASSIGN_OR_RETURN(auto session, impl->Acquire());
    impl->Release(std::move(session));
  }
  SL_RETURN_IF_ERROR(impl->audit.Open(o.lake_dir + "/_stocklake/audit.log"));

  if (!o.tls_cert.empty()) {
    if (!PathExists(o.tls_cert) || !PathExists(o.tls_key)) {
      return Status::NotFound("TLS certificate or key file not found: " + o.tls_cert + ", " + o.tls_key);
    }
    auto ssl = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
    if (!ssl->is_valid())
      return Status::InvalidArgument("cannot load the TLS certificate/key " + o.tls_cert + ", " + o.tls_key);
    impl->http = std::move(ssl);
    impl->tls = true;
  } else {
    impl->http = std::make_unique<httplib::Server>();
  }
  const int threads = std::max(1, o.threads);
  impl->http->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  impl->http->set_keep_alive_max_count(10000);
  // Without TCP_NODELAY, Nagle and delayed ACKs add 40 ms to every keep-alive answer.
  impl->http->set_tcp_nodelay(true);
  impl->http->set_payload_max_length(1 << 20);
  if (PathExists(o.web_dir)) impl->http->set_mount_point("/", o.web_dir);
  impl->Routes();

  if (o.port == 0) {
    impl->port = impl->http->bind_to_any_port(o.host);
    if (impl->port <= 0) return Status::IOError("cannot listen on " + o.host + ": no free port");
  } else {
    if (!impl->http->bind_to_port(o.host, o.port)) {
      return Status::IOError("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                             " (in use, or no such address)");
    }
    impl->port = o.port;
  }
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

int ApiServer::port() const { return impl_->port; }
std::string_view ApiServer::scheme() const { return impl_->tls ? "https" : "http"; }

Status ApiServer::Run() {
  if (!impl_->http->listen_after_bind()) return Status::IOError("the HTTP server stopped with an error");
  return Status::OK();
}

void ApiServer::Stop() { impl_->http->stop(); }

}  // namespace stocklake
