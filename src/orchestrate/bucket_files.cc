// See bucket_files.h.
#include "orchestrate/bucket_files.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "core/files.h"
#include "core/row_copier.h"
#include "lake/parquet_reader.h"
#include "lake/parquet_writer.h"
#include "lake/table_schemas.h"
#include "log/topics.h"
#include "orchestrate/clean_stage.h"

namespace stocklake {

namespace {

// Appends the rows of one silver file and its lineage file.
Status LoadSilverFile(const std::string& lake_dir, const DataFile& bars, const DataFile& lineage, BarBatch* out) {
  SL_ASSIGN_OR_RETURN(Table t, ReadParquetFile(lake_dir + "/" + bars.path));
  SL_ASSIGN_OR_RETURN(Table l, ReadParquetFile(lake_dir + "/" + lineage.path));
  const size_t n = t.num_rows();
  if (l.num_rows() != n) return Status::Corruption(lineage.path + " does not match " + bars.path);
  const Column* c[8];
  const char* names[8] = {"ticker", "date", "open", "high", "low", "close", "adj_close", "volume"};
  for (int i = 0; i < 8; ++i) {
    c[i] = t.Find(names[i]);
    if (c[i] == nullptr) return Status::Corruption(bars.path + ": missing column " + names[i]);
  }
  const Column* source = l.Find("source");
  const Column* line = l.Find("line");
  if (source == nullptr || line == nullptr) return Status::Corruption(lineage.path + ": missing columns");
  std::vector<int32_t> recode(c[0]->dictionary.size());
  for (size_t d = 0; d < recode.size(); ++d) recode[d] = out->InternTicker(c[0]->dictionary[d]);
  out->Reserve(out->size() + n);
  for (size_t i = 0; i < n; ++i) {
    out->Append(recode[c[0]->codes[i]], c[1]->i32[i], c[2]->f64[i], c[3]->f64[i], c[4]->f64[i], c[5]->f64[i],
                c[6]->f64[i], c[7]->i64[i], static_cast<uint32_t>(source->i32[i]), line->i64[i], RejectReason::kNone);
  }
  return Status::OK();
}

// The files of `table` and, one for one (written together), those of its lineage table.
Result<std::vector<std::pair<const DataFile*, const DataFile*>>> FilesWithLineage(const LakeSnapshot& base,
                                                                                  std::string_view table,
                                                                                  std::string_view lineage_table,
                                                                                  int bucket, bool lineage_required) {
  const std::vector<const DataFile*> files = base.FilesOf(std::string(table), bucket);
  const std::vector<const DataFile*> lineage = base.FilesOf(std::string(lineage_table), bucket);
  std::vector<std::pair<const DataFile*, const DataFile*>> out;
  if (lineage.empty() && !lineage_required) {
    for (const DataFile* f : files) out.emplace_back(f, nullptr);
    return out;
  }
  if (lineage.size() != files.size()) {
    return Status::Corruption("the snapshot lists " + std::to_string(files.size()) + " files of " + std::string(table) +
                              " for bucket " + std::to_string(bucket) + " but " + std::to_string(lineage.size()) +
                              " of " + std::string(lineage_table));
  }
  for (size_t i = 0; i < files.size(); ++i) out.emplace_back(files[i], lineage[i]);
  return out;
}

// Appends the rows of one rejects file and its lineage file (none in lakes written
// before rejects had lineage).
Status LoadRejectsFile(const std::string& lake_dir, const DataFile& file, const DataFile* lineage_file,
                       std::vector<RejectRow>* out) {
  SL_ASSIGN_OR_RETURN(Table t, ReadParquetFile(lake_dir + "/" + file.path));
  const Column* source_file = t.Find("source_file");
  const Column* line = t.Find("line");
  const Column* ticker = t.Find("ticker");
  const Column* date = t.Find("date");
  const Column* reason = t.Find("reason");
  if (!source_file || !line || !ticker || !date || !reason) return Status::Corruption(file.path + ": missing columns");
  Table lineage;
  const Column* source = nullptr;
  if (lineage_file != nullptr) {
    SL_ASSIGN_OR_RETURN(lineage, ReadParquetFile(lake_dir + "/" + lineage_file->path));
    source = lineage.Find("source");
    if (source == nullptr || lineage.num_rows() != t.num_rows()) {
      return Status::Corruption(lineage_file->path + " does not match " + file.path);
    }
  }
  for (size_t i = 0; i < t.num_rows(); ++i) {
    RejectRow r;
    if (source != nullptr) r.source = static_cast<uint32_t>(source->i32[i]);
    r.source_file = source_file->StringAt(i);
    r.line = line->i64[i];
    if (!ticker->IsNull(i)) r.ticker = ticker->StringAt(i);
    r.date = date->IsNull(i) ? kNullDate : date->i32[i];
    auto why = RejectReasonFromName(reason->StringAt(i));
    if (!why)
      return Status::Corruption(file.path + ": unknown reject reason '" + std::string(reason->StringAt(i)) + "'");
    r.reason = *why;
    out->push_back(std::move(r));
  }
  return Status::OK();
}

}  // namespace

std::string SourceFileName(const SourceRegistry& registry, uint32_t source) {
  if (source == kExternalSource) return std::string(kRawTopic);
  const SourceRecord* r = registry.Find(source);
  return r ? r->relative_path : "unknown-source-" + std::to_string(source);
}

std::vector<size_t> DistinctByLineage(const BarBatch& batch) {
  std::vector<size_t> order(batch.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(batch.source[a], batch.line[a]) < std::tie(batch.source[b], batch.line[b]);
  });
  std::vector<size_t> distinct;
  distinct.reserve(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0 && batch.source[order[k]] == batch.source[order[k - 1]] &&
        batch.line[order[k]] == batch.line[order[k - 1]]) {
      continue;
    }
    distinct.push_back(order[k]);
  }
  return distinct;
}

