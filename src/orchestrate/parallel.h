// Runs independent work items on a few threads. The pipeline's parallelism is coarse
// (files, partitions, buckets), so a shared atomic cursor is all the scheduling needed.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"

namespace stocklake {

//! Calls work(i, worker) for i in [0, count) on `threads` threads (worker in [0, threads)).
//! Stops handing out items after the first error and returns it; OK when all succeeded.
inline Status ParallelFor(size_t count, int threads, const std::function<Status(size_t, int)>& work) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  Status first_error;
  std::mutex error_mutex;
  auto run = [&](int worker) {
    for (size_t i = next++; i < count && !failed; i = next++) {
      Status s = work(i, worker);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!failed.exchange(true)) first_error = s;
      }
    }
  };
  const int n = threads < 1 ? 1 : threads;
  std::vector<std::thread> pool;
  for (int w = 1; w < n; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& t : pool) t.join();
  return first_error;
}

}  // namespace stocklake
