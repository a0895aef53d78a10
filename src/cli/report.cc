#include <cstdio>

#include "cli/commands.h"

namespace stocklake::cli {

int ReportError(const std::string& command, const Status& status) {
  std::fprintf(stderr, "stocklake %s: %s\n", command.c_str(), status.message().c_str());
  if (status.IsInvalidArgument() || status.IsNotFound()) return kExitUsage;
  return kExitFailure;
}

}  // namespace stocklake::cli
