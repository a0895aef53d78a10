#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "log/bar_codec.h"
#include "log/file_log.h"
#include "log/topics.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

struct Rec {
  std::string key;
  std::string value;
};
using Model = std::vector<std::vector<Rec>>;  // partition -> records in offset order

std::unique_ptr<FileLog> MustOpen(const std::string& dir, const FileLogOptions& options = {}) {
  auto log = FileLog::Open(dir, options);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(*log) : nullptr;
}

std::string Value(std::mt19937& rng, int i) {
  const size_t length = rng() % 300;
  std::string v = "v" + std::to_string(i) + ":";
  while (v.size() < length) v.push_back(static_cast<char>('a' + rng() % 26));
  return v;
}

// Reads a partition from `from` to its end in pieces of `max_bytes`.
std::vector<LogRecord> ReadAll(MessageLog& log, const std::string& topic, int partition, int64_t from,
                               size_t max_bytes) {
  std::vector<LogRecord> all;
  for (;;) {
    auto batch = log.Fetch(topic, partition, from, max_bytes);
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    if (!batch.ok() || batch->empty()) break;
    size_t bytes = 0;
    for (const auto& r : *batch) bytes += r.value.size();
    EXPECT_TRUE(bytes <= max_bytes || batch->size() == 1) << bytes << " bytes in " << batch->size() << " records";
    for (auto& r : *batch) {
      EXPECT_EQ(r.offset, from) << "records must come in offset order without gaps";
      ++from;
      all.push_back(std::move(r));
    }
  }
  return all;
}

void ExpectMatchesModel(MessageLog& log, const std::string& topic, const Model& model, size_t max_bytes) {
  for (size_t p = 0; p < model.size(); ++p) {
    auto end = log.EndOffset(topic, static_cast<int>(p));
    ASSERT_TRUE(end.ok());
    EXPECT_EQ(*end, static_cast<int64_t>(model[p].size()));
    const auto got = ReadAll(log, topic, static_cast<int>(p), 0, max_bytes);
    ASSERT_EQ(got.size(), model[p].size()) << "partition " << p;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].key, model[p][i].key) << "partition " << p << " offset " << i;
      ASSERT_EQ(got[i].value, model[p][i].value) << "partition " << p << " offset " << i;
    }
  }
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".log") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Produce(MessageLog& log, Model& model, const std::string& topic, int partitions, int count, std::mt19937& rng) {
  for (int i = 0; i < count; ++i) {
    const std::string key = "T" + std::to_string(rng() % 37);
    const int p = PartitionForKey(key, partitions);
    Rec rec{key, Value(rng, i)};
    ASSERT_TRUE(log.Produce(topic, p, rec.key, rec.value).ok());
    model[static_cast<size_t>(p)].push_back(std::move(rec));
  }
}

