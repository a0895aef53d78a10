// TickerState: the continuation and the tables; see ticker_state.h. The continuation
// lays the appended rows after the saved tail and runs the ordinary kernels on that short
// series; only the indicators' recurrences need resuming (ContinueIndicators), everything
// else reads windows that the tail covers by construction of kTickerStateTailRows.
#include "process/ticker_state.h"

#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

#include "core/date.h"

namespace stocklake {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr Period kPeriods[] = {Period::kWeek, Period::kMonth, Period::kQuarter};

// Erases the first `count` entries of every vector.
template <typename... Vectors>
void EraseFront(size_t count, Vectors&... vectors) {
  (vectors.erase(vectors.begin(), vectors.begin() + static_cast<std::ptrdiff_t>(count)), ...);
}

void DropFirstPeriods(size_t count, PeriodBars* b) {
  EraseFront(count, b->period_start, b->period_end, b->open, b->high, b->low, b->close, b->adj_close, b->volume,
             b->trading_days, b->period_return, b->has_return);
}

void AppendFeatureRow(const QuarterFeatures& from, size_t row, QuarterFeatures* to) {
  to->quarter.push_back(from.quarter[row]);
  to->quarter_end.push_back(from.quarter_end[row]);
  to->as_of_date.push_back(from.as_of_date[row]);
  to->as_of_row.push_back(from.as_of_row[row]);
  to->columns.resize(from.columns.size());
  for (size_t k = 0; k < from.columns.size(); ++k) to->columns[k].push_back(from.columns[k][row]);
}

// An empty QuarterFeatures with every column, so states compare and encode alike.
QuarterFeatures NoFeatureRows() {
  QuarterFeatures none;
  none.columns.resize(QuarterFeatureColumnNames().size());
  return none;
}

// The last `count` rows of `features` (all of them when it has fewer).
QuarterFeatures LastFeatureRows(const QuarterFeatures& features, size_t count) {
  QuarterFeatures last = NoFeatureRows();
  for (size_t q = features.size() - std::min(count, features.size()); q < features.size(); ++q) {
    AppendFeatureRow(features, q, &last);
  }
  return last;
}

// The last min(size, kTickerStateTailRows) rows of `series`, adj_close dropped.
DailySeries TailOf(const DailySeries& series) {
  const size_t first = series.size() - std::min(series.size(), kTickerStateTailRows);
  DailySeries tail;
  tail.Reserve(series.size() - first);
  for (size_t i = first; i < series.size(); ++i) {
    tail.Append(series.date[i], series.open[i], series.high[i], series.low[i], series.close[i], kNaN, series.volume[i]);
  }
  return tail;
}

void AppendSeries(const DailySeries& from, DailySeries* to) {
  for (size_t i = 0; i < from.size(); ++i) {
    to->Append(from.date[i], from.open[i], from.high[i], from.low[i], from.close[i], from.adj_close[i], from.volume[i]);
  }
}

bool ColumnsHaveOneLength(const DailySeries& s) {
  const size_t n = s.date.size();
  return s.open.size() == n && s.high.size() == n && s.low.size() == n && s.close.size() == n &&
         s.adj_close.size() == n && s.volume.size() == n;
}

Status CheckState(const TickerState& state) {
  const size_t expected_tail = static_cast<size_t>(std::min<int64_t>(state.rows, kTickerStateTailRows));
  if (state.rows < 0 || !ColumnsHaveOneLength(state.tail) || state.tail.size() != expected_tail) {
    return Status::Corruption("ticker state: " + std::to_string(state.tail.size()) + " tail rows for " +
                              std::to_string(state.rows) + " rows of history (want min(rows, " +
                              std::to_string(kTickerStateTailRows) + ")); recompute the ticker from its full history");
  }
  const IndicatorRecurrences& r = state.recurrences;
  const double seeded[] = {r.sma50_sum, r.sma50_error, r.sma200_sum, r.sma200_error, r.ema12,
                           r.ema26,     r.macd_signal, r.avg_gain,   r.avg_loss,     r.avg_true_range};
  if (state.rows >= static_cast<int64_t>(kIndicatorHistoryRows) &&
      std::any_of(std::begin(seeded), std::end(seeded), [](double v) { return std::isnan(v); })) {
    return Status::Corruption("ticker state: " + std::to_string(state.rows) +
                              " rows of history but an indicator recurrence is undefined; recompute the ticker "
                              "from its full history");
  }
  if (state.last_quarters.columns.size() != QuarterFeatureColumnNames().size()) {
    return Status::Corruption("ticker state: " + std::to_string(state.last_quarters.columns.size()) +
                              " quarter feature columns, want " + std::to_string(QuarterFeatureColumnNames().size()) +
                              "; recompute the ticker from its full history");
  }
  return Status::OK();
}

Status CheckAppended(const TickerState& before, const DailySeries& appended) {
  if (!ColumnsHaveOneLength(appended)) {
    return Status::InvalidArgument("continuing a ticker: the appended rows' columns differ in length");
  }
  for (size_t i = 0; i < appended.size(); ++i) {
    const bool first = i == 0;
    if (first && before.tail.empty()) continue;
    const Date previous = first ? before.tail.date.back() : appended.date[i - 1];
    if (appended.date[i] <= previous) {
      return Status::InvalidArgument(
          "continuing a ticker: appended row " + std::to_string(i) + " (" + FormatDate(appended.date[i]) +
          ") is not after " + (first ? "the state's last date (" : "the row before it (") + FormatDate(previous) +
          "); a run that changes or inserts days must recompute the ticker from its "
          "full history");
    }
  }
  return Status::OK();
}

// The appended rows' indicators out of those of the local series (tail then appended):
// rows [begin, end) with first_defined counted from the first appended row.
void SliceIndicators(const Indicators& local, size_t begin, int64_t rows_before, Indicators* out) {
  out->columns.resize(local.columns.size());
  const size_t before = static_cast<size_t>(rows_before);
  for (size_t k = 0; k < local.columns.size(); ++k) {
    const IndicatorColumn& from = local.columns[k];
    IndicatorColumn& to = out->columns[k];
    to.name = from.name;
    to.first_defined = from.first_defined > before ? from.first_defined - before : 0;
    to.values.assign(from.values.begin() + static_cast<std::ptrdiff_t>(begin), from.values.end());
  }
  out->obv.assign(local.obv.begin() + static_cast<std::ptrdiff_t>(begin), local.obv.end());
  out->recurrences = local.recurrences;
}

// The first period whose last trading date is on or after `date`: the first period that
// holds an appended row when `date` is the first appended date.
size_t FirstPeriodEndingFrom(const PeriodBars& bars, Date date) {
  return static_cast<size_t>(std::lower_bound(bars.period_end.begin(), bars.period_end.end(), date) -
                             bars.period_end.begin());
}

// The feature rows ContinueTicker returns (ticker_state.h): those of local quarters
// [first, end), the quarters holding an appended row, after the saved row of the calendar
// quarter before them, if traded, with its label set. `offset` turns local rows into rows
// of the whole history.
Status ReturnedFeatureRows(const TickerState& before, const DailySeries& local, const Indicators& local_indicators,
                           const PeriodBars& quarters, size_t first, size_t offset, QuarterFeatures* out) {
  QuarterFeatures computed;
  ComputeQuarterFeatures(local, local_indicators, quarters, first, &computed);
  *out = NoFeatureRows();
  // The calendar quarter before the first returned one, if traded, is local quarter
  // first - 1 (the tail reaches back past its as-of row, kPeriodBarReach).
  if (first > 0 && first < quarters.size() &&
      NextQuarter(QuarterKey(quarters.period_end[first - 1])) == QuarterKey(quarters.period_end[first])) {
    const int32_t key = QuarterKey(quarters.period_end[first - 1]);
    const QuarterFeatures& saved = before.last_quarters;
    const auto at = std::find(saved.quarter.begin(), saved.quarter.end(), key);
    if (at == saved.quarter.end()) {
      return Status::Corruption("ticker state: no feature row of " + FormatQuarter(key) +
                                ", the quarter before the appended rows' first; recompute the ticker from its "
                                "full history");
    }
    AppendFeatureRow(saved, static_cast<size_t>(at - saved.quarter.begin()), out);
    // Its as-of row is the row before the first returned quarter's first day.
    size_t first_day = 0;
    for (size_t q = 0; q < first; ++q) first_day += static_cast<size_t>(quarters.trading_days[q]);
    out->columns[kLabel].back() = QuarterLabel(local.close[first_day - 1], local.close[computed.as_of_row[0]]);
  }
  for (size_t q = 0; q < computed.size(); ++q) {
    computed.as_of_row[q] += offset;
    AppendFeatureRow(computed, q, out);
  }
  return Status::OK();
}

// The last two feature rows of the history after a continuation: the saved rows of the
// quarters before the returned ones, then the returned ones.
QuarterFeatures LastQuartersAfter(const QuarterFeatures& saved, const QuarterFeatures& returned) {
  QuarterFeatures history_end = NoFeatureRows();
  for (size_t q = 0; q < saved.size(); ++q) {
    if (returned.size() == 0 || saved.quarter[q] < returned.quarter[0]) AppendFeatureRow(saved, q, &history_end);
  }
  for (size_t q = 0; q < returned.size(); ++q) AppendFeatureRow(returned, q, &history_end);
  return LastFeatureRows(history_end, 2);
}

}  // namespace

