// FeatureFrame; see feature_frame.h.
#include "ml/feature_frame.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>

#include "lake/parquet_reader.h"
#include "lake/table_schemas.h"

namespace stocklake {

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

double ValueAt(const Column& c, size_t row) { return c.IsNull(row) ? kMissing : c.f64[row]; }

}  // namespace

std::pair<size_t, size_t> FeatureFrame::QuarterRows(int32_t quarter_key) const {
  const auto first = std::lower_bound(quarter.begin(), quarter.end(), quarter_key);
  const auto last = std::upper_bound(first, quarter.end(), quarter_key);
  return {static_cast<size_t>(first - quarter.begin()), static_cast<size_t>(last - quarter.begin())};
}

std::vector<int32_t> FeatureFrame::Quarters() const {
  std::vector<int32_t> out;
  for (int32_t q : quarter) {
    if (out.empty() || out.back() != q) out.push_back(q);
  }
  return out;
}

Result<FeatureFrame> LoadFeatureFrame(const std::string& lake_dir, const LakeSnapshot& snapshot) {
  const auto listed = snapshot.tables.find(std::string(kGoldMlFeatures));
  if (listed == snapshot.tables.end()) {
    return Status::NotFound("the lake at " + lake_dir + " has no " + std::string(kGoldMlFeatures) +
                            " table (written by an older stocklake): run `stocklake run` on it again");
  }
  FeatureFrame frame;
  frame.snapshot_id = snapshot.id;
  std::vector<Table> tables;
  for (const DataFile& file : listed->second) {
    SL_ASSIGN_OR_RETURN(Table t, ReadParquetFile(lake_dir + "/" + file.path));
    if (t.num_rows() == 0) continue;
    frame.files.push_back(file.path);
    tables.push_back(std::move(t));
  }
  if (tables.empty()) return Status::NotFound("the lake at " + lake_dir + " has no feature rows: it holds no bars");

  // The model's inputs: the double columns after as_of_date except the label, in order.
  const Table& first = tables.front();
  for (size_t k = 4; k < first.columns.size(); ++k) {
    if (first.columns[k].type == ColumnType::kDouble && first.columns[k].name != "label") {
      frame.feature_names.push_back(first.columns[k].name);
    }
  }
  struct RowRef {
    int32_t quarter;
    std::string_view ticker;
    uint32_t table;
    uint32_t row;
  };
  std::vector<RowRef> refs;
  std::vector<std::vector<const Column*>> feature_columns(tables.size());
  // Per file: as_of_date, label, mom_12_1, ret_3m (looked up once, not per row).
  std::vector<std::array<const Column*, 4>> row_columns(tables.size());
  std::vector<int32_t> quarter_of_code;
  for (size_t t = 0; t < tables.size(); ++t) {
    const Table& table = tables[t];
    const std::string& path = frame.files[t];
    for (const char* name : {"ticker", "quarter", "as_of_date", "label", "mom_12_1", "ret_3m"}) {
      if (table.Find(name) == nullptr) return Status::Corruption(path + ": no column " + name);
    }
    for (const std::string& name : frame.feature_names) {
      const Column* c = table.Find(name);
      if (c == nullptr || c->type != ColumnType::kDouble) {
        return Status::Corruption(path + ": no double column " + name + " (files of one snapshot disagree)");
      }
      feature_columns[t].push_back(c);
    }
    row_columns[t] = {table.Find("as_of_date"), table.Find("label"), table.Find("mom_12_1"), table.Find("ret_3m")};
    const Column* ticker = table.Find("ticker");
    const Column* quarter = table.Find("quarter");
    quarter_of_code.assign(quarter->dictionary.size(), 0);
    for (size_t code = 0; code < quarter->dictionary.size(); ++code) {
      if (!ParseQuarter(quarter->dictionary[code], &quarter_of_code[code])) {
        return Status::Corruption(path + ": bad quarter '" + quarter->dictionary[code] + "'");
      }
    }
    for (size_t i = 0; i < table.num_rows(); ++i) {
      refs.push_back({quarter_of_code[quarter->codes[i]], ticker->StringAt(i), static_cast<uint32_t>(t),
                      static_cast<uint32_t>(i)});
    }
  }
  std::sort(refs.begin(), refs.end(), [](const RowRef& a, const RowRef& b) {
    return std::tie(a.quarter, a.ticker) < std::tie(b.quarter, b.ticker);
  });

  const size_t rows = refs.size(), width = frame.feature_names.size();
  frame.ticker.reserve(rows);
  frame.quarter.reserve(rows);
  frame.as_of_date.reserve(rows);
  frame.label.reserve(rows);
  frame.baseline.reserve(rows);
  frame.values.resize(rows * width);
  for (size_t r = 0; r < rows; ++r) {
    const RowRef& ref = refs[r];
    frame.ticker.emplace_back(ref.ticker);
    frame.quarter.push_back(ref.quarter);
    const auto& [as_of_date, label, momentum_12_1, ret_3m] = row_columns[ref.table];
    frame.as_of_date.push_back(as_of_date->i32[ref.row]);
    frame.label.push_back(ValueAt(*label, ref.row));
    const double momentum = ValueAt(*momentum_12_1, ref.row);
    frame.baseline.push_back(std::isnan(momentum) ? ValueAt(*ret_3m, ref.row) : momentum);
    float* out = frame.values.data() + r * width;
    for (size_t k = 0; k < width; ++k) out[k] = static_cast<float>(ValueAt(*feature_columns[ref.table][k], ref.row));
  }
  return frame;
}

}  // namespace stocklake