TEST(FileLog, RoundTripsAcrossPartitionsAndSegmentRollsAndReopen) {
  TempDir tmp;
  FileLogOptions options;
  options.segment_bytes = 8 << 10;
  options.batch_bytes = 2 << 10;
  const int partitions = 6;
  Model model(partitions);
  std::mt19937 rng(7);
  {
    auto log = MustOpen(tmp.path(), options);
    ASSERT_TRUE(log->EnsureTopic(std::string(kRawTopic), partitions).ok());
    ASSERT_TRUE(log->EnsureTopic(std::string(kRawTopic), 99).ok());
    EXPECT_EQ(*log->PartitionCount(std::string(kRawTopic)), partitions);
    Produce(*log, model, std::string(kRawTopic), partitions, 3000, rng);
    // Visible before Flush, partly from files and partly from the batch being filled.
    ExpectMatchesModel(*log, std::string(kRawTopic), model, 1000);
    ASSERT_TRUE(log->Flush().ok());
    ExpectMatchesModel(*log, std::string(kRawTopic), model, 1);
    ExpectMatchesModel(*log, std::string(kRawTopic), model, 1 << 20);
  }
  for (int p = 0; p < partitions; ++p) {
    EXPECT_GT(SegmentFiles(tmp.Join(std::string(kRawTopic) + "/" + std::to_string(p))).size(), 3u) << p;
  }
  {
    auto log = MustOpen(tmp.path(), options);
    EXPECT_EQ(*log->PartitionCount(std::string(kRawTopic)), partitions);
    ExpectMatchesModel(*log, std::string(kRawTopic), model, 5000);
    Produce(*log, model, std::string(kRawTopic), partitions, 500, rng);  // offsets continue
    ASSERT_TRUE(log->Flush().ok());
  }
  auto log = MustOpen(tmp.path(), options);
  ExpectMatchesModel(*log, std::string(kRawTopic), model, 3000);
  // Fetch from every offset of one partition returns that record first.
  for (size_t i = 0; i < model[0].size(); i += 7) {
    auto r = log->Fetch(std::string(kRawTopic), 0, static_cast<int64_t>(i), 1);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].offset, static_cast<int64_t>(i));
    EXPECT_EQ((*r)[0].value, model[0][i].value);
  }
}

TEST(FileLog, FetchesAnyOffsetInsideOneBatchAndRecordsLargerThanABatch) {
  TempDir tmp;
  FileLogOptions options;
  options.batch_bytes = 64 << 10;
  auto log = MustOpen(tmp.path(), options);
  ASSERT_TRUE(log->EnsureTopic("t", 1).ok());
  Model model(1);
  std::mt19937 rng(11);
  for (int i = 0; i < 1000; ++i) {
    Rec rec{"k" + std::to_string(i), Value(rng, i)};
    if (i == 500) rec.value = std::string(200 << 10, 'L');  // bigger than batch_bytes
    ASSERT_TRUE(log->Produce("t", 0, rec.key, rec.value).ok());
    model[0].push_back(std::move(rec));
  }
  ASSERT_TRUE(log->Flush().ok());
  std::vector<int64_t> offsets(1000);
  for (int i = 0; i < 1000; ++i) offsets[static_cast<size_t>(i)] = i;
  std::shuffle(offsets.begin(), offsets.end(), rng);
  for (const int64_t o : offsets) {
    auto r = log->Fetch("t", 0, o, 1);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 1u);
    ASSERT_EQ((*r)[0].offset, o);
    ASSERT_EQ((*r)[0].key, model[0][static_cast<size_t>(o)].key);
    ASSERT_EQ((*r)[0].value, model[0][static_cast<size_t>(o)].value);
  }
  ExpectMatchesModel(*log, "t", model, 1000);
  // max_bytes smaller than the big record still returns it, alone.
  auto big = log->Fetch("t", 0, 500, 10);
  ASSERT_TRUE(big.ok());
  ASSERT_EQ(big->size(), 1u);
  EXPECT_EQ((*big)[0].value.size(), size_t{200 << 10});
}

TEST(FileLog, ReportsMisuseAsErrors) {
  TempDir tmp;
  auto log = MustOpen(tmp.path());
  EXPECT_TRUE(log->Produce("missing", 0, "k", "v").IsNotFound());
  EXPECT_TRUE(log->PartitionCount("missing").status().IsNotFound());
  EXPECT_TRUE(log->EnsureTopic("bad/name", 1).IsInvalidArgument());
  EXPECT_TRUE(log->EnsureTopic("_groups", 1).IsInvalidArgument());
  EXPECT_TRUE(log->EnsureTopic("t", 0).IsInvalidArgument());
  ASSERT_TRUE(log->EnsureTopic("t", 2).ok());
  EXPECT_TRUE(log->Produce("t", 2, "k", "v").IsInvalidArgument());
  EXPECT_TRUE(log->Produce("t", -1, "k", "v").IsInvalidArgument());
  ASSERT_TRUE(log->Produce("t", 1, "", "").ok());
  EXPECT_TRUE(log->Fetch("t", 1, 2, 100).status().IsInvalidArgument());
  auto at_end = log->Fetch("t", 1, 1, 100);
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end->empty());
  auto empty_record = log->Fetch("t", 1, 0, 100);
  ASSERT_TRUE(empty_record.ok());
  ASSERT_EQ(empty_record->size(), 1u);
  EXPECT_EQ((*empty_record)[0].key, "");
  EXPECT_TRUE(log->CommitOffset("bad group", "t", 0, 1).IsInvalidArgument());
  // A second FileLog on the same directory would interleave writes.
  auto second = FileLog::Open(tmp.path());
  EXPECT_EQ(second.status().code(), Status::Code::kAborted);
}