TickerState StateAfter(const DailySeries& series, const Indicators& indicators, const QuarterFeatures& features) {
  TickerState state;
  state.rows = static_cast<int64_t>(series.size());
  state.recurrences = indicators.recurrences;
  state.tail = TailOf(series);
  state.last_quarters = LastFeatureRows(features, 2);
  return state;
}

TickerState NewTickerState() {
  const DailySeries none;
  Indicators indicators;
  ComputeIndicators(none, &indicators);
  PeriodBars quarters;
  ComputePeriodBars(none, Period::kQuarter, &quarters);
  QuarterFeatures features;
  ComputeQuarterFeatures(none, indicators, quarters, &features);
  return StateAfter(none, indicators, features);
}

Status ContinueTicker(const TickerState& before, const DailySeries& appended, TickerContinuation* out) {
  SL_RETURN_IF_ERROR(CheckState(before));
  SL_RETURN_IF_ERROR(CheckAppended(before, appended));
  const size_t tail_rows = before.tail.size();
  // Local row r is row r + offset of the whole history.
  const size_t offset = static_cast<size_t>(before.rows) - tail_rows;
  DailySeries local;
  local.Reserve(tail_rows + appended.size());
  AppendSeries(before.tail, &local);
  AppendSeries(appended, &local);

  Indicators local_indicators;
  if (tail_rows >= kIndicatorHistoryRows) {
    ContinueIndicators(local, tail_rows, before.recurrences, &local_indicators);
  } else {
    ComputeIndicators(local, &local_indicators);  // the tail is the whole history
  }
  SliceIndicators(local_indicators, tail_rows, before.rows, &out->indicators);

  // No appended row: no period holds one.
  const Date first_new = appended.empty() ? std::numeric_limits<Date>::max() : appended.date[0];
  for (Period period : kPeriods) ComputePeriodBars(local, period, &out->period_bars[static_cast<size_t>(period)]);
  const PeriodBars& quarters = out->bars(Period::kQuarter);
  SL_RETURN_IF_ERROR(ReturnedFeatureRows(before, local, local_indicators, quarters,
                                         FirstPeriodEndingFrom(quarters, first_new), offset, &out->features));
  for (PeriodBars& bars : out->period_bars) DropFirstPeriods(FirstPeriodEndingFrom(bars, first_new), &bars);

  TickerState& after = out->state;
  after.last_quarters = LastQuartersAfter(before.last_quarters, out->features);
  after.rows = before.rows + static_cast<int64_t>(appended.size());
  after.recurrences = local_indicators.recurrences;
  after.tail = TailOf(local);
  return Status::OK();
}

