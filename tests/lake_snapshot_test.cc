#include <gtest/gtest.h>

#include <filesystem>

#include "core/files.h"
#include "lake/snapshot.h"
#include "lake/source_registry.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::TempDir;

// What a writer of `bucket` would commit on top of `base`: one file and its offset.
LakeSnapshot WithBucket(const LakeSnapshot& base, int bucket, int64_t offset) {
  LakeSnapshot next = base;
  next.partitions = 4;
  auto& files = next.tables["silver/bars"];
  std::erase_if(files, [&](const DataFile& f) { return f.bucket == bucket; });
  files.push_back(DataFile{DataFileName("silver/bars", bucket, base.id + 1), bucket, offset, 100, ""});
  auto& offsets = next.consumed_offsets["processed-stock-data"];
  offsets.resize(4, 0);
  offsets[static_cast<size_t>(bucket)] = offset;
  return next;
}

TEST(SnapshotTest, WritersOfDisjointBucketsCommitOnTopOfEachOther) {
  TempDir dir;
  const LakeSnapshot empty;  // both start before anything was committed
  LakeSnapshot a = WithBucket(empty, 0, 10), b = WithBucket(empty, 3, 30);
  ASSERT_TRUE(CommitBucketUpdate(dir.path(), empty, {0}, &a).ok());
  const Status second = CommitBucketUpdate(dir.path(), empty, {3}, &b);
  ASSERT_TRUE(second.ok()) << second.ToString();
  auto current = LoadCurrentSnapshot(dir.path());
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->id, 2);
  ASSERT_EQ(current->FilesOf("silver/bars", 0).size(), 1u);
  ASSERT_EQ(current->FilesOf("silver/bars", 3).size(), 1u);
  EXPECT_EQ(current->consumed_offsets["processed-stock-data"], (std::vector<int64_t>{10, 0, 0, 30}));

  // A writer still working from the empty lake on bucket 0 is refused: bucket 0 moved on.
  LakeSnapshot stale = WithBucket(empty, 0, 5);
  const Status refused = CommitBucketUpdate(dir.path(), empty, {0}, &stale);
  EXPECT_TRUE(refused.IsAborted()) << refused.ToString();
  auto after = LoadCurrentSnapshot(dir.path());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->id, 2);
  EXPECT_EQ(after->FilesOf("silver/bars", 0).at(0)->rows, 10);
}

TEST(SnapshotTest, EmptyLakeHasNoSnapshot) {
  TempDir dir;
  auto s = LoadCurrentSnapshot(dir.path());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->id, 0);
  EXPECT_TRUE(s->tables.empty());
}

