#include "orchestrate/progress.h"

#include <unistd.h>

#include <cstdio>

namespace stocklake {

ProgressLine::ProgressLine(bool enabled, std::string stage, int64_t total, std::string unit)
    : enabled_(enabled && ::isatty(STDERR_FILENO)),
      stage_(std::move(stage)),
      total_(total),
      unit_(std::move(unit)),
      start_(std::chrono::steady_clock::now()) {}

void ProgressLine::Advance(int64_t n) {
  const int64_t done = done_ += n;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(draw_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  Draw(done);
}

void ProgressLine::Draw(int64_t done) {
  constexpr int kWidth = 30;
  const double fraction = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "\r%-8s [%s] %lld/%lld %s  %.1fs", stage_.c_str(), bar.c_str(), static_cast<long long>(done),
               static_cast<long long>(total_), unit_.c_str(), seconds);
  std::fflush(stderr);
}

void ProgressLine::Finish() {
  if (!enabled_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace stocklake
