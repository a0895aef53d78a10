// The ML application's jobs; see ml_jobs.h.
#include "orchestrate/ml_jobs.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>

#include "core/clock.h"
#include "core/file_lock.h"
#include "core/files.h"
#include "lake/snapshot.h"
#include "lake/table_schemas.h"
#include "ml/feature_frame.h"
#include "ml/ml_tables.h"
#include "orchestrate/lake_lock.h"
#include "orchestrate/store_url.h"
#include "store/store_sync.h"

namespace stocklake {

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Result<int32_t> QuarterOption(const std::string& text, const char* option) {
  int32_t quarter = 0;
  if (!ParseQuarter(text, &quarter)) {
    return Status::InvalidArgument(std::string(option) + " '" + text +
                                   "' is not a quarter: expected YYYYQn, e.g. 2017Q3");
  }
  return quarter;
}

// Names end up in file names and partition paths: keep them to a safe alphabet.
Status CheckName(const std::string& name, const char* what) {
  bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  if (ok) return Status::OK();
  return Status::InvalidArgument(std::string(what) + " '" + name +
                                 "' must be 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit");
}

// The lake's features, read under a shared lake lock held by the caller.
struct OpenedLake {
  std::optional<FileLock> lock;
  LakeSnapshot snapshot;
  FeatureFrame frame;
};

Result<OpenedLake> OpenLakeFeatures(const std::string& lake_dir, const std::string& store_url) {
  if (lake_dir.empty()) return Status::InvalidArgument("--lake DIR is required");
  if (!store_url.empty()) SL_RETURN_IF_ERROR(CheckStoreUrl(store_url));
  if (!Env::Default()->FileExists(lake_dir + "/_stocklake/CURRENT")) {
    return Status::NotFound("no lake at " + lake_dir + " (no committed snapshot): run `stocklake run` first");
  }
  OpenedLake opened;
  SL_ASSIGN_OR_RETURN(FileLock lock, LockLake(lake_dir, FileLock::Mode::kShared));
  opened.lock.emplace(std::move(lock));
  SL_ASSIGN_OR_RETURN(opened.snapshot, LoadCurrentSnapshot(lake_dir));
  SL_ASSIGN_OR_RETURN(opened.frame, LoadFeatureFrame(lake_dir, opened.snapshot));
  return opened;
}

// Publishes `changes` as one snapshot, removes the files it replaced, and syncs the store.
Result<int64_t> CommitAndSync(const std::string& lake_dir, const std::vector<UnbucketedChange>& changes,
                              const nlohmann::json& operation, const std::string& store_url) {
  LakeSnapshot committed;
  std::vector<std::string> dropped;
  SL_RETURN_IF_ERROR(CommitUnbucketedChanges(lake_dir, changes, operation.dump(), &committed, &dropped));
  for (const std::string& path : dropped) (void)Env::Default()->RemoveFile(lake_dir + "/" + path);
  if (!store_url.empty()) {
    SL_RETURN_IF_ERROR(PrepareStoreLocation(store_url));
    SyncOptions sync_options;
    sync_options.connections = 1;
    SL_RETURN_IF_ERROR(SyncStoreWithLake(store_url, lake_dir, sync_options, nullptr)
                           .WithContext("updating the serving store " + RedactUrl(store_url)));
  }
  return committed.id;
}

Result<DataFile> WritePredictions(const std::string& lake_dir, const FeatureFrame& frame, const QuarterModel& rows,
                                  const ModelVersion& version) {
  const Table table =
      PredictionsTable(frame, rows.first_row, rows.last_row, rows.predictions, version.name, version.version);
  return WriteUnbucketedFile(lake_dir, kGoldPredictions, PredictionsPartition(rows.quarter, version.name),
                             FormatQuarter(rows.quarter) + "-" + version.name + "-v" + std::to_string(version.version),
                             table);
}

nlohmann::json ScoresJson(const std::vector<int32_t>& quarters, const QuarterScores& scores) {
  nlohmann::json names = nlohmann::json::array();
  for (int32_t q : quarters) names.push_back(FormatQuarter(q));
  return {{"quarters", names}, {"model", ToJson(scores.model)}, {"baseline", ToJson(scores.baseline)}};
}

// "20261203T142501.123Z": sorts by creation time.
std::string CompactUtcNow() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d%02d%02dT%02d%02d%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  return text;
}

}  // namespace

