#include "serve/api_server.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <cmath>

#include "core/files.h"
#include "serve/api_context.h"
#include "serve/handlers.h"
#include "serve/routes.h"

namespace stocklake {

namespace {

using Clock = std::chrono::steady_clock;

//! Per-request state shared by the pre-routing check, the handler and the logger: httplib
//! runs all three for one request on one worker thread.
struct RequestContext {
  bool active = false;
  Clock::time_point start;
  std::string endpoint;
  std::string who;
  std::string role;
};
thread_local RequestContext t_request;

//! Paths outside the route table: the dashboard's files (open), or an unknown API path.
const Route kStaticRoute{"GET", "", "static", Role::kViewer, false, false, nullptr};
const Route kNotFoundRoute{"GET", "", "not_found", Role::kViewer, true, false, nullptr};

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
  ApiContext ctx;
  std::unique_ptr<httplib::Server> http;
  int port = 0;
  bool tls = false;

  //! Before routing: the route's identity, role and rate-limit checks.
  httplib::Server::HandlerResponse Admit(const httplib::Request& req, httplib::Response& res) {
    using Handled = httplib::Server::HandlerResponse;
    t_request = RequestContext{true, Clock::now(), "", "", ""};
    const Route* found = FindRoute(req.method, req.path);
    const Route& route = found != nullptr ? *found : req.path.starts_with("/api/") ? kNotFoundRoute : kStaticRoute;
    t_request.endpoint = std::string(route.name);
    if (!route.needs_token) return Handled::Unhandled;

    const std::string auth = req.get_header_value("Authorization");
    Role role = Role::kViewer;
    std::string limiter_key;
    double rate = ctx.options.rate_limit;
    if (auth.empty()) {
      if (!ctx.options.allow_anonymous) {
        res.set_header("WWW-Authenticate", "Bearer");
        SendError(res, {401, "unauthorized", "missing bearer token: send Authorization: Bearer <token>"});
        return Handled::Handled;
      }
      t_request.who = "anonymous";
      limiter_key = "anonymous@" + req.remote_addr;
    } else {
      const bool bearer = auth.size() > 7 && (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0);
      Status load_error;
      std::optional<TokenRecord> token = bearer ? ctx.FindToken(auth.substr(7), &load_error) : std::nullopt;
      if (!load_error.ok()) {
        SendError(res, {500, "internal", "cannot read the token file"});
        return Handled::Handled;
      }
      if (!token) {
        res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        SendError(res, {401, "unauthorized", "invalid, unknown or revoked token"});
        return Handled::Handled;
      }
      role = token->role;
      t_request.who = token->name.empty() ? "token:" + token->id : token->name;
      limiter_key = "token:" + token->id;
      if (token->rate_limit > 0) rate = token->rate_limit;
    }
    t_request.role = std::string(RoleName(role));

    Role needed = route.min_role;
    if (route.exportable) {
      auto format = ParseFormat(Param(req, "format"), req.get_header_value("Accept"));
      if (format.ok() && *format != Format::kJson) needed = std::max(needed, Role::kAnalyst);
    }
    if (role < needed) {
      SendError(res, {403, "forbidden",
                      "this needs the " + std::string(RoleName(needed)) + " role; the token has " + t_request.role});
      return Handled::Handled;
    }
    double retry_after = 0;
    if (!ctx.limiter.Allow(limiter_key, rate, &retry_after)) {
      res.set_header("Retry-After", std::to_string(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(retry_after)))));
      SendError(res, {429, "rate_limited", "too many requests for this token; retry later"});
      return Handled::Handled;
    }
    return Handled::Unhandled;
  }

  void LogRequest(const httplib::Request& req, const httplib::Response& res) {
    const double seconds =
        t_request.active ? std::chrono::duration<double>(Clock::now() - t_request.start).count() : 0.0;
    const std::string endpoint = t_request.active ? t_request.endpoint : "invalid";
    const std::string who = t_request.who.empty() ? "-" : t_request.who;
    ctx.audit.Write({who, t_request.role, req.method, req.target.empty() ? req.path : req.target, req.remote_addr,
                     res.status, seconds});
    ctx.metrics.ObserveRequest(endpoint, res.status, seconds);
    t_request = RequestContext{};
  }

  void Routes() {
    httplib::Server& s = *http;
    s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) { return Admit(req, res); });
    s.set_post_routing_handler(CompressJsonAnswer);
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
    for (const Route& route : ApiRoutes()) {
      auto handler = [this, h = route.handler](const httplib::Request& req, httplib::Response& res) {
        h(ctx, req, res);
      };
      const std::string pattern = RouteRegex(route.path);
      if (route.method == "GET")
        s.Get(pattern, handler);
      else if (route.method == "POST")
        s.Post(pattern, handler);
      else if (route.method == "DELETE")
        s.Delete(pattern, handler);
    }
  }
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() { Stop(); }

Result<std::unique_ptr<ApiServer>> ApiServer::Create(const ServeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->ctx.options = options;
  ServeOptions& o = impl->ctx.options;
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
  SL_ASSIGN_OR_RETURN(impl->ctx.pipelines, LoadConfiguredPipelines(o));
  impl->ctx.store_url = o.store_url.empty() ? "sqlite:" + o.lake_dir + "/_store/stocklake.sqlite" : o.store_url;
  if (impl->ctx.store_url.starts_with("sqlite:") && !PathExists(impl->ctx.store_url.substr(7))) {
    return Status::NotFound("no serving store at " + impl->ctx.store_url.substr(7) +
                            ": run `stocklake run` with a store first");
  }
  {
    // Fail at start, not at the first request, when the store is unreachable.
    SL_ASSIGN_OR_RETURN(auto store, impl->ctx.Acquire());
    impl->ctx.Release(std::move(store));
  }
  SL_RETURN_IF_ERROR(impl->ctx.audit.Open(o.lake_dir + "/_stocklake/audit.log"));
  // The pipelines of --pipeline have their /metrics series before their first run.
  std::vector<std::string> pipeline_names;
  for (const ConfiguredPipeline& p : impl->ctx.pipelines) pipeline_names.push_back(p.definition.name);
  impl->ctx.metrics_sources = std::make_unique<MetricsSources>(o.lake_dir, std::move(pipeline_names));

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
  // A stream holds its worker for as long as it lasts: the pool has a thread per stream
  // slot on top of the ordinary workers.
  o.max_streams = std::max(0, o.max_streams);
  const int threads = std::max(1, o.threads) + o.max_streams;
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

void ApiServer::Stop() {
  // Streams end first: once the listener is stopped httplib no longer asks a stream for
  // more, so it could not send the chunk that ends its answer.
  impl_->ctx.BeginStop();
  impl_->ctx.WaitForStreamsToEnd(std::chrono::seconds(2));
  impl_->http->stop();
}

}  // namespace stocklake