Status LoadExistingSilver(const std::string& lake_dir, const LakeSnapshot& base, int bucket, BarBatch* out) {
  SL_ASSIGN_OR_RETURN(auto files, FilesWithLineage(base, kSilverBars, kBarsLineage, bucket, true));
  for (const auto& [bars, lineage] : files) SL_RETURN_IF_ERROR(LoadSilverFile(lake_dir, *bars, *lineage, out));
  return Status::OK();
}
Status LoadExistingRejects(const std::string& lake_dir, const LakeSnapshot& base, int bucket,
                           std::vector<RejectRow>* out) {
  SL_ASSIGN_OR_RETURN(auto files, FilesWithLineage(base, kRejects, kRejectsLineage, bucket, false));
  for (const auto& [rejects, lineage] : files) SL_RETURN_IF_ERROR(LoadRejectsFile(lake_dir, *rejects, lineage, out));
  return Status::OK();
}

std::pair<Table, Table> RejectsTables(std::vector<RejectRow>* rows) {
  std::sort(rows->begin(), rows->end(), [](const RejectRow& a, const RejectRow& b) { return a.Key() < b.Key(); });
  Table lineage = EmptyTableFor(kRejectsLineage);
  for (const RejectRow& r : *rows) {
    lineage.columns[0].AppendInt32(static_cast<int32_t>(r.source));
    lineage.columns[1].AppendInt64(r.line);
  }
  Table t = EmptyTableFor(kRejects);
  StringColumnBuilder source_file(&t.columns[0]), ticker(&t.columns[2]), reason(&t.columns[4]);
  for (auto& c : t.columns) c.Reserve(rows->size());
  for (const RejectRow& r : *rows) {
    source_file.Append(r.source_file);
    t.columns[1].AppendInt64(r.line);
    if (r.ticker.empty()) {
      t.columns[2].AppendNull();
    } else {
      ticker.Append(r.ticker);
    }
    if (r.date == kNullDate) {
      t.columns[3].AppendNull();
    } else {
      t.columns[3].AppendInt32(r.date);
    }
    reason.Append(RejectReasonName(r.reason));
  }
  return {std::move(t), std::move(lineage)};
}

int64_t DropRedeliveredRows(const BarBatch& existing, const std::vector<RejectRow>& existing_rejects,
                            const BarBatch& fresh, std::vector<size_t>* fresh_rows, const BarBatch& fresh_rejects,
                            std::vector<size_t>* fresh_reject_rows) {
  if ((existing.empty() && existing_rejects.empty()) || (fresh_rows->empty() && fresh_reject_rows->empty())) return 0;
  struct LineageHash {
    size_t operator()(const std::pair<uint32_t, int64_t>& k) const {
      return std::hash<int64_t>()(k.second * 0x9E3779B97F4A7C15LL ^ k.first);
    }
  };
  using Lineage = std::unordered_set<std::pair<uint32_t, int64_t>, LineageHash>;
  // The fresh side is the small one: hash it, then walk what the bucket holds.
  Lineage fresh_keys;
  for (size_t i : *fresh_rows) fresh_keys.emplace(fresh.source[i], fresh.line[i]);
  for (size_t i : *fresh_reject_rows) fresh_keys.emplace(fresh_rejects.source[i], fresh_rejects.line[i]);
  Lineage held;
  for (size_t i = 0; i < existing.size(); ++i) {
    if (fresh_keys.count({existing.source[i], existing.line[i]})) held.emplace(existing.source[i], existing.line[i]);
  }
  for (const RejectRow& r : existing_rejects) {
    if (fresh_keys.count({r.source, r.line})) held.emplace(r.source, r.line);
  }
  if (held.empty()) return 0;
  int64_t dropped = 0;
  std::erase_if(*fresh_rows, [&](size_t i) { return held.count({fresh.source[i], fresh.line[i]}) && ++dropped; });
  std::erase_if(*fresh_reject_rows, [&](size_t i) {
    return held.count({fresh_rejects.source[i], fresh_rejects.line[i]}) && ++dropped;
  });
  return dropped;
}