TEST(FileLog, ConcurrentProducersLoseNothing) {
  TempDir tmp;
  FileLogOptions options;
  options.segment_bytes = 64 << 10;
  options.batch_bytes = 4 << 10;
  auto log = MustOpen(tmp.path(), options);
  ASSERT_TRUE(log->EnsureTopic("c", 3).ok());
  const int per_thread = 20000;
  auto produce = [&](int thread) {
    for (int i = 0; i < per_thread; ++i) {
      const std::string value = std::to_string(thread) + ":" + std::to_string(i);
      ASSERT_TRUE(log->Produce("c", i % 3, "k", value).ok());
      if (i % 5000 == 0) {
        ASSERT_TRUE(log->Flush().ok());
      }
    }
  };
  std::thread a(produce, 0);
  std::thread b(produce, 1);
  a.join();
  b.join();
  ASSERT_TRUE(log->Flush().ok());
  log.reset();
  log = MustOpen(tmp.path(), options);
  int64_t total = 0;
  for (int p = 0; p < 3; ++p) {
    const auto records = ReadAll(*log, "c", p, 0, 1 << 16);
    total += static_cast<int64_t>(records.size());
    int next[2] = {p, p};  // each thread's values in this partition, in order
    for (const auto& r : records) {
      const int thread = r.value[0] - '0';
      ASSERT_TRUE(thread == 0 || thread == 1);
      ASSERT_EQ(r.value.substr(2), std::to_string(next[thread])) << "partition " << p;
      next[thread] += 3;
    }
  }
  EXPECT_EQ(total, 2 * per_thread);
}

TEST(FileLog, CommittedOffsetsSurviveReopen) {
  TempDir tmp;
  {
    auto log = MustOpen(tmp.path());
    ASSERT_TRUE(log->EnsureTopic("t", 2).ok());
    EXPECT_EQ(*log->CommittedOffset("g1", "t", 0), 0);
    EXPECT_EQ(*log->CommittedOffset("g1", "unknown", 0), 0);
    ASSERT_TRUE(log->CommitOffset("g1", "t", 0, 5).ok());
    ASSERT_TRUE(log->CommitOffset("g1", "t", 1, 7).ok());
    ASSERT_TRUE(log->CommitOffset("g1", "t", 0, 6).ok());
    ASSERT_TRUE(log->CommitOffset("g2", "other", 3, 11).ok());
  }
  auto log = MustOpen(tmp.path());
  EXPECT_EQ(*log->CommittedOffset("g1", "t", 0), 6);
  EXPECT_EQ(*log->CommittedOffset("g1", "t", 1), 7);
  EXPECT_EQ(*log->CommittedOffset("g2", "other", 3), 11);
  EXPECT_EQ(*log->CommittedOffset("g2", "t", 0), 0);
}

// Three flushed batches of ten records in one segment of partition 0.
struct ThreeBatches {
  TempDir tmp;
  Model model{1};
  std::string segment;
  uint64_t batch_bytes[3] = {0, 0, 0};

