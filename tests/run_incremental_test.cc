// Later deliveries of rows the lake already holds (reference-job.md, "Across runs"): a row
// identical to the kept one is unchanged (counted, not a reject, changing no output); a
// row that differs displaces the kept row, which becomes a duplicate reject; the lake's
// tables then equal those of one run over the latest delivery.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "lake/snapshot.h"
#include "lake_test_util.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::AsInt;
using testing::DuckDb;
using testing::LakeTable;
using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;

testing::CommandResult Stocklake(const std::string& args) { return RunCommand(StocklakeBinary() + " " + args); }

const std::vector<std::string> kDataTables = {"silver/bars",       "gold/indicators",     "gold/bars_weekly",
                                              "gold/bars_monthly", "gold/bars_quarterly", "gold/ml_features"};

// Rewrites every file under `from` into `to` line by line through `edit(relative path,
// line number (1 = header), line)`.
template <typename Edit>
void RewriteDataset(const std::string& from, const std::string& to, Edit edit) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(from)) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = std::filesystem::relative(entry.path(), from).string();
    std::ifstream in(entry.path());
    std::string out;
    int number = 0;
    for (std::string line; std::getline(in, line);) out += edit(rel, ++number, line);
    testing::WriteTextFile(to + "/" + rel, out);
  }
}

// The "accepted: N new, N revised, N unchanged" counts of a run's summary.
std::map<std::string, int64_t> AcceptedCounts(const std::string& output) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(output, m, std::regex(R"(accepted: (\d+) new, (\d+) revised, (\d+) unchanged)")))
      << output;
  if (m.size() != 4) return {};
  return {{"new", std::stoll(m[1])}, {"revised", std::stoll(m[2])}, {"unchanged", std::stoll(m[3])}};
}

// Data file paths of the current snapshot, by table.
std::map<std::string, std::vector<std::string>> DataFiles(const std::string& lake) {
  auto snapshot = LoadCurrentSnapshot(lake);
  EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  std::map<std::string, std::vector<std::string>> out;
  if (!snapshot.ok()) return out;
  for (const auto& [table, files] : snapshot->tables) {
    for (const DataFile& f : files) out[table].push_back(f.path);
  }
  return out;
}

TEST(RunIncremental, RowsDeliveredAgainUnchangedChangeNothingButCounters) {
  TempDir dir;
  const std::string data = dir.Join("data"), again = dir.Join("again"), lake = dir.Join("lake");
  ASSERT_EQ(Stocklake("generate --tickers 6 --days 250 --seed 7 --bad-rows 0 --out " + data).exit_code, 0);
  const auto first = Stocklake("run --store none --input " + data + " --lake " + lake);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const int64_t accepted = AcceptedCounts(first.output)["new"];
  ASSERT_GT(accepted, 0);
  const auto files_before = DataFiles(lake);

  // The same rows in other bytes (CRLF line ends): new files, nothing new in them.
  RewriteDataset(data, again, [](const std::string&, int, const std::string& line) { return line + "\r\n"; });
  const auto second = Stocklake("run --store none --input " + again + " --lake " + lake);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const auto counts = AcceptedCounts(second.output);
  EXPECT_EQ(counts.at("new"), 0);
  EXPECT_EQ(counts.at("revised"), 0);
  EXPECT_EQ(counts.at("unchanged"), accepted);
  EXPECT_NE(second.output.find(std::to_string(accepted) + " read = " + std::to_string(accepted) +
                               " accepted + 0 rejected + 0 duplicates"),
            std::string::npos)
      << second.output;
  // Not a file of any table was rewritten, and no reject was written.
  EXPECT_EQ(DataFiles(lake), files_before);
  EXPECT_EQ(AsInt(DuckDb("SELECT count(*) AS n FROM " + LakeTable(lake, "rejects"))[0]["n"]), 0);

  // Delivered a third time, the counts do not pile up: the second run's offsets were
  // committed, so only the new delivery is read.
  const auto third = Stocklake("run --store none --input " + again + " --lake " + lake);
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_NE(third.output.find("nothing new"), std::string::npos) << third.output;
}