Result<DataFile> WriteTableFile(const std::string& lake_dir, const std::string& table_name, int bucket,
                                int64_t snapshot_id, const Table& table) {
  DataFile file;
  file.path = DataFileName(table_name, bucket, snapshot_id);
  file.bucket = bucket;
  file.rows = static_cast<int64_t>(table.num_rows());
  const std::string full = lake_dir + "/" + file.path;
  SL_RETURN_IF_ERROR(CreateDirectories(full.substr(0, full.rfind('/'))));
  ParquetWriteOptions options;
  options.compression = ParquetCompression::kZstd;
  // zstd's fast mode: on byte-stream-split doubles it compresses within 2% of level 1 at
  // three times the speed, and every Parquet reader decodes it alike.
  options.zstd_level = -1;
  options.threads = 1;    // buckets are already written in parallel
  options.fsync = false;  // one SyncFileSystem before the commit covers every file
  SL_RETURN_IF_ERROR(WriteParquetFile(full, table, options));
  SL_ASSIGN_OR_RETURN(MappedFile written, MappedFile::Open(full));
  file.bytes = static_cast<int64_t>(written.size());
  return file;
}

Result<Table> ReadTableFiles(const std::string& lake_dir, std::string_view table, const std::vector<DataFile>& files) {
  Table out = EmptyTableFor(table);
  RowCopier copier(&out);
  for (const DataFile& f : files) {
    SL_ASSIGN_OR_RETURN(Table rows, ReadParquetFile(lake_dir + "/" + f.path));
    if (files.size() == 1) return rows;
    if (rows.columns.size() != out.columns.size()) {
      return Status::Corruption(f.path + ": " + std::to_string(rows.columns.size()) + " columns where " +
                                std::string(table) + " has " + std::to_string(out.columns.size()));
    }
    for (size_t r = 0; r < rows.num_rows(); ++r) copier.Append(rows, r);
  }
  return out;
}

Result<Table> ReadBucketTable(const std::string& lake_dir, const LakeSnapshot& snapshot, std::string_view table,
                              int bucket) {
  std::vector<DataFile> files;
  for (const DataFile* f : snapshot.FilesOf(std::string(table), bucket)) files.push_back(*f);
  return ReadTableFiles(lake_dir, table, files);
}

std::pair<Table, Table> SplitOpenRows(const Table& table, size_t newest_per_ticker) {
  const Column* ticker = table.Find("ticker");
  const size_t n = table.num_rows();
  std::vector<size_t> closed, open;
  // Rows are grouped by ticker, ascending within each: a group's last rows are open.
  size_t group_end = 0;
  for (size_t r = 0; r < n; ++r) {
    if (r >= group_end) {
      group_end = r + 1;
      while (group_end < n && ticker->codes[group_end] == ticker->codes[r]) ++group_end;
    }
    (group_end - r <= newest_per_ticker ? open : closed).push_back(r);
  }
  return {TakeRows(table, closed), TakeRows(table, open)};
}

std::string_view OpenFileKey(std::string_view table) {
  if (table == kGoldBarsWeekly || table == kGoldBarsMonthly || table == kGoldBarsQuarterly) return "period_start";
  if (table == kGoldMlFeatures) return "quarter";
  return "";
}

Result<std::vector<DataFile>> WriteBucketTable(const std::string& lake_dir, const std::string& table_name, int bucket,
                                               int64_t snapshot_id, const Table& table) {
  std::vector<DataFile> files;
  if (table.num_rows() == 0) return files;
  if (OpenFileKey(table_name).empty()) {
    SL_ASSIGN_OR_RETURN(DataFile f, WriteTableFile(lake_dir, table_name, bucket, snapshot_id, table));
    files.push_back(std::move(f));
    return files;
  }
  const auto [closed, open] = SplitOpenRows(table, kOpenRowsPerTicker);
  for (const Table* part : {&closed, &open}) {
    if (part->num_rows() == 0) continue;
    SL_ASSIGN_OR_RETURN(DataFile f, WriteTableFile(lake_dir, table_name, bucket, snapshot_id, *part));
    files.push_back(std::move(f));
  }
  return files;
}

void AppendSilverRow(const BarBatch& batch, size_t i, int32_t ticker_code, Table* bars, Table* lineage) {
  bars->columns[0].AppendCode(ticker_code);
  bars->columns[1].AppendInt32(batch.date[i]);
  bars->columns[2].AppendDouble(batch.open[i]);
  bars->columns[3].AppendDouble(batch.high[i]);
  bars->columns[4].AppendDouble(batch.low[i]);
  bars->columns[5].AppendDouble(batch.close[i]);
  bars->columns[6].AppendDouble(batch.adj_close[i]);
  bars->columns[7].AppendInt64(batch.volume[i]);
  lineage->columns[0].AppendInt32(static_cast<int32_t>(batch.source[i]));
  lineage->columns[1].AppendInt64(batch.line[i]);
}

bool SameBar(const BarBatch& a, size_t i, const BarBatch& b, size_t j) {
  return a.open[i] == b.open[j] && a.high[i] == b.high[j] && a.low[i] == b.low[j] && a.close[i] == b.close[j] &&
         a.adj_close[i] == b.adj_close[j] && a.volume[i] == b.volume[j];
}

}  // namespace stocklake