Result<TrainReport> TrainJob(const TrainOptions& options) {
  SL_ASSIGN_OR_RETURN(const int32_t quarter, QuarterOption(options.quarter, "--quarter"));
  SL_RETURN_IF_ERROR(CheckName(options.name, "model name"));
  const std::string store_url = ServingStoreUrl(options.store_url, options.lake_dir);
  SL_ASSIGN_OR_RETURN(OpenedLake lake, OpenLakeFeatures(options.lake_dir, store_url));
  const FeatureFrame& frame = lake.frame;

  SL_ASSIGN_OR_RETURN(QuarterModel model, TrainQuarterModel(frame, quarter, options.walk_forward));
  // Validation: the model made one quarter earlier, scored on T-1's realised labels (known
  // by the end of T), beside the baseline on the same rows. Out of sample by construction.
  nlohmann::json metrics = nlohmann::json::object();
  const int32_t validation_quarter = PreviousQuarter(quarter);
  auto validation = TrainQuarterModel(frame, validation_quarter, options.walk_forward);
  if (validation.ok()) {
    metrics = ScoresJson({validation_quarter},
                         ScoreQuarter(frame, validation->first_row, validation->last_row, validation->predictions));
  } else {
    metrics = {{"note", "no validation: " + validation.status().message()}};
  }

  ModelVersion meta;
  meta.name = options.name;
  meta.quarter = FormatQuarter(quarter);
  meta.train_first_quarter = FormatQuarter(model.first_train_quarter);
  meta.train_last_quarter = FormatQuarter(model.last_train_quarter);
  meta.train_rows = model.train_rows;
  meta.feature_names = model.feature_names;
  meta.label_transform = kLabelTransform;
  meta.xgboost_version = XgbModel::LibraryVersion();
  meta.params = options.walk_forward.params.ToJson();
  meta.params["window"] = options.walk_forward.window;
  meta.params["features"] = FeatureSetName(options.walk_forward.features);
  meta.metrics = std::move(metrics);
  meta.snapshot_id = frame.snapshot_id;
  meta.feature_files = frame.files;
  SL_ASSIGN_OR_RETURN(const std::string model_json, model.model->ToJson());

  ModelRegistry registry(options.lake_dir);
  TrainReport report;
  SL_ASSIGN_OR_RETURN(report.version, registry.Register(std::move(meta), model_json));
  SL_ASSIGN_OR_RETURN(DataFile file, WritePredictions(options.lake_dir, frame, model, report.version));
  report.predictions = file.rows;
  const nlohmann::json operation = {{"operation", "train"},
                                    {"model", report.version.name},
                                    {"version", report.version.version},
                                    {"quarter", report.version.quarter}};
  SL_ASSIGN_OR_RETURN(report.snapshot_id,
                      CommitAndSync(options.lake_dir, {{std::string(kGoldPredictions), {file}, {file.partition}}},
                                    operation, store_url));
  return report;
}

