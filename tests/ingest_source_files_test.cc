// Tests of ListSourceFiles: which files a run reads and in which order.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "ingest/source_files.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::TempDir;
using testing::WriteTextFile;

std::vector<std::string> RelativePaths(const std::vector<SourceFile>& files) {
  std::vector<std::string> out;
  for (const SourceFile& f : files) out.push_back(f.relative_path);
  return out;
}

TEST(SourceFilesTest, RecursesKeepsInputExtensionsAndSortsByRelativeBytes) {
  TempDir dir;
  for (const char* name : {"b.txt", "a/z.csv", "a.txt", "a/b/c.json", "B.txt", "Stocks/x.us.txt", "notes.md",
                           "data.TXT", "a-b.csv", "txt", "a/b/.hidden.csv", "ETFs/y.us.txt"}) {
    WriteTextFile(dir.Join(name), "x\n");
  }
  Result<std::vector<SourceFile>> files = ListSourceFiles({dir.path()});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  // Byte order of the whole relative path: 'B' < 'E' < 'S' < 'a'; '-' < '.' < '/'.
  EXPECT_EQ(RelativePaths(*files),
            (std::vector<std::string>{"B.txt", "ETFs/y.us.txt", "Stocks/x.us.txt", "a-b.csv", "a.txt",
                                      "a/b/.hidden.csv", "a/b/c.json", "a/z.csv", "b.txt"}));
  for (const SourceFile& f : *files) {
    EXPECT_EQ(f.absolute_path, dir.path() + "/" + f.relative_path);
    EXPECT_EQ(f.input_index, 0);
  }
}

TEST(SourceFilesTest, InputsKeepTheirGivenOrderAndFileInputsAnyExtension) {
  TempDir dir;
  WriteTextFile(dir.Join("second/b.txt"), "x\n");
  WriteTextFile(dir.Join("second/a.txt"), "x\n");
  WriteTextFile(dir.Join("first/z.csv"), "x\n");
  WriteTextFile(dir.Join("single/prices.dat"), "x\n");
  Result<std::vector<SourceFile>> files =
      ListSourceFiles({dir.Join("second/"), dir.Join("first"), dir.Join("single/prices.dat")});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 4u);
  EXPECT_EQ(RelativePaths(*files), (std::vector<std::string>{"a.txt", "b.txt", "z.csv", "prices.dat"}));
  EXPECT_EQ((*files)[0].input_index, 0);
  EXPECT_EQ((*files)[0].absolute_path, dir.Join("second/a.txt"));
  EXPECT_EQ((*files)[2].input_index, 1);
  EXPECT_EQ((*files)[3].input_index, 2);
  EXPECT_EQ((*files)[3].absolute_path, dir.Join("single/prices.dat"));
}

TEST(SourceFilesTest, RelativeInputPathsGiveAbsolutePaths) {
  TempDir dir;
  WriteTextFile(dir.Join("in/a.txt"), "x\n");
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  Result<std::vector<SourceFile>> files = ListSourceFiles({"in"});
  ASSERT_EQ(::chdir(cwd), 0);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].absolute_path, dir.Join("in/a.txt"));
  EXPECT_EQ((*files)[0].relative_path, "a.txt");
}

TEST(SourceFilesTest, FollowsLinksButVisitsEachDirectoryOnce) {
  TempDir dir;
  WriteTextFile(dir.Join("in/real/a.txt"), "x\n");
  ASSERT_EQ(::symlink(dir.Join("in").c_str(), dir.Join("in/real/loop").c_str()), 0);
  ASSERT_EQ(::symlink(dir.Join("in/real/a.txt").c_str(), dir.Join("in/link.txt").c_str()), 0);
  ASSERT_EQ(::symlink(dir.Join("in/missing.txt").c_str(), dir.Join("in/dangling.txt").c_str()), 0);
  Result<std::vector<SourceFile>> files = ListSourceFiles({dir.Join("in")});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(RelativePaths(*files), (std::vector<std::string>{"link.txt", "real/a.txt"}));
}

TEST(SourceFilesTest, EmptyDirectoryGivesNoFiles) {
  TempDir dir;
  Result<std::vector<SourceFile>> files = ListSourceFiles({dir.path()});
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
}

TEST(SourceFilesTest, MissingOrUnreadableInputIsAnErrorNamingThePath) {
  TempDir dir;
  WriteTextFile(dir.Join("ok/a.txt"), "x\n");
  Result<std::vector<SourceFile>> missing = ListSourceFiles({dir.Join("ok"), dir.Join("nope")});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find(dir.Join("nope")), std::string::npos);
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);

  Result<std::vector<SourceFile>> below_file = ListSourceFiles({dir.Join("ok/a.txt/x")});
  EXPECT_TRUE(below_file.status().IsNotFound());
  EXPECT_TRUE(ListSourceFiles({""}).status().IsInvalidArgument());
  EXPECT_TRUE(ListSourceFiles({"/dev/null"}).status().IsInvalidArgument());

  if (::geteuid() != 0) {  // root reads everything
    WriteTextFile(dir.Join("locked/sub/b.txt"), "x\n");
    ASSERT_EQ(::chmod(dir.Join("locked/sub").c_str(), 0), 0);
    Result<std::vector<SourceFile>> locked = ListSourceFiles({dir.Join("locked")});
    ::chmod(dir.Join("locked/sub").c_str(), 0755);
    ASSERT_FALSE(locked.ok());
    EXPECT_TRUE(locked.status().IsInvalidArgument());
    EXPECT_NE(locked.status().message().find("locked/sub"), std::string::npos);

    WriteTextFile(dir.Join("private/c.txt"), "x\n");
    ASSERT_EQ(::chmod(dir.Join("private/c.txt").c_str(), 0), 0);
    EXPECT_TRUE(ListSourceFiles({dir.Join("private")}).status().IsInvalidArgument());
    EXPECT_TRUE(ListSourceFiles({dir.Join("private/c.txt")}).status().IsInvalidArgument());
  }
}

}  // namespace
}  // namespace stocklake
