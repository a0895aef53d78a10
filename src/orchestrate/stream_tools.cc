// `stocklake publish` and `stocklake topic cat` (stream_tools.h).
#include "orchestrate/stream_tools.h"

#include <memory>

#include "core/env.h"
#include "core/files.h"
#include "lake/snapshot.h"
#include "orchestrate/ingest_stage.h"
#include "orchestrate/lake_lock.h"
#include "orchestrate/log_url.h"

namespace stocklake {

namespace {

Status CheckLakeAndLog(const std::string& command, const std::string& lake_dir, const std::string& log_url,
                       const std::string& topic) {
  if (lake_dir.empty()) return Status::InvalidArgument(command + " needs --lake DIR");
  if (topic.empty()) return Status::InvalidArgument(command + " needs --topic NAME");
  return CheckLogUrl(log_url);
}

}  // namespace

Result<PublishSummary> RunPublish(const PublishOptions& options) {
  SL_RETURN_IF_ERROR(CheckLakeAndLog("publish", options.lake_dir, options.log_url, options.topic));
  if (options.input_path.empty()) return Status::InvalidArgument("publish needs --input FILE (JSON lines)");
  if (options.default_partitions < 1) return Status::InvalidArgument("the default partition count must be >= 1");
  auto input = MappedFile::Open(options.input_path);
  if (!input.ok()) {
    if (!PathExists(options.input_path)) {
      return Status::NotFound("--input " + options.input_path + ": no such file (JSON lines of trades expected)");
    }
    // A directory or an unreadable file: an unusable input path, like a missing one.
    return Status::InvalidArgument("--input " + options.input_path + ": cannot be read as a file of JSON lines (" +
                                   input.status().message() + ")");
  }
  // Shared, like the services: a one-shot run cleaning the lake must not overlap.
  SL_ASSIGN_OR_RETURN(FileLock lake_lock, LockLake(options.lake_dir, FileLock::Mode::kShared));
  SL_ASSIGN_OR_RETURN(std::unique_ptr<MessageLog> log, OpenLogFromUrl(options.log_url, options.lake_dir + "/_log"));
  int partitions = 0;
  auto existing = log->PartitionCount(options.topic);
  if (existing.ok()) {
    partitions = *existing;
  } else if (existing.status().IsNotFound()) {
    SL_ASSIGN_OR_RETURN(const LakeSnapshot base, LoadCurrentSnapshot(options.lake_dir));
    partitions = LakePartitions(base, log.get(), options.default_partitions);
    SL_RETURN_IF_ERROR(log->EnsureTopic(options.topic, partitions));
    // Another publisher may have created it first, with its own count.
    SL_ASSIGN_OR_RETURN(partitions, log->PartitionCount(options.topic));
  } else {
    return existing.status();
  }
  auto summary = PublishTradeLines(log.get(), options.topic, partitions, input->data());
  if (!summary.ok()) return summary.status().WithContext(options.input_path);
  return summary;
}

Result<int64_t> RunTopicCat(const TopicCatOptions& options, std::FILE* out) {
  SL_RETURN_IF_ERROR(CheckLakeAndLog("topic cat", options.lake_dir, options.log_url, options.topic));
  if (options.log_url.empty() && !PathExists(options.lake_dir + "/_log")) {
    return Status::NotFound("--lake " + options.lake_dir + " has no embedded log (" + options.lake_dir +
                            "/_log); publish to it first or pass --log URL");
  }
  SL_ASSIGN_OR_RETURN(std::unique_ptr<MessageLog> log, OpenLogFromUrl(options.log_url, options.lake_dir + "/_log"));
  return ReadTopic(log.get(), options.topic, options.partition, [out](int, const LogRecord& record) -> Status {
    if (std::fwrite(record.value.data(), 1, record.value.size(), out) != record.value.size() ||
        std::fputc('\n', out) == EOF) {
      return Status::IOError("writing the records to the output failed");
    }
    return Status::OK();
  });
}

}  // namespace stocklake