// ---- Tables ---------------------------------------------------------------------------

namespace {

// The double recurrences, in the scalars table's column order: one list for the schema,
// the encoder and the decoder.
struct RecurrenceField {
  std::string_view name;
  double IndicatorRecurrences::*member;
};
constexpr RecurrenceField kRecurrenceFields[] = {
    {"sma50_sum", &IndicatorRecurrences::sma50_sum},
    {"sma50_error", &IndicatorRecurrences::sma50_error},
    {"sma200_sum", &IndicatorRecurrences::sma200_sum},
    {"sma200_error", &IndicatorRecurrences::sma200_error},
    {"ema12", &IndicatorRecurrences::ema12},
    {"ema26", &IndicatorRecurrences::ema26},
    {"macd_signal", &IndicatorRecurrences::macd_signal},
    {"avg_gain", &IndicatorRecurrences::avg_gain},
    {"avg_loss", &IndicatorRecurrences::avg_loss},
    {"avg_true_range", &IndicatorRecurrences::avg_true_range},
};

// The tail's double columns; adj_close is not kept (ticker_state.h).
struct TailField {
  std::string_view name;
  std::vector<double> DailySeries::*member;
};
constexpr TailField kTailFields[] = {
    {"open", &DailySeries::open},
    {"high", &DailySeries::high},
    {"low", &DailySeries::low},
    {"close", &DailySeries::close},
};

constexpr std::string_view kScalarsName = "ticker_state/scalars";
constexpr std::string_view kTailName = "ticker_state/tail";
constexpr std::string_view kQuartersName = "ticker_state/quarters";

void AppendNullableDouble(double value, Column* column) {
  if (std::isnan(value)) {
    column->AppendNull();
  } else {
    column->AppendDouble(value);
  }
}

double NullableDoubleAt(const Column& column, size_t row) { return column.IsNull(row) ? kNaN : column.f64[row]; }

// The column of `table` named `name` with type `type`, or why there is none.
Result<const Column*> Require(const Table& table, std::string_view table_name, std::string_view name, ColumnType type) {
  const Column* column = table.Find(name);
  if (column == nullptr || column->type != type || column->size() != table.num_rows()) {
    return Status::Corruption(std::string(table_name) + ": column " + std::string(name) +
                              " is missing, of another type or of another length; rewrite the ticker states");
  }
  return column;
}

// Maps each row's ticker code of `table` to the state of that ticker in `states`.
class TickerLookup {
 public:
  TickerLookup(const Column& tickers, TickerStates* states) : tickers_(tickers), states_(states) {
    by_code_.assign(tickers.dictionary.size(), nullptr);
  }

