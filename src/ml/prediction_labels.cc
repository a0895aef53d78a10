// Realised labels for earlier predictions; see prediction_labels.h.
#include "ml/prediction_labels.h"

#include <map>
#include <set>
#include <tuple>

#include "lake/parquet_reader.h"
#include "lake/table_schemas.h"
#include "ml/ml_tables.h"

namespace stocklake {

namespace {

using TickerQuarter = std::pair<std::string, std::string>;

// Labels of gold/ml_features for the given quarters (only the three columns are read).
Result<std::map<TickerQuarter, double>> RealisedLabels(const std::string& lake_dir, const LakeSnapshot& snapshot,
                                                       const std::set<std::string>& quarters) {
  std::map<TickerQuarter, double> labels;
  const auto features = snapshot.tables.find(std::string(kGoldMlFeatures));
  if (features == snapshot.tables.end()) return labels;
  for (const DataFile& file : features->second) {
    SL_ASSIGN_OR_RETURN(Table t, ReadParquetFile(lake_dir + "/" + file.path, {"ticker", "quarter", "label"}));
    const Column &ticker = t.columns[0], &quarter = t.columns[1], &label = t.columns[2];
    for (size_t r = 0; r < t.num_rows(); ++r) {
      if (label.IsNull(r) || !quarters.count(std::string(quarter.StringAt(r)))) continue;
      labels.emplace(TickerQuarter(ticker.StringAt(r), quarter.StringAt(r)), label.f64[r]);
    }
  }
  return labels;
}

}  // namespace

Result<int64_t> FillRealisedPredictionLabels(const std::string& lake_dir, const LakeSnapshot& snapshot) {
  const auto listed = snapshot.tables.find(std::string(kGoldPredictions));
  if (listed == snapshot.tables.end()) return int64_t{0};
  // The files with a missing label, and the quarters they need.
  std::vector<std::pair<const DataFile*, Table>> waiting;
  std::set<std::string> quarters;
  for (const DataFile& file : listed->second) {
    SL_ASSIGN_OR_RETURN(Table t, ReadParquetFile(lake_dir + "/" + file.path));
    const Column* label = t.Find("label");
    const Column* quarter = t.Find("quarter");
    if (label == nullptr || quarter == nullptr) return Status::Corruption(file.path + ": not a predictions file");
    bool missing = false;
    for (size_t r = 0; r < t.num_rows() && !missing; ++r) missing = label->IsNull(r);
    if (!missing) continue;
    for (size_t r = 0; r < t.num_rows(); ++r) quarters.emplace(quarter->StringAt(r));
    waiting.emplace_back(&file, std::move(t));
  }
  if (waiting.empty()) return int64_t{0};
  SL_ASSIGN_OR_RETURN(const auto labels, RealisedLabels(lake_dir, snapshot, quarters));

  int64_t filled = 0;
  UnbucketedChange change{std::string(kGoldPredictions), {}, {}};
  for (auto& [file, table] : waiting) {
    Column& label = *table.Find("label");
    const Column& ticker = *table.Find("ticker");
    const Column& quarter = *table.Find("quarter");
    int64_t filled_here = 0;
    for (size_t r = 0; r < table.num_rows(); ++r) {
      if (!label.IsNull(r)) continue;
      const auto it = labels.find(TickerQuarter(ticker.StringAt(r), quarter.StringAt(r)));
      if (it == labels.end()) continue;
      label.f64[r] = it->second;
      label.valid[r] = 1;
      ++filled_here;
    }
    if (filled_here == 0) continue;
    SL_ASSIGN_OR_RETURN(DataFile rewritten,
                        WriteUnbucketedFile(lake_dir, kGoldPredictions, file->partition, "labels", table));
    change.added.push_back(std::move(rewritten));
    change.replaced_partitions.push_back(file->partition);
    filled += filled_here;
  }
  if (filled == 0) return filled;
  std::vector<std::string> dropped;
  SL_RETURN_IF_ERROR(CommitUnbucketedChanges(
      lake_dir, {change}, nlohmann::json{{"operation", "fill_prediction_labels"}, {"labels", filled}}.dump(), nullptr,
      &dropped));
  for (const std::string& path : dropped) (void)Env::Default()->RemoveFile(lake_dir + "/" + path);
  return filled;
}

}  // namespace stocklake
