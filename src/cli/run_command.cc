// `stocklake run`: the quarterly batch; `stocklake sync-store`: its last stage alone.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "orchestrate/batch_run.h"
#include "orchestrate/log_url.h"
#include "orchestrate/store_url.h"
#include "store/store_sync.h"

namespace stocklake::cli {

CommandRunner AddRunCommand(CLI::App& app) {
  struct Parsed {
    RunOptions run;
    int replication = 0;
    bool quiet = false;
  };
  auto parsed = std::make_shared<Parsed>();
  auto* cmd = app.add_subcommand("run", "The quarterly batch: ingest, clean, indicators, period bars, lake, store");
  cmd->add_option("--input", parsed->run.inputs, "File or directory of input (repeatable; order matters)")->required();
  AddLakeOption(cmd, &parsed->run.lake_dir);
  cmd->add_option("--log", parsed->run.log_url, "file:DIR (default LAKE/_log) or kafka://HOST:PORT[,...][?options]");
  cmd->add_option(
         "--store", parsed->run.store_url,
         "none | sqlite:PATH | postgresql://USER@HOST:PORT/DB?... (default sqlite:LAKE/_store/stocklake.sqlite)")
      ->envname("STOCKLAKE_STORE");
  cmd->add_option("--partitions", parsed->run.partitions, "Partitions (ticker buckets) for a new lake")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--replication", parsed->replication, "Replication factor of topics the run creates (Kafka)")
      ->check(CLI::Range(1, 32));
  cmd->add_option("--threads", parsed->run.threads, "Worker threads")->check(CLI::Range(1, 256));
  cmd->add_flag("--quiet", parsed->quiet, "No progress line");
  return [cmd, parsed]() -> int {
    if (!cmd->parsed()) return -1;
    parsed->run.progress = !parsed->quiet && ::isatty(STDERR_FILENO);
    if (parsed->replication > 0) {
      auto url = LogUrlWithReplication(parsed->run.log_url, parsed->replication);
      if (!url.ok()) return ReportError("run", url.status());
      parsed->run.log_url = *url;
    }
    auto summary = RunBatch(parsed->run);
    if (!summary.ok()) return ReportError("run", summary.status());
    std::fputs(FormatRunSummary(*summary).c_str(), stdout);
    return 0;
  };
}

CommandRunner AddSyncStoreCommand(CLI::App& app) {
  struct Parsed {
    std::string lake_dir;
    std::string store;
    int threads = 2;
  };
  auto parsed = std::make_shared<Parsed>();
  auto* cmd = app.add_subcommand("sync-store", "Bring the serving store up to date with the lake's current snapshot");
  AddLakeOption(cmd, &parsed->lake_dir);
  cmd->add_option("--store", parsed->store, "sqlite:PATH | postgresql://... (default: SQLite under the lake)")
      ->envname("STOCKLAKE_STORE");
  cmd->add_option("--threads", parsed->threads, "Connections loading in parallel (PostgreSQL)")
      ->check(CLI::Range(1, 64));
  return [cmd, parsed]() -> int {
    if (!cmd->parsed()) return -1;
    const std::string url = ServingStoreUrl(parsed->store, parsed->lake_dir);
    if (url.empty()) return ReportError("sync-store", Status::InvalidArgument("--store none: nothing to sync"));
    if (Status status = CheckStoreUrl(url); !status.ok()) return ReportError("sync-store", status);
    if (Status status = PrepareStoreLocation(url); !status.ok()) return ReportError("sync-store", status);
    SyncOptions options;
    options.connections = parsed->threads;
    SyncStats stats;
    const Status synced = SyncStoreWithLake(url, parsed->lake_dir, options, &stats);
    if (!synced.ok()) return ReportError("sync-store", synced);
    std::printf("store %s at snapshot %lld: %lld buckets loaded, %lld rows\n", RedactUrl(url).c_str(),
                static_cast<long long>(stats.snapshot_id), static_cast<long long>(stats.buckets_loaded),
                static_cast<long long>(stats.rows_loaded));
    return 0;
  };
}

}  // namespace stocklake::cli
