// Measures the Kafka backend through librdkafka's mock cluster (3 brokers, in this process):
// bars per second produced (idempotent, acks=all, lz4) and consumed (Fetch from 2 threads)
// when each record is one encoded BarBatch of about 4k bars, as the ingest stage writes.
// The mock keeps about 5 MiB per partition, so the consume phase reads what is retained.
// Built on request: cmake --build build --target kafka_bench
//   build/kafka_bench [records] [partitions] [bars_per_record]   (default 1500 16 4096)
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "core/bar_batch.h"
#include "log/bar_codec.h"
#include "log/kafka_log.h"
#include "log/topics.h"

using stocklake::bench::SecondsSince;

namespace {

using namespace stocklake;

// One ticker's bars as a random walk, so lz4 sees realistic (poorly compressible) prices.
std::string MakeRecord(const std::string& ticker, int bars, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0.0, 0.01);
  BarBatch batch;
  const int32_t code = batch.InternTicker(ticker);
  double close = 50.0 + seed % 100;
  for (int i = 0; i < bars; ++i) {
    const double open = close;
    close = open * std::exp(step(rng));
    const double high = std::max(open, close) * 1.004, low = std::min(open, close) * 0.996;
    batch.Append(code, 7000 + i, open, high, low, close, close, 100000 + static_cast<int64_t>(rng() % 900000), 1, i + 2,
                 RejectReason::kNone);
  }
  return EncodeBarBatch(batch);
}

}  // namespace

int main(int argc, char** argv) {
  const int records = argc > 1 ? std::atoi(argv[1]) : 1500;
  const int partitions = argc > 2 ? std::atoi(argv[2]) : 16;
  const int bars = argc > 3 ? std::atoi(argv[3]) : 4096;
  const std::string topic(kRawTopic);

  char err[256];
  rd_kafka_conf_t* mock_conf = rd_kafka_conf_new();
  rd_kafka_conf_set(mock_conf, "log_level", "2", err, sizeof err);
  rd_kafka_t* mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, mock_conf, err, sizeof err);
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(mock_rk, 3);
  rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, 3);
  {
    auto opened = OpenKafkaLog(rd_kafka_mock_cluster_bootstraps(cluster));
    if (!opened.ok()) {
      std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
      return 1;
    }
    MessageLog& log = **opened;
    if (Status s = log.EnsureTopic(topic, partitions); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    // 64 distinct tickers' records, reused: encoding is not what is measured here.
    std::vector<std::pair<std::string, std::string>> values;
    for (int t = 0; t < 64; ++t) {
      const std::string ticker = "TICK" + std::to_string(t);
      values.emplace_back(ticker, MakeRecord(ticker, bars, static_cast<uint32_t>(t)));
    }
    std::printf("record: %d bars, %zu bytes encoded; %d records over %d partitions\n", bars, values[0].second.size(),
                records, partitions);

    // Produce from 2 threads, as the ingest stage does, then Flush (all acknowledged).
    auto start = std::chrono::steady_clock::now();
    std::atomic<int> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> producers;
    for (int w = 0; w < 2; ++w) {
      producers.emplace_back([&] {
        for (int i = next++; i < records; i = next++) {
          const auto& [key, value] = values[static_cast<size_t>(i) % values.size()];
          if (!log.Produce(topic, PartitionForKey(key, partitions), key, value).ok()) failed = true;
        }
      });
    }
    for (auto& t : producers) t.join();
    const Status flushed = log.Flush();
    const double produce_s = SecondsSince(start);
    if (failed || !flushed.ok()) {
      std::fprintf(stderr, "produce failed: %s\n", flushed.ToString().c_str());
      return 1;
    }
    const double produced_bars = double(records) * bars;
    std::printf("produced  %.0f bars in %.2f s: %.2f M bars/s, %.0f MB/s of encoded values\n", produced_bars, produce_s,
                produced_bars / produce_s / 1e6, double(records) * values[0].second.size() / produce_s / 1e6);

    // Consume what the mock retained, 2 threads on alternating partitions.
    start = std::chrono::steady_clock::now();
    std::atomic<int64_t> consumed_records{0};
    std::vector<std::thread> consumers;
    for (int w = 0; w < 2; ++w) {
      consumers.emplace_back([&, w] {
        for (int p = w; p < partitions; p += 2) {
          int64_t offset = *log.BeginOffset(topic, p);
          const int64_t end = *log.EndOffset(topic, p);
          while (offset < end) {
            auto got = log.Fetch(topic, p, offset, 64 << 20);
            if (!got.ok() || got->empty()) {
              failed = true;
              return;
            }
            offset = got->back().offset + 1;
            consumed_records += static_cast<int64_t>(got->size());
          }
        }
      });
    }
    for (auto& t : consumers) t.join();
    const double consume_s = SecondsSince(start);
    const double consumed_bars = double(consumed_records) * bars;
    std::printf("consumed  %.0f bars (%lld records retained) in %.2f s: %.2f M bars/s%s\n", consumed_bars,
                static_cast<long long>(consumed_records.load()), consume_s, consumed_bars / consume_s / 1e6,
                failed ? " (A FETCH FAILED)" : "");
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(mock_rk);
  return 0;
}
