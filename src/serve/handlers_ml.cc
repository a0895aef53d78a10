// /api/v1/predictions and /api/v1/backtests: the ML application's tables (ml.md) as the
// serving store holds them.
#include <algorithm>
#include <set>

#include "lake/table_schemas.h"
#include "ml/ml_tables.h"
#include "serve/handlers.h"

namespace stocklake {

namespace {

using nlohmann::json;

//! id, quarter range and, per predictor ("model", "baseline"), its summary, from the
//! backtest's gold/backtest rows (ordered by quarter).
json BacktestSummaryToJson(const std::string& backtest_id, const Table& rows) {
  json predictors = json::object();
  for (const auto& [name, summary] : SummarizeBacktestRows(rows)) predictors[name] = ToJson(summary);
  const Column& quarter = *rows.Find("quarter");
  std::set<std::string_view> quarters;
  for (size_t r = 0; r < rows.num_rows(); ++r) quarters.insert(quarter.StringAt(r));
  return {{"backtest_id", backtest_id},
          {"first_quarter", quarters.empty() ? json(nullptr) : json(*quarters.begin())},
          {"last_quarter", quarters.empty() ? json(nullptr) : json(*quarters.rbegin())},
          {"quarters", quarters.size()},
          {"summary", predictors}};
}

//! The columns of a predictions answer: gold/predictions', in the lake's order.
const std::vector<std::string_view>& PredictionColumns() {
  static const Table schema = EmptyTableFor(kGoldPredictions);
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const Column& c : schema.columns) out.push_back(c.name);
    return out;
  }();
  return names;
}

//! A predictions cursor pins the quarter and model its first page resolved to, so that a
//! newer quarter arriving between pages cannot splice two quarters together.
struct PredictionsCursor {
  std::string quarter, model;
  int64_t offset = 0;
};

std::string MakePredictionsCursor(const PredictionsCursor& c) {
  return MakeCursor('p', c.quarter + ":" + c.model + ":" + std::to_string(c.offset));
}

Result<PredictionsCursor> ParsePredictionsCursor(std::string_view value) {
  const size_t first = value.find(':'), last = value.rfind(':');
  if (first == std::string_view::npos || first == last) return Status::InvalidArgument("malformed cursor");
  PredictionsCursor c;
  SL_ASSIGN_OR_RETURN(c.quarter, ParseQuarterParam(value.substr(0, first)));
  SL_ASSIGN_OR_RETURN(c.model, ParseModelName(value.substr(first + 1, last - first - 1)));
  SL_ASSIGN_OR_RETURN(c.offset, CursorInt(value.substr(last + 1)));
  return c;
}

}  // namespace

