// A one-line progress indicator on stderr, drawn only when stderr is a terminal (so logs
// and tests see nothing) and at most a few times a second.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace stocklake {

class ProgressLine {
 public:
  //! `enabled` false (or stderr not a terminal) makes every call a no-op.
  ProgressLine(bool enabled, std::string stage, int64_t total, std::string unit);
  //! Thread-safe.
  void Advance(int64_t done);
  //! Clears the line.
  void Finish();

 private:
  void Draw(int64_t done);

  bool enabled_;
  std::string stage_;
  int64_t total_;
  std::string unit_;
  std::atomic<int64_t> done_{0};
  std::mutex draw_mutex_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace stocklake
