// `stocklake serve`: the REST API, dashboard and /metrics.
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "serve/api_server.h"

namespace stocklake::cli {

namespace {

//! "N/s" or "N" requests per second.
bool ParseRate(const std::string& text, double* out) {
  std::string digits = text;
  if (digits.ends_with("/s")) digits.resize(digits.size() - 2);
  char* end = nullptr;
  const double v = std::strtod(digits.c_str(), &end);
  if (digits.empty() || end == nullptr || *end != '\0' || !(v >= 0)) return false;
  *out = v;
  return true;
}

}  // namespace

CommandRunner AddServeCommand(CLI::App& app) {
  struct Parsed {
    ServeOptions serve;
    std::string listen = "127.0.0.1:8080";
    std::string rate = "100/s";
  };
  auto parsed = std::make_shared<Parsed>();
  auto* cmd = app.add_subcommand("serve", "REST API, dashboard and /metrics over the lake's serving store");
  AddLakeOption(cmd, &parsed->serve.lake_dir);
  cmd->add_option("--store", parsed->serve.store_url,
                  "sqlite:PATH | postgresql://USER@HOST:PORT/DB?... (default sqlite:LAKE/_store/stocklake.sqlite)")
      ->envname("STOCKLAKE_STORE");
  cmd->add_option("--listen", parsed->listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  cmd->add_option("--tls-cert", parsed->serve.tls_cert, "PEM certificate: serve HTTPS (with --tls-key)");
  cmd->add_option("--tls-key", parsed->serve.tls_key, "PEM private key of --tls-cert");
  cmd->add_flag("--allow-anonymous", parsed->serve.allow_anonymous,
                "Requests without a token read as viewers (loopback addresses only)");
  cmd->add_option("--web-dir", parsed->serve.web_dir, "Dashboard files (default: the source tree's web/dist)");
  cmd->add_option("--rate-limit", parsed->rate, "Requests per second per token unless the token sets its own (0: none)")
      ->capture_default_str();
  cmd->add_option("--run-input", parsed->serve.run_inputs, "Input of the run POST /api/v1/runs starts (repeatable)");
  cmd->add_option("--pipeline", parsed->serve.pipeline_configs,
                  "Pipeline definition POST /api/v1/pipeline/runs may start and /metrics reports from its first "
                  "run on (repeatable; its lake must be --lake)");
  cmd->add_option("--threads", parsed->serve.threads, "Worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_option("--max-streams", parsed->serve.max_streams,
                  "Concurrent event streams (GET /api/v1/stream/bars), each on a thread of its own beside --threads")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  return [cmd, parsed]() -> int {
    if (!cmd->parsed()) return -1;
    Status st = ParseListenAddress(parsed->listen, &parsed->serve.host, &parsed->serve.port);
    if (!st.ok()) return ReportError("serve", st);
    if (!ParseRate(parsed->rate, &parsed->serve.rate_limit)) {
      return ReportError("serve", Status::InvalidArgument("--rate-limit '" + parsed->rate + "' is not N/s"));
    }
    auto server = ApiServer::Create(parsed->serve);
    if (!server.ok()) return ReportError("serve", server.status());
    // SIGINT/SIGTERM stop the server cleanly: a thread waits for them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ApiServer* raw = server->get();
    std::thread waiter([raw, signals]() mutable {
      int sig = 0;
      sigwait(&signals, &sig);
      raw->Stop();
    });
    const std::string host =
        parsed->serve.host.find(':') != std::string::npos ? "[" + parsed->serve.host + "]" : parsed->serve.host;
    std::printf("stocklake serve: listening on %s://%s:%d\n", std::string((*server)->scheme()).c_str(), host.c_str(),
                (*server)->port());
    std::fflush(stdout);
    st = (*server)->Run();
    // Wake the waiter if Run returned on its own.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    if (!st.ok()) return ReportError("serve", st);
    return 0;
  };
}

}  // namespace stocklake::cli
