// /api/v1/cross-section: every ticker at one date, ranked.
#include "serve/handlers.h"

namespace stocklake {

void HandleCrossSection(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {"date", "kind", "limit", "format"}); !st.ok())
    return SendBadRequest(res, st);
  auto format = ParseFormat(Param(req, "format"), req.get_header_value("Accept"));
  if (!format.ok()) return SendBadRequest(res, format.status());
  auto date = ParseDateParam("date", Param(req, "date"));
  if (!date.ok()) return SendBadRequest(res, date.status());
  auto limit = ParseLimit(Param(req, "limit"), 20, kMaxPageLimit);
  if (!limit.ok()) return SendBadRequest(res, limit.status());
  CrossSectionQuery q;
  q.date = *date;
  q.limit = *limit;
  if (q.date == kNullDate) return SendError(res, BadRequest("date is required (YYYY-MM-DD)"));
  const std::string kind = req.has_param("kind") ? req.get_param_value("kind") : "top_gainers";
  if (kind == "top_gainers")
    q.order = CrossSectionOrder::kTopGainers;
  else if (kind == "top_losers")
    q.order = CrossSectionOrder::kTopLosers;
  else if (kind == "most_traded")
    q.order = CrossSectionOrder::kMostTraded;
  else
    return SendError(res, BadRequest("kind must be top_gainers, top_losers or most_traded"));
  ctx.WithStore(req, res, [&](ServingStore& store, const LakeSnapshot&) -> Status {
    SL_ASSIGN_OR_RETURN(Table t, store.CrossSection(q));
    const TableSlice slice{&t, {"ticker", "date", "close", "volume", "return_1d"}, 0, t.num_rows()};
    if (*format != Format::kJson) {
      SendPage(res, *format, slice, std::nullopt, "cross-section");
    } else {
      SendJson(res, {{"date", FormatDate(q.date)}, {"kind", kind}, {"data", SliceToJson(slice)}});
    }
    return Status::OK();
  });
}

}  // namespace stocklake
