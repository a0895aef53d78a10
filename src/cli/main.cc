// Entry point of the `stocklake` command: registers every subcommand, parses the
// arguments and runs the one named. Argument parsing only; the work is in the stages.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "cli/commands.h"
#include "cli/json_log.h"

int main(int argc, char** argv) {
  using namespace stocklake::cli;
  CLI::App app{"stocklake: stock-market daily bars -> clean data, indicators and aggregates in a Parquet lake"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "stocklake " STOCKLAKE_VERSION);
  // Accepted before or after the subcommand; pipeline tasks inherit it via the environment.
  std::string log_format = "text";
  app.add_option("--log-format", log_format, "stderr as plain text or as JSON lines (run id, task, attempt)")
      ->envname("STOCKLAKE_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  app.fallthrough();
  const std::vector<CommandRunner> commands = {
      AddGenerateCommand(app),       AddRunCommand(app),       AddSyncStoreCommand(app), AddServeCommand(app),
      AddTokenCommand(app),          AddProducerCommand(app),  AddProcessorCommand(app), AddLoaderCommand(app),
      AddTrainCommand(app),          AddPredictCommand(app),   AddBacktestCommand(app),  AddModelsCommand(app),
      AddGenerateTradesCommand(app), AddPublishCommand(app),   AddTopicCommand(app),     AddStreamCommand(app),
      AddPipelineCommand(app),       AddSchedulerCommand(app),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "stocklake: %s\nRun 'stocklake --help' for usage.\n", e.what());
    return kExitUsage;
  }
  std::unique_ptr<JsonStderr> json_stderr;
  if (log_format == "json") {
    setenv("STOCKLAKE_LOG_FORMAT", "json", 1);
    std::string command;
    for (const CLI::App* sub = &app; !sub->get_subcommands().empty();) {
      sub = sub->get_subcommands().front();
      command += (command.empty() ? "" : " ") + sub->get_name();
    }
    json_stderr = std::make_unique<JsonStderr>(command);
  }
  for (const CommandRunner& run : commands) {
    const int status = run();
    if (status >= 0) return status;  // the parsed subcommand ran
  }
  return kExitUsage;
}
