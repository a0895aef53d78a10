// ML tables in test lakes, before (and independently of) the train and backtest commands:
// deterministic gold/predictions, gold/backtest and gold/backtest_predictions rows,
// committed through the real commit path (WriteParquetFile + CommitUnbucketedChanges) as
// one file per partition, the way ml.md's writers partition them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/table.h"

namespace stocklake::testing {

//! "quarter=Q/model=M": the partition of one quarter's predictions of one model.
std::string PredictionsPartition(const std::string& quarter, const std::string& model);
//! "backtest_id=ID": the partition of one backtest in both backtest tables.
std::string BacktestPartition(const std::string& backtest_id);

//! Predictions of every ticker for `quarter` by `model` (version `version`): values
//! drawn from `seed`, ranks 1..n by prediction descending (ties by ticker), labels
//! present when `with_labels`.
Table MakePredictions(const std::vector<std::string>& tickers, const std::string& quarter, const std::string& model,
                      int version, uint32_t seed, bool with_labels);

//! gold/backtest rows of backtest `id`: for each quarter a "model" and a "baseline" row
//! with metrics drawn from `seed` (the baseline's ic is NULL in the second quarter, as
//! when its predictions are constant).
Table MakeBacktest(const std::string& id, const std::vector<std::string>& quarters, uint32_t seed);

//! gold/backtest_predictions rows of backtest `id`: every ticker in every quarter.
Table MakeBacktestPredictions(const std::string& id, const std::vector<std::string>& tickers,
                              const std::vector<std::string>& quarters, uint32_t seed);

//! Writes `rows` as one new file of ML table `table` and commits it in place of the
//! partition's earlier files, which are then deleted; with no rows, commits the
//! partition's removal only.
Status CommitMlPartition(const std::string& lake, const std::string& table, const std::string& partition,
                         const Table& rows);

//! The distinct tickers of the lake's silver/bars, sorted.
std::vector<std::string> LakeTickers(const std::string& lake);

}  // namespace stocklake::testing
