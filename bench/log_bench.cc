// Throughput of the embedded file log: produce + flush of encoded BarBatch records (about
// 4k bars each, as the ingest stage writes them), then fetch + decode of every record.
// Build: cmake --build build --target log_bench
//   build/log_bench [records] [partitions] [dir]   (default 160 4 /tmp/stocklake-log-bench)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_util.h"
#include "core/bar_batch.h"
#include "core/files.h"
#include "log/bar_codec.h"
#include "log/file_log.h"
#include "log/topics.h"

using stocklake::bench::Fail;
using stocklake::bench::SecondsSince;

using namespace stocklake;

int main(int argc, char** argv) {
  const int records = argc > 1 ? std::atoi(argv[1]) : 160;
  const int partitions = argc > 2 ? std::atoi(argv[2]) : 4;
  const std::string dir = argc > 3 ? argv[3] : "/tmp/stocklake-log-bench";
  constexpr size_t kBarsPerRecord = 4096;
  if (Status removed = RemoveDirectoryTree(dir); !removed.ok()) return Fail("log_bench", removed);

  std::vector<std::string> values;
  for (int r = 0; r < 8; ++r) {
    BarBatch batch;
    const int32_t code = batch.InternTicker("TICK" + std::to_string(r));
    for (size_t i = 0; i < kBarsPerRecord; ++i) {
      batch.Append(code, static_cast<Date>(10000 + i), 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i, 1.5 + i, 1000 + i, 1,
                   static_cast<int64_t>(i + 2), RejectReason::kNone);
    }
    values.push_back(EncodeBarBatch(batch));
  }

  Result<std::unique_ptr<MessageLog>> log = OpenFileLog(dir);
  if (!log.ok()) return Fail("log_bench", log.status());
  const std::string topic(kRawTopic);
  if (Status s = (*log)->EnsureTopic(topic, partitions); !s.ok()) return Fail("log_bench", s);
  const auto start = std::chrono::steady_clock::now();
  size_t bytes = 0;
  for (int i = 0; i < records; ++i) {
    const std::string key = "TICK" + std::to_string(i % 8);
    const std::string& value = values[static_cast<size_t>(i % 8)];
    if (Status s = (*log)->Produce(topic, PartitionForKey(key, partitions), key, value); !s.ok())
      return Fail("log_bench", s);
    bytes += value.size();
  }
  if (Status s = (*log)->Flush(); !s.ok()) return Fail("log_bench", s);
  const double seconds = SecondsSince(start);

  size_t decoded_bars = 0;
  const auto read_start = std::chrono::steady_clock::now();
  for (int p = 0; p < partitions; ++p) {
    for (int64_t offset = 0;;) {
      Result<std::vector<LogRecord>> fetched = (*log)->Fetch(topic, p, offset, 8 << 20);
      if (!fetched.ok()) return Fail("log_bench", fetched.status());
      if (fetched->empty()) break;
      for (const LogRecord& record : *fetched) {
        Result<BarBatch> batch = DecodeBarRecord(record.value, 0);
        if (!batch.ok()) return Fail("log_bench", batch.status());
        decoded_bars += batch->size();
        offset = record.offset + 1;
      }
    }
  }
  const double read_seconds = SecondsSince(read_start);
  const size_t bars = static_cast<size_t>(records) * kBarsPerRecord;
  std::printf("produce+flush: %.1f MB in %.3f s = %.0f MB/s, %.2f M bars/s\n", bytes / 1e6, seconds,
              bytes / 1e6 / seconds, bars / 1e6 / seconds);
  std::printf("fetch+decode:  %.0f MB/s, %.2f M bars/s (%zu bars)\n", bytes / 1e6 / read_seconds,
              decoded_bars / 1e6 / read_seconds, decoded_bars);
  return decoded_bars == bars ? 0 : 1;
}
