// The `stocklake` subcommands. Each Add*Command registers its options on the app and
// returns the function that runs it once parsed; that function returns the exit status
// (cli.md: 0 success, 2 bad usage or unusable input path, 1 any other failure).
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <functional>

#include "core/status.h"

namespace stocklake::cli {

using CommandRunner = std::function<int()>;

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

//! Prints "stocklake <command>: <message>" on stderr and returns the exit status for it.
int ReportError(const std::string& command, const Status& status);

//! Runs `work` with a stop flag that SIGTERM or SIGINT sets (the long-running commands
//! finish or hand back what they hold and exit 0); the exit status of its result.
int RunUntilSignalled(const std::string& name, const std::function<Status(const std::atomic<bool>&)>& work);

//! The --lake option every lake command has: required, or taken from $STOCKLAKE_LAKE
//! (which a pipeline sets for its `run` tasks, so their arguments need not repeat it).
CLI::Option* AddLakeOption(CLI::App* cmd, std::string* lake_dir);

CommandRunner AddGenerateCommand(CLI::App& app);
CommandRunner AddRunCommand(CLI::App& app);
CommandRunner AddSyncStoreCommand(CLI::App& app);
CommandRunner AddServeCommand(CLI::App& app);
CommandRunner AddTokenCommand(CLI::App& app);
CommandRunner AddProducerCommand(CLI::App& app);
CommandRunner AddProcessorCommand(CLI::App& app);
CommandRunner AddLoaderCommand(CLI::App& app);
CommandRunner AddTrainCommand(CLI::App& app);
CommandRunner AddPredictCommand(CLI::App& app);
CommandRunner AddBacktestCommand(CLI::App& app);
CommandRunner AddStreamCommand(CLI::App& app);
CommandRunner AddModelsCommand(CLI::App& app);
CommandRunner AddGenerateTradesCommand(CLI::App& app);
CommandRunner AddPublishCommand(CLI::App& app);
CommandRunner AddTopicCommand(CLI::App& app);
CommandRunner AddPipelineCommand(CLI::App& app);
CommandRunner AddSchedulerCommand(CLI::App& app);

}  // namespace stocklake::cli
