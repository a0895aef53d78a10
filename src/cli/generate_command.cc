// `stocklake generate`: the synthetic stand-in for the public Kaggle datasets.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "ingest/generator.h"

namespace stocklake::cli {

CommandRunner AddGenerateCommand(CLI::App& app) {
  auto options = std::make_shared<GenerateOptions>();
  auto* cmd = app.add_subcommand("generate", "Write a synthetic dataset in the Huge Stock Market Dataset layout");
  cmd->add_option("--tickers", options->tickers, "Number of tickers")->required()->check(CLI::Range(1, 1000000));
  cmd->add_option("--days", options->days, "Trading days per ticker")->required()->check(CLI::Range(1, 100000));
  cmd->add_option("--seed", options->seed, "Random seed: same seed, same bytes")->required();
  cmd->add_option("--out", options->out_dir, "Output directory")->required();
  cmd->add_option("--bad-rows", options->bad_row_fraction, "Fraction of rows made bad (every rejection kind)")
      ->check(CLI::Range(0.0, 1.0));
  return [cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    auto summary = GenerateDataset(*options);
    if (!summary.ok()) return ReportError("generate", summary.status());
    std::printf("generated %lld files, %lld rows (%lld bad), %lld bytes in %s\n",
                static_cast<long long>(summary->files), static_cast<long long>(summary->rows),
                static_cast<long long>(summary->bad_rows), static_cast<long long>(summary->bytes),
                options->out_dir.c_str());
    return 0;
  };
}

}  // namespace stocklake::cli
