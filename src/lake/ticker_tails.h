// Replacing the newest rows of tickers in a table keyed by (ticker, key): how an append
// updates the tables whose latest rows change when days are added (a period bar grows
// until its week, month or quarter ends; a quarter's label waits for the next quarter)
// without rewriting the rows before them.
#pragma once

#include <string_view>

#include "core/status.h"
#include "core/table.h"

namespace stocklake {

//! `held` with, for each ticker that has rows in `replacement`, its rows whose
//! `key_column` value is at or after that ticker's smallest replacement key dropped and
//! the replacement rows put in their place; ordered by (ticker, key). Both tables share
//! one schema with the ticker in column "ticker"; the key column is a DATE, an integer
//! or a string that sorts in time order (a quarter "2017Q3"). InvalidArgument when a
//! column is missing or the schemas differ.
Result<Table> ReplaceTickerTails(const Table& held, const Table& replacement, std::string_view key_column);

}  // namespace stocklake
