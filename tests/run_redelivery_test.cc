// Rows delivered again after the lake applied them (a processor that lost its partitions
// but still published, a stage that crashed between its output and its offset commit)
// are recognised by their lineage and change nothing: the lake stays equal to a clean
// run's, and the stage counts them as redelivered, not as new rows or duplicates.
#include <gtest/gtest.h>

#include "lake/snapshot.h"
#include "lake/source_registry.h"
#include "lake_test_util.h"
#include "log/bar_codec.h"
#include "log/file_log.h"
#include "log/topics.h"
#include "orchestrate/lake_stage.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;

TEST(Redelivery, RowsTheLakeAlreadyHoldsAreSkippedNotCountedTwice) {
  TempDir dir;
  const auto gen = RunCommand(StocklakeBinary() + " generate --tickers 6 --days 200 --seed 5 --bad-rows 0.05 --out " +
                              dir.Join("data"));
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  for (const char* lake : {"lake", "clean"}) {
    const auto run = RunCommand(StocklakeBinary() + " run --quiet --store none --partitions 4 --input " +
                                dir.Join("data") + " --lake " + dir.Join(lake));
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }
  const std::string lake = dir.Join("lake");

  // Publish every processed and rejected record of the lake a second time.
  int64_t republished_rows = 0;
  {
    auto log = OpenFileLog(lake + "/_log");
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (std::string_view topic_name : {kProcessedTopic, kRejectsTopic}) {
      const std::string topic(topic_name);
      for (int p = 0; p < 4; ++p) {
        auto end = (*log)->EndOffset(topic, p);
        ASSERT_TRUE(end.ok());
        auto records = (*log)->Fetch(topic, p, 0, size_t{1} << 30);
        ASSERT_TRUE(records.ok()) << records.status().ToString();
        for (const LogRecord& r : *records) {
          if (r.offset >= *end) break;
          auto batch = DecodeBarRecord(r.value, 0);
          ASSERT_TRUE(batch.ok());
          republished_rows += static_cast<int64_t>(batch->size());
          ASSERT_TRUE((*log)->Produce(topic, p, r.key, r.value).ok());
        }
      }
    }
    ASSERT_TRUE((*log)->Flush().ok());
    ASSERT_GT(republished_rows, 0);

    auto registry = SourceRegistry::Open(lake);
    ASSERT_TRUE(registry.ok());
    auto base = LoadCurrentSnapshot(lake);
    ASSERT_TRUE(base.ok());
    auto applied = RunLakeStage(lake, 4, AllPartitions(4), 2, *registry, log->get(), *base, "{}");
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    EXPECT_EQ(applied->redelivered_rows, republished_rows);
    EXPECT_EQ(applied->accepted, 0);
    EXPECT_EQ(applied->rejected, 0);
    EXPECT_EQ(applied->duplicates, 0);
    EXPECT_EQ(applied->earlier_rows_displaced, 0);
  }
  testing::ExpectSameLakes(lake, dir.Join("clean"), /*require_rows=*/true);
}

}  // namespace
}  // namespace stocklake
