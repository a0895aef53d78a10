// /api/v1/rejects and /api/v1/quality: the rows a run refused, totals over all runs, and
// the reconciliation of the speed layer's days with the batch's bars.
#include "core/reject_reason.h"
#include "serve/handlers.h"

namespace stocklake {

using nlohmann::json;

namespace {

//! Prices agree within this relative difference (volumes exactly).
constexpr double kPriceTolerance = 1e-9;
//! Differing days listed in the answer (all are counted).
constexpr int kDifferencesShown = 50;

json Reconciliation(const SpeedBatchComparison& c) {
  json differences = json::array();
  for (const SpeedBatchDay& day : c.differing) {
    json fields = json::array();
    for (const FieldDifference& f : DifferingFields(day, kPriceTolerance)) {
      json speed = f.speed, batch = f.batch;
      if (f.field == "volume") {
        speed = day.speed.volume;
        batch = day.batch.volume;
      }
      fields.push_back({{"field", f.field}, {"speed", speed}, {"batch", batch}, {"relative_difference", f.relative}});
    }
    differences.push_back({{"ticker", day.ticker}, {"date", FormatDate(day.date)}, {"fields", fields}});
  }
  return {{"days_compared", c.days_compared},
          {"days_differing", c.days_differing},
          {"price_tolerance", kPriceTolerance},
          {"differences", differences}};
}

}  // namespace

void HandleRejects(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {"reason", "ticker", "limit", "cursor", "format"}); !st.ok())
    return SendBadRequest(res, st);
  auto format = ParseFormat(Param(req, "format"), req.get_header_value("Accept"));
  if (!format.ok()) return SendBadRequest(res, format.status());
  auto limit = ParseLimit(Param(req, "limit"), kDefaultPageLimit, kMaxPageLimit);
  if (!limit.ok()) return SendBadRequest(res, limit.status());
  auto cursor = ParseCursor(Param(req, "cursor"), 'o');
  if (!cursor.ok()) return SendBadRequest(res, cursor.status());
  RejectsQuery q;
  if (req.has_param("reason")) {
    q.reason = req.get_param_value("reason");
    auto reason = RejectReasonFromName(q.reason);
    if (!reason || *reason == RejectReason::kNone) return SendError(res, BadRequest("reason is not a reject reason"));
  }
  if (req.has_param("ticker")) {
    auto ticker = NormalizeTicker(req.get_param_value("ticker"));
    if (!ticker.ok()) return SendBadRequest(res, ticker.status());
    q.ticker = std::move(*ticker);
  }
  if (!cursor->empty()) {
    auto offset = CursorInt(*cursor);
    if (!offset.ok()) return SendBadRequest(res, offset.status());
    q.offset = *offset;
  }
  q.limit = *limit + 1;
  ctx.WithStore(req, res, [&](ServingStore& store, const LakeSnapshot&) -> Status {
    SL_ASSIGN_OR_RETURN(Table t, store.Rejects(q));
    const size_t n = std::min<size_t>(t.num_rows(), static_cast<size_t>(*limit));
    std::optional<std::string> next;
    if (t.num_rows() > n) next = MakeCursor('o', std::to_string(q.offset + static_cast<int64_t>(n)));
    SendPage(res, *format, {&t, {"source_file", "line", "ticker", "date", "reason"}, 0, n}, next, "rejects");
    return Status::OK();
  });
}

void HandleQuality(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  // The reconciliation changes with the speed layer, between snapshots: the ETag covers
  // the whole answer.
  ctx.WithStoreTaggedByBody(req, res, [&](ServingStore& store, const LakeSnapshot& snap) -> Status {
    SL_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, store.Runs());
    SL_ASSIGN_OR_RETURN(auto by_reason, store.RejectCountsByReason());
    SL_ASSIGN_OR_RETURN(TickerTotals totals, store.Totals());
    int64_t rows_read = 0, accepted = 0, rejected = 0, duplicates = 0;
    for (const RunRecord& r : runs) {
      rows_read += r.rows_read;
      accepted += r.accepted;
      rejected += r.rejected;
      duplicates += r.duplicates;
    }
    json reasons = json::object();
    for (int r = 1; r < kRejectReasonCount; ++r)
      reasons[std::string(RejectReasonName(static_cast<RejectReason>(r)))] = 0;
    for (const auto& [reason, n] : by_reason) reasons[reason] = n;
    SL_ASSIGN_OR_RETURN(SpeedBatchComparison comparison,
                        store.CompareSpeedWithBatch(kPriceTolerance, kDifferencesShown));
    const json body = {
        {"snapshot_id", snap.id},
        {"runs", runs.size()},
        {"rows_read", rows_read},
        {"accepted", accepted},
        {"rejected", rejected},
        {"duplicates", duplicates},
        {"rejected_by_reason", reasons},
        {"tickers", totals.tickers},
        {"first_date", totals.first_date == kNullDate ? json(nullptr) : json(FormatDate(totals.first_date))},
        {"last_date", totals.last_date == kNullDate ? json(nullptr) : json(FormatDate(totals.last_date))},
        {"reconciliation", Reconciliation(comparison)}};
    if (NotModified(req, res, snap.id, body.dump())) return Status::OK();
    SendJson(res, body);
    return Status::OK();
  });
}

}  // namespace stocklake
