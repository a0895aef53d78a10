// Snapshot commits under injected I/O faults (tests/fault_env.h): whichever write, fsync
// or rename of the commit fails, the commit reports it, the previous snapshot stays
// current and readable, and a retry on a healthy Env succeeds.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "fault_env.h"
#include "lake/snapshot.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::FaultEnv;
using testing::TempDir;

LakeSnapshot WithFile(const LakeSnapshot& base, int bucket, int64_t rows) {
  LakeSnapshot next = base;
  next.partitions = 2;
  next.tables["silver/bars"].push_back(
      DataFile{DataFileName("silver/bars", bucket, base.id + 1), bucket, rows, 10, ""});
  next.consumed_offsets["t"] = {rows, 0};
  return next;
}

enum class Op { kWrite, kSync, kRename };

struct Fault {
  Op op;
  int nth;  // a commit writes 2 files: 2 writes, 4 syncs (file, directory each), 2 renames
  int error;
};

class SnapshotCommitFault : public ::testing::TestWithParam<Fault> {};

TEST_P(SnapshotCommitFault, ReportsTheErrorAndKeepsThePreviousSnapshotCurrent) {
  TempDir dir;
  LakeSnapshot first = WithFile(LakeSnapshot{}, 0, 5);
  ASSERT_TRUE(CommitSnapshot(dir.path(), &first).ok());
  ASSERT_EQ(first.id, 1);

  FaultEnv env;
  const Fault fault = GetParam();
  switch (fault.op) {
    case Op::kWrite: env.FailNthWrite(fault.nth, fault.error); break;
    case Op::kSync: env.FailNthSync(fault.nth, fault.error); break;
    case Op::kRename: env.FailNthRename(fault.nth, fault.error); break;
  }
  LakeSnapshot second = WithFile(first, 1, 7);
  const Status committed = CommitSnapshot(dir.path(), &second, &env);
  ASSERT_TRUE(committed.IsIOError()) << committed.ToString();
  EXPECT_NE(committed.message().find(std::strerror(fault.error)), std::string::npos) << committed.ToString();
  EXPECT_NE(committed.message().find(dir.path() + "/_stocklake"), std::string::npos) << committed.ToString();

  auto current = LoadCurrentSnapshot(dir.path());
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  EXPECT_EQ(current->id, 1);
  EXPECT_TRUE(current->FilesOf("silver/bars", 1).empty());
  ASSERT_EQ(current->FilesOf("silver/bars", 0).size(), 1u);
  EXPECT_EQ(current->consumed_offsets["t"], (std::vector<int64_t>{5, 0}));

  env.ClearFaults();
  LakeSnapshot retry = WithFile(first, 1, 7);
  const Status again = CommitSnapshot(dir.path(), &retry, &env);
  ASSERT_TRUE(again.ok()) << again.ToString();
  current = LoadCurrentSnapshot(dir.path());
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  EXPECT_EQ(current->id, 2);
  EXPECT_EQ(current->FilesOf("silver/bars", 1).size(), 1u);
  EXPECT_EQ(current->consumed_offsets["t"], (std::vector<int64_t>{7, 0}));
}

INSTANTIATE_TEST_SUITE_P(Faults, SnapshotCommitFault,
                         ::testing::Values(Fault{Op::kWrite, 1, ENOSPC},  // the manifest
                                           Fault{Op::kWrite, 2, EIO},     // CURRENT
                                           Fault{Op::kSync, 1, EIO},      // the manifest's fsync
                                           Fault{Op::kSync, 2, EIO},      // its directory's
                                           Fault{Op::kSync, 3, EIO},      // CURRENT's fsync
                                           Fault{Op::kSync, 4, EIO},      // its directory's
                                           Fault{Op::kRename, 1, EIO},    // the manifest into place
                                           Fault{Op::kRename, 2, ENOSPC}  // CURRENT into place
                                           ));

TEST(SnapshotCommitFaultCounts, ACommitIsTwoWritesFourSyncsTwoRenames) {
  TempDir dir;
  FaultEnv env;
  LakeSnapshot s = WithFile(LakeSnapshot{}, 0, 5);
  ASSERT_TRUE(CommitSnapshot(dir.path(), &s, &env).ok());
  EXPECT_EQ(env.writes(), 2);
  EXPECT_EQ(env.syncs(), 4);
  EXPECT_EQ(env.renames(), 2);
}

TEST(SnapshotPowerLoss, ACommitThatReturnedSurvivesAndOneCutShortLeavesThePrevious) {
  TempDir dir;
  FaultEnv env;
  LakeSnapshot first = WithFile(LakeSnapshot{}, 0, 5);
  ASSERT_TRUE(CommitSnapshot(dir.path(), &first, &env).ok());
  env.FailNthSync(3, EIO);  // CURRENT.tmp never becomes durable
  LakeSnapshot second = WithFile(first, 1, 7);
  ASSERT_FALSE(CommitSnapshot(dir.path(), &second, &env).ok());
  ASSERT_TRUE(env.SimulatePowerLoss().ok());
  env.ClearFaults();
  auto current = LoadCurrentSnapshot(dir.path(), &env);
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  EXPECT_EQ(current->id, 1);
  LakeSnapshot retry = WithFile(first, 1, 7);
  ASSERT_TRUE(CommitSnapshot(dir.path(), &retry, &env).ok());
  EXPECT_EQ(retry.id, 2);
}

}  // namespace
}  // namespace stocklake
