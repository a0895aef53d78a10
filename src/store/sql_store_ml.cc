// SqlStore's part for the ML application's tables (predictions, backtests,
// backtest_predictions): replacing one lake partition's rows, and the API's queries.
// The same SQL on both backends, under the conventions of sql_store.h.
#include <algorithm>

#include "lake/table_schemas.h"
#include "store/sql_store.h"

namespace stocklake {

namespace {

//! `rows` with a lake_partition column holding `partition` on every row.
Table WithPartitionColumn(const Table& rows, const std::string& partition) {
  Table out = rows;
  Column c("lake_partition", ColumnType::kString, false);
  c.dictionary.push_back(partition);
  c.codes.assign(rows.num_rows(), 0);
  out.columns.push_back(std::move(c));
  return out;
}

}  // namespace

Result<std::map<std::pair<std::string, std::string>, LoadedPartition>> SqlStore::LoadedPartitions() {
  Table t;
  t.columns = {{"lake_table", ColumnType::kString, false},
               {"lake_partition", ColumnType::kString, false},
               {"snapshot_id", ColumnType::kInt64, false},
               {"files", ColumnType::kString, false}};
  SL_RETURN_IF_ERROR(Query("SELECT lake_table, lake_partition, snapshot_id, files FROM ml_sync_state", {}, &t));
  std::map<std::pair<std::string, std::string>, LoadedPartition> out;
  for (size_t r = 0; r < t.num_rows(); ++r) {
    LoadedPartition& p = out[{std::string(t.columns[0].StringAt(r)), std::string(t.columns[1].StringAt(r))}];
    p.snapshot_id = t.columns[2].i64[r];
    p.files = std::string(t.columns[3].StringAt(r));
  }
  return out;
}

Status SqlStore::ReplacePartition(const PartitionContents& contents, bool* replaced) {
  const StoreTableDef* def = FindStoreTable(contents.table);
  if (def == nullptr ||
      std::none_of(MlStoreTables().begin(), MlStoreTables().end(), [&](const StoreTableDef& d) { return &d == def; })) {
    return Status::InvalidArgument("'" + contents.table + "' is not an unbucketed lake table the store mirrors");
  }
  bool did = false;
  SL_RETURN_IF_ERROR(Begin());
  Status st = ReplacePartitionInTransaction(*def, contents, &did);
  if (st.ok()) st = Execute("COMMIT");
  if (!st.ok()) {
    RollbackAfterError();
    return st.WithContext("loading " + contents.table + " partition '" + contents.partition + "' into the " +
                          std::string(backend()) + " store");
  }
  if (replaced != nullptr) *replaced = did;
  return Status::OK();
}

Status SqlStore::ReplacePartitionInTransaction(const StoreTableDef& def, const PartitionContents& contents,
                                               bool* replaced) {
  SL_RETURN_IF_ERROR(LockPartitions());
  // Another loader may have replaced it since this one compared: then there is nothing
  // left to do (and deleting its rows again would be harmless but wasted).
  Table state;
  state.columns = {{"files", ColumnType::kString, false}};
  SL_RETURN_IF_ERROR(Query("SELECT files FROM ml_sync_state WHERE lake_table = $1 AND lake_partition = $2",
                           {contents.table, contents.partition}, &state));
  const bool recorded = state.num_rows() == 1;
  if ((recorded && state.columns[0].StringAt(0) == contents.state.files) ||
      (!recorded && contents.state.files.empty())) {
    *replaced = false;
    return Status::OK();
  }
  const std::string table(def.store_name);
  SL_RETURN_IF_ERROR(Command("DELETE FROM " + table + " WHERE lake_partition = $1", {contents.partition}));
  if (contents.rows.num_rows() > 0) {
    SL_RETURN_IF_ERROR(BulkInsert(table, kNoBucketColumn, WithPartitionColumn(contents.rows, contents.partition)));
  }
  SL_RETURN_IF_ERROR(Command("DELETE FROM ml_sync_state WHERE lake_table = $1 AND lake_partition = $2",
                             {contents.table, contents.partition}));
  if (!contents.state.files.empty()) {
    SL_RETURN_IF_ERROR(
        Command("INSERT INTO ml_sync_state (lake_table, lake_partition, snapshot_id, files) VALUES ($1, $2, $3, $4)",
                {contents.table, contents.partition, contents.state.snapshot_id, contents.state.files}));
  }
  *replaced = true;
  return Status::OK();
}

Result<std::string> SqlStore::SelectText(const std::string& sql, const std::vector<SqlParam>& params) {
  Table t;
  t.columns = {{"value", ColumnType::kString, true}};
  SL_RETURN_IF_ERROR(Query(sql, params, &t));
  if (t.num_rows() == 0 || t.columns[0].IsNull(0)) return std::string();
  return std::string(t.columns[0].StringAt(0));
}

Result<PredictionsPage> SqlStore::Predictions(const PredictionsQuery& query) {
  PredictionsPage page;
  page.rows = EmptyTableFor(kGoldPredictions);
  page.quarter = query.quarter;
  page.model = query.model;
  // max(quarter) and min(model) each read one end of an index (quarter, model, ...) or
  // (model, quarter): quarters "YYYYQn" sort as they follow each other.
  if (page.quarter.empty()) {
    SL_ASSIGN_OR_RETURN(page.quarter,
                        page.model.empty()
                            ? SelectText("SELECT max(quarter) FROM predictions", {})
                            : SelectText("SELECT max(quarter) FROM predictions WHERE model = $1", {page.model}));
    if (page.quarter.empty()) return page;
  }
  if (page.model.empty()) {
    SL_ASSIGN_OR_RETURN(page.model,
                        SelectText("SELECT min(model) FROM predictions WHERE quarter = $1", {page.quarter}));
    if (page.model.empty()) return page;
  }
  SL_RETURN_IF_ERROR(Query(
      "SELECT " + QuotedColumnList(page.rows) +
          " FROM predictions WHERE quarter = $1 AND model = $2 ORDER BY \"rank\", ticker "
          "LIMIT $3 OFFSET $4",
      {page.quarter, page.model, int64_t{std::max(query.limit, 0)}, std::max<int64_t>(query.offset, 0)}, &page.rows));
  return page;
}

Result<std::vector<PredictionSet>> SqlStore::PredictionSets() {
  Table t;
  t.columns = {{"quarter", ColumnType::kString, false},
               {"model", ColumnType::kString, false},
               {"model_version", ColumnType::kInt64, false},
               {"rows", ColumnType::kInt64, false}};
  SL_RETURN_IF_ERROR(
      Query("SELECT quarter, model, max(model_version), count(*) FROM predictions GROUP BY quarter, model "
            "ORDER BY quarter DESC, model",
            {}, &t));
  std::vector<PredictionSet> out(t.num_rows());
  for (size_t r = 0; r < out.size(); ++r) {
    out[r] = {std::string(t.columns[0].StringAt(r)), std::string(t.columns[1].StringAt(r)),
              static_cast<int>(t.columns[2].i64[r]), t.columns[3].i64[r]};
  }
  return out;
}

Result<std::vector<std::string>> SqlStore::BacktestIds() {
  Table ids;
  ids.columns = {{"backtest_id", ColumnType::kString, false}};
  SL_RETURN_IF_ERROR(Query("SELECT DISTINCT backtest_id FROM backtests ORDER BY backtest_id DESC", {}, &ids));
  std::vector<std::string> out;
  for (size_t r = 0; r < ids.num_rows(); ++r) out.emplace_back(ids.columns[0].StringAt(r));
  return out;
}

Result<Table> SqlStore::BacktestQuarters(std::string_view backtest_id) {
  Table out = EmptyTableFor(kGoldBacktest);
  SL_RETURN_IF_ERROR(
      Query("SELECT " + QuotedColumnList(out) + " FROM backtests WHERE backtest_id = $1 ORDER BY quarter, predictor",
            {std::string(backtest_id)}, &out));
  return out;
}

}  // namespace stocklake
