// Writing a data file of an unbucketed lake table (the ML tables, silver/intraday_bars):
// one Parquet file per unit of replacement (DataFile::partition), durable before a
// snapshot lists it.
#pragma once

#include <string>
#include <string_view>

#include "core/env.h"
#include "core/status.h"
#include "core/table.h"
#include "lake/snapshot.h"

namespace stocklake {

//! Writes `table` durably as a new file of the unbucketed `table_name` (not yet listed
//! by any snapshot: commit it with CommitUnbucketedChanges).
Result<DataFile> WriteUnbucketedFile(const std::string& lake_dir, std::string_view table_name,
                                     const std::string& partition, const std::string& name_tag, const Table& table,
                                     Env* env = Env::Default());

}  // namespace stocklake