  ThreeBatches() {
    auto log = MustOpen(tmp.path());
    EXPECT_TRUE(log->EnsureTopic("t", 1).ok());
    for (int b = 0; b < 3; ++b) {
      batch_bytes[b] = 24;
      for (int i = 0; i < 10; ++i) {
        Rec rec{"key", "batch" + std::to_string(b) + "-record" + std::to_string(i)};
        EXPECT_TRUE(log->Produce("t", 0, rec.key, rec.value).ok());
        batch_bytes[b] += 8 + rec.key.size() + rec.value.size();
        model[0].push_back(std::move(rec));
      }
      EXPECT_TRUE(log->Flush().ok());
    }
    const auto files = SegmentFiles(tmp.Join("t/0"));
    EXPECT_EQ(files.size(), 1u);
    segment = files.at(0);
    EXPECT_EQ(fs::file_size(segment), batch_bytes[0] + batch_bytes[1] + batch_bytes[2]);
  }
  // As if the process died before recording what its last Flush synced: the next open
  // verifies every batch of the segment.
  void ForgetRecoveryPoint() { fs::remove(tmp.Join("t/0/recovery-point")); }
  void FlipByte(uint64_t pos) {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(pos));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x40);
    f.seekp(static_cast<std::streamoff>(pos));
    f.write(&c, 1);
  }
};

void ExpectRecoversToAndContinues(ThreeBatches& fx, int64_t expected_end) {
  {
    auto log = MustOpen(fx.tmp.path());
    ASSERT_EQ(*log->EndOffset("t", 0), expected_end);
    fx.model[0].resize(static_cast<size_t>(expected_end));
    ExpectMatchesModel(*log, "t", fx.model, 1 << 20);
    for (int i = 0; i < 5; ++i) {
      Rec rec{"k2", "after-recovery-" + std::to_string(i)};
      ASSERT_TRUE(log->Produce("t", 0, rec.key, rec.value).ok());
      fx.model[0].push_back(std::move(rec));
    }
    ASSERT_TRUE(log->Flush().ok());
  }
  auto log = MustOpen(fx.tmp.path());
  EXPECT_EQ(*log->EndOffset("t", 0), expected_end + 5);
  ExpectMatchesModel(*log, "t", fx.model, 1 << 20);
}

TEST(FileLogRecovery, TruncatedLastBatchIsCut) {
  ThreeBatches fx;
  fs::resize_file(fx.segment, fs::file_size(fx.segment) - 5);
  ExpectRecoversToAndContinues(fx, 20);
  // The torn batch is gone and the five new records form one batch in its place.
  EXPECT_EQ(fs::file_size(fx.segment), fx.batch_bytes[0] + fx.batch_bytes[1] + 24 + 5 * (8 + 2 + 16));
}

TEST(FileLogRecovery, TruncatedHeaderIsCut) {
  ThreeBatches fx;
  fs::resize_file(fx.segment, fx.batch_bytes[0] + fx.batch_bytes[1] + 10);
  ExpectRecoversToAndContinues(fx, 20);
}

TEST(FileLogRecovery, GarbageAfterLastBatchIsCut) {
  ThreeBatches fx;
  {
    std::ofstream f(fx.segment, std::ios::app | std::ios::binary);
    std::mt19937 rng(3);
    for (int i = 0; i < 100; ++i) f.put(static_cast<char>(rng()));
  }
  ExpectRecoversToAndContinues(fx, 30);
}

TEST(FileLogRecovery, FlippedByteInLastBatchIsCut) {
  ThreeBatches fx;
  fx.ForgetRecoveryPoint();
  fx.FlipByte(fs::file_size(fx.segment) - 3);
  ExpectRecoversToAndContinues(fx, 20);
}

