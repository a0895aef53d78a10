// Reading lakes in integration tests through DuckDB, an independent Parquet reader and
// SQL engine (node tests/node/duckdb_query.mjs).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

//! The same for the named tables only.
void ExpectSameTables(const std::string& a, const std::string& b, const std::vector<std::string>& tables,
                      bool require_rows = false);

//! Splits every file under `from` into the rows before and after the fraction `cut` of
//! its rows (header kept in both), as if the later days arrived in a second delivery.
void SplitDataset(const std::string& from, const std::string& early, const std::string& late, double cut);

}  // namespace stocklake::testing