  Result<TickerState*> At(std::string_view table_name, size_t row) {
    const int32_t code = tickers_.codes[row];
    if (code < 0 || static_cast<size_t>(code) >= by_code_.size()) {
      return Status::Corruption(std::string(table_name) + ": row " + std::to_string(row) +
                                " has no ticker; rewrite the ticker states");
    }
    TickerState*& state = by_code_[static_cast<size_t>(code)];
    if (state == nullptr) {
      const auto found = states_->find(tickers_.dictionary[static_cast<size_t>(code)]);
      if (found == states_->end()) {
        return Status::Corruption(std::string(table_name) + ": row " + std::to_string(row) + " names ticker " +
                                  tickers_.dictionary[static_cast<size_t>(code)] +
                                  ", which has no scalars row; rewrite the ticker states");
      }
      state = &found->second;
    }
    return state;
  }

 private:
  const Column& tickers_;
  TickerStates* states_;
  std::vector<TickerState*> by_code_;
};

}  // namespace

TickerStateTables EmptyTickerStateTables() {
  using T = ColumnType;
  TickerStateTables tables;
  tables.scalars.columns = {{"ticker", T::kString, false}, {"rows", T::kInt64, false}};
  for (const RecurrenceField& field : kRecurrenceFields)
    tables.scalars.columns.emplace_back(std::string(field.name), T::kDouble, true);
  tables.scalars.columns.emplace_back("obv", T::kInt64, false);

  tables.tail.columns = {{"ticker", T::kString, false}, {"date", T::kDate, false}};
  for (const TailField& field : kTailFields)
    tables.tail.columns.emplace_back(std::string(field.name), T::kDouble, false);
  tables.tail.columns.emplace_back("volume", T::kInt64, false);

  tables.quarters.columns = {{"ticker", T::kString, false},
                             {"quarter", T::kInt32, false},
                             {"quarter_end", T::kDate, false},
                             {"as_of_date", T::kDate, false},
                             {"as_of_row", T::kInt64, false}};
  for (std::string_view name : QuarterFeatureColumnNames())
    tables.quarters.columns.emplace_back(std::string(name), T::kDouble, true);
  return tables;
}