TEST(FileLogRecovery, DamageBelowTheRecoveryPointIsFoundWhenRead) {
  // Flushed batches are only walked by header at open (a Flush synced them); damage inside one is Corruption when read,
  // never cut.
  ThreeBatches fx;
  EXPECT_TRUE(fs::exists(fx.tmp.Join("t/0/recovery-point")));
  fx.FlipByte(fs::file_size(fx.segment) - 3);
  auto log = MustOpen(fx.tmp.path());
  EXPECT_EQ(*log->EndOffset("t", 0), 30);
  const auto fetched = log->Fetch("t", 0, 20, 1 << 20);
  ASSERT_TRUE(fetched.status().IsCorruption()) << fetched.status().ToString();
  EXPECT_EQ(fs::file_size(fx.segment), fx.batch_bytes[0] + fx.batch_bytes[1] + fx.batch_bytes[2]);
}

TEST(FileLogRecovery, ARecoveryPointOfAnotherFileVerifiesEverything) {
  // A recovery point beyond the file's end (the segment was replaced meanwhile) is ignored.
  ThreeBatches fx;
  testing::WriteTextFile(fx.tmp.Join("t/0/recovery-point"), "0 999999\n");
  fs::resize_file(fx.segment, fs::file_size(fx.segment) - 5);
  ExpectRecoversToAndContinues(fx, 20);
}

TEST(FileLogRecovery, DamageInTheMiddleIsCorruptionNotSkipped) {
  ThreeBatches fx;
  fx.ForgetRecoveryPoint();
  fx.FlipByte(fx.batch_bytes[0] + 40);  // inside the second batch's payload
  {
    auto log = MustOpen(fx.tmp.path());  // other topics stay usable
    ASSERT_TRUE(log->EnsureTopic("other", 1).ok());
    EXPECT_TRUE(log->Produce("other", 0, "k", "v").ok());
    EXPECT_TRUE(log->EndOffset("t", 0).status().IsCorruption());
    const auto fetched = log->Fetch("t", 0, 0, 100);
    ASSERT_TRUE(fetched.status().IsCorruption());
    EXPECT_NE(fetched.status().message().find("t:0"), std::string::npos) << fetched.status().message();
    EXPECT_TRUE(log->Produce("t", 0, "k", "v").IsCorruption());
  }
  // Nothing was cut away: the file still holds all three batches.
  EXPECT_EQ(fs::file_size(fx.segment), fx.batch_bytes[0] + fx.batch_bytes[1] + fx.batch_bytes[2]);
}

TEST(FileLogRecovery, DamageInAnOlderSegmentIsFoundWhenRead) {
  TempDir tmp;
  FileLogOptions options;
  options.segment_bytes = 1000;
  Model model(1);
  {
    auto log = MustOpen(tmp.path(), options);
    ASSERT_TRUE(log->EnsureTopic("t", 1).ok());
    for (int i = 0; i < 40; ++i) {
      Rec rec{"k", std::string(100, static_cast<char>('a' + i % 26))};
      ASSERT_TRUE(log->Produce("t", 0, rec.key, rec.value).ok());
      model[0].push_back(std::move(rec));
      if (i % 4 == 3) {
        ASSERT_TRUE(log->Flush().ok());
      }
    }
  }
  const auto files = SegmentFiles(tmp.Join("t/0"));
  ASSERT_GE(files.size(), 3u);
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(60);
    f.put('#');
  }
  auto log = MustOpen(tmp.path(), options);
  EXPECT_EQ(*log->EndOffset("t", 0), 40);
  EXPECT_TRUE(log->Fetch("t", 0, 0, 1 << 20).status().IsCorruption());
  // Records in later segments are still readable.
  const int64_t second_base = std::stoll(fs::path(files[1]).stem().string());
  const auto rest = ReadAll(*log, "t", 0, second_base, 1 << 20);
  EXPECT_EQ(static_cast<int64_t>(rest.size()), 40 - second_base);
}

