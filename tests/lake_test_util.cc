#include "lake_test_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "test_util.h"

namespace stocklake::testing {

nlohmann::json DuckDb(const std::string& sql) {
  std::string quoted;
  for (char c : sql) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  const auto result = RunCommand("node " STOCKLAKE_SOURCE_DIR "/tests/node/duckdb_query.mjs '" + quoted + "'");
  EXPECT_EQ(result.exit_code, 0) << sql << "\n" << result.output;
  auto parsed = nlohmann::json::parse(result.output, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << result.output;
  return parsed;
}

int64_t AsInt(const nlohmann::json& value) {
  if (value.is_string()) return std::stoll(value.get<std::string>());
  return value.get<int64_t>();
}

std::string LakeTable(const std::string& lake, const std::string& name) {
  return "read_parquet('" + lake + "/" + name + "/*.parquet')";
}

void ExpectSameLakes(const std::string& a, const std::string& b, bool require_rows) {
  ExpectSameTables(a, b,
                   {"silver/bars", "gold/indicators", "gold/bars_weekly", "gold/bars_monthly", "gold/bars_quarterly",
                    "gold/ml_features", "rejects"},
                   require_rows);
}

void ExpectSameTables(const std::string& a, const std::string& b, const std::vector<std::string>& tables,
                      bool require_rows) {
  // One DuckDB query for all tables: each node start costs a quarter of a second.
  std::string sql = "SELECT ";
  for (size_t t = 0; t < tables.size(); ++t) {
    const std::string ta = LakeTable(a, tables[t]), tb = LakeTable(b, tables[t]), k = std::to_string(t);
    sql += std::string(t ? ", " : "") + "(SELECT count(*) FROM " + ta + ") AS rows_" + k +
           ", (SELECT count(*) FROM (SELECT * FROM " + ta + " EXCEPT ALL SELECT * FROM " + tb + ")) AS a_only_" + k +
           ", (SELECT count(*) FROM (SELECT * FROM " + tb + " EXCEPT ALL SELECT * FROM " + ta + ")) AS b_only_" + k;
  }
  auto diff = DuckDb(sql);
  ASSERT_EQ(diff.size(), 1u);
  for (size_t t = 0; t < tables.size(); ++t) {
    const std::string k = std::to_string(t);
    if (require_rows) {
      EXPECT_GT(AsInt(diff[0]["rows_" + k]), 0) << tables[t];
    }
    EXPECT_EQ(AsInt(diff[0]["a_only_" + k]), 0) << tables[t];
    EXPECT_EQ(AsInt(diff[0]["b_only_" + k]), 0) << tables[t];
  }
}

void SplitDataset(const std::string& from, const std::string& early, const std::string& late, double cut) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(from)) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = std::filesystem::relative(entry.path(), from).string();
    std::ifstream in(entry.path());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    const size_t split = 1 + static_cast<size_t>(static_cast<double>(lines.size() - 1) * cut);
    std::string a = lines[0] + "\n", b = lines[0] + "\n";
    for (size_t i = 1; i < lines.size(); ++i) (i < split ? a : b) += lines[i] + "\n";
    WriteTextFile(early + "/" + rel, a);
    WriteTextFile(late + "/" + rel, b);
  }
}

}  // namespace stocklake::testing
