// Reading lakes in integration tests through DuckDB, an independent Parquet reader and
// SQL engine (node tests/node/duckdb_query.mjs).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace stocklake::testing {

//! Runs one SQL statement in DuckDB and returns its rows (a JSON array of objects).
//! Adds a test failure when DuckDB fails.
nlohmann::json DuckDb(const std::string& sql);

//! A DuckDB value as an integer (BIGINT comes back as a string).
int64_t AsInt(const nlohmann::json& value);

//! SQL naming lake table `name` (e.g. "silver/bars"): read_parquet over its files.
std::string LakeTable(const std::string& lake, const std::string& name);

//! Every row of every public table of lake `a` is in lake `b` as often, and the other
//! way round; with `require_rows`, every table also has rows (two empty tables are
//! trivially equal).
void ExpectSameLakes(const std::string& a, const std::string& b, bool require_rows = false);

}  // namespace stocklake::testing
