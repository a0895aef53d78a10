// The speed layer on Kafka (librdkafka's mock cluster, 3 brokers, in this process), with
// `stocklake stream` as a child on it writing to the given store. Two modes:
//
// latency (issue #13's target: publish -> row visible in the store, p99 < 500 ms at 100k
// events/s): this process publishes trades at a fixed rate and, after 3 s of warm-up, one
// probe every 1000 events: a trade of a symbol of its own, so the first row of that symbol
// in the store is the moment the probe became visible. A poller thread looks for pending
// probes every 5 ms. Prints events/s achieved and probe latency min / median / p99 / max.
//
// throughput (target: >= 300k events/s into PostgreSQL): publishes N trades first, then
// runs `stream --once` and follows the offsets it commits to the store; the rate is the
// events committed between its first and last commit over that time (the group join
// before is not counted).
//
// Built on request: cmake --build build --target stream_kafka_bench
//   build/stream_kafka_bench latency [rate] [seconds] [store URL]   (default 100000 20 sqlite:TMP)
//   build/stream_kafka_bench throughput [events] [store URL]        (default 3000000 sqlite:TMP)
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
#include <memory>
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

// The mock cluster with the topics, the processor child and the clients of this process.
struct Setup {
  std::string work;
  std::string store_url;
  rd_kafka_t* mock_handle = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstraps;
  std::unique_ptr<MessageLog> log;
  std::unique_ptr<ServingStore> store;

  ~Setup() {
    log.reset();
    if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
    if (mock_handle != nullptr) rd_kafka_destroy(mock_handle);
  }
};

Status Start(const std::string& store_arg, Setup* setup) {
  char work_template[] = "/tmp/stocklake-stream-bench-XXXXXX";
  setup->work = mkdtemp(work_template);
  setup->store_url = store_arg.empty() ? "sqlite:" + setup->work + "/store.sqlite" : store_arg;
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  setup->mock_handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (setup->mock_handle == nullptr) return Status::IOError(err);
  setup->cluster = rd_kafka_mock_cluster_new(setup->mock_handle, 3);
  setup->bootstraps = rd_kafka_mock_cluster_bootstraps(setup->cluster);
  rd_kafka_mock_topic_create(setup->cluster, "trades", kPartitions, 3);
  rd_kafka_mock_topic_create(setup->cluster, "trades-dlq", kPartitions, 3);
  SL_ASSIGN_OR_RETURN(setup->log, OpenKafkaLog(setup->bootstraps));
  SL_ASSIGN_OR_RETURN(setup->store, OpenServingStore(setup->store_url));
  return Status::OK();
}

