// Entry point of the `stocklake` command: registers every subcommand, parses the
// arguments and runs the one named. Argument parsing only; the work is in the stages.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace stocklake::cli;
  CLI::App app{"stocklake: stock-market daily bars -> clean data, indicators and aggregates in a Parquet lake"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "stocklake " STOCKLAKE_VERSION);
  const std::vector<CommandRunner> commands = {
      AddGenerateCommand(app),  AddRunCommand(app),       AddServeCommand(app),  AddTokenCommand(app),
      AddProducerCommand(app),  AddProcessorCommand(app), AddLoaderCommand(app), AddTrainCommand(app),
      AddPredictCommand(app),   AddBacktestCommand(app),  AddModelsCommand(app), AddGenerateTradesCommand(app),
      AddPublishCommand(app),   AddTopicCommand(app),     AddStreamCommand(app), AddPipelineCommand(app),
      AddSchedulerCommand(app),
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
  for (const CommandRunner& run : commands) {
    const int status = run();
    if (status >= 0) return status;  // the parsed subcommand ran
  }
  return kExitUsage;
}
