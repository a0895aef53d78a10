// The append path of the lake stage; see lake_append.h.
#include "orchestrate/lake_append.h"

#include <algorithm>
#include <numeric>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "core/crash_point.h"
#include "core/row_copier.h"
#include "lake/gold_rows.h"
#include "lake/parquet_reader.h"
#include "lake/table_schemas.h"
#include "lake/ticker_tails.h"
#include "process/ticker_state.h"

namespace stocklake {

namespace {

//! Files a bucket may hold for one table before the newer ones are merged into one: each
//! append adds a file, and readers open every file.
constexpr size_t kMaxFilesPerTable = 8;

//! An open file holding more than this many rows per ticker is split: the rows before each
//! ticker's kOpenRowsPerTicker newest go to a closed file.
constexpr size_t kOpenFileRowsPerTicker = 4 * kOpenRowsPerTicker;

// The bucket's saved states; nullopt when it has none: a new bucket (whose rows the
// column-wise full computation handles fastest) or one written before states existed.
Result<std::optional<TickerStates>> LoadStates(const std::string& lake_dir, const LakeSnapshot& base, int bucket) {
  if (base.FilesOf(std::string(kTickerStateScalars), bucket).empty()) return std::optional<TickerStates>();
  TickerStateTables tables;
  SL_ASSIGN_OR_RETURN(tables.scalars, ReadBucketTable(lake_dir, base, kTickerStateScalars, bucket));
  SL_ASSIGN_OR_RETURN(tables.tail, ReadBucketTable(lake_dir, base, kTickerStateTail, bucket));
  SL_ASSIGN_OR_RETURN(tables.quarters, ReadBucketTable(lake_dir, base, kTickerStateQuarters, bucket));
  SL_ASSIGN_OR_RETURN(TickerStates states, DecodeTickerStates(tables));
  return std::optional<TickerStates>(std::move(states));
}

// A table with `table_name`'s columns whose ticker column holds `tickers` as its dictionary.
Table TableWithTickers(std::string_view table_name, const std::vector<std::string>& tickers) {
  Table t = EmptyTableFor(table_name);
  t.columns[0].dictionary = tickers;
  return t;
}

// Writes the new files of one bucket's tables and keeps their lists.
class BucketWriter {
 public:
  BucketWriter(const BucketAppendInput& input, BucketAppend* out) : in_(input), out_(out) {
    for (std::string_view table : AllTableNames()) {
      for (const DataFile* f : in_.base.FilesOf(std::string(table), in_.bucket)) {
        out_->files[std::string(table)].push_back(*f);
      }
    }
  }

  // Adds `rows` as a new file of each table of `tables` (written together, so files stay
  // one for one), merging the newer files when a table has too many.
  Status Append(const std::vector<std::pair<std::string_view, const Table*>>& tables) {
    if (tables.front().second->num_rows() == 0) return Status::OK();
    for (const auto& [name, rows] : tables) {
      SL_ASSIGN_OR_RETURN(DataFile f, Write(name, *rows));
      out_->files[std::string(name)].push_back(std::move(f));
    }
    for (const auto& [name, rows] : tables) SL_RETURN_IF_ERROR(MergeNewerFiles(name, 1));
    return Status::OK();
  }

  // Replaces the open file of `table` (its last) by the held open rows with each
  // replaced ticker's newest rows swapped for `replacement`; splits it once it is large.
  Status ReplaceOpenRows(std::string_view table, const Table& replacement) {
    if (replacement.num_rows() == 0) return Status::OK();
    std::vector<DataFile>& files = out_->files[std::string(table)];
    Table held = EmptyTableFor(table);
    if (!files.empty()) {
      SL_ASSIGN_OR_RETURN(held, ReadTableFiles(in_.lake_dir, table, {files.back()}));
      files.pop_back();
    }
    SL_ASSIGN_OR_RETURN(Table open, ReplaceTickerTails(held, replacement, OpenFileKey(table)));
    const size_t tickers = open.columns[0].dictionary.size();
    if (open.num_rows() > kOpenFileRowsPerTicker * std::max<size_t>(tickers, 1)) {
      auto [closed, still_open] = SplitOpenRows(open, kOpenRowsPerTicker);
      if (closed.num_rows() > 0) {
        SL_ASSIGN_OR_RETURN(DataFile f, Write(table, closed));
        files.push_back(std::move(f));
      }
      open = std::move(still_open);
    }
    SL_ASSIGN_OR_RETURN(DataFile f, Write(table, open));
    files.push_back(std::move(f));
    // The closed files before the open one are merged like appended files.
    return MergeNewerFiles(table, 2);
  }

  // Replaces every file of `table` by one holding `rows`.
  Status Replace(std::string_view table, const Table& rows) {
    std::vector<DataFile>& files = out_->files[std::string(table)];
    files.clear();
    SL_ASSIGN_OR_RETURN(DataFile f, Write(table, rows));
    files.push_back(std::move(f));
    return Status::OK();
  }

