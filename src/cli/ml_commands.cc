// `stocklake train`, `predict` and `backtest`: the quarterly ML application (ml.md).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "orchestrate/ml_jobs.h"

namespace stocklake::cli {

namespace {

// The model options train and backtest share.
void AddModelOptions(CLI::App* cmd, WalkForwardOptions* options) {
  cmd->add_option("--seed", options->params.seed, "XGBoost seed (same seed and threads: the same model)");
  cmd->add_option("--threads", options->params.threads, "XGBoost threads (recorded with the model)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--rounds", options->params.rounds, "Boosting rounds")->check(CLI::Range(1, 100000));
  cmd->add_option_function<std::string>(
         "--features",
         [options](const std::string& name) {
           auto set = ParseFeatureSet(name);
           if (!set.ok()) throw CLI::ValidationError("--features", set.status().message());
           options->features = *set;
         },
         "spec (the 17 features of ml.md, default) or all (with the Alpha158-style extras)")
      ->check(CLI::IsMember({"spec", "all"}));
}

std::string FormatMetric(double value) {
  if (std::isnan(value)) return "n/a";
  char text[32];
  std::snprintf(text, sizeof text, "%+.4f", value);
  return text;
}

}  // namespace

CommandRunner AddTrainCommand(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  auto* cmd = app.add_subcommand("train", "Train the model of the end of a quarter, register it, predict the quarter");
  AddLakeOption(cmd, &options->lake_dir);
  cmd->add_option(
         "--quarter", options->quarter,
         "YYYYQn: the model learns from the quarters before it (default $STOCKLAKE_QUARTER, set in pipeline tasks)")
      ->envname("STOCKLAKE_QUARTER")
      ->required();
  cmd->add_option("--name", options->name, "Model name in the registry");
  cmd->add_option("--store", options->store_url, "Serving store to update (as for run; none: no store)")
      ->envname("STOCKLAKE_STORE");
  cmd->add_option("--window", options->walk_forward.window, "Train on the K quarters before (0: all)")
      ->check(CLI::Range(0, 1000));
  AddModelOptions(cmd, &options->walk_forward);
  return [cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    auto report = TrainJob(*options);
    if (!report.ok()) return ReportError("train", report.status());
    const ModelVersion& v = report->version;
    std::printf("registered %s version %d (made at the end of %s; trained on %s..%s, %lld rows, %zu features)\n",
                v.name.c_str(), v.version, v.quarter.c_str(), v.train_first_quarter.c_str(),
                v.train_last_quarter.c_str(), static_cast<long long>(v.train_rows), v.feature_names.size());
    if (v.metrics.contains("model")) {
      const auto& m = v.metrics["model"];
      const auto& b = v.metrics["baseline"];
      auto value = [](const nlohmann::json& j, const char* k) {
        return j.contains(k) && j[k].is_number() ? j[k].get<double>() : NAN;
      };
      std::printf("validation %s: rank IC %s (baseline %s), IC %s (baseline %s)\n",
                  v.metrics["quarters"][0].get<std::string>().c_str(), FormatMetric(value(m, "rank_ic")).c_str(),
                  FormatMetric(value(b, "rank_ic")).c_str(), FormatMetric(value(m, "ic")).c_str(),
                  FormatMetric(value(b, "ic")).c_str());
    }
    std::printf("model file %s (sha256 %s)\n", v.model_file.c_str(), v.model_sha256.c_str());
    std::printf("wrote %lld predictions of %s to gold/predictions (snapshot %lld)\n",
                static_cast<long long>(report->predictions), v.quarter.c_str(),
                static_cast<long long>(report->snapshot_id));
    return 0;
  };
}

CommandRunner AddPredictCommand(CLI::App& app) {
  auto options = std::make_shared<PredictOptions>();
  auto* cmd = app.add_subcommand("predict", "Predict a quarter with a registered model");
  AddLakeOption(cmd, &options->lake_dir);
  cmd->add_option("--quarter", options->quarter, "YYYYQn (default $STOCKLAKE_QUARTER, set in pipeline tasks)")
      ->envname("STOCKLAKE_QUARTER")
      ->required();
  cmd->add_option("--model", options->model,
                  "NAME[:VERSION|@ALIAS] (default: quarterly@champion, else the newest quarterly)");
  cmd->add_option("--store", options->store_url, "Serving store to update (as for run; none: no store)")
      ->envname("STOCKLAKE_STORE");
  return [cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    auto report = PredictJob(*options);
    if (!report.ok()) return ReportError("predict", report.status());
    std::printf("wrote %lld predictions of %s by %s version %d to gold/predictions (snapshot %lld)\n",
                static_cast<long long>(report->predictions), options->quarter.c_str(), report->version.name.c_str(),
                report->version.version, static_cast<long long>(report->snapshot_id));
    return 0;
  };
}

CommandRunner AddBacktestCommand(CLI::App& app) {
  auto options = std::make_shared<BacktestOptions>();
  auto* cmd = app.add_subcommand("backtest", "Walk-forward backtest: one model per quarter, scored on realised labels");
  AddLakeOption(cmd, &options->lake_dir);
  cmd->add_option("--from", options->from, "First quarter (YYYYQn)")->required();
  cmd->add_option("--to", options->to, "Last quarter (YYYYQn)")->required();
  cmd->add_option("--window", options->walk_forward.window, "Train on the K quarters before each (0: all)")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--name", options->name, "Name in the backtest id");
  cmd->add_option("--store", options->store_url, "Serving store to update (as for run; none: no store)")
      ->envname("STOCKLAKE_STORE");
  AddModelOptions(cmd, &options->walk_forward);
  auto quiet = std::make_shared<bool>(false);
  cmd->add_flag("--quiet", *quiet, "No per-quarter progress lines");
  return [cmd, options, quiet]() -> int {
    if (!cmd->parsed()) return -1;
    options->progress = !*quiet;
    auto report = BacktestJob(*options);
    if (!report.ok()) return ReportError("backtest", report.status());
    std::fputs(FormatBacktestReport(*report).c_str(), stdout);
    return 0;
  };
}

}  // namespace stocklake::cli
