// The REST API server behind `stocklake serve` (its contract is the OpenAPI document
// openapi.cc builds from the route table, routes.h): JSON, CSV and Parquet answers from the serving store,
// bearer-token roles, per-token rate limits, an audit log, Prometheus metrics, TLS, and
// the dashboard's static files.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace stocklake {

struct ServeOptions {
  std::string lake_dir;
  std::string store_url;  //!< "" = sqlite:LAKE/_store/stocklake.sqlite
  std::string host = "127.0.0.1";
  int port = 8080;       //!< 0 = any free port (see ApiServer::port)
  std::string tls_cert;  //!< PEM files; both or neither
  std::string tls_key;
  //! Requests without a token read as viewers. Only allowed on a loopback address.
  bool allow_anonymous = false;
  std::string web_dir;  //!< dashboard files; "" = the source tree's web/dist
  //! Requests per second per token (or per anonymous client) unless the token has its
  //! own limit; <= 0 = unlimited.
  double rate_limit = 100;
  //! Inputs of the run POST /api/v1/runs starts; empty = 501 Not Implemented.
  std::vector<std::string> run_inputs;
  //! Pipeline definitions POST /api/v1/pipeline/runs may start (their `lake` must be
  //! lake_dir); empty = 501 Not Implemented.
  std::vector<std::string> pipeline_configs;
  //! The stocklake binary POST /api/v1/runs and /api/v1/pipeline/runs execute ("" = this process's own binary).
  std::string stocklake_binary;
  //! Worker threads for ordinary requests; the server-sent event streams get threads of
  //! their own on top (max_streams), so streaming clients cannot starve other requests.
  int threads = 8;
  //! Concurrent GET /api/v1/stream/bars streams; one more is answered 503.
  int max_streams = 16;
  //! A stream without news sends a comment this often, so proxies keep it open and a
  //! client that went away is noticed (a write fails) and its slot freed.
  int stream_keepalive_ms = 15000;
};

//! Splits "HOST:PORT" ("[::1]:8080" for IPv6). InvalidArgument when malformed.
Status ParseListenAddress(std::string_view text, std::string* host, int* port);

//! True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

class ApiServer {
 public:
  //! Checks the options (InvalidArgument for anonymous access off loopback, a missing
  //! lake, half a TLS pair, a bad --pipeline definition), opens the store and audit log
  //! and binds the socket.
  static Result<std::unique_ptr<ApiServer>> Create(const ServeOptions& options);
  ~ApiServer();

  //! The bound port (the chosen one when options.port was 0).
  int port() const;
  //! "http" or "https".
  std::string_view scheme() const;

  //! Serves until Stop(); returns the error if the server could not run.
  Status Run();
  //! Makes Run() return. Thread-safe; callable before Run().
  void Stop();

 private:
  struct Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stocklake
