// Opens the message log named by a --log URL: file:DIR (the embedded log) or
// kafka://HOST:PORT[,...] (an Apache Kafka cluster).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "log/consumer_group.h"
#include "log/message_log.h"

namespace stocklake {

//! Checks the URL's form without opening anything (InvalidArgument when malformed), so
//! a bad --log fails before a run writes anything.
Status CheckLogUrl(const std::string& url);

//! `url` with the replication factor of the topics it creates set to `replication`
//! (the --replication option): InvalidArgument unless `url` is kafka://.
Result<std::string> LogUrlWithReplication(const std::string& url, int replication);

//! `url` empty means the embedded log under the lake (`default_dir`). InvalidArgument for
//! a URL of no known scheme.
Result<std::unique_ptr<MessageLog>> OpenLogFromUrl(const std::string& url, const std::string& default_dir);

//! Membership in `group` on `topic` of the log named by `url`: a Kafka consumer-group
//! member for kafka://, the sole member (every partition) for the embedded log, which
//! one process holds at a time. `log` is the log opened from the same URL.
Result<std::unique_ptr<GroupMember>> JoinGroupFromUrl(const std::string& url, MessageLog* log, const std::string& group,
                                                      const std::string& topic);

}  // namespace stocklake