Result<PredictReport> PredictJob(const PredictOptions& options) {
  SL_ASSIGN_OR_RETURN(const int32_t quarter, QuarterOption(options.quarter, "--quarter"));
  const std::string store_url = ServingStoreUrl(options.store_url, options.lake_dir);
  SL_ASSIGN_OR_RETURN(OpenedLake lake, OpenLakeFeatures(options.lake_dir, store_url));
  ModelRegistry registry(options.lake_dir);
  PredictReport report;
  if (options.model.empty()) {
    auto champion = registry.Resolve(std::string(kDefaultModelName) + "@champion");
    if (champion.ok()) {
      report.version = std::move(*champion);
    } else {
      SL_ASSIGN_OR_RETURN(report.version, registry.Resolve(kDefaultModelName));
    }
  } else {
    SL_ASSIGN_OR_RETURN(report.version, registry.Resolve(options.model));
  }
  SL_ASSIGN_OR_RETURN(const std::string model_json, registry.ReadModelJson(report.version));
  SL_ASSIGN_OR_RETURN(XgbModel model, XgbModel::FromJson(model_json));
  QuarterModel rows;
  rows.quarter = quarter;
  std::tie(rows.first_row, rows.last_row) = lake.frame.QuarterRows(quarter);
  if (rows.first_row == rows.last_row) {
    return Status::NotFound("quarter " + options.quarter + " has no feature rows in the lake at " + options.lake_dir);
  }
  SL_ASSIGN_OR_RETURN(rows.predictions,
                      PredictRows(model, report.version.feature_names, lake.frame, rows.first_row, rows.last_row));
  SL_ASSIGN_OR_RETURN(DataFile file, WritePredictions(options.lake_dir, lake.frame, rows, report.version));
  report.predictions = file.rows;
  const nlohmann::json operation = {{"operation", "predict"},
                                    {"model", report.version.name},
                                    {"version", report.version.version},
                                    {"quarter", FormatQuarter(quarter)}};
  SL_ASSIGN_OR_RETURN(report.snapshot_id,
                      CommitAndSync(options.lake_dir, {{std::string(kGoldPredictions), {file}, {file.partition}}},
                                    operation, store_url));
  return report;
}

Result<BacktestReport> BacktestJob(const BacktestOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  SL_ASSIGN_OR_RETURN(const int32_t from, QuarterOption(options.from, "--from"));
  SL_ASSIGN_OR_RETURN(const int32_t to, QuarterOption(options.to, "--to"));
  if (to < from) return Status::InvalidArgument("--to " + options.to + " is before --from " + options.from);
  SL_RETURN_IF_ERROR(CheckName(options.name, "backtest name"));
  if (options.walk_forward.window < 0) return Status::InvalidArgument("--window must be positive");
  const std::string store_url = ServingStoreUrl(options.store_url, options.lake_dir);
  SL_ASSIGN_OR_RETURN(OpenedLake lake, OpenLakeFeatures(options.lake_dir, store_url));
  const FeatureFrame& frame = lake.frame;

  BacktestReport report;
  report.backtest_id = CompactUtcNow() + "-" + options.name;
  BacktestTables tables(report.backtest_id);
  int total = 0;
  for (int32_t q = from; q <= to; q = NextQuarter(q)) ++total;
  int done = 0;
  std::vector<PredictionMetrics> model_metrics, baseline_metrics;
  for (int32_t q = from; q <= to; q = NextQuarter(q)) {
    ++done;
    const auto quarter_start = std::chrono::steady_clock::now();
    auto model = TrainQuarterModel(frame, q, options.walk_forward);
    if (!model.ok()) {
      if (!model.status().IsNotFound()) return model.status();
      report.skipped.push_back(FormatQuarter(q) + ": " + model.status().message());
      if (options.progress)
        std::fprintf(stderr, "backtest %s [%d/%d] skipped\n", FormatQuarter(q).c_str(), done, total);
      continue;
    }
    BacktestQuarter scored;
    scored.quarter = q;
    scored.train_rows = model->train_rows;
    scored.scores = ScoreQuarter(frame, model->first_row, model->last_row, model->predictions);
    tables.AddQuarter(frame, *model, scored.scores);
    scored.seconds = SecondsSince(quarter_start);
    if (options.progress) {
      std::fprintf(stderr, "backtest %s [%d/%d] %lld training rows, %lld scored, rank IC %+.4f, %.1f s\n",
                   FormatQuarter(q).c_str(), done, total, static_cast<long long>(scored.train_rows),
                   static_cast<long long>(scored.scores.model.count), scored.scores.model.rank_ic, scored.seconds);
    }
    model_metrics.push_back(scored.scores.model);
    baseline_metrics.push_back(scored.scores.baseline);
    report.quarters.push_back(std::move(scored));
  }
  if (report.quarters.empty()) {
    std::string why;
    for (const std::string& s : report.skipped) why += "\n  " + s;
    return Status::NotFound("no quarter from " + options.from + " to " + options.to + " could be modelled:" + why);
  }
  report.model = Summarize(model_metrics);
  report.baseline = Summarize(baseline_metrics);

  const std::string partition = BacktestPartition(report.backtest_id);
  SL_ASSIGN_OR_RETURN(DataFile predictions, WriteUnbucketedFile(options.lake_dir, kGoldBacktestPredictions, partition,
                                                                report.backtest_id, tables.predictions()));
  SL_ASSIGN_OR_RETURN(DataFile metrics, WriteUnbucketedFile(options.lake_dir, kGoldBacktest, partition,
                                                            report.backtest_id, tables.metrics()));
  const nlohmann::json operation = {{"operation", "backtest"},
                                    {"backtest_id", report.backtest_id},
                                    {"from", options.from},
                                    {"to", options.to},
                                    {"window", options.walk_forward.window},
                                    {"features", FeatureSetName(options.walk_forward.features)},
                                    {"params", options.walk_forward.params.ToJson()},
                                    {"model", ToJson(report.model)},
                                    {"baseline", ToJson(report.baseline)}};
  SL_ASSIGN_OR_RETURN(report.snapshot_id, CommitAndSync(options.lake_dir,
                                                        {{std::string(kGoldBacktestPredictions), {predictions}, {}},
                                                         {std::string(kGoldBacktest), {metrics}, {}}},
                                                        operation, store_url));
  report.seconds = SecondsSince(start);
  return report;
}

