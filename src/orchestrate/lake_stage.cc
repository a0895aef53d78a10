#include "orchestrate/lake_stage.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>

#include "core/crash_point.h"
#include "core/files.h"
#include "lake/gold_rows.h"
#include "lake/table_schemas.h"
#include "log/bar_codec.h"
#include "log/topics.h"
#include "orchestrate/bucket_files.h"
#include "orchestrate/clean_stage.h"
#include "orchestrate/lake_append.h"
#include "orchestrate/parallel.h"
#include "process/daily_series.h"
#include "process/indicators.h"
#include "process/period_bars.h"
#include "process/quarter_features.h"
#include "process/ticker_state.h"

namespace stocklake {

namespace {

constexpr size_t kFetchBytes = 64 << 20;

// What one bucket's full recomputation produced: the tables to write and the counts.
struct BucketOutput {
  std::vector<std::pair<std::string, Table>> tables;
  bool changed = false;  // false: every new row was unchanged; the bucket's files stay
  BucketCounts counts;
};

// Reads every record of `topic`/`partition` in [from, end) into one batch.
Status FetchAll(MessageLog* log, const std::string& topic, int partition, int64_t from, int64_t end, BarBatch* out) {
  int64_t offset = from;
  while (offset < end) {
    SL_ASSIGN_OR_RETURN(std::vector<LogRecord> records, log->Fetch(topic, partition, offset, kFetchBytes));
    if (records.empty()) break;
    for (const LogRecord& record : records) {
      if (record.offset >= end) return Status::OK();
      offset = record.offset + 1;
      auto decoded = DecodeBarRecord(record.value, kExternalSource);
      if (!decoded.ok()) {
        return decoded.status().WithContext(topic + ":" + std::to_string(partition) + ":" +
                                            std::to_string(record.offset));
      }
      out->AppendAll(*decoded);
    }
  }
  return Status::OK();
}

// The heart of the stage for one bucket: merge, resolve duplicates, recompute.
// Takes the batches by value: they are consumed, so a bucket holds one copy of its rows.
BucketOutput MergeBucket(BarBatch existing, BarBatch fresh, const std::vector<size_t>& fresh_rows,
                         const BarBatch& fresh_rejects, const std::vector<size_t>& fresh_reject_rows,
                         std::vector<RejectRow> rejects, const SourceRegistry& registry) {
  BucketOutput out;
  // Candidates: existing silver rows first, then new rows; all in one dictionary sorted
  // by name so the output is ordered by (ticker, date).
  BarBatch all = std::move(existing);
  const size_t existing_count = all.size();
  all.AppendAll(fresh);
  fresh = BarBatch{};
  std::vector<int32_t> rank(all.ticker_names.size());
  {
    std::vector<int32_t> by_name(all.ticker_names.size());
    std::iota(by_name.begin(), by_name.end(), 0);
    std::sort(by_name.begin(), by_name.end(),
              [&](int32_t a, int32_t b) { return all.ticker_names[a] < all.ticker_names[b]; });
    for (size_t r = 0; r < by_name.size(); ++r) rank[by_name[r]] = static_cast<int32_t>(r);
  }
  // Existing rows, then the new rows that are not redeliveries.
  // Sort keys packed next to the row index: sorting a contiguous array beats chasing
  // four columns per comparison. (ticker rank, date) order the output; (source, line)
  // is input order, so the last of a (ticker, date) group is the row that wins.
  struct SortKey {
    uint64_t ticker_date;
    uint64_t source;
    int64_t line;
    size_t row;
  };
  std::vector<SortKey> keys;
  keys.reserve(existing_count + fresh_rows.size());
  auto add_key = [&](size_t i) {
    const uint64_t biased_date = static_cast<uint32_t>(all.date[i]) ^ 0x80000000u;  // signed order as unsigned
    keys.push_back({static_cast<uint64_t>(rank[all.ticker[i]]) << 32 | biased_date, all.source[i], all.line[i], i});
  };
  for (size_t i = 0; i < existing_count; ++i) add_key(i);
  for (size_t i : fresh_rows) add_key(existing_count + i);
  std::sort(keys.begin(), keys.end(), [](const SortKey& a, const SortKey& b) {
    return std::tie(a.ticker_date, a.source, a.line) < std::tie(b.ticker_date, b.source, b.line);
  });
  std::vector<size_t> order(keys.size());
  for (size_t k = 0; k < keys.size(); ++k) order[k] = keys[k].row;
  keys = {};

  Table bars = EmptyTableFor(kSilverBars);
  Table lineage = EmptyTableFor(kBarsLineage);
  Table indicators = EmptyTableFor(kGoldIndicators);
  Table weekly = EmptyTableFor(kGoldBarsWeekly), monthly = EmptyTableFor(kGoldBarsMonthly),
        quarterly = EmptyTableFor(kGoldBarsQuarterly);
  Table features = EmptyTableFor(kGoldMlFeatures);
  StringColumnBuilder quarter_names(&features.columns[1]);
  for (Table* t : {&bars, &indicators}) {
    for (auto& c : t->columns) c.Reserve(order.size());
  }
  // Every output table shares the one dictionary of ticker names (in rank order).
  std::vector<std::string> dictionary(all.ticker_names.size());
  for (size_t code = 0; code < rank.size(); ++code) dictionary[rank[code]] = all.ticker_names[code];
  for (Table* t : {&bars, &indicators, &weekly, &monthly, &quarterly, &features}) t->columns[0].dictionary = dictionary;

  auto reject_duplicate = [&](size_t i, int32_t code) {
    rejects.push_back(RejectRow{all.source[i], SourceFileName(registry, all.source[i]), all.line[i],
                                all.ticker_names[code], all.date[i], RejectReason::kDuplicate});
  };
  TickerStates states;
  DailySeries series;
  Indicators ind;
  PeriodBars period;
  QuarterFeatures quarter_features;
  size_t k = 0;
  while (k < order.size()) {
    const int32_t code = all.ticker[order[k]];
    series = DailySeries{};
    // One ticker's rows, a (date) group at a time. Of this run's rows of a date the last
    // in input order is the candidate, the others are duplicates; the candidate then
    // meets the row the lake keeps: identical, it is unchanged (the kept row and its
    // lineage stay); different, it displaces the kept row, which becomes a duplicate.
    while (k < order.size() && all.ticker[order[k]] == code) {
      const Date date = all.date[order[k]];
      std::optional<size_t> kept_row, candidate;
      for (; k < order.size() && all.ticker[order[k]] == code && all.date[order[k]] == date; ++k) {
        const size_t i = order[k];
        if (i < existing_count) {
          kept_row = i;
          continue;
        }
        if (candidate) {
          ++out.counts.duplicates;
          reject_duplicate(*candidate, code);
        }
        candidate = i;
      }
      size_t i = kept_row.value_or(0);
      if (candidate) {
        ++out.counts.accepted;
        if (!kept_row) {
          ++out.counts.new_rows;
          i = *candidate;
          out.changed = true;
        } else if (SameBar(all, *kept_row, all, *candidate)) {
          ++out.counts.unchanged;
        } else {
          ++out.counts.revised;
          ++out.counts.earlier_rows_displaced;
          reject_duplicate(*kept_row, code);
          i = *candidate;
          out.changed = true;
        }
      }
      AppendSilverRow(all, i, rank[code], &bars, &lineage);
      series.date.push_back(all.date[i]);
      series.open.push_back(all.open[i]);
      series.high.push_back(all.high[i]);
      series.low.push_back(all.low[i]);
      series.close.push_back(all.close[i]);
      series.adj_close.push_back(all.adj_close[i]);
      series.volume.push_back(all.volume[i]);
    }
    ComputeIndicators(series, &ind);
    AppendIndicatorRows(ind, series, rank[code], &indicators);
    const std::pair<Period, Table*> periods[] = {
        {Period::kWeek, &weekly}, {Period::kMonth, &monthly}, {Period::kQuarter, &quarterly}};
    for (const auto& [kind, table] : periods) {
      ComputePeriodBars(series, kind, &period);
      AppendPeriodBarRows(period, rank[code], table);
      if (kind == Period::kQuarter) {
        ComputeQuarterFeatures(series, ind, period, &quarter_features);
        AppendQuarterFeatureRows(quarter_features, rank[code], &quarter_names, &features);
      }
    }
    states.emplace(all.ticker_names[code], StateAfter(series, ind, quarter_features));
  }
  // An earlier row displaced now was counted as accepted by its own run; this run's
  // rows that were displaced within it are this run's duplicates.

  if (out.counts.duplicates > 0 || !fresh_reject_rows.empty()) out.changed = true;
  for (size_t i : fresh_reject_rows) {
    const RejectReason why = fresh_rejects.reason[i];
    ++out.counts.rejected;
    ++out.counts.rejected_by_reason[static_cast<size_t>(why)];
    const int32_t t = fresh_rejects.ticker[i];
    rejects.push_back(RejectRow{fresh_rejects.source[i], SourceFileName(registry, fresh_rejects.source[i]),
                                fresh_rejects.line[i], t == kNoTicker ? std::string() : fresh_rejects.ticker_names[t],
                                fresh_rejects.date[i], why});
  }
  out.counts.rejected_by_reason[static_cast<size_t>(RejectReason::kDuplicate)] = out.counts.duplicates;

  out.tables.emplace_back(std::string(kSilverBars), std::move(bars));
  out.tables.emplace_back(std::string(kBarsLineage), std::move(lineage));
  out.tables.emplace_back(std::string(kGoldIndicators), std::move(indicators));
  out.tables.emplace_back(std::string(kGoldBarsWeekly), std::move(weekly));
  out.tables.emplace_back(std::string(kGoldBarsMonthly), std::move(monthly));
  out.tables.emplace_back(std::string(kGoldBarsQuarterly), std::move(quarterly));
  out.tables.emplace_back(std::string(kGoldMlFeatures), std::move(features));
  auto [rejects_table, rejects_lineage] = RejectsTables(&rejects);
  out.tables.emplace_back(std::string(kRejects), std::move(rejects_table));
  out.tables.emplace_back(std::string(kRejectsLineage), std::move(rejects_lineage));
  TickerStateTables state_tables = EncodeTickerStates(states);
  out.tables.emplace_back(std::string(kTickerStateScalars), std::move(state_tables.scalars));
  out.tables.emplace_back(std::string(kTickerStateTail), std::move(state_tables.tail));
  out.tables.emplace_back(std::string(kTickerStateQuarters), std::move(state_tables.quarters));
  return out;
}

}  // namespace

Result<LakeStageResult> RunLakeStage(const std::string& lake_dir, int partitions, const std::vector<int>& buckets,
                                     int threads, const SourceRegistry& registry, MessageLog* log,
                                     const LakeSnapshot& base, const std::string& run_summary_json) {
  const auto stage_start = std::chrono::steady_clock::now();
  const std::string processed(kProcessedTopic), rejects_topic(kRejectsTopic);
  SL_RETURN_IF_ERROR(log->EnsureTopic(processed, partitions));
  SL_RETURN_IF_ERROR(log->EnsureTopic(rejects_topic, partitions));

  LakeSnapshot next = base;
  next.partitions = partitions;
  const int64_t next_id = base.id + 1;
  auto base_offset = [&](const std::string& topic, int p) -> int64_t {
    auto it = base.consumed_offsets.find(topic);
    return it != base.consumed_offsets.end() && static_cast<size_t>(p) < it->second.size() ? it->second[p] : 0;
  };
  next.consumed_offsets[processed].resize(static_cast<size_t>(partitions), 0);
  next.consumed_offsets[rejects_topic].resize(static_cast<size_t>(partitions), 0);

  LakeStageResult result;
  std::mutex result_mutex;
  std::vector<std::vector<DataFile>> written(static_cast<size_t>(partitions));
  // Per bucket with new files: every table's files after this run.
  std::vector<std::map<std::string, std::vector<DataFile>>> bucket_files(static_cast<size_t>(partitions));
  std::vector<bool> touched(static_cast<size_t>(partitions), false);   // new files written
  std::vector<bool> advanced(static_cast<size_t>(partitions), false);  // new records applied
  for (int b : buckets) {
    if (b < 0 || b >= partitions) return Status::InvalidArgument("bucket " + std::to_string(b) + " out of range");
  }
  SL_RETURN_IF_ERROR(ParallelFor(buckets.size(), threads, [&](size_t k, int) -> Status {
    const int b = buckets[k];
    const size_t b_index = static_cast<size_t>(b);
    SL_ASSIGN_OR_RETURN(const int64_t processed_end, log->EndOffset(processed, b));
    SL_ASSIGN_OR_RETURN(const int64_t rejects_end, log->EndOffset(rejects_topic, b));
    // Records the lake never applied but the log no longer retains are gone; start at
    // what is left, as a Kafka consumer with auto.offset.reset=earliest would.
    SL_ASSIGN_OR_RETURN(const int64_t processed_begin, log->BeginOffset(processed, b));
    SL_ASSIGN_OR_RETURN(const int64_t rejects_begin, log->BeginOffset(rejects_topic, b));
    const int64_t processed_from = std::max(base_offset(processed, b), processed_begin);
    const int64_t rejects_from = std::max(base_offset(rejects_topic, b), rejects_begin);
    {
      std::lock_guard<std::mutex> lock(result_mutex);
      next.consumed_offsets[processed][b_index] = processed_end;
      next.consumed_offsets[rejects_topic][b_index] = rejects_end;
    }
    if (processed_end <= processed_from && rejects_end <= rejects_from) return Status::OK();

    BarBatch fresh, fresh_rejects;
    SL_RETURN_IF_ERROR(FetchAll(log, processed, b, processed_from, processed_end, &fresh));
    SL_RETURN_IF_ERROR(FetchAll(log, rejects_topic, b, rejects_from, rejects_end, &fresh_rejects));
    std::vector<size_t> fresh_rows = DistinctByLineage(fresh);
    std::vector<size_t> fresh_reject_rows = DistinctByLineage(fresh_rejects);

    // Appended days continue from the saved states; anything else recomputes the bucket.
    SL_ASSIGN_OR_RETURN(
        std::optional<BucketAppend> update,
        AppendToBucket({lake_dir, base, b, next_id, registry, fresh, fresh_rows, fresh_rejects, fresh_reject_rows}));
    const bool appended = update.has_value();
    if (!update) {
      update.emplace();
      BarBatch existing;
      SL_RETURN_IF_ERROR(LoadExistingSilver(lake_dir, base, b, &existing));
      std::vector<RejectRow> rejects;
      SL_RETURN_IF_ERROR(LoadExistingRejects(lake_dir, base, b, &rejects));
      const int64_t redelivered =
          DropRedeliveredRows(existing, rejects, fresh, &fresh_rows, fresh_rejects, &fresh_reject_rows);
      BucketOutput out = MergeBucket(std::move(existing), std::move(fresh), fresh_rows, fresh_rejects,
                                     fresh_reject_rows, std::move(rejects), registry);
      update->counts = out.counts;
      update->counts.redelivered = redelivered;
      update->changed = out.changed;
      if (out.changed) {
        for (const auto& [name, table] : out.tables) {
          SL_ASSIGN_OR_RETURN(std::vector<DataFile> files, WriteBucketTable(lake_dir, name, b, next_id, table));
          update->written.insert(update->written.end(), files.begin(), files.end());
          if (!files.empty()) update->files[name] = std::move(files);
        }
      }
    }
    std::lock_guard<std::mutex> lock(result_mutex);
    advanced[b_index] = true;
    if (update->changed) {
      written[b_index] = std::move(update->written);
      bucket_files[b_index] = std::move(update->files);
      touched[b_index] = true;
      ++(appended ? result.buckets_appended : result.buckets_recomputed);
    }
    const BucketCounts& counts = update->counts;
    result.accepted += counts.accepted;
    result.new_rows += counts.new_rows;
    result.revised += counts.revised;
    result.unchanged += counts.unchanged;
    result.rejected += counts.rejected;
    result.duplicates += counts.duplicates;
    result.earlier_rows_displaced += counts.earlier_rows_displaced;
    result.redelivered_rows += counts.redelivered;
    for (int r = 0; r < kRejectReasonCount; ++r) result.rejected_by_reason[r] += counts.rejected_by_reason[r];
    return Status::OK();
  }));

  // Buckets whose offsets advanced are committed (their rows are counted once), but only
  // those with changed rows get new files.
  std::vector<int> rewritten, committed_buckets;
  for (int b : buckets) {
    if (touched[static_cast<size_t>(b)]) rewritten.push_back(b);
    if (advanced[static_cast<size_t>(b)]) committed_buckets.push_back(b);
  }
  if (committed_buckets.empty()) return result;  // nothing new: the lake stays as it is

  for (std::string_view table : AllTableNames()) {
    auto& files = next.tables[std::string(table)];
    std::erase_if(files,
                  [&](const DataFile& f) { return f.bucket < partitions && touched[static_cast<size_t>(f.bucket)]; });
    for (int b = 0; b < partitions; ++b) {
      const auto it = bucket_files[static_cast<size_t>(b)].find(std::string(table));
      if (it != bucket_files[static_cast<size_t>(b)].end())
        files.insert(files.end(), it->second.begin(), it->second.end());
    }
    std::stable_sort(files.begin(), files.end(),
                     [](const DataFile& a, const DataFile& b) { return a.bucket < b.bucket; });
    // Readers that glob a table's directory need at least one file, even an empty one.
    if (files.empty()) {
      const int b = committed_buckets.front();
      SL_ASSIGN_OR_RETURN(DataFile f, WriteTableFile(lake_dir, std::string(table), b, next_id, EmptyTableFor(table)));
      written[static_cast<size_t>(b)].push_back(f);
      files.push_back(std::move(f));
    }
    result.tables_written.emplace_back(table);
  }
  next.sources_applied = registry.next_id();
  nlohmann::json summary = nlohmann::json::parse(run_summary_json, nullptr, false);
  if (!summary.is_object()) summary = nlohmann::json::object();
  summary["accepted"] = result.accepted;
  summary["rejected"] = result.rejected;
  summary["duplicates"] = result.duplicates;
  summary["earlier_rows_displaced"] = result.earlier_rows_displaced;
  summary["new_rows"] = result.new_rows;
  summary["revised"] = result.revised;
  summary["unchanged"] = result.unchanged;
  summary["buckets_appended"] = result.buckets_appended;
  summary["buckets_recomputed"] = result.buckets_recomputed;
  if (!summary.contains("stages") || !summary["stages"].is_array()) summary["stages"] = nlohmann::json::array();
  // The lake stage up to its commit (the commit itself and the store sync come after).
  summary["stages"].push_back(
      {{"stage", "lake"},
       {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - stage_start).count()},
       {"rows", result.accepted + result.rejected + result.duplicates}});
  next.run_summary_json = summary.dump();

  SL_RETURN_IF_ERROR(SyncFileSystem(lake_dir));
  CrashPoint("lake-files-written");
  const Status committed = CommitBucketUpdate(lake_dir, base, committed_buckets, &next);
  if (!committed.ok()) {
    // Nothing of this attempt is referenced: remove exactly its files (the bucket's new
    // owner may be writing files of its own there).
    for (const auto& files : written) {
      for (const DataFile& f : files) (void)RemoveFile(lake_dir + "/" + f.path);
    }
    return committed;
  }
  CrashPoint("lake-committed");
  result.snapshot_id = next.id;
  SL_RETURN_IF_ERROR(RemoveUnreferencedFiles(lake_dir, next, &rewritten));
  return result;
}

}  // namespace stocklake
