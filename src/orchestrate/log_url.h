// Opens the message log named by a --log URL: file:DIR (the embedded log) or
// kafka://HOST:PORT[,...] (an Apache Kafka cluster).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "log/message_log.h"

namespace stocklake {

//! Checks the URL's form without opening anything (InvalidArgument when malformed), so
//! a bad --log fails before a run writes anything.
Status CheckLogUrl(const std::string& url);

//! `url` empty means the embedded log under the lake (`default_dir`). InvalidArgument for
//! a URL of no known scheme.
Result<std::unique_ptr<MessageLog>> OpenLogFromUrl(const std::string& url, const std::string& default_dir);

}  // namespace stocklake
