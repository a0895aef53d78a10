// Per-client token buckets: each key (a token id, or an anonymous client's address) may
// make `rate` requests per second on average, in bursts of up to `rate` requests.
//
// Memory is bounded: a bucket that would be full again is the same as no bucket, so such
// idle buckets are dropped whenever the map has doubled since the last sweep, and the map
// never holds more than `max_clients` entries (past that, the longest-idle go first).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace stocklake {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(size_t max_clients = 100000) : max_clients_(max_clients < 1 ? 1 : max_clients) {}

  //! True when `key` may make one more request now (and takes it). Otherwise false and
  //! `*retry_after_seconds` says when the next one is allowed. `rate` <= 0: no limit.
  bool Allow(const std::string& key, double rate, double* retry_after_seconds, Clock::time_point now = Clock::now());

  //! Clients currently tracked (for tests and metrics).
  size_t size() const;

 private:
  struct Bucket {
    double tokens = 0;
    double rate = 0;
    Clock::time_point refilled;
  };
  //! Drops buckets that would be full at `now`; then, while above max_clients_, the ones
  //! refilled longest ago. Called with mu_ held.
  void Prune(Clock::time_point now);

  const size_t max_clients_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  size_t next_prune_at_ = 1024;  //!< sweep when the map reaches this size
};

}  // namespace stocklake
