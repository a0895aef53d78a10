// The speed layer's latency on Kafka (issue #13's target: publish -> row visible in the
// store, p99 < 500 ms at 100k events/s). librdkafka's mock cluster (3 brokers) runs in
// this process; `stocklake stream` runs as a child on it with the given store; this
// process publishes trades at a fixed rate and, among them, one probe a millisecond apart
// every 1000 events: a trade of a symbol of its own, so the first row of that symbol in
// the store is the moment the probe became visible. A poller thread looks for the pending
// probes every 5 ms. Prints events/s achieved and probe latency min / median / p99 / max.
// Built on request: cmake --build build --target stream_latency_bench
//   build/stream_latency_bench [rate] [seconds] [store URL]   (default 100000 20 sqlite:TMP)
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "log/kafka_log.h"
#include "log/topics.h"
#include "store/serving_store.h"

extern char** environ;

namespace {

using namespace stocklake;
using Clock = std::chrono::steady_clock;

constexpr int kPartitions = 16;
constexpr int kSymbols = 2000;

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Trade(const std::string& symbol, int64_t ts_ms, double price) {
  char text[160];
  std::snprintf(text, sizeof(text), R"({"symbol":"%s","price":%.2f,"size":100,"ts":%lld})", symbol.c_str(), price,
                static_cast<long long>(ts_ms));
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  const int rate = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 20;
  char work_template[] = "/tmp/stocklake-latency-XXXXXX";
  const std::string work = mkdtemp(work_template);
  const std::string store_url = argc > 3 ? argv[3] : "sqlite:" + work + "/store.sqlite";
  const std::string binary = std::getenv("STOCKLAKE_BIN") ? std::getenv("STOCKLAKE_BIN") : "build/stocklake";

  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  rd_kafka_t* mock_handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(mock_handle, 3);
  const std::string bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
  rd_kafka_mock_topic_create(cluster, "trades", kPartitions, 3);
  rd_kafka_mock_topic_create(cluster, "trades-dlq", kPartitions, 3);

  // The processor, as a deployment runs it (1 s windows: probes show up at each commit).
  std::vector<std::string> args = {
      binary,    "stream",  "--lake",   work + "/lake", "--log",      "kafka://" + bootstraps,
      "--store", store_url, "--window", "1s",           "--lateness", "1s"};
  std::vector<char*> argv_c;
  for (std::string& a : args) argv_c.push_back(a.data());
  argv_c.push_back(nullptr);
  setenv("STOCKLAKE_KAFKA_SESSION_TIMEOUT_MS", "6000", 1);
  pid_t processor = 0;
  if (posix_spawn(&processor, binary.c_str(), nullptr, nullptr, argv_c.data(), environ) != 0) {
    std::fprintf(stderr, "cannot start %s (set STOCKLAKE_BIN)\n", binary.c_str());
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));  // the group's first join

  auto log = OpenKafkaLog(bootstraps);
  if (!log.ok()) {
    std::fprintf(stderr, "%s\n", log.status().ToString().c_str());
    return 1;
  }
  auto store = OpenServingStore(store_url);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }

  // Probes: symbol -> publish time (wall ms); the poller moves them to `latencies`.
  std::mutex mutex;
  std::map<std::string, int64_t> pending;
  std::vector<int64_t> latencies;
  std::atomic<bool> done{false};
  std::thread poller([&] {
    while (true) {
      std::vector<std::pair<std::string, int64_t>> probes;
      {
        std::lock_guard lock(mutex);
        if (done.load() && pending.empty()) break;
        probes.assign(pending.begin(), pending.end());
      }
      for (const auto& [symbol, sent] : probes) {
        IntradayBarsQuery query;
        query.symbol = symbol;
        query.limit = 1;
        auto rows = (*store)->IntradayBars(query);
        if (!rows.ok() || rows->num_rows() == 0) continue;
        const int64_t seen = WallMillis();
        std::lock_guard lock(mutex);
        latencies.push_back(seen - sent);
        pending.erase(symbol);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });

  const auto start = Clock::now();
  int64_t published = 0;
  int probe_number = 0;
  const int per_tick = std::max(1, rate / 100);  // one batch every 10 ms
  for (int tick = 0; tick < seconds * 100; ++tick) {
    const int64_t now = WallMillis();
    for (int i = 0; i < per_tick; ++i, ++published) {
      std::string symbol = "S" + std::to_string(published % kSymbols);
      if (published % 1000 == 0) {
        symbol = "PROBE" + std::to_string(probe_number++);
        std::lock_guard lock(mutex);
        pending[symbol] = now;
      }
      const Status produced = (*log)->Produce("trades", PartitionForKey(symbol, kPartitions), symbol,
                                              Trade(symbol, now, 100.0 + (published % 97) / 10.0));
      if (!produced.ok()) {
        std::fprintf(stderr, "%s\n", produced.ToString().c_str());
        return 1;
      }
    }
    std::this_thread::sleep_until(start + std::chrono::milliseconds(10 * (tick + 1)));
  }
  (void)(*log)->Flush();
  const double publish_seconds = bench::SecondsSince(start);
  // Wait up to 10 s for the last probes.
  const auto give_up = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < give_up) {
    {
      std::lock_guard lock(mutex);
      if (pending.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  size_t lost = 0;
  {
    std::lock_guard lock(mutex);
    lost = pending.size();
    pending.clear();
  }
  done.store(true);
  poller.join();
  kill(processor, SIGTERM);
  waitpid(processor, nullptr, 0);

  std::sort(latencies.begin(), latencies.end());
  std::printf("published %lld events in %.1f s: %.0f events/s (target rate %d)\n", static_cast<long long>(published),
              publish_seconds, static_cast<double>(published) / publish_seconds, rate);
  if (latencies.empty()) {
    std::printf("no probe became visible (%zu lost)\n", lost);
    return 1;
  }
  auto at = [&](double q) { return latencies[static_cast<size_t>(q * static_cast<double>(latencies.size() - 1))]; };
  std::printf(
      "publish -> visible in the store (%zu probes, %zu not seen in 10 s): min %lld ms, median %lld ms, "
      "p99 %lld ms, max %lld ms\n",
      latencies.size(), lost, static_cast<long long>(latencies.front()), static_cast<long long>(at(0.5)),
      static_cast<long long>(at(0.99)), static_cast<long long>(latencies.back()));
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(mock_handle);
  return 0;
}
