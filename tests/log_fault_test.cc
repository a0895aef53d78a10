// The file log under injected I/O faults (tests/fault_env.h): a failed write or fsync is
// reported naming the segment, and a reopen, also after a power loss, recovers a
// consistent log that holds every record a Flush acknowledged.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "fault_env.h"
#include "log/file_log.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::FaultEnv;
using testing::TempDir;

constexpr const char* kTopic = "t";

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string ValueOf(int i) { return "value-" + std::to_string(i) + std::string(static_cast<size_t>(i % 50), 'x'); }

std::unique_ptr<FileLog> MustOpen(const std::string& dir, const FileLogOptions& options) {
  auto log = FileLog::Open(dir, options);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(*log) : nullptr;
}

// Produces records [from, to) of the sequence ValueOf describes.
void ProduceRange(FileLog& log, int from, int to) {
  for (int i = from; i < to; ++i) ASSERT_TRUE(log.Produce(kTopic, 0, "k" + std::to_string(i), ValueOf(i)).ok());
}

// The log holds exactly records [0, end) of the sequence, in order.
void ExpectRecords(FileLog& log, int64_t end) {
  auto end_offset = log.EndOffset(kTopic, 0);
  ASSERT_TRUE(end_offset.ok()) << end_offset.status().ToString();
  ASSERT_EQ(*end_offset, end);
  int64_t next = 0;
  while (next < end) {
    auto batch = log.Fetch(kTopic, 0, next, 1 << 20);
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    ASSERT_FALSE(batch->empty());
    for (const LogRecord& r : *batch) {
      ASSERT_EQ(r.offset, next);
      ASSERT_EQ(r.key, "k" + std::to_string(next));
      ASSERT_EQ(r.value, ValueOf(static_cast<int>(next)));
      ++next;
    }
  }
}

std::string SegmentPath(const std::string& dir) { return dir + "/" + kTopic + "/0/00000000000000000000.log"; }

// Opens a log on `env` with one topic and 100 records acknowledged by a Flush.
std::unique_ptr<FileLog> OpenWithAcknowledged(const std::string& dir, const FileLogOptions& options) {
  auto log = MustOpen(dir, options);
  if (log == nullptr) return nullptr;
  EXPECT_TRUE(log->EnsureTopic(kTopic, 1).ok());
  ProduceRange(*log, 0, 100);
  EXPECT_TRUE(log->Flush().ok());
  return log;
}

class LogWriteFault : public ::testing::TestWithParam<bool> {};  // torn write or not

TEST_P(LogWriteFault, FlushReportsTheFileAndReopenKeepsWhatWasAcknowledged) {
  TempDir dir;
  FaultEnv env;
  FileLogOptions options;
  options.env = &env;
  auto log = OpenWithAcknowledged(dir.path(), options);
  ASSERT_NE(log, nullptr);

  env.FailNthWrite(1, ENOSPC, /*torn=*/GetParam());
  ProduceRange(*log, 100, 150);
  const Status flushed = log->Flush();
  ASSERT_TRUE(flushed.IsIOError()) << flushed.ToString();
  EXPECT_TRUE(Contains(flushed.message(), SegmentPath(dir.path()))) << flushed.ToString();
  EXPECT_TRUE(Contains(flushed.message(), std::strerror(ENOSPC))) << flushed.ToString();
  // The partition refuses work until the log is reopened and its tail verified.
  EXPECT_FALSE(log->Produce(kTopic, 0, "k", "v").ok());
  log.reset();

  env.ClearFaults();
  log = MustOpen(dir.path(), options);
  ASSERT_NE(log, nullptr);
  ExpectRecords(*log, 100);  // a torn batch was cut off at reopen
  ProduceRange(*log, 100, 120);
  ASSERT_TRUE(log->Flush().ok());
  ExpectRecords(*log, 120);
}

INSTANTIATE_TEST_SUITE_P(FileLog, LogWriteFault, ::testing::Bool());

class LogSyncFault : public ::testing::TestWithParam<bool> {};  // power loss after it or not

