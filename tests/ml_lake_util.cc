#include "ml_lake_util.h"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <set>

#include "core/date.h"
#include "core/env.h"
#include "lake/parquet_reader.h"
#include "lake/parquet_writer.h"
#include "lake/snapshot.h"
#include "lake/table_schemas.h"

namespace stocklake::testing {

namespace {

//! splitmix64: a deterministic stream of doubles in [lo, hi).
class Draws {
 public:
  explicit Draws(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  double Next(double lo, double hi) {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return lo + (hi - lo) * static_cast<double>(z >> 11) / static_cast<double>(1ull << 53);
  }

 private:
  uint64_t state_;
};

void AppendString(Column* c, const std::string& value) {
  auto it = std::find(c->dictionary.begin(), c->dictionary.end(), value);
  if (it == c->dictionary.end()) {
    c->dictionary.push_back(value);
    it = c->dictionary.end() - 1;
  }
  c->AppendCode(static_cast<int32_t>(it - c->dictionary.begin()));
}

}  // namespace

std::string PredictionsPartition(const std::string& quarter, const std::string& model) {
  return "quarter=" + quarter + "/model=" + model;
}

std::string BacktestPartition(const std::string& backtest_id) { return "backtest_id=" + backtest_id; }

Table MakePredictions(const std::vector<std::string>& tickers, const std::string& quarter, const std::string& model,
                      int version, uint32_t seed, bool with_labels) {
  Draws draws(seed);
  std::vector<double> prediction(tickers.size());
  for (double& p : prediction) p = draws.Next(-0.2, 0.2);
  std::vector<size_t> order(tickers.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return prediction[a] != prediction[b] ? prediction[a] > prediction[b] : tickers[a] < tickers[b];
  });
  int32_t key = 0;
  ParseQuarter(quarter, &key);
  Table t = EmptyTableFor(kGoldPredictions);
  for (size_t rank = 0; rank < order.size(); ++rank) {
    const size_t i = order[rank];
    AppendString(t.Find("ticker"), tickers[i]);
    AppendString(t.Find("quarter"), quarter);
    t.Find("as_of_date")->AppendInt32(QuarterEndDate(key));
    AppendString(t.Find("model"), model);
    t.Find("model_version")->AppendInt32(version);
    t.Find("prediction")->AppendDouble(prediction[i]);
    t.Find("rank")->AppendInt32(static_cast<int32_t>(rank + 1));
    if (with_labels) {
      t.Find("label")->AppendDouble(prediction[i] * 0.5 + draws.Next(-0.1, 0.1));
    } else {
      t.Find("label")->AppendNull();
    }
  }
  return t;
}

Table MakeBacktest(const std::string& id, const std::vector<std::string>& quarters, uint32_t seed) {
  Draws draws(seed);
  Table t = EmptyTableFor(kGoldBacktest);
  for (size_t q = 0; q < quarters.size(); ++q) {
    for (const char* predictor : {"baseline", "model"}) {
      AppendString(t.Find("backtest_id"), id);
      AppendString(t.Find("quarter"), quarters[q]);
      AppendString(t.Find("predictor"), predictor);
      const bool undefined_ic = q == 1 && std::string(predictor) == "baseline";
      for (const char* metric : {"ic", "rank_ic"}) {
        if (undefined_ic) {
          t.Find(metric)->AppendNull();
        } else {
          t.Find(metric)->AppendDouble(draws.Next(-0.1, 0.3));
        }
      }
      t.Find("hit_rate")->AppendDouble(draws.Next(0.4, 0.6));
      t.Find("top_bottom_spread")->AppendDouble(draws.Next(-0.05, 0.1));
      t.Find("rmse")->AppendDouble(draws.Next(0.1, 0.3));
      t.Find("count")->AppendInt64(40 + static_cast<int64_t>(q));
    }
  }
  return t;
}

Table MakeBacktestPredictions(const std::string& id, const std::vector<std::string>& tickers,
                              const std::vector<std::string>& quarters, uint32_t seed) {
  Draws draws(seed);
  Table t = EmptyTableFor(kGoldBacktestPredictions);
  for (const std::string& quarter : quarters) {
    for (const std::string& ticker : tickers) {
      AppendString(t.Find("backtest_id"), id);
      AppendString(t.Find("ticker"), ticker);
      AppendString(t.Find("quarter"), quarter);
      t.Find("prediction")->AppendDouble(draws.Next(-0.2, 0.2));
      t.Find("baseline")->AppendDouble(draws.Next(-0.5, 0.5));
      t.Find("label")->AppendDouble(draws.Next(-0.3, 0.3));
    }
  }
  return t;
}

Status CommitMlPartition(const std::string& lake, const std::string& table, const std::string& partition,
                         const Table& rows) {
  UnbucketedChange change;
  change.table = table;
  change.replaced_partitions = {partition};
  if (rows.num_rows() > 0) {
    std::string tag = partition;
    std::replace_if(
        tag.begin(), tag.end(), [](char c) { return c == '/' || c == '='; }, '-');
    DataFile f;
    f.path = UnbucketedFileName(table, tag);
    f.bucket = kUnbucketed;
    f.rows = static_cast<int64_t>(rows.num_rows());
    f.partition = partition;
    SL_RETURN_IF_ERROR(Env::Default()->CreateDirectories(lake + "/" + table));
    SL_RETURN_IF_ERROR(WriteParquetFile(lake + "/" + f.path, rows));
    f.bytes = static_cast<int64_t>(std::filesystem::file_size(lake + "/" + f.path));
    change.added.push_back(f);
  }
  std::vector<std::string> dropped;
  SL_RETURN_IF_ERROR(CommitUnbucketedChanges(lake, {change}, R"({"operation":"test"})", nullptr, &dropped));
  for (const std::string& path : dropped) SL_RETURN_IF_ERROR(Env::Default()->RemoveFile(lake + "/" + path));
  return Status::OK();
}

std::vector<std::string> LakeTickers(const std::string& lake) {
  std::set<std::string> tickers;
  auto snap = LoadCurrentSnapshot(lake);
  if (!snap.ok()) return {};
  for (const DataFile& f : snap->tables[std::string(kSilverBars)]) {
    auto t = ReadParquetFile(lake + "/" + f.path, {"ticker"});
    if (!t.ok()) continue;
    const Column& c = t->columns[0];
    for (size_t r = 0; r < c.size(); ++r) tickers.emplace(c.StringAt(r));
  }
  return {tickers.begin(), tickers.end()};
}

}  // namespace stocklake::testing