 private:
  Result<DataFile> Write(std::string_view table, const Table& rows) {
    SL_ASSIGN_OR_RETURN(DataFile f,
                        WriteTableFile(in_.lake_dir, std::string(table), in_.bucket, in_.snapshot_id, rows));
    out_->written.push_back(f);
    return f;
  }

  // When `table` has more than kMaxFilesPerTable files, merges its files after the first
  // (the bucket's history, never rewritten here) and before the last `keep_last - 1`
  // into one. Tables written one for one merge the same ranges, so they stay aligned.
  Status MergeNewerFiles(std::string_view table, size_t keep_last) {
    std::vector<DataFile>& files = out_->files[std::string(table)];
    if (files.size() <= kMaxFilesPerTable) return Status::OK();
    const size_t begin = 1, end = files.size() - (keep_last - 1);
    const std::vector<DataFile> merged_files(files.begin() + begin, files.begin() + end);
    SL_ASSIGN_OR_RETURN(Table rows, ReadTableFiles(in_.lake_dir, table, merged_files));
    SL_ASSIGN_OR_RETURN(DataFile merged, Write(table, rows));
    files.erase(files.begin() + begin, files.begin() + end);
    files.insert(files.begin() + begin, std::move(merged));
    return Status::OK();
  }

  const BucketAppendInput& in_;
  BucketAppend* out_;
};

}  // namespace

Result<std::optional<BucketAppend>> AppendToBucket(const BucketAppendInput& in) {
  SL_ASSIGN_OR_RETURN(std::optional<TickerStates> loaded, LoadStates(in.lake_dir, in.base, in.bucket));
  if (!loaded) return std::optional<BucketAppend>();
  TickerStates states = std::move(*loaded);
  const BarBatch& fresh = in.fresh;
  std::vector<size_t> rows = in.fresh_rows, reject_rows = in.fresh_reject_rows;
  BucketAppend out;
  BucketCounts& counts = out.counts;

  // Rows of sources the lake may have applied already are checked against its lineage;
  // sources from sources_applied on are new to every bucket.
  BarBatch held;
  bool held_loaded = false;
  auto load_held = [&]() -> Status {
    if (held_loaded) return Status::OK();
    held_loaded = true;
    return LoadExistingSilver(in.lake_dir, in.base, in.bucket, &held);
  };
  const auto maybe_applied = [&](const BarBatch& batch, const std::vector<size_t>& list) {
    return std::any_of(list.begin(), list.end(), [&](size_t i) { return batch.source[i] < in.base.sources_applied; });
  };
  if (maybe_applied(fresh, rows) || maybe_applied(in.fresh_rejects, reject_rows)) {
    SL_RETURN_IF_ERROR(load_held());
    std::vector<RejectRow> held_rejects;
    SL_RETURN_IF_ERROR(LoadExistingRejects(in.lake_dir, in.base, in.bucket, &held_rejects));
    counts.redelivered = DropRedeliveredRows(held, held_rejects, fresh, &rows, in.fresh_rejects, &reject_rows);
  }

  // This run's rows by (ticker, date), input order within: the last of a date is the
  // candidate, the others are duplicates.
  std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
    return std::tie(fresh.ticker_names[fresh.ticker[a]], fresh.date[a], fresh.source[a], fresh.line[a]) <
           std::tie(fresh.ticker_names[fresh.ticker[b]], fresh.date[b], fresh.source[b], fresh.line[b]);
  });
  std::vector<RejectRow> rejects;
  std::vector<size_t> candidates;
  for (size_t k = 0; k < rows.size(); ++k) {
    const size_t i = rows[k];
    const bool last_of_date = k + 1 == rows.size() || fresh.ticker[rows[k + 1]] != fresh.ticker[i] ||
                              fresh.date[rows[k + 1]] != fresh.date[i];
    if (last_of_date) {
      candidates.push_back(i);
      continue;
    }
    ++counts.duplicates;
    rejects.push_back(RejectRow{fresh.source[i], SourceFileName(in.registry, fresh.source[i]), fresh.line[i],
                                fresh.ticker_names[fresh.ticker[i]], fresh.date[i], RejectReason::kDuplicate});
  }

  // A candidate on or before its ticker's last date meets the held row: identical, it is
  // unchanged; anything else rewrites history, which the full recomputation does.
  std::vector<size_t> appended;
  std::unordered_map<std::string, std::unordered_map<Date, size_t>> held_rows;  // built at first need
  bool held_indexed = false;
  for (size_t i : candidates) {
    const std::string& ticker = fresh.ticker_names[fresh.ticker[i]];
    const auto state = states.find(ticker);
    if (state == states.end() || state->second.tail.empty() || fresh.date[i] > state->second.tail.date.back()) {
      appended.push_back(i);
      continue;
    }
    if (!held_indexed) {
      SL_RETURN_IF_ERROR(load_held());
      for (size_t h = 0; h < held.size(); ++h) held_rows[held.ticker_names[held.ticker[h]]][held.date[h]] = h;
      held_indexed = true;
    }
    const auto by_ticker = held_rows.find(ticker);
    if (by_ticker == held_rows.end()) return std::optional<BucketAppend>();
    const auto by_date = by_ticker->second.find(fresh.date[i]);
    if (by_date == by_ticker->second.end()) return std::optional<BucketAppend>();
    if (!SameBar(held, by_date->second, fresh, i)) return std::optional<BucketAppend>();
    ++counts.unchanged;
  }
  counts.new_rows = static_cast<int64_t>(appended.size());
  counts.accepted = counts.new_rows + counts.unchanged;
  for (size_t i : reject_rows) {
    const RejectReason why = in.fresh_rejects.reason[i];
    ++counts.rejected;
    ++counts.rejected_by_reason[static_cast<size_t>(why)];
    const int32_t t = in.fresh_rejects.ticker[i];
    rejects.push_back(RejectRow{
        in.fresh_rejects.source[i], SourceFileName(in.registry, in.fresh_rejects.source[i]), in.fresh_rejects.line[i],
        t == kNoTicker ? std::string() : in.fresh_rejects.ticker_names[t], in.fresh_rejects.date[i], why});
  }
  counts.rejected_by_reason[static_cast<size_t>(RejectReason::kDuplicate)] = counts.duplicates;
  out.changed = !appended.empty() || !rejects.empty();
  BucketWriter writer(in, &out);
  if (!out.changed) return std::optional<BucketAppend>(std::move(out));

  // The appended rows, ticker by ticker (`appended` is in (ticker, date) order).
  std::vector<std::string> tickers;
  for (size_t i : appended) {
    const std::string& name = fresh.ticker_names[fresh.ticker[i]];
    if (tickers.empty() || tickers.back() != name) tickers.push_back(name);
  }
  Table bars = TableWithTickers(kSilverBars, tickers), lineage = EmptyTableFor(kBarsLineage),
        indicators = TableWithTickers(kGoldIndicators, tickers);
  Table periods[3] = {TableWithTickers(kGoldBarsWeekly, tickers), TableWithTickers(kGoldBarsMonthly, tickers),
                      TableWithTickers(kGoldBarsQuarterly, tickers)};
  Table features = TableWithTickers(kGoldMlFeatures, tickers);
  StringColumnBuilder quarter_names(&features.columns[1]);
  DailySeries series;
  TickerContinuation continuation;
  size_t k = 0;
  for (size_t code = 0; code < tickers.size(); ++code) {
    series.Clear();
    for (; k < appended.size() && fresh.ticker_names[fresh.ticker[appended[k]]] == tickers[code]; ++k) {
      const size_t i = appended[k];
      series.Append(fresh.date[i], fresh.open[i], fresh.high[i], fresh.low[i], fresh.close[i], fresh.adj_close[i],
                    fresh.volume[i]);
      AppendSilverRow(fresh, i, static_cast<int32_t>(code), &bars, &lineage);
    }
    static const TickerState kNewTicker = NewTickerState();
    const auto [entry, is_new] = states.try_emplace(tickers[code]);
    if (is_new) entry->second = kNewTicker;
    TickerState& state = entry->second;
    SL_RETURN_IF_ERROR(ContinueTicker(state, series, &continuation).WithContext("ticker " + tickers[code]));
    const int32_t ticker_code = static_cast<int32_t>(code);
    AppendIndicatorRows(continuation.indicators, series, ticker_code, &indicators);
    for (Period kind : {Period::kWeek, Period::kMonth, Period::kQuarter}) {
      AppendPeriodBarRows(continuation.bars(kind), ticker_code, &periods[static_cast<size_t>(kind)]);
    }
    AppendQuarterFeatureRows(continuation.features, ticker_code, &quarter_names, &features);
    state = std::move(continuation.state);
  }

  SL_RETURN_IF_ERROR(writer.Append({{kSilverBars, &bars}, {kBarsLineage, &lineage}}));
  SL_RETURN_IF_ERROR(writer.Append({{kGoldIndicators, &indicators}}));
  auto [rejects_table, rejects_lineage] = RejectsTables(&rejects);
  SL_RETURN_IF_ERROR(writer.Append({{kRejects, &rejects_table}, {kRejectsLineage, &rejects_lineage}}));
  CrashPoint("lake-append-half-written");  // tests: a crash leaves new files no snapshot lists
  SL_RETURN_IF_ERROR(writer.ReplaceOpenRows(kGoldBarsWeekly, periods[0]));
  SL_RETURN_IF_ERROR(writer.ReplaceOpenRows(kGoldBarsMonthly, periods[1]));
  SL_RETURN_IF_ERROR(writer.ReplaceOpenRows(kGoldBarsQuarterly, periods[2]));
  SL_RETURN_IF_ERROR(writer.ReplaceOpenRows(kGoldMlFeatures, features));
  if (!appended.empty()) {
    TickerStateTables state_tables = EncodeTickerStates(states);
    SL_RETURN_IF_ERROR(writer.Replace(kTickerStateScalars, state_tables.scalars));
    SL_RETURN_IF_ERROR(writer.Replace(kTickerStateTail, state_tables.tail));
    SL_RETURN_IF_ERROR(writer.Replace(kTickerStateQuarters, state_tables.quarters));
  }
  return std::optional<BucketAppend>(std::move(out));
}

}  // namespace stocklake