TickerStateTables EncodeTickerStates(const TickerStates& states) {
  TickerStateTables tables = EmptyTickerStateTables();
  std::vector<Column>& scalars = tables.scalars.columns;
  std::vector<Column>& tail = tables.tail.columns;
  std::vector<Column>& quarters = tables.quarters.columns;
  StringColumnBuilder scalar_tickers(&scalars[0]);
  StringColumnBuilder tail_tickers(&tail[0]);
  StringColumnBuilder quarter_tickers(&quarters[0]);
  for (const auto& [ticker, state] : states) {
    scalar_tickers.Append(ticker);
    scalars[1].AppendInt64(state.rows);
    size_t at = 2;
    for (const RecurrenceField& field : kRecurrenceFields)
      AppendNullableDouble(state.recurrences.*field.member, &scalars[at++]);
    scalars[at].AppendInt64(state.recurrences.obv);

    const DailySeries& s = state.tail;
    for (size_t i = 0; i < s.size(); ++i) {
      tail_tickers.Append(ticker);
      tail[1].AppendInt32(s.date[i]);
      at = 2;
      for (const TailField& field : kTailFields) tail[at++].AppendDouble((s.*field.member)[i]);
      tail[at].AppendInt64(s.volume[i]);
    }

    const QuarterFeatures& f = state.last_quarters;
    for (size_t q = 0; q < f.size(); ++q) {
      quarter_tickers.Append(ticker);
      quarters[1].AppendInt32(f.quarter[q]);
      quarters[2].AppendInt32(f.quarter_end[q]);
      quarters[3].AppendInt32(f.as_of_date[q]);
      quarters[4].AppendInt64(static_cast<int64_t>(f.as_of_row[q]));
      for (size_t k = 0; k < f.columns.size(); ++k) AppendNullableDouble(f.columns[k][q], &quarters[5 + k]);
    }
  }
  return tables;
}

