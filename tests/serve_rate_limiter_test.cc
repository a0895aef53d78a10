// The rate limiter: limits apply per client, and memory stays bounded however many
// distinct clients it has seen (idle buckets are dropped, a hard cap holds under load).
#include <gtest/gtest.h>

#include <string>

#include "serve/rate_limiter.h"

namespace stocklake {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::milliseconds;

TEST(RateLimiterTest, LimitsABurstThenRefills) {
  RateLimiter limiter;
  const Clock::time_point t0 = Clock::now();
  double retry = 0;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Allow("a", 5, &retry, t0)) << i;
  EXPECT_FALSE(limiter.Allow("a", 5, &retry, t0));
  EXPECT_NEAR(retry, 0.2, 1e-9);
  EXPECT_TRUE(limiter.Allow("b", 5, &retry, t0)) << "another client has its own bucket";
  EXPECT_TRUE(limiter.Allow("a", 5, &retry, t0 + milliseconds(200)));
  EXPECT_TRUE(limiter.Allow("a", 0, &retry, t0)) << "rate 0 is unlimited";
}

TEST(RateLimiterTest, IdleClientsAreForgotten) {
  RateLimiter limiter;
  Clock::time_point now = Clock::now();
  double retry = 0;
  // A million one-off clients over ~17 minutes, 1000 a second, each limited to 10/s: each
  // bucket is full again 0.1 s after its request, so at most a few seconds' worth of
  // clients need remembering.
  for (int i = 0; i < 1000000; ++i) {
    if (i % 1000 == 0) now += milliseconds(1000);
    ASSERT_TRUE(limiter.Allow("client-" + std::to_string(i), 10, &retry, now));
    ASSERT_LE(limiter.size(), 4096u) << "after " << i << " clients";
  }
  // Limits still apply to a client seen again while its bucket is not full.
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.Allow("busy", 10, &retry, now));
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(limiter.Allow("other-" + std::to_string(i), 10, &retry, now));
  EXPECT_FALSE(limiter.Allow("busy", 10, &retry, now)) << "pruning must not reset an active client";
}

TEST(RateLimiterTest, HardCapHoldsWhenEveryClientIsActive) {
  RateLimiter limiter(/*max_clients=*/100);
  const Clock::time_point t0 = Clock::now();
  double retry = 0;
  for (int i = 0; i < 10000; ++i) {
    // Each client spends its whole burst: no bucket is idle, so none is pruned as full.
    const std::string key = "c" + std::to_string(i);
    ASSERT_TRUE(limiter.Allow(key, 1, &retry, t0 + milliseconds(i)));
    ASSERT_LE(limiter.size(), 100u);
  }
  // The most recent clients are the ones kept, still limited.
  EXPECT_FALSE(limiter.Allow("c9999", 1, &retry, t0 + milliseconds(9999)));
}

}  // namespace
}  // namespace stocklake
