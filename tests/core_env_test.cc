// The POSIX Env and the fault-injecting test Env (tests/fault_env.h).
#include <gtest/gtest.h>

#include <cstring>

#include "core/env.h"
#include "core/files.h"
#include "fault_env.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::FaultEnv;
using testing::TempDir;

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string Read(const std::string& path) {
  auto text = ReadFileToString(path);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : std::string();
}

TEST(PosixEnvTest, PositionedVectoredWritesAndExactReads) {
  TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("f");
  {
    auto file = env->NewWritableFile(path, OpenMode::kCreateNew);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ASSERT_TRUE((*file)->WriteAt(0, "head", "er-payload").ok());
    ASSERT_TRUE((*file)->WriteAt(4, "ER").ok());
    (*file)->StartWriteBack(0, 0);
    ASSERT_TRUE((*file)->SyncData().ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
  EXPECT_EQ(Read(path), "headER-payload");
  auto reader = env->NewRandomAccessFile(path);
  ASSERT_TRUE(reader.ok());
  char buf[8];
  ASSERT_TRUE((*reader)->ReadExact(7, 7, buf).ok());
  EXPECT_EQ(std::string(buf, 7), "payload");
  const Status short_read = (*reader)->ReadExact(10, 8, buf);
  EXPECT_TRUE(short_read.IsCorruption()) << short_read.ToString();

  // Opening for appending creates; kExisting needs the file; kCreateNew refuses one.
  EXPECT_TRUE(env->NewWritableFile(dir.Join("missing"), OpenMode::kExisting).status().IsNotFound());
  const Status exists = env->NewWritableFile(path, OpenMode::kCreateNew).status();
  EXPECT_TRUE(exists.IsIOError() && Contains(exists.message(), path)) << exists.ToString();
  EXPECT_TRUE(env->NewWritableFile(dir.Join("no/dir/x"), OpenMode::kTruncate).status().IsIOError());

  auto info = env->GetFileInfo(path);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 14u);
  ASSERT_TRUE(env->TruncateFile(path, 4).ok());
  EXPECT_EQ(Read(path), "head");
}

TEST(PosixEnvTest, LockFileConflictsWithoutWaiting) {
  TempDir dir;
  Env* env = Env::Default();
  auto first = env->LockFile(dir.Join("LOCK"), LockMode::kExclusive, false);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(env->LockFile(dir.Join("LOCK"), LockMode::kShared, false).status().IsAborted());
  first->reset();
  EXPECT_TRUE(env->LockFile(dir.Join("LOCK"), LockMode::kShared, false).ok());
}

TEST(FaultEnvTest, FailsTheNthWriteSyncAndRenameWithTheChosenError) {
  TempDir dir;
  FaultEnv env;
  auto file = env.NewWritableFile(dir.Join("f"), OpenMode::kTruncate);
  ASSERT_TRUE(file.ok());
  env.FailNthWrite(2, ENOSPC);
  EXPECT_TRUE((*file)->Append("one").ok());
  const Status write = (*file)->Append("two");
  EXPECT_TRUE(write.IsIOError());
  EXPECT_TRUE(Contains(write.message(), dir.Join("f")) && Contains(write.message(), std::strerror(ENOSPC)))
      << write.ToString();
  EXPECT_TRUE((*file)->Append("three").ok());  // only the n-th fails
  EXPECT_EQ(env.writes(), 3);

  env.FailNthSync(1);
  EXPECT_TRUE((*file)->Sync().IsIOError());
  EXPECT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(Read(dir.Join("f")), "onethree");

  env.FailNthRename(1, EIO);
  EXPECT_TRUE(env.RenameFile(dir.Join("f"), dir.Join("g")).IsIOError());
  EXPECT_TRUE(PathExists(dir.Join("f")));
  EXPECT_TRUE(env.RenameFile(dir.Join("f"), dir.Join("g")).ok());
  EXPECT_EQ(Read(dir.Join("g")), "onethree");

  // A torn write leaves the first half of its bytes behind.
  env.FailNthWrite(1, EIO, /*torn=*/true);
  auto torn = env.NewWritableFile(dir.Join("t"), OpenMode::kTruncate);
  ASSERT_TRUE(torn.ok());
  EXPECT_FALSE((*torn)->WriteAt(0, "abcd", "efgh").ok());
  EXPECT_EQ(Read(dir.Join("t")), "abcd");
}

TEST(FaultEnvTest, PowerLossDropsWhatWasNeverSynced) {
  TempDir dir;
  ASSERT_TRUE(WriteFileDurable(dir.Join("old"), "durable").ok());  // before the env saw it
  FaultEnv env;
  {
    auto old_file = env.NewWritableFile(dir.Join("old"), OpenMode::kAppend);
    ASSERT_TRUE(old_file.ok());
    ASSERT_TRUE((*old_file)->Append("+synced").ok());
    ASSERT_TRUE((*old_file)->Sync().ok());
    ASSERT_TRUE((*old_file)->Append("+lost").ok());
  }
  {
    auto unlinked = env.NewWritableFile(dir.Join("created-before-dir-sync"), OpenMode::kCreateNew);
    ASSERT_TRUE(unlinked.ok());
    ASSERT_TRUE((*unlinked)->Append("x").ok());
    ASSERT_TRUE((*unlinked)->Sync().ok());
  }
  ASSERT_TRUE(WriteFileDurable(dir.Join("new-dir-synced"), "kept", &env).ok());
  {
    auto partly = env.NewWritableFile(dir.Join("partly"), OpenMode::kCreateNew);
    ASSERT_TRUE(partly.ok());
    ASSERT_TRUE((*partly)->Append("0123").ok());
    ASSERT_TRUE((*partly)->SyncData().ok());
    ASSERT_TRUE((*partly)->Append("456789").ok());
  }
  ASSERT_TRUE(env.SyncDirectory(dir.path()).ok());  // makes the creations so far durable
  {
    auto late = env.NewWritableFile(dir.Join("late"), OpenMode::kCreateNew);
    ASSERT_TRUE(late.ok());
  }

  ASSERT_TRUE(env.SimulatePowerLoss(/*keep_unsynced=*/2).ok());
  EXPECT_EQ(Read(dir.Join("old")), "durable+synced+l");  // 2 bytes of the unsynced tail
  EXPECT_EQ(Read(dir.Join("new-dir-synced")), "kept");
  EXPECT_EQ(Read(dir.Join("partly")), "012345");
  EXPECT_TRUE(PathExists(dir.Join("created-before-dir-sync")));  // the directory sync came after
  EXPECT_FALSE(PathExists(dir.Join("late")));

  // The machine is down until the faults are cleared.
  EXPECT_FALSE(WriteFileDurable(dir.Join("after"), "x", &env).ok());
  env.ClearFaults();
  EXPECT_TRUE(WriteFileDurable(dir.Join("after"), "x", &env).ok());
}

}  // namespace
}  // namespace stocklake
