#include "serve/intraday_output.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

#include "stream/trade_event.h"

namespace stocklake {

namespace {

//! The columns of an IntradayBars table, found once per table.
struct IntradayColumns {
  explicit IntradayColumns(const Table& t)
      : symbol(t.Find("symbol")),
        window_start(t.Find("window_start")),
        window_end(t.Find("window_end")),
        open(t.Find("open")),
        high(t.Find("high")),
        low(t.Find("low")),
        close(t.Find("close")),
        vwap(t.Find("vwap")),
        volume(t.Find("volume")),
        trades(t.Find("trades")),
        final(t.Find("final")),
        updated_at(t.Find("updated_at")),
        windows(t.Find("windows")) {}
  const Column *symbol, *window_start, *window_end, *open, *high, *low, *close, *vwap, *volume, *trades, *final,
      *updated_at, *windows;
};

nlohmann::ordered_json Price(const Column& c, size_t row) {
  if (c.IsNull(row) || !std::isfinite(c.f64[row])) return nullptr;
  return c.f64[row];
}

nlohmann::ordered_json RowJson(const IntradayColumns& c, size_t r, bool with_symbol) {
  nlohmann::ordered_json j;
  if (with_symbol) j["symbol"] = std::string(c.symbol->StringAt(r));
  j["window_start"] = FormatRfc3339Millis(c.window_start->i64[r]);
  j["window_end"] = FormatRfc3339Millis(c.window_end->i64[r]);
  j["open"] = Price(*c.open, r);
  j["high"] = Price(*c.high, r);
  j["low"] = Price(*c.low, r);
  j["close"] = Price(*c.close, r);
  j["vwap"] = Price(*c.vwap, r);
  j["volume"] = c.volume->i64[r];
  j["trades"] = c.trades->i64[r];
  j["final"] = c.final->i32[r] != 0;
  j["updated_at"] = FormatRfc3339Millis(c.updated_at->i64[r]);
  if (c.windows != nullptr) j["windows"] = c.windows->i64[r];
  return j;
}

std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::string IntradayBarJson(const Table& bars, size_t row, bool with_symbol) {
  return Dump(RowJson(IntradayColumns(bars), row, with_symbol));
}

std::string IntradayBarsJson(const Table& bars, size_t begin, size_t end, bool with_symbol) {
  const IntradayColumns c(bars);
  std::string out = "[";
  for (size_t r = begin; r < end; ++r) {
    if (r > begin) out += ',';
    out += Dump(RowJson(c, r, with_symbol));
  }
  return out + "]";
}

Table IntradayExportTable(const Table& bars, size_t begin, size_t end, bool with_symbol) {
  const IntradayColumns c(bars);
  Table out;
  if (with_symbol) out.columns.push_back({"symbol", ColumnType::kString, false});
  for (const char* name : {"window_start", "window_end"}) out.columns.push_back({name, ColumnType::kString, false});
  for (const char* name : {"open", "high", "low", "close"}) out.columns.push_back({name, ColumnType::kDouble, false});
  out.columns.push_back({"vwap", ColumnType::kDouble, true});
  for (const char* name : {"volume", "trades"}) out.columns.push_back({name, ColumnType::kInt64, false});
  out.columns.push_back({"final", ColumnType::kInt32, false});
  out.columns.push_back({"updated_at", ColumnType::kString, false});
  if (c.windows != nullptr) out.columns.push_back({"windows", ColumnType::kInt64, false});
  auto text = [&](const char* name) { return StringColumnBuilder(out.Find(name)); };
  StringColumnBuilder start = text("window_start"), stop = text("window_end"), updated = text("updated_at");
  std::optional<StringColumnBuilder> symbol;
  if (with_symbol) symbol.emplace(out.Find("symbol"));
  for (size_t r = begin; r < end; ++r) {
    if (symbol) symbol->Append(c.symbol->StringAt(r));
    start.Append(FormatRfc3339Millis(c.window_start->i64[r]));
    stop.Append(FormatRfc3339Millis(c.window_end->i64[r]));
    updated.Append(FormatRfc3339Millis(c.updated_at->i64[r]));
    for (const char* name : {"open", "high", "low", "close"}) out.Find(name)->AppendDouble(bars.Find(name)->f64[r]);
    if (c.vwap->IsNull(r)) {
      out.Find("vwap")->AppendNull();
    } else {
      out.Find("vwap")->AppendDouble(c.vwap->f64[r]);
    }
    out.Find("volume")->AppendInt64(c.volume->i64[r]);
    out.Find("trades")->AppendInt64(c.trades->i64[r]);
    out.Find("final")->AppendInt32(c.final->i32[r]);
    if (c.windows != nullptr) out.Find("windows")->AppendInt64(c.windows->i64[r]);
  }
  return out;
}

}  // namespace stocklake
