#include <cstdio>

#include "cli/commands.h"

namespace stocklake::cli {

int ReportError(const std::string& command, const Status& status) {
  std::fprintf(stderr, "stocklake %s: %s\n", command.c_str(), status.message().c_str());
  if (status.IsInvalidArgument() || status.IsNotFound()) return kExitUsage;
  return kExitFailure;
}

CLI::Option* AddLakeOption(CLI::App* cmd, std::string* lake_dir) {
  return cmd->add_option("--lake", *lake_dir, "Lake directory (default $STOCKLAKE_LAKE)")
      ->envname("STOCKLAKE_LAKE")
      ->required();
}

}  // namespace stocklake::cli
