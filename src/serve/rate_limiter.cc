#include "serve/rate_limiter.h"

#include <algorithm>
#include <vector>

namespace stocklake {

namespace {

double Capacity(double rate) { return std::max(rate, 1.0); }

}  // namespace

bool RateLimiter::Allow(const std::string& key, double rate, double* retry_after_seconds, Clock::time_point now) {
  if (rate <= 0) return true;
  const double capacity = Capacity(rate);
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() + 1 >= std::min(next_prune_at_, max_clients_)) Prune(now);
    it = buckets_.emplace(key, Bucket{capacity, rate, now}).first;
  } else {
    Bucket& b = it->second;
    const double elapsed = std::chrono::duration<double>(now - b.refilled).count();
    b.tokens = std::min(capacity, b.tokens + std::max(elapsed, 0.0) * rate);
    b.rate = rate;
    b.refilled = now;
  }
  Bucket& b = it->second;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after_seconds != nullptr) *retry_after_seconds = (1.0 - b.tokens) / rate;
  return false;
}

size_t RateLimiter::size() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

void RateLimiter::Prune(Clock::time_point now) {
  std::erase_if(buckets_, [now](const auto& entry) {
    const Bucket& b = entry.second;
    const double elapsed = std::chrono::duration<double>(now - b.refilled).count();
    return b.tokens + std::max(elapsed, 0.0) * b.rate >= Capacity(b.rate);
  });
  if (buckets_.size() >= max_clients_) {
    // Every client is active: keep the most recently seen, leaving room for one more.
    std::vector<std::pair<Clock::time_point, std::string>> by_age;
    by_age.reserve(buckets_.size());
    for (const auto& [key, b] : buckets_) by_age.emplace_back(b.refilled, key);
    const size_t drop = buckets_.size() - max_clients_ + 1;
    std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop - 1), by_age.end());
    for (size_t i = 0; i < drop; ++i) buckets_.erase(by_age[i].second);
  }
  next_prune_at_ = std::max<size_t>(1024, 2 * buckets_.size());
}

}  // namespace stocklake
