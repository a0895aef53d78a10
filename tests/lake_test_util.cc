#include "lake_test_util.h"

#include <gtest/gtest.h>

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
  // One DuckDB query for all tables: each node start costs a quarter of a second.
  const char* tables[] = {"silver/bars",         "gold/indicators",  "gold/bars_weekly", "gold/bars_monthly",
                          "gold/bars_quarterly", "gold/ml_features", "rejects"};
  std::string sql = "SELECT ";
  for (size_t t = 0; t < std::size(tables); ++t) {
    const std::string ta = LakeTable(a, tables[t]), tb = LakeTable(b, tables[t]), k = std::to_string(t);
    sql += std::string(t ? ", " : "") + "(SELECT count(*) FROM " + ta + ") AS rows_" + k +
           ", (SELECT count(*) FROM (SELECT * FROM " + ta + " EXCEPT ALL SELECT * FROM " + tb + ")) AS a_only_" + k +
           ", (SELECT count(*) FROM (SELECT * FROM " + tb + " EXCEPT ALL SELECT * FROM " + ta + ")) AS b_only_" + k;
  }
  auto diff = DuckDb(sql);
  ASSERT_EQ(diff.size(), 1u);
  for (size_t t = 0; t < std::size(tables); ++t) {
    const std::string k = std::to_string(t);
    if (require_rows) {
      EXPECT_GT(AsInt(diff[0]["rows_" + k]), 0) << tables[t];
    }
    EXPECT_EQ(AsInt(diff[0]["a_only_" + k]), 0) << tables[t];
    EXPECT_EQ(AsInt(diff[0]["b_only_" + k]), 0) << tables[t];
  }
}

}  // namespace stocklake::testing