TEST_P(LogSyncFault, FlushReportsTheFileAndReopenKeepsWhatWasAcknowledged) {
  TempDir dir;
  FaultEnv env;
  FileLogOptions options;
  options.env = &env;
  auto log = OpenWithAcknowledged(dir.path(), options);
  ASSERT_NE(log, nullptr);

  env.FailNthSync(1, EIO);
  ProduceRange(*log, 100, 150);
  const Status flushed = log->Flush();
  ASSERT_TRUE(flushed.IsIOError()) << flushed.ToString();
  EXPECT_TRUE(Contains(flushed.message(), SegmentPath(dir.path()))) << flushed.ToString();
  EXPECT_TRUE(Contains(flushed.message(), "fsync")) << flushed.ToString();
  // Not acknowledged, so a retry must not pretend it is durable now.
  EXPECT_FALSE(log->Flush().ok());
  EXPECT_FALSE(log->Produce(kTopic, 0, "k", "v").ok());
  const bool power_loss = GetParam();
  if (power_loss) {
    ASSERT_TRUE(env.SimulatePowerLoss().ok());
  }
  log.reset();

  env.ClearFaults();
  log = MustOpen(dir.path(), options);
  ASSERT_NE(log, nullptr);
  // The unacknowledged batch survives only if the machine stayed up.
  ExpectRecords(*log, power_loss ? 100 : 150);
}

INSTANTIATE_TEST_SUITE_P(FileLog, LogSyncFault, ::testing::Bool());

TEST(LogPowerLoss, UnsyncedTailIsDroppedAndReopenTruncatesTheTornBatch) {
  TempDir dir;
  FaultEnv env;
  FileLogOptions options;
  options.env = &env;
  options.batch_bytes = 512;  // Produce writes batches long before a Flush syncs them
  auto log = OpenWithAcknowledged(dir.path(), options);
  ASSERT_NE(log, nullptr);
  const auto acknowledged_size = std::filesystem::file_size(SegmentPath(dir.path()));

  ProduceRange(*log, 100, 200);
  ASSERT_GT(std::filesystem::file_size(SegmentPath(dir.path())), acknowledged_size);  // written, not synced
  ASSERT_TRUE(env.SimulatePowerLoss(/*keep_unsynced=*/100).ok());  // part of the next batch reached the disk
  EXPECT_EQ(std::filesystem::file_size(SegmentPath(dir.path())), acknowledged_size + 100);
  log.reset();  // its final Flush fails: the machine is down

  env.ClearFaults();
  log = MustOpen(dir.path(), options);
  ASSERT_NE(log, nullptr);
  ExpectRecords(*log, 100);
  EXPECT_EQ(std::filesystem::file_size(SegmentPath(dir.path())), acknowledged_size);
  ProduceRange(*log, 100, 130);
  ASSERT_TRUE(log->Flush().ok());
  log.reset();
  log = MustOpen(dir.path(), options);
  ASSERT_NE(log, nullptr);
  ExpectRecords(*log, 130);
}

TEST(LogPowerLoss, SegmentsRolledButNeverSyncedAreRecoveredConsistently) {
  TempDir dir;
  FaultEnv env;
  FileLogOptions options;
  options.env = &env;
  options.batch_bytes = 512;
  options.segment_bytes = 2048;  // rolls every few batches; a roll syncs the sealed segment
  auto log = OpenWithAcknowledged(dir.path(), options);
  ASSERT_NE(log, nullptr);
  ProduceRange(*log, 100, 300);
  ASSERT_TRUE(env.SimulatePowerLoss(/*keep_unsynced=*/50).ok());
  log.reset();

  env.ClearFaults();
  log = MustOpen(dir.path(), options);
  ASSERT_NE(log, nullptr);
  auto end = log->EndOffset(kTopic, 0);
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  // Everything acknowledged is there; what a roll made durable may be too, with no gap.
  EXPECT_GE(*end, 100);
  EXPECT_LE(*end, 300);
  ExpectRecords(*log, *end);
}

}  // namespace
}  // namespace stocklake
