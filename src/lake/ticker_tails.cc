#include "lake/ticker_tails.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/row_copier.h"

namespace stocklake {

namespace {

// A row's place in the output: its ticker, its key (as a number or a string), and where
// it comes from.
struct RowRef {
  std::string_view ticker;
  int64_t number = 0;
  std::string_view text;
  const Table* table = nullptr;
  size_t row = 0;

  auto Order() const { return std::tie(ticker, number, text); }
};

RowRef MakeRef(const Table& t, const Column& ticker, const Column& key, size_t row) {
  RowRef ref;
  ref.ticker = ticker.StringAt(row);
  switch (key.type) {
    case ColumnType::kDate:
    case ColumnType::kInt32: ref.number = key.i32[row]; break;
    case ColumnType::kInt64: ref.number = key.i64[row]; break;
    case ColumnType::kString: ref.text = key.StringAt(row); break;
    case ColumnType::kDouble: break;  // refused by the caller
  }
  ref.table = &t;
  ref.row = row;
  return ref;
}

Status CheckSchema(const Table& held, const Table& replacement, std::string_view key_column) {
  if (held.columns.size() != replacement.columns.size()) {
    return Status::InvalidArgument("the replacement rows have another schema than the rows they replace");
  }
  for (size_t c = 0; c < held.columns.size(); ++c) {
    if (held.columns[c].name != replacement.columns[c].name || held.columns[c].type != replacement.columns[c].type) {
      return Status::InvalidArgument("the replacement rows have another schema than the rows they replace: column " +
                                     held.columns[c].name);
    }
  }
  const Column* ticker = held.Find("ticker");
  const Column* key = held.Find(key_column);
  if (ticker == nullptr || ticker->type != ColumnType::kString || key == nullptr || key->type == ColumnType::kDouble) {
    return Status::InvalidArgument("a table keyed by ticker and " + std::string(key_column) + " needs both columns");
  }
  for (const Table* t : {&held, &replacement}) {
    const Column* tickers = t->Find("ticker");
    const Column* keys = t->Find(key_column);
    for (size_t r = 0; r < t->num_rows(); ++r) {
      if (tickers->IsNull(r) || keys->IsNull(r)) {
        return Status::InvalidArgument("a row without a ticker or " + std::string(key_column));
      }
    }
  }
  return Status::OK();
}

}  // namespace

Result<Table> ReplaceTickerTails(const Table& held, const Table& replacement, std::string_view key_column) {
  SL_RETURN_IF_ERROR(CheckSchema(held, replacement, key_column));
  const Column& held_ticker = *held.Find("ticker");
  const Column& held_key = *held.Find(key_column);
  const Column& new_ticker = *replacement.Find("ticker");
  const Column& new_key = *replacement.Find(key_column);

  // Each replaced ticker's first replacement key.
  std::map<std::string_view, RowRef> first;
  std::vector<RowRef> rows;
  rows.reserve(held.num_rows() + replacement.num_rows());
  for (size_t r = 0; r < replacement.num_rows(); ++r) {
    RowRef ref = MakeRef(replacement, new_ticker, new_key, r);
    auto [it, inserted] = first.emplace(ref.ticker, ref);
    if (!inserted && ref.Order() < it->second.Order()) it->second = ref;
    rows.push_back(ref);
  }
  for (size_t r = 0; r < held.num_rows(); ++r) {
    RowRef ref = MakeRef(held, held_ticker, held_key, r);
    const auto it = first.find(ref.ticker);
    if (it != first.end() && !(ref.Order() < it->second.Order())) continue;  // replaced
    rows.push_back(ref);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const RowRef& a, const RowRef& b) { return a.Order() < b.Order(); });

  Table out;
  for (const Column& c : held.columns) out.columns.emplace_back(c.name, c.type, c.nullable);
  for (Column& c : out.columns) c.Reserve(rows.size());
  RowCopier copier(&out);
  for (const RowRef& ref : rows) copier.Append(*ref.table, ref.row);
  return out;
}

}  // namespace stocklake
