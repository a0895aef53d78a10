// What the long-running services share: their status lines on stderr, the wait between
// cycles that a stop request cuts short, and the wait for the topics they consume.
#pragma once

#include <atomic>
#include <cstdarg>
#include <string>
#include <vector>

#include "core/status.h"
#include "log/consumer_group.h"
#include "log/message_log.h"

namespace stocklake {

//! Prints "<UTC time> <service>: <printf text>" as one line on stderr.
void ReportServiceLine(const char* service, const char* format, ...) __attribute__((format(printf, 2, 3)));

//! Sleeps up to `seconds`, returning early (true) once `stop` is set.
bool WaitOrStop(const std::atomic<bool>& stop, double seconds);

//! The partition count of `topic`, waiting (every `poll_seconds`) for a producer to
//! create it; 0 when `stop` comes first, or at once with `once` when it is missing.
Result<int> WaitForTopic(MessageLog* log, const std::string& topic, double poll_seconds, bool once,
                         const std::atomic<bool>& stop, const char* service);

//! member->Poll for up to `wait_ms` in short slices, returning early once `stop` is set,
//! so a stop request is served within a fraction of a second even when idle.
Result<std::vector<int>> PollOrStop(GroupMember* member, int wait_ms, const std::atomic<bool>& stop);

//! "0-3,6,9-11": a sorted partition list, compactly.
std::string PartitionRanges(const std::vector<int>& partitions);

}  // namespace stocklake