std::string FormatBacktestReport(const BacktestReport& report) {
  std::string out;
  char line[256];
  auto add = [&](const char* format, auto... args) {
    std::snprintf(line, sizeof line, format, args...);
    out += line;
  };
  // A metric that is not defined (one quarter has no ICIR, a constant prediction no IC).
  auto metric = [](double value, const char* format) -> std::string {
    if (std::isnan(value)) return "n/a";
    char text[32];
    std::snprintf(text, sizeof text, format, value);
    return text;
  };
  add("backtest %s: %zu quarters in %.1f s (snapshot %lld)\n", report.backtest_id.c_str(), report.quarters.size(),
      report.seconds, static_cast<long long>(report.snapshot_id));
  add("%-8s %7s %9s %9s %9s %9s %9s %9s\n", "quarter", "rows", "IC", "rank IC", "hit rate", "spread", "base IC",
      "base rIC");
  for (const BacktestQuarter& q : report.quarters) {
    const PredictionMetrics& m = q.scores.model;
    const PredictionMetrics& b = q.scores.baseline;
    add("%-8s %7lld %9s %9s %9s %9s %9s %9s\n", FormatQuarter(q.quarter).c_str(), static_cast<long long>(m.count),
        metric(m.ic, "%+.4f").c_str(), metric(m.rank_ic, "%+.4f").c_str(), metric(m.hit_rate, "%.3f").c_str(),
        metric(m.top_bottom_spread, "%+.4f").c_str(), metric(b.ic, "%+.4f").c_str(),
        metric(b.rank_ic, "%+.4f").c_str());
  }
  add("\n%-10s %9s %9s %9s %9s %9s %9s\n", "summary", "IC", "ICIR", "rank IC", "rank ICIR", "hit rate", "spread");
  for (const auto& [name, s] : {std::pair<const char*, const MetricsSummary&>{"model", report.model},
                                std::pair<const char*, const MetricsSummary&>{"baseline", report.baseline}}) {
    add("%-10s %9s %9s %9s %9s %9s %9s\n", name, metric(s.mean_ic, "%+.4f").c_str(), metric(s.ic_ir, "%+.3f").c_str(),
        metric(s.mean_rank_ic, "%+.4f").c_str(), metric(s.rank_ic_ir, "%+.3f").c_str(),
        metric(s.mean_hit_rate, "%.3f").c_str(), metric(s.mean_spread, "%+.4f").c_str());
  }
  for (const std::string& s : report.skipped) out += "skipped " + s + "\n";
  return out;
}

}  // namespace stocklake