Result<TickerStates> DecodeTickerStates(const TickerStateTables& tables) {
  using T = ColumnType;
  TickerStates states;

  const Table& scalars = tables.scalars;
  SL_ASSIGN_OR_RETURN(const Column* scalar_tickers, Require(scalars, kScalarsName, "ticker", T::kString));
  SL_ASSIGN_OR_RETURN(const Column* rows, Require(scalars, kScalarsName, "rows", T::kInt64));
  SL_ASSIGN_OR_RETURN(const Column* obv, Require(scalars, kScalarsName, "obv", T::kInt64));
  std::vector<const Column*> recurrences;
  for (const RecurrenceField& field : kRecurrenceFields) {
    SL_ASSIGN_OR_RETURN(const Column* column, Require(scalars, kScalarsName, field.name, T::kDouble));
    recurrences.push_back(column);
  }
  for (size_t row = 0; row < scalars.num_rows(); ++row) {
    const int32_t code = scalar_tickers->codes[row];
    if (code < 0 || static_cast<size_t>(code) >= scalar_tickers->dictionary.size()) {
      return Status::Corruption(std::string(kScalarsName) + ": row " + std::to_string(row) +
                                " has no ticker; rewrite the ticker states");
    }
    const auto [at, inserted] = states.try_emplace(scalar_tickers->dictionary[static_cast<size_t>(code)]);
    if (!inserted) {
      return Status::Corruption(std::string(kScalarsName) + ": ticker " + at->first + " has a second row at row " +
                                std::to_string(row) + "; rewrite the ticker states");
    }
    TickerState& state = at->second;
    state.rows = rows->i64[row];
    for (size_t k = 0; k < recurrences.size(); ++k) {
      state.recurrences.*kRecurrenceFields[k].member = NullableDoubleAt(*recurrences[k], row);
    }
    state.recurrences.obv = obv->i64[row];
    state.last_quarters = NoFeatureRows();
  }

  const Table& tail = tables.tail;
  SL_ASSIGN_OR_RETURN(const Column* tail_tickers, Require(tail, kTailName, "ticker", T::kString));
  SL_ASSIGN_OR_RETURN(const Column* dates, Require(tail, kTailName, "date", T::kDate));
  SL_ASSIGN_OR_RETURN(const Column* volumes, Require(tail, kTailName, "volume", T::kInt64));
  std::vector<const Column*> prices;
  for (const TailField& field : kTailFields) {
    SL_ASSIGN_OR_RETURN(const Column* column, Require(tail, kTailName, field.name, T::kDouble));
    prices.push_back(column);
  }
  TickerLookup tail_lookup(*tail_tickers, &states);
  for (size_t row = 0; row < tail.num_rows(); ++row) {
    SL_ASSIGN_OR_RETURN(TickerState * state, tail_lookup.At(kTailName, row));
    DailySeries& s = state->tail;
    const Date date = dates->i32[row];
    if (!s.empty() && date <= s.date.back()) {
      return Status::Corruption(std::string(kTailName) + ": row " + std::to_string(row) + " (" + FormatDate(date) +
                                ") is not after the ticker's previous tail row; rewrite the ticker states");
    }
    s.date.push_back(date);
    for (size_t k = 0; k < prices.size(); ++k) (s.*kTailFields[k].member).push_back(prices[k]->f64[row]);
    s.adj_close.push_back(kNaN);
    s.volume.push_back(volumes->i64[row]);
  }

  const Table& quarters = tables.quarters;
  SL_ASSIGN_OR_RETURN(const Column* quarter_tickers, Require(quarters, kQuartersName, "ticker", T::kString));
  SL_ASSIGN_OR_RETURN(const Column* quarter, Require(quarters, kQuartersName, "quarter", T::kInt32));
  SL_ASSIGN_OR_RETURN(const Column* quarter_end, Require(quarters, kQuartersName, "quarter_end", T::kDate));
  SL_ASSIGN_OR_RETURN(const Column* as_of_date, Require(quarters, kQuartersName, "as_of_date", T::kDate));
  SL_ASSIGN_OR_RETURN(const Column* as_of_row, Require(quarters, kQuartersName, "as_of_row", T::kInt64));
  std::vector<const Column*> features;
  for (std::string_view name : QuarterFeatureColumnNames()) {
    SL_ASSIGN_OR_RETURN(const Column* column, Require(quarters, kQuartersName, name, T::kDouble));
    features.push_back(column);
  }
  TickerLookup quarter_lookup(*quarter_tickers, &states);
  for (size_t row = 0; row < quarters.num_rows(); ++row) {
    SL_ASSIGN_OR_RETURN(TickerState * state, quarter_lookup.At(kQuartersName, row));
    QuarterFeatures& f = state->last_quarters;
    f.quarter.push_back(quarter->i32[row]);
    f.quarter_end.push_back(quarter_end->i32[row]);
    f.as_of_date.push_back(as_of_date->i32[row]);
    f.as_of_row.push_back(static_cast<size_t>(as_of_row->i64[row]));
    for (size_t k = 0; k < features.size(); ++k) f.columns[k].push_back(NullableDoubleAt(*features[k], row));
  }

  for (const auto& [ticker, state] : states) {
    Status valid = CheckState(state);
    if (!valid.ok()) return valid.WithContext("decoding the state of " + ticker);
  }
  return states;
}

}  // namespace stocklake