TEST(FileLogRecovery, DamagedHeaderInAnOlderSegmentIsCorruptionAtOpen) {
  TempDir tmp;
  FileLogOptions options;
  options.segment_bytes = 500;
  {
    auto log = MustOpen(tmp.path(), options);
    ASSERT_TRUE(log->EnsureTopic("t", 1).ok());
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(log->Produce("t", 0, "k", std::string(100, 'x')).ok());
      ASSERT_TRUE(log->Flush().ok());
    }
  }
  const auto files = SegmentFiles(tmp.Join("t/0"));
  ASSERT_GE(files.size(), 3u);
  fs::resize_file(files[0], fs::file_size(files[0]) - 1);
  auto log = MustOpen(tmp.path(), options);
  EXPECT_TRUE(log->BeginOffset("t", 0).status().IsCorruption());
}

TEST(FileLogRetention, BySizeDeletesOldSegmentsAndMovesBeginOffset) {
  TempDir tmp;
  FileLogOptions options;
  options.segment_bytes = 4096;
  options.batch_bytes = 1024;
  options.retention_bytes = 10000;
  Model model(1);
  auto log = MustOpen(tmp.path(), options);
  ASSERT_TRUE(log->EnsureTopic("t", 1).ok());
  for (int i = 0; i < 500; ++i) {
    Rec rec{"k", std::string(100, static_cast<char>('a' + i % 26)) + std::to_string(i)};
    ASSERT_TRUE(log->Produce("t", 0, rec.key, rec.value).ok());
    model[0].push_back(std::move(rec));
  }
  ASSERT_TRUE(log->Flush().ok());
  const auto files = SegmentFiles(tmp.Join("t/0"));
  uint64_t total = 0;
  for (const auto& f : files) total += fs::file_size(f);
  // Kafka's rule: a segment goes while the rest would still exceed the limit.
  EXPECT_LE(total - fs::file_size(files[0]), 10000u);
  EXPECT_GT(total, 10000u - 4096u);
  const int64_t first_base = std::stoll(fs::path(files[0]).stem().string());
  EXPECT_GT(first_base, 0);
  EXPECT_EQ(*log->BeginOffset("t", 0), first_base);
  EXPECT_EQ(*log->EndOffset("t", 0), 500);
  EXPECT_EQ(*log->CommittedOffset("never", "t", 0), first_base);
  const auto below = log->Fetch("t", 0, first_base - 1, 100);
  ASSERT_TRUE(below.status().IsNotFound());
  EXPECT_NE(below.status().message().find("out of range"), std::string::npos);
  const auto rest = ReadAll(*log, "t", 0, first_base, 1000);
  ASSERT_EQ(static_cast<int64_t>(rest.size()), 500 - first_base);
  EXPECT_EQ(rest[0].value, model[0][static_cast<size_t>(first_base)].value);
  log.reset();
  log = MustOpen(tmp.path(), options);
  EXPECT_EQ(*log->BeginOffset("t", 0), first_base);
  EXPECT_EQ(*log->EndOffset("t", 0), 500);
}

TEST(FileLogRetention, ByAgeKeepsOnlyTheActiveSegment) {
  TempDir tmp;
  FileLogOptions options;
  options.segment_bytes = 2048;
  options.batch_bytes = 512;
  {
    auto log = MustOpen(tmp.path(), options);
    ASSERT_TRUE(log->EnsureTopic("t", 1).ok());
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(log->Produce("t", 0, "k", std::string(200, 'z')).ok());
    ASSERT_TRUE(log->Flush().ok());
  }
  const auto files = SegmentFiles(tmp.Join("t/0"));
  ASSERT_GE(files.size(), 3u);
  const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
  for (size_t i = 0; i + 2 < files.size(); ++i) fs::last_write_time(files[i], two_hours_ago);
  options.retention_ms = 3600 * 1000;
  auto log = MustOpen(tmp.path(), options);
  const auto kept = SegmentFiles(tmp.Join("t/0"));
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0], files[files.size() - 2]);
  EXPECT_EQ(*log->BeginOffset("t", 0), std::stoll(fs::path(kept[0]).stem().string()));
  EXPECT_EQ(*log->EndOffset("t", 0), 100);
}

}  // namespace
}  // namespace stocklake
