#include "serve/rate_limiter.h"

#include <algorithm>

namespace stocklake {

bool RateLimiter::Allow(const std::string& key, double rate, double* retry_after_seconds, Clock::time_point now) {
  if (rate <= 0) return true;
  const double capacity = std::max(rate, 1.0);
  std::lock_guard lock(mu_);
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{capacity, now});
  Bucket& b = it->second;
  if (!inserted) {
    const double elapsed = std::chrono::duration<double>(now - b.refilled).count();
    b.tokens = std::min(capacity, b.tokens + std::max(elapsed, 0.0) * rate);
    b.refilled = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after_seconds != nullptr) *retry_after_seconds = (1.0 - b.tokens) / rate;
  return false;
}

}  // namespace stocklake
