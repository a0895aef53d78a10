#include "orchestrate/log_url.h"

#include "log/file_log.h"
#include "log/kafka_log.h"

namespace stocklake {

Status CheckLogUrl(const std::string& url) {
  if (url.empty()) return Status::OK();
  if (url.starts_with("file:")) {
    if (url.size() == 5) return Status::InvalidArgument("--log file: needs a directory, e.g. file:/data/log");
    return Status::OK();
  }
  if (url.starts_with("kafka://")) return ParseKafkaUrl(url).status();
  return Status::InvalidArgument("--log " + url + ": expected file:DIR or kafka://HOST:PORT[,HOST:PORT...]");
}

namespace {

// The embedded log keeps a week, as Kafka does by default (log.retention.hours=168):
// every run applies what it ingests before it ends, so older segments only cost disk.
FileLogOptions EmbeddedLogOptions() {
  FileLogOptions options;
  options.retention_ms = int64_t{7} * 24 * 3600 * 1000;
  return options;
}

}  // namespace

Result<std::unique_ptr<MessageLog>> OpenLogFromUrl(const std::string& url, const std::string& default_dir) {
  if (url.empty()) return OpenFileLog(default_dir, EmbeddedLogOptions());
  if (url.starts_with("file:")) {
    const std::string dir = url.substr(5);
    if (dir.empty()) return Status::InvalidArgument("--log file: needs a directory, e.g. file:/data/log");
    return OpenFileLog(dir, EmbeddedLogOptions());
  }
  if (url.starts_with("kafka://")) {
    SL_ASSIGN_OR_RETURN(KafkaUrl kafka, ParseKafkaUrl(url));
    return OpenKafkaLog(kafka.bootstrap_servers, kafka.options);
  }
  return Status::InvalidArgument("--log " + url + ": expected file:DIR or kafka://HOST:PORT[,HOST:PORT...]");
}

}  // namespace stocklake
