// `stocklake publish` and `stocklake topic cat`: JSON lines into a topic of a lake's log
// and record values back out (a kcat for the embedded log). The log is the one named by
// --log, or the lake's embedded log (<lake>/_log).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "core/status.h"
#include "stream/topic_io.h"

namespace stocklake {

struct PublishOptions {
  std::string lake_dir;
  std::string log_url;  //!< "" = file:<lake>/_log
  std::string topic;
  std::string input_path;       //!< JSON lines
  int default_partitions = 16;  //!< for a new topic when neither the lake nor the log has a count
};

//! Publishes the input's lines (PublishTradeLines). A missing topic is created with the
//! lake's partition count (LakePartitions: the lake snapshot's, else the raw topic's,
//! else default_partitions). NotFound for a missing input, InvalidArgument for an
//! unreadable one or a bad option; both are checked before the lake or log is touched.
Result<PublishSummary> RunPublish(const PublishOptions& options);

struct TopicCatOptions {
  std::string lake_dir;
  std::string log_url;
  std::string topic;
  std::optional<int> partition;
};

//! Writes every retained record value of the topic to `out`, one a line, in partition
//! then offset order (ReadTopic). Returns the number of records.
Result<int64_t> RunTopicCat(const TopicCatOptions& options, std::FILE* out);

}  // namespace stocklake