void HandlePredictions(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {"quarter", "model", "limit", "cursor", "format"}); !st.ok())
    return SendBadRequest(res, st);
  auto format = ParseFormat(Param(req, "format"), req.get_header_value("Accept"));
  if (!format.ok()) return SendBadRequest(res, format.status());
  auto limit = ParseLimit(Param(req, "limit"), kDefaultPageLimit, kMaxPageLimit);
  if (!limit.ok()) return SendBadRequest(res, limit.status());
  auto quarter = ParseQuarterParam(Param(req, "quarter"));
  if (!quarter.ok()) return SendBadRequest(res, quarter.status());
  PredictionsQuery q;
  q.quarter = *quarter;
  if (req.has_param("model")) {
    auto model = ParseModelName(req.get_param_value("model"));
    if (!model.ok()) return SendError(res, BadRequest("model: " + model.status().message()));
    q.model = std::move(*model);
  }
  auto cursor = ParseCursor(Param(req, "cursor"), 'p');
  if (!cursor.ok()) return SendBadRequest(res, cursor.status());
  if (!cursor->empty()) {
    auto at = ParsePredictionsCursor(*cursor);
    if (!at.ok()) return SendBadRequest(res, at.status());
    if ((!q.quarter.empty() && q.quarter != at->quarter) || (!q.model.empty() && q.model != at->model))
      return SendError(res, BadRequest("the cursor belongs to another quarter or model"));
    q.quarter = at->quarter;
    q.model = at->model;
    q.offset = at->offset;
  }
  q.limit = *limit + 1;
  ctx.WithStore(req, res, [&](ServingStore& store, const LakeSnapshot&) -> Status {
    SL_ASSIGN_OR_RETURN(PredictionsPage page, store.Predictions(q));
    const bool asked = !q.quarter.empty() || !q.model.empty();
    if (page.rows.num_rows() == 0 && q.offset == 0 && asked) {
      std::string what = "no predictions";
      if (!q.model.empty()) what += " of model " + q.model;
      if (!q.quarter.empty()) what += " for quarter " + q.quarter;
      SendError(res, {404, "not_found", what + " (GET /api/v1/predictions/quarters lists those that exist)"});
      return Status::OK();
    }
    const size_t n = std::min<size_t>(page.rows.num_rows(), static_cast<size_t>(*limit));
    std::optional<std::string> next;
    if (page.rows.num_rows() > n)
      next = MakePredictionsCursor({page.quarter, page.model, q.offset + static_cast<int64_t>(n)});
    SendPage(res, *format, {&page.rows, PredictionColumns(), 0, n}, next, "predictions");
    return Status::OK();
  });
}

void HandlePredictionQuarters(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  ctx.WithStore(req, res, [&](ServingStore& store, const LakeSnapshot&) -> Status {
    SL_ASSIGN_OR_RETURN(std::vector<PredictionSet> sets, store.PredictionSets());
    json data = json::array();
    for (const PredictionSet& s : sets) {
      data.push_back(
          {{"quarter", s.quarter}, {"model", s.model}, {"model_version", s.model_version}, {"rows", s.rows}});
    }
    SendJson(res, {{"data", data}});
    return Status::OK();
  });
}

void HandleBacktests(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  ctx.WithStore(req, res, [&](ServingStore& store, const LakeSnapshot&) -> Status {
    SL_ASSIGN_OR_RETURN(std::vector<std::string> ids, store.BacktestIds());
    json data = json::array();
    for (const std::string& id : ids) {
      SL_ASSIGN_OR_RETURN(Table rows, store.BacktestQuarters(id));
      data.push_back(BacktestSummaryToJson(id, rows));
    }
    SendJson(res, {{"data", data}});
    return Status::OK();
  });
}

void HandleBacktest(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  const std::string id = req.matches[1].str();
  ctx.WithStore(req, res, [&](ServingStore& store, const LakeSnapshot&) -> Status {
    SL_ASSIGN_OR_RETURN(Table rows, store.BacktestQuarters(id));
    if (rows.num_rows() == 0) {
      SendError(res, {404, "not_found", "no backtest " + id + " (GET /api/v1/backtests lists them)"});
      return Status::OK();
    }
    // One entry per quarter, each predictor's metrics under its name.
    static const std::vector<std::string_view> kMetrics = {"ic",   "rank_ic", "hit_rate", "top_bottom_spread",
                                                           "rmse", "count"};
    const Column& quarter = *rows.Find("quarter");
    const Column& predictor = *rows.Find("predictor");
    json quarters = json::array();
    for (size_t r = 0; r < rows.num_rows(); ++r) {
      if (quarters.empty() || quarters.back()["quarter"] != quarter.StringAt(r)) {
        quarters.push_back({{"quarter", quarter.StringAt(r)}, {"model", nullptr}, {"baseline", nullptr}});
      }
      quarters.back()[std::string(predictor.StringAt(r))] = RowToJson(rows, kMetrics, r);
    }
    json body = BacktestSummaryToJson(id, rows);
    body["by_quarter"] = quarters;
    SendJson(res, body);
    return Status::OK();
  });
}

}  // namespace stocklake