TEST(SnapshotTest, CommitPublishesFilesAndOffsetsAtomically) {
  TempDir dir;
  LakeSnapshot first;
  first.partitions = 4;
  first.tables["silver/bars"].push_back(DataFile{DataFileName("silver/bars", 2, 1), 2, 10, 100, ""});
  first.consumed_offsets["processed-stock-data"] = {1, 2, 3, 4};
  first.sources_applied = 7;
  ASSERT_TRUE(CommitSnapshot(dir.path(), &first).ok());
  EXPECT_EQ(first.id, 1);

  LakeSnapshot second = first;
  second.tables["silver/bars"][0].rows = 20;
  ASSERT_TRUE(CommitSnapshot(dir.path(), &second).ok());
  EXPECT_EQ(second.id, 2);

  auto loaded = LoadCurrentSnapshot(dir.path());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->id, 2);
  EXPECT_EQ(loaded->partitions, 4);
  EXPECT_EQ(loaded->sources_applied, 7u);
  ASSERT_EQ(loaded->FilesOf("silver/bars", 2).size(), 1u);
  EXPECT_EQ(loaded->FilesOf("silver/bars", 2).at(0)->rows, 20);
  EXPECT_TRUE(loaded->FilesOf("silver/bars", 1).empty());
  EXPECT_EQ(loaded->consumed_offsets["processed-stock-data"], (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(SnapshotTest, GarbledPointerIsCorruption) {
  TempDir dir;
  ASSERT_TRUE(CreateDirectories(dir.Join("_stocklake")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.Join("_stocklake/CURRENT"), "banana\n").ok());
  EXPECT_TRUE(LoadCurrentSnapshot(dir.path()).status().IsCorruption());
  ASSERT_TRUE(WriteFileAtomic(dir.Join("_stocklake/CURRENT"), "3\n").ok());
  EXPECT_TRUE(LoadCurrentSnapshot(dir.path()).status().IsNotFound());
}

TEST(SnapshotTest, UnreferencedFilesAreRemoved) {
  TempDir dir;
  LakeSnapshot s;
  s.partitions = 1;
  const std::string kept = DataFileName("silver/bars", 0, 2), stale = DataFileName("silver/bars", 0, 1);
  s.tables["silver/bars"].push_back(DataFile{kept, 0, 1, 1, ""});
  testing::WriteTextFile(dir.Join(kept), "x");
  testing::WriteTextFile(dir.Join(stale), "x");
  testing::WriteTextFile(dir.Join("silver/bars/README.md"), "not ours");
  ASSERT_TRUE(RemoveUnreferencedFiles(dir.path(), s).ok());
  EXPECT_TRUE(PathExists(dir.Join(kept)));
  EXPECT_FALSE(PathExists(dir.Join(stale)));
  EXPECT_TRUE(PathExists(dir.Join("silver/bars/README.md")));
}

SourceRecord Source(const std::string& path, uint64_t hash) {
  SourceRecord r;
  r.relative_path = path;
  r.input_path = "/in";
  r.content_hash = hash;
  r.bytes = 10;
  r.ingest_date = "2026-11-25";
  return r;
}

TEST(SourceRegistryTest, IdsCommitAndSurviveReopen) {
  TempDir dir;
  {
    auto reg = SourceRegistry::Open(dir.path());
    ASSERT_TRUE(reg.ok());
    std::vector<SourceRecord> batch = {Source("a.us.txt", 1), Source("b.us.txt", 2)};
    ASSERT_TRUE(reg->Register(&batch).ok());
    EXPECT_EQ(batch[0].id, 0u);
    EXPECT_EQ(batch[1].id, 1u);
    EXPECT_EQ(batch[1].bronze_path, "bronze/ingest_date=2026-11-25/00000001-b.us.txt.zst");
    EXPECT_FALSE(reg->IsIngested("a.us.txt", 1));  // registered, not yet committed
    ASSERT_TRUE(reg->MarkCommitted(0, 1).ok());
    EXPECT_TRUE(reg->IsIngested("a.us.txt", 1));
    EXPECT_FALSE(reg->IsIngested("a.us.txt", 3));  // same path, new content
  }
  auto reopened = SourceRegistry::Open(dir.path());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->next_id(), 2u);
  EXPECT_TRUE(reopened->IsCommitted(1));
  EXPECT_TRUE(reopened->IsIngested("b.us.txt", 2));
  EXPECT_EQ(reopened->Find(0)->relative_path, "a.us.txt");
}

TEST(SourceRegistryTest, UncommittedAttemptAndTornLineAreIgnored) {
  TempDir dir;
  {
    auto reg = SourceRegistry::Open(dir.path());
    std::vector<SourceRecord> batch = {Source("a.us.txt", 1)};
    ASSERT_TRUE(reg->Register(&batch).ok());  // a crash before MarkCommitted
  }
  // A crash mid-append leaves a line without its newline.
  {
    FILE* f = fopen(dir.Join("_stocklake/sources.jsonl").c_str(), "a");
    fputs("{\"commit\": [0, 0", f);
    fclose(f);
  }
  auto reg = SourceRegistry::Open(dir.path());
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_FALSE(reg->IsCommitted(0));
  EXPECT_FALSE(reg->IsIngested("a.us.txt", 1));
  std::vector<SourceRecord> retry = {Source("a.us.txt", 1)};
  ASSERT_TRUE(reg->Register(&retry).ok());
  EXPECT_EQ(retry[0].id, 1u);  // ids are never reused
  ASSERT_TRUE(reg->MarkCommitted(1, 1).ok());
  auto again = SourceRegistry::Open(dir.path());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->IsIngested("a.us.txt", 1));
  EXPECT_FALSE(again->IsCommitted(0));
}

}  // namespace
}  // namespace stocklake
