#include "orchestrate/intraday_export.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/date.h"
#include "core/files.h"
#include "lake/table_schemas.h"
#include "lake/unbucketed_file.h"

namespace stocklake {

namespace {

// Commits that become visible out of updated_at order (concurrent PostgreSQL writers) are
// caught by looking this far behind the last export again; an hour found twice is only
// rewritten with the same rows.
constexpr int64_t kVisibilityMarginMs = 5000;

std::string ProgressPath(const std::string& lake_dir) { return lake_dir + "/_stocklake/stream/lake_export.json"; }

int64_t ExportedUpTo(const std::string& lake_dir) {
  Result<std::string> text = ReadFileToString(ProgressPath(lake_dir));
  if (!text.ok()) return 0;
  const nlohmann::json progress = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!progress.is_object() || !progress.contains("updated_ms") || !progress["updated_ms"].is_number_integer()) {
    return 0;  // unreadable: export everything again (idempotent)
  }
  return progress["updated_ms"].get<int64_t>();
}

}  // namespace

Status ExportFinalWindows(ServingStore& store, const std::string& lake_dir, IntradayExportStats* stats) {
  const int64_t exported = ExportedUpTo(lake_dir);
  SL_ASSIGN_OR_RETURN(const auto changed,
                      store.FinalIntradayHoursUpdatedAfter(std::max<int64_t>(exported - kVisibilityMarginMs, 0)));
  const auto& [hours, newest] = changed;
  IntradayExportStats out;
  if (!hours.empty()) {
    UnbucketedChange change;
    change.table = std::string(kSilverIntradayBars);
    for (const int64_t hour : hours) {
      SL_ASSIGN_OR_RETURN(const Table rows, store.FinalIntradayBarsOfHour(hour));
      const std::string date = FormatDate(static_cast<Date>(hour / 24));
      char hour_text[8];
      std::snprintf(hour_text, sizeof(hour_text), "%02d", static_cast<int>(hour % 24));
      const std::string partition = "date=" + date + "/hour=" + hour_text;
      SL_ASSIGN_OR_RETURN(DataFile file,
                          WriteUnbucketedFile(lake_dir, kSilverIntradayBars, partition, date + "T" + hour_text, rows));
      out.rows += file.rows;
      change.added.push_back(std::move(file));
      change.replaced_partitions.push_back(partition);
    }
    out.hours = static_cast<int64_t>(hours.size());
    const nlohmann::json operation = {
        {"operation", "stream-export"}, {"table", kSilverIntradayBars}, {"hours", out.hours}, {"rows", out.rows}};
    LakeSnapshot committed;
    std::vector<std::string> dropped;
    SL_RETURN_IF_ERROR(CommitUnbucketedChanges(lake_dir, {change}, operation.dump(), &committed, &dropped)
                           .WithContext("committing silver/intraday_bars"));
    for (const std::string& path : dropped) (void)RemoveFile(lake_dir + "/" + path);
    out.snapshot_id = committed.id;
  }
  if (newest > exported) {
    SL_RETURN_IF_ERROR(CreateDirectories(lake_dir + "/_stocklake/stream"));
    SL_RETURN_IF_ERROR(WriteFileAtomic(ProgressPath(lake_dir), nlohmann::json{{"updated_ms", newest}}.dump() + "\n"));
  }
  if (stats != nullptr) *stats = out;
  return Status::OK();
}

}  // namespace stocklake
