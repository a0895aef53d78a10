// The `stocklake` command: parses arguments and calls into the stages. Exit status
// (cli.md): 0 success; 2 bad usage or an unusable input path; 1 any other failure.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ingest/generator.h"
#include "orchestrate/batch_run.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int ExitCodeFor(const stocklake::Status& status) {
  if (status.ok()) return 0;
  if (status.IsInvalidArgument() || status.IsNotFound()) return kExitUsage;
  return kExitFailure;
}

int ReportError(const std::string& command, const stocklake::Status& status) {
  std::fprintf(stderr, "stocklake %s: %s\n", command.c_str(), status.message().c_str());
  return ExitCodeFor(status);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stocklake: stock-market daily bars -> clean data, indicators and aggregates in a Parquet lake"};
  app.require_subcommand(1);

  stocklake::GenerateOptions gen;
  auto* generate = app.add_subcommand("generate", "Write a synthetic dataset in the Huge Stock Market Dataset layout");
  generate->add_option("--tickers", gen.tickers, "Number of tickers")->required()->check(CLI::Range(1, 1000000));
  generate->add_option("--days", gen.days, "Trading days per ticker")->required()->check(CLI::Range(1, 100000));
  generate->add_option("--seed", gen.seed, "Random seed: same seed, same bytes")->required();
  generate->add_option("--out", gen.out_dir, "Output directory")->required();
  generate->add_option("--bad-rows", gen.bad_row_fraction, "Fraction of rows made bad (every rejection kind)")
      ->check(CLI::Range(0.0, 1.0));

  stocklake::RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "The quarterly batch: ingest, clean, indicators, period bars, lake");
  run_cmd->add_option("--input", run.inputs, "File or directory of input (repeatable; order matters)")->required();
  run_cmd->add_option("--lake", run.lake_dir, "Lake directory")->required();
  run_cmd->add_option("--log", run.log_url, "file:DIR (default LAKE/_log) or kafka://HOST:PORT[,...]");
  run_cmd->add_option("--store", run.store_url,
                      "none | sqlite:PATH | postgresql://USER@HOST:PORT/DB?... (default sqlite:LAKE/_store/stocklake.sqlite)");
  run_cmd->add_option("--partitions", run.partitions, "Partitions (ticker buckets) for a new lake")
      ->check(CLI::Range(1, 1024));
  run_cmd->add_option("--threads", run.threads, "Worker threads")->check(CLI::Range(1, 256));
  bool quiet = false;
  run_cmd->add_flag("--quiet", quiet, "No progress line");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "stocklake: %s\nRun 'stocklake --help' for usage.\n", e.what());
    return kExitUsage;
  }

  if (generate->parsed()) {
    auto summary = stocklake::GenerateDataset(gen);
    if (!summary.ok()) return ReportError("generate", summary.status());
    std::printf("generated %lld files, %lld rows (%lld bad), %lld bytes in %s\n",
                static_cast<long long>(summary->files), static_cast<long long>(summary->rows),
                static_cast<long long>(summary->bad_rows), static_cast<long long>(summary->bytes), gen.out_dir.c_str());
    return 0;
  }
  if (run_cmd->parsed()) {
    run.progress = !quiet && ::isatty(STDERR_FILENO);
    auto summary = stocklake::RunBatch(run);
    if (!summary.ok()) return ReportError("run", summary.status());
    std::fputs(stocklake::FormatRunSummary(*summary).c_str(), stdout);
    return 0;
  }
  return kExitUsage;
}
