// `stocklake producer`, `stocklake processor` and `stocklake loader`: the stages as
// long-running services (orchestrate/services.h). SIGTERM or SIGINT ends the cycle at
// hand, commits and exits 0.
#include <csignal>
#include <functional>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "orchestrate/log_url.h"
#include "orchestrate/services.h"

namespace stocklake::cli {

namespace {

using Service = std::function<Status(const ServiceOptions&, const std::atomic<bool>&)>;

}  // namespace

int RunUntilSignalled(const std::string& name, const std::function<Status(const std::atomic<bool>&)>& work) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<bool> finished{false};
  std::thread waiter([&stop, &finished, signals]() mutable {
    int sig = 0;
    sigwait(&signals, &sig);
    if (!finished.load()) stop.store(true);
  });
  const Status status = work(stop);
  finished.store(true);
  pthread_kill(waiter.native_handle(), SIGTERM);  // wake the waiter if no signal came
  waiter.join();
  if (!status.ok()) return ReportError(name, status);
  return 0;
}

namespace {

// The options every service shares.
void AddCommonOptions(CLI::App* cmd, ServiceOptions* options) {
  AddLakeOption(cmd, &options->lake_dir);
  cmd->add_option("--log", options->log_url,
                  "kafka://HOST:PORT[,...][?options] (or file:DIR, the embedded log, for one process at a time)");
  cmd->add_option("--threads", options->threads, "Worker threads")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--poll-seconds", options->poll_seconds, "Longest wait between cycles when idle")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--once", options->once, "Stop after the first cycle that finds nothing to do");
}

CommandRunner AddService(CLI::App& app, const std::string& name, const std::string& description,
                         const std::function<void(CLI::App*, ServiceOptions*)>& add_options, const Service& service) {
  auto options = std::make_shared<ServiceOptions>();
  auto* cmd = app.add_subcommand(name, description);
  AddCommonOptions(cmd, options.get());
  add_options(cmd, options.get());
  return [cmd, options, name, service]() -> int {
    if (!cmd->parsed()) return -1;
    if (options->replication > 0) {
      auto url = LogUrlWithReplication(options->log_url, options->replication);
      if (!url.ok()) return ReportError(name, url.status());
      options->log_url = *url;
    }
    return RunUntilSignalled(name, [&](const std::atomic<bool>& stop) { return service(*options, stop); });
  };
}

}  // namespace

CommandRunner AddProducerCommand(CLI::App& app) {
  return AddService(
      app, "producer", "Service: input files (rescanned) and Yahoo Finance -> bronze -> raw-stock-data",
      [](CLI::App* cmd, ServiceOptions* o) {
        cmd->add_option("--input", o->inputs, "File or directory to ingest, rescanned every poll (repeatable)");
        cmd->add_option("--yahoo", o->yahoo_symbols, "Yahoo Finance symbols to download daily bars of (AAPL,MSFT)")
            ->delimiter(',');
        cmd->add_option("--range", o->yahoo_range, "Yahoo range of the first download (1y, 10y, max, ...)")
            ->capture_default_str();
        cmd->add_option("--yahoo-url", o->yahoo_base_url,
                        "Yahoo base URL (default $STOCKLAKE_YAHOO_URL or https://query1.finance.yahoo.com)");
        cmd->add_option("--yahoo-refresh-seconds", o->yahoo_refresh_seconds,
                        "Seconds between later downloads of the last 5 days")
            ->capture_default_str()
            ->check(CLI::PositiveNumber);
        cmd->add_option("--yahoo-rate", o->yahoo_requests_per_second, "Yahoo requests per second at most")
            ->capture_default_str()
            ->check(CLI::PositiveNumber);
        cmd->add_option("--partitions", o->partitions, "Partitions (ticker buckets) of new topics and a new lake")
            ->capture_default_str()
            ->check(CLI::Range(1, 1024));
        cmd->add_option("--replication", o->replication, "Replication factor of topics the producer creates (Kafka)")
            ->check(CLI::Range(1, 32));
      },
      RunProducer);
}

CommandRunner AddProcessorCommand(CLI::App& app) {
  return AddService(
      app, "processor",
      "Service: raw-stock-data -> cleaning -> processed-stock-data -> indicators, period bars -> lake "
      "(consumer group stocklake-clean)",
      [](CLI::App*, ServiceOptions*) {}, RunProcessor);
}

CommandRunner AddLoaderCommand(CLI::App& app) {
  return AddService(
      app, "loader", "Service: lake buckets -> serving store as processed-stock-data advances (group stocklake-loader)",
      [](CLI::App* cmd, ServiceOptions* o) {
        cmd->add_option(
               "--store", o->store_url,
               "sqlite:PATH | postgresql://USER@HOST:PORT/DB?... (default sqlite:LAKE/_store/stocklake.sqlite)")
            ->envname("STOCKLAKE_STORE");
      },
      RunLoader);
}

}  // namespace stocklake::cli
