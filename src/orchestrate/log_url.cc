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

Result<std::string> LogUrlWithReplication(const std::string& url, int replication) {
  if (!url.starts_with("kafka://")) {
    return Status::InvalidArgument("--replication applies to a Kafka log (--log kafka://...), not to " +
                                   (url.empty() ? std::string("the embedded log") : url));
  }
  if (replication < 1) return Status::InvalidArgument("--replication must be at least 1");
  std::string out =
      url + (url.find('?') == std::string::npos ? "?" : "&") + "replication=" + std::to_string(replication);
  SL_RETURN_IF_ERROR(ParseKafkaUrl(out).status());  // e.g. replication given twice
  return out;
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

Result<std::unique_ptr<GroupMember>> JoinGroupFromUrl(const std::string& url, MessageLog* log, const std::string& group,
                                                      const std::string& topic) {
  if (url.starts_with("kafka://")) {
    SL_ASSIGN_OR_RETURN(KafkaUrl kafka, ParseKafkaUrl(url));
    return JoinKafkaGroup(kafka.bootstrap_servers, kafka.options, group, topic);
  }
  return SoleGroupMember(log, group, topic);
}

}  // namespace stocklake
