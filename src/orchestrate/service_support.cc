#include "orchestrate/service_support.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "core/clock.h"

namespace stocklake {

void ReportServiceLine(const char* service, const char* format, ...) {
  char text[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  std::fprintf(stderr, "%s %s: %s\n", UtcTimestampNow().c_str(), service, text);
}

bool WaitOrStop(const std::atomic<bool>& stop, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (stop.load()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return stop.load();
}

Result<int> WaitForTopic(MessageLog* log, const std::string& topic, double poll_seconds, bool once,
                         const std::atomic<bool>& stop, const char* service) {
  bool said = false;
  while (true) {
    auto count = log->PartitionCount(topic);
    if (count.ok()) return *count;
    if (!count.status().IsNotFound()) return count.status();
    if (once) return 0;
    if (!said) ReportServiceLine(service, "waiting for topic %s to be created", topic.c_str());
    said = true;
    if (WaitOrStop(stop, poll_seconds)) return 0;
  }
}

Result<std::vector<int>> PollOrStop(GroupMember* member, int wait_ms, const std::atomic<bool>& stop) {
  constexpr int kSliceMs = 200;
  int left = wait_ms;
  while (true) {
    const int slice = std::min(left, kSliceMs);
    SL_ASSIGN_OR_RETURN(std::vector<int> owned, member->Poll(slice));
    left -= slice;
    if (left <= 0 || stop.load()) return owned;
  }
}

std::string PartitionRanges(const std::vector<int>& partitions) {
  if (partitions.empty()) return "none";
  std::string out;
  for (size_t i = 0; i < partitions.size();) {
    size_t j = i;
    while (j + 1 < partitions.size() && partitions[j + 1] == partitions[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(partitions[i]);
    if (j > i) out += "-" + std::to_string(partitions[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace stocklake