// `stocklake stream` on the cluster, as a deployment runs it (1 s windows: probes show up
// at each commit), plus `extra` arguments.
Result<pid_t> SpawnProcessor(const Setup& setup, const std::vector<std::string>& extra) {
  const std::string binary = std::getenv("STOCKLAKE_BIN") ? std::getenv("STOCKLAKE_BIN") : "build/stocklake";
  std::vector<std::string> args = {
      binary,          "stream",   "--lake", setup.work + "/lake", "--log", "kafka://" + setup.bootstraps, "--store",
      setup.store_url, "--window", "1s",     "--lateness",         "1s"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv_c;
  for (std::string& a : args) argv_c.push_back(a.data());
  argv_c.push_back(nullptr);
  setenv("STOCKLAKE_KAFKA_SESSION_TIMEOUT_MS", "6000", 1);
  pid_t processor = 0;
  if (posix_spawn(&processor, binary.c_str(), nullptr, nullptr, argv_c.data(), environ) != 0) {
    return Status::IOError("cannot start " + binary + " (set STOCKLAKE_BIN)");
  }
  return processor;
}

int Latency(int rate, int seconds, const std::string& store_arg) {
  Setup setup;
  if (Status st = Start(store_arg, &setup); !st.ok()) return bench::Fail("stream_kafka_bench", st);
  auto processor = SpawnProcessor(setup, {});
  if (!processor.ok()) return bench::Fail("stream_kafka_bench", processor.status());
  std::this_thread::sleep_for(std::chrono::seconds(5));  // the group's first join
  MessageLog* log = setup.log.get();
  ServingStore* store = setup.store.get();

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
        auto rows = store->IntradayBars(query);
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
  // The first seconds warm up (connections, the first fetches, the store's first
  // pages): published at the rate, without probes.
  constexpr int kWarmupTicks = 300;
  for (int tick = 0; tick < kWarmupTicks + seconds * 100; ++tick) {
    const int64_t now = WallMillis();
    for (int i = 0; i < per_tick; ++i, ++published) {
      std::string symbol = "S" + std::to_string(published % kSymbols);
      if (tick >= kWarmupTicks && published % 1000 == 0) {
        symbol = "PROBE" + std::to_string(probe_number++);
        std::lock_guard lock(mutex);
        pending[symbol] = now;
      }
      const Status produced = log->Produce("trades", PartitionForKey(symbol, kPartitions), symbol,
                                           Trade(symbol, now, 100.0 + (published % 97) / 10.0));
      if (!produced.ok()) {
        std::fprintf(stderr, "%s\n", produced.ToString().c_str());
        return 1;
      }
    }
    std::this_thread::sleep_until(start + std::chrono::milliseconds(10 * (tick + 1)));
  }
  (void)log->Flush();
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
  kill(*processor, SIGTERM);
  waitpid(*processor, nullptr, 0);

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
  return 0;
}

int Throughput(int64_t events, const std::string& store_arg) {
  Setup setup;
  if (Status st = Start(store_arg, &setup); !st.ok()) return bench::Fail("stream_kafka_bench", st);
  // Trades of 2000 symbols at 100k events per second of event time (50 per symbol and
  // 1 s window), a few out of order; one in 199 arrives 90 s late.
  const auto publish_start = Clock::now();
  const int64_t base_ms = WallMillis() - events / 100;
  for (int64_t i = 0; i < events; ++i) {
    const std::string symbol = "S" + std::to_string(i % kSymbols);
    const int64_t ts = base_ms + i / 100 - (i % 7 == 3 ? 300 : 0) - (i % 199 == 198 ? 90'000 : 0);
    const Status produced = setup.log->Produce("trades", PartitionForKey(symbol, kPartitions), symbol,
                                               Trade(symbol, ts, 100.0 + static_cast<double>(i % 97) / 10.0));
    if (!produced.ok()) return bench::Fail("stream_kafka_bench", produced);
  }
  if (Status st = setup.log->Flush(); !st.ok()) return bench::Fail("stream_kafka_bench", st);
  std::printf("published %lld events in %.1f s\n", static_cast<long long>(events), bench::SecondsSince(publish_start));

  // 1 MiB per partition and cycle: 16 MiB (about 200k events) per commit.
  auto processor = SpawnProcessor(setup, {"--once", "--fetch-bytes", "1048576"});
  if (!processor.ok()) return bench::Fail("stream_kafka_bench", processor.status());
  // Follow the committed offsets: the first commit starts the clock, the one reaching the
  // end stops it.
  int64_t first_committed = -1;
  Clock::time_point first_at, last_at;
  while (true) {
    int status = 0;
    const bool exited = waitpid(*processor, &status, WNOHANG) == *processor;
    auto checkpoints = setup.store->LoadStreamCheckpoints("trades");
    if (!checkpoints.ok()) return bench::Fail("stream_kafka_bench", checkpoints.status());
    int64_t committed = 0;
    for (const auto& [partition, checkpoint] : *checkpoints) committed += checkpoint.next_offset;
    if (committed > 0 && first_committed < 0) {
      first_committed = committed;
      first_at = Clock::now();
    }
    if (committed >= events) {
      last_at = Clock::now();
      if (!exited) waitpid(*processor, &status, 0);
      break;
    }
    if (exited) {
      std::fprintf(stderr, "stream_kafka_bench: the processor exited having committed %lld of %lld events\n",
                   static_cast<long long>(committed), static_cast<long long>(events));
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double seconds = std::chrono::duration<double>(last_at - first_at).count();
  std::printf("committed %lld events after the first commit in %.2f s: %.0f events/s into %s\n",
              static_cast<long long>(events - first_committed), seconds,
              static_cast<double>(events - first_committed) / seconds,
              setup.store_url.substr(0, setup.store_url.find(':')).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "latency") {
    return Latency(argc > 2 ? std::atoi(argv[2]) : 100'000, argc > 3 ? std::atoi(argv[3]) : 20,
                   argc > 4 ? argv[4] : "");
  }
  if (mode == "throughput") {
    return Throughput(argc > 2 ? std::atoll(argv[2]) : 3'000'000, argc > 3 ? argv[3] : "");
  }
  std::fprintf(stderr, "usage: stream_kafka_bench latency [RATE] [SECONDS] [STORE] | throughput [EVENTS] [STORE]\n");
  return 2;
}