TEST(RunIncremental, RevisedRowsDisplaceTheKeptOnesAndTheLakeEqualsARunOfTheLatestDelivery) {
  TempDir dir;
  const std::string data = dir.Join("data"), early = dir.Join("early"), late = dir.Join("late");
  ASSERT_EQ(Stocklake("generate --tickers 6 --days 300 --seed 9 --bad-rows 0 --out " + data).exit_code, 0);
  testing::SplitDataset(data, early, late, 0.8);

  // The later delivery: the whole history again, with every 25th row of the early part
  // revised (volume + 7, as a data vendor corrects a print) and the later days added.
  const std::string revised = dir.Join("revised");
  int64_t early_rows = 0, revised_rows = 0;
  std::map<std::string, int> early_lines;  // file -> lines of its early part, header included
  RewriteDataset(early, dir.Join("unused"), [&](const std::string& rel, int number, const std::string& line) {
    early_lines[rel] = number;
    if (number > 1) ++early_rows;
    return line + "\n";
  });
  RewriteDataset(data, revised, [&](const std::string& rel, int number, const std::string& line) {
    if (number == 1 || number > early_lines[rel] || number % 25 != 0) return line + "\n";
    ++revised_rows;
    std::vector<std::string> fields;
    std::stringstream split(line);
    for (std::string f; std::getline(split, f, ',');) fields.push_back(f);
    fields[5] = std::to_string(std::stoll(fields[5]) + 7);  // Date,Open,High,Low,Close,Volume,OpenInt
    std::string out;
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
    return out + "\n";
  });
  ASSERT_GT(revised_rows, 0);

  const std::string incremental = dir.Join("incremental"), latest = dir.Join("latest");
  ASSERT_EQ(Stocklake("run --store none --input " + early + " --lake " + incremental).exit_code, 0);
  const auto redelivery = Stocklake("run --store none --input " + revised + " --lake " + incremental);
  ASSERT_EQ(redelivery.exit_code, 0) << redelivery.output;
  const auto counts = AcceptedCounts(redelivery.output);
  EXPECT_EQ(counts.at("revised"), revised_rows);
  EXPECT_EQ(counts.at("unchanged"), early_rows - revised_rows);
  EXPECT_GT(counts.at("new"), 0);
  ASSERT_EQ(Stocklake("run --store none --input " + revised + " --lake " + latest).exit_code, 0);
  testing::ExpectSameTables(incremental, latest, kDataTables, /*require_rows=*/true);

  // Each displaced row is a duplicate reject from the early delivery; nothing else is.
  auto rejects = DuckDb(
      "SELECT count(*) AS n, count(*) FILTER (WHERE reason = 'duplicate') AS duplicates, "
      "count(DISTINCT (ticker, date)) AS keys FROM " +
      LakeTable(incremental, "rejects"));
  EXPECT_EQ(AsInt(rejects[0]["n"]), revised_rows);
  EXPECT_EQ(AsInt(rejects[0]["duplicates"]), revised_rows);
  EXPECT_EQ(AsInt(rejects[0]["keys"]), revised_rows);
  auto volumes = DuckDb("SELECT count(*) AS n FROM " + LakeTable(incremental, "rejects") + " r JOIN " +
                        LakeTable(incremental, "silver/bars") + " b USING (ticker, date)");
  EXPECT_EQ(AsInt(volumes[0]["n"]), revised_rows) << "every displaced row has its revision in silver/bars";
}

// Writes to `to` each file of `from` with its header and the rows in the fraction
// (lo, hi] of its rows.
void SliceDataset(const std::string& from, const std::string& to, double lo, double hi) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(from)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    const double rows = static_cast<double>(lines.size() - 1);
    const size_t begin = 1 + static_cast<size_t>(rows * lo), end = 1 + static_cast<size_t>(rows * hi);
    std::string out = lines[0] + "\n";
    for (size_t i = begin; i < end && i < lines.size(); ++i) out += lines[i] + "\n";
    testing::WriteTextFile(to + "/" + std::filesystem::relative(entry.path(), from).string(), out);
  }
}

// The "buckets N appended to, M recomputed" counts of a run's summary.
std::pair<int64_t, int64_t> BucketPaths(const std::string& output) {
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(R"(buckets +(\d+) appended to, (\d+) recomputed)"))) return {0, 0};
  return {std::stoll(m[1]), std::stoll(m[2])};
}

TEST(RunIncremental, AppendingInManySmallStepsEqualsOneFullRun) {
  // Half the history, then eleven small deliveries of later days: enough appends to merge
  // a bucket's files and to split its open period files. Bad rows of every kind,
  // duplicates included, fall into every delivery.
  TempDir dir;
  const std::string data = dir.Join("data"), incremental = dir.Join("incremental"), full = dir.Join("full");
  ASSERT_EQ(Stocklake("generate --tickers 10 --days 420 --seed 13 --bad-rows 0.03 --out " + data).exit_code, 0);
  std::vector<double> cuts = {0, 0.5};
  for (int step = 1; step <= 11; ++step) cuts.push_back(0.5 + 0.5 * step / 11);
  std::string all_inputs;
  int64_t appended = 0;
  for (size_t step = 1; step < cuts.size(); ++step) {
    const std::string slice = dir.Join("slice" + std::to_string(step));
    SliceDataset(data, slice, cuts[step - 1], cuts[step]);
    all_inputs += " --input " + slice;
    const auto run = Stocklake("run --store none --partitions 4 --input " + slice + " --lake " + incremental);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    if (step > 1) appended += BucketPaths(run.output).first;
  }
  EXPECT_GT(appended, 0) << "the later deliveries should append, not recompute";
  const auto one = Stocklake("run --store none --partitions 4" + all_inputs + " --lake " + full);
  ASSERT_EQ(one.exit_code, 0) << one.output;
  testing::ExpectSameLakes(incremental, full, /*require_rows=*/true);
  // The appends merged files: no bucket holds more than a handful per table.
  auto snapshot = LoadCurrentSnapshot(incremental);
  ASSERT_TRUE(snapshot.ok());
  for (const auto& [table, files] : snapshot->tables) {
    for (int bucket = 0; bucket < 4; ++bucket) EXPECT_LE(snapshot->FilesOf(table, bucket).size(), 9u) << table;
  }
}

}  // namespace
}  // namespace stocklake
