#include "orchestrate/log_url.h"

#include "log/file_log.h"

namespace stocklake {

Result<std::unique_ptr<MessageLog>> OpenLogFromUrl(const std::string& url, const std::string& default_dir) {
  if (url.empty()) return OpenFileLog(default_dir);
  if (url.starts_with("file:")) {
    const std::string dir = url.substr(5);
    if (dir.empty()) return Status::InvalidArgument("--log file: needs a directory, e.g. file:/data/log");
    return OpenFileLog(dir);
  }
  if (url.starts_with("kafka://")) {
    return Status::NotSupported("--log " + url +
                                ": the Kafka backend is not built yet (tracked in issue #3); use file:DIR");
  }
  return Status::InvalidArgument("--log " + url + ": expected file:DIR or kafka://HOST:PORT[,HOST:PORT...]");
}

}  // namespace stocklake
