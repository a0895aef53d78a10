// Per-client token buckets: each key (a token id, or an anonymous client's address) may
// make `rate` requests per second on average, in bursts of up to `rate` requests.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace stocklake {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  //! True when `key` may make one more request now (and takes it). Otherwise false and
  //! `*retry_after_seconds` says when the next one is allowed. `rate` <= 0: no limit.
  bool Allow(const std::string& key, double rate, double* retry_after_seconds, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point refilled;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace stocklake
