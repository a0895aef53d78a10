#include "ingest/bar_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/files.h"
#include "ingest/field_syntax.h"
#include "ingest/ticker.h"

namespace stocklake {

namespace {

constexpr int kCsvFields = 7;
constexpr std::string_view kAcceptedHeaders =
    "expected one of 'Date,Open,High,Low,Close,Volume,OpenInt', 'date,open,high,low,close,volume,Name', "
    "'Date,Open,High,Low,Close,Adj Close,Volume'";

// Physical lines of a file: LF ends a line and a CR just before it (or at the very end
// of the data) belongs to the line ending.
class LineCursor {
 public:
  explicit LineCursor(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool Next(std::string_view* line) {
    if (p_ >= end_) return false;
    const char* nl = static_cast<const char*>(std::memchr(p_, '\n', static_cast<size_t>(end_ - p_)));
    const char* e = nl != nullptr ? nl : end_;
    const char* content_end = (e > p_ && e[-1] == '\r') ? e - 1 : e;
    *line = std::string_view(p_, static_cast<size_t>(content_end - p_));
    p_ = nl != nullptr ? nl + 1 : end_;
    ++number_;
    return true;
  }
  int64_t number() const { return number_; }

 private:
  const char* p_;
  const char* end_;
  int64_t number_ = 0;
};

bool IsBlank(std::string_view line) {
  if (line.empty()) return true;
  if (line[0] != ' ') return false;
  return line.find_first_not_of(' ') == std::string_view::npos;
}

// One physical line of a CSV split at commas, found in a single pass over its bytes
// (one scan instead of a memchr per field: rows are ~45 bytes, calls cost more).
struct CsvLine {
  std::string_view fields[kCsvFields];
  int field_count = 0;  // capped at kCsvFields + 1: "too many" is all that matters
  bool blank = false;
};

// Scans the line starting at `p`; returns where the next line starts.
const char* ScanCsvLine(const char* p, const char* end, CsvLine* line) {
  const char* commas[kCsvFields];
  int comma_count = 0;
  const char* q = p;
  for (; q < end; ++q) {
    const char c = *q;
    if (c == '\n') break;
    if (c == ',') {
      if (comma_count < kCsvFields) commas[comma_count] = q;
      ++comma_count;
    }
  }
  const char* const next = q < end ? q + 1 : end;
  const char* line_end = (q > p && q[-1] == '\r') ? q - 1 : q;
  if (comma_count == 0) {
    const std::string_view whole(p, static_cast<size_t>(line_end - p));
    line->blank = IsBlank(whole);
    line->fields[0] = whole;
    line->field_count = 1;
    return next;
  }
  line->blank = false;
  if (comma_count >= kCsvFields) {
    line->fields[0] = std::string_view(p, static_cast<size_t>(commas[0] - p));
    line->field_count = kCsvFields + 1;
    return next;
  }
  const char* field_begin = p;
  for (int i = 0; i < comma_count; ++i) {
    line->fields[i] = std::string_view(field_begin, static_cast<size_t>(commas[i] - field_begin));
    field_begin = commas[i] + 1;
  }
  line->fields[comma_count] = std::string_view(field_begin, static_cast<size_t>(line_end - field_begin));
  line->field_count = comma_count + 1;
  return next;
}

void ReserveForRows(BarBatch* out, size_t more) {
  const size_t need = out->size() + more;
  if (out->date.capacity() >= need) return;
  out->Reserve(std::max(need, out->date.capacity() * 2));
}

void AppendRejected(BarBatch* out, int32_t ticker, Date date, uint32_t source_id, int64_t line, RejectReason reason) {
  out->Append(ticker, date, 0, 0, 0, 0, 0, 0, source_id, line, reason);
}

// The code of the ticker named by a per-ticker file, or kNoTicker.
int32_t TickerCodeFromPath(const SourceFile& file, BarBatch* out) {
  const std::optional<std::string> ticker = TickerFromPath(file.relative_path);
  return ticker ? out->InternTicker(*ticker) : kNoTicker;
}

// Printable excerpt of untrusted text for a message.
std::string Excerpt(std::string_view text) {
  constexpr size_t kMax = 100;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out.push_back(c < 0x20 || c == 0x7F ? '?' : static_cast<char>(c));
  }
  if (text.size() > kMax) out += "...";
  return out;
}

// The S&P 500 file names ~500 tickers in one column: codes are cached by the raw Name
// text so the dictionary (linear search) is consulted once per distinct name.
class TickerCache {
 public:
  explicit TickerCache(BarBatch* out) : out_(out) {}

  int32_t Lookup(std::string_view raw) {
    if (has_last_ && raw == last_raw_) return last_code_;
    auto it = codes_.find(raw);
    if (it == codes_.end()) it = codes_.emplace(std::string(raw), Resolve(raw)).first;
    last_raw_.assign(raw.data(), raw.size());  // reuses capacity: no allocation per row
    last_code_ = it->second;
    has_last_ = true;
    return last_code_;
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  int32_t Resolve(std::string_view raw) {
    if (raw.size() > kMaxTickerLength) return kNoTicker;
    char buf[kMaxTickerLength];
    const std::string_view upper = UpperCaseInto(raw, buf);
    return IsValidTicker(upper) ? out_->InternTicker(upper) : kNoTicker;
  }

  BarBatch* out_;
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> codes_;
  std::string last_raw_;
  int32_t last_code_ = kNoTicker;
  bool has_last_ = false;
};

// Reads every data row of a CSV in layout L (header already recognised). The layout is
// a template argument so the field dispatch compiles away on the hot path.
template <InputLayout L>
void ReadCsvRows(std::string_view content, const SourceFile& file, uint32_t source_id, BarBatch* out,
                 ReadStats* stats) {
  constexpr bool kTickerFromName = L == InputLayout::kSp500;
  const int32_t file_ticker = kTickerFromName ? kNoTicker : TickerCodeFromPath(file, out);
  TickerCache names(out);
  ReserveForRows(out, content.size() / 40 + 1);

  const char* p = content.data();
  const char* const end = p + content.size();
  const char* header_end = static_cast<const char*>(std::memchr(p, '\n', content.size()));
  p = header_end != nullptr ? header_end + 1 : end;
  int64_t line_number = 1;
  CsvLine fields;
  const int64_t rows_before = static_cast<int64_t>(out->size());
  int64_t parse_errors = 0;
  while (p < end) {
    p = ScanCsvLine(p, end, &fields);
    ++line_number;
    if (fields.blank) continue;
    Date date = kNullDate;
    const std::string_view date_text = TrimSpaces(fields.fields[0]);
    const bool date_ok = ParseIsoDate(date_text.data(), date_text.size(), &date);
    int32_t ticker = file_ticker;
    double open = 0, high = 0, low = 0, close = 0, adj_close = 0;
    int64_t volume = 0;
    bool ok = false;
    if (fields.field_count == kCsvFields) {
      const std::string_view* f = fields.fields;
      int64_t open_interest = 0;
      if constexpr (kTickerFromName) ticker = names.Lookup(TrimSpaces(f[6]));
      ok = date_ok && ticker != kNoTicker && ParsePrice(TrimSpaces(f[1]), &open) &&
           ParsePrice(TrimSpaces(f[2]), &high) && ParsePrice(TrimSpaces(f[3]), &low) &&
           ParsePrice(TrimSpaces(f[4]), &close);
      if constexpr (L == InputLayout::kHugeStockMarket) {
        ok = ok && ParseInt64(TrimSpaces(f[5]), &volume) && ParseInt64(TrimSpaces(f[6]), &open_interest);
        adj_close = close;
      } else if constexpr (L == InputLayout::kSp500) {
        ok = ok && ParseInt64(TrimSpaces(f[5]), &volume);
        adj_close = close;
      } else {
        ok = ok && ParsePrice(TrimSpaces(f[5]), &adj_close) && ParseInt64(TrimSpaces(f[6]), &volume);
      }
    }
    if (ok) {
      out->Append(ticker, date, open, high, low, close, adj_close, volume, source_id, line_number, RejectReason::kNone);
    } else {
      AppendRejected(out, ticker, date, source_id, line_number, RejectReason::kParseError);
      ++parse_errors;
    }
  }
  stats->rows_read = static_cast<int64_t>(out->size()) - rows_before;
  stats->parse_errors = parse_errors;
  if (!kTickerFromName && file_ticker == kNoTicker && stats->rows_read > 0) {
    stats->warning = "no valid ticker in file name " + file.relative_path + ": its " +
                     std::to_string(stats->rows_read) + " rows were rejected as parse_error";
  }
}

void ReadUnrecognisedCsv(std::string_view content, const SourceFile& file, uint32_t source_id, BarBatch* out,
                         ReadStats* stats) {
  const int32_t ticker = TickerCodeFromPath(file, out);
  LineCursor lines(content);
  std::string_view line;
  if (!lines.Next(&line)) {
    stats->warning = "unrecognised header in " + file.relative_path + ": the file is empty";
    return;
  }
  const std::string header = Excerpt(line);
  while (lines.Next(&line)) {
    if (IsBlank(line)) continue;
    AppendRejected(out, ticker, kNullDate, source_id, lines.number(), RejectReason::kUnrecognisedHeader);
    ++stats->unrecognised_rows;
  }
  stats->rows_read = stats->unrecognised_rows;
  stats->warning = "unrecognised header in " + file.relative_path + ": '" + header + "' (" +
                   std::string(kAcceptedHeaders) + "); its " + std::to_string(stats->rows_read) +
                   " rows were rejected as unrecognised_header";
}

// --- Yahoo v8 chart JSON ---

void RejectUnrecognisedJson(const SourceFile& file, uint32_t source_id, BarBatch* out, ReadStats* stats,
                            const std::string& why) {
  stats->layout = InputLayout::kUnrecognised;
  AppendRejected(out, TickerCodeFromPath(file, out), kNullDate, source_id, 1, RejectReason::kUnrecognisedHeader);
  stats->rows_read = 1;
  stats->unrecognised_rows = 1;
  stats->warning = "unrecognised JSON in " + file.relative_path + ": " + why +
                   " (expected a Yahoo Finance v8 chart body); the file was rejected as one unrecognised_header row";
}

std::vector<simdjson::dom::element> Elements(simdjson::dom::array array) {
  std::vector<simdjson::dom::element> out;
  out.reserve(array.size());
  for (simdjson::dom::element e : array) out.push_back(e);
  return out;
}

// The elements of quote[key] (or empty when missing: its entries then do not parse).
std::vector<simdjson::dom::element> ArrayField(simdjson::dom::object object, std::string_view key) {
  simdjson::dom::array array;
  if (object[key].get(array) != simdjson::SUCCESS) return {};
  return Elements(array);
}

bool PriceAt(const std::vector<simdjson::dom::element>& values, size_t i, double* out) {
  return i < values.size() && values[i].get_double().get(*out) == simdjson::SUCCESS;
}

bool DateFromTimestamp(simdjson::dom::element timestamp, int64_t gmtoffset, Date* out) {
  static const int64_t kFirstDay = DaysFromCivil(0, 1, 1);
  static const int64_t kLastDay = DaysFromCivil(9999, 12, 31);
  int64_t seconds;
  if (timestamp.get_int64().get(seconds) != simdjson::SUCCESS) return false;
  int64_t local;
  if (__builtin_add_overflow(seconds, gmtoffset, &local)) return false;
  int64_t days = local / 86400;
  if (local % 86400 < 0) --days;  // floor: instants before 1970 belong to the earlier day
  if (days < kFirstDay || days > kLastDay) return false;
  *out = static_cast<Date>(days);
  return true;
}

void ReadChartJson(std::string_view content, const SourceFile& file, uint32_t source_id, BarBatch* out,
                   ReadStats* stats) {
  using simdjson::dom::array;
  using simdjson::dom::element;
  using simdjson::dom::object;
  simdjson::dom::parser parser;
  element root;
  if (auto error = parser.parse(content.data(), content.size()).get(root); error != simdjson::SUCCESS) {
    return RejectUnrecognisedJson(file, source_id, out, stats,
                                  std::string("not valid JSON (") + simdjson::error_message(error) + ")");
  }
  object result;
  if (root["chart"]["result"].at(0).get(result) != simdjson::SUCCESS) {
    std::string_view description;
    std::string why = "no chart.result[0]";
    if (root["chart"]["error"]["description"].get(description) == simdjson::SUCCESS) {
      why += ", chart.error says '" + Excerpt(description) + "'";
    }
    return RejectUnrecognisedJson(file, source_id, out, stats, why);
  }
  std::string_view symbol;
  if (result["meta"]["symbol"].get(symbol) != simdjson::SUCCESS) {
    return RejectUnrecognisedJson(file, source_id, out, stats, "no string meta.symbol");
  }
  int64_t gmtoffset;
  if (result["meta"]["gmtoffset"].get(gmtoffset) != simdjson::SUCCESS) {
    return RejectUnrecognisedJson(file, source_id, out, stats, "no integer meta.gmtoffset");
  }
  element timestamp_element;
  if (result["timestamp"].get(timestamp_element) != simdjson::SUCCESS || timestamp_element.is_null()) {
    return;  // Yahoo's answer for a range without data
  }
  array timestamp_array;
  if (timestamp_element.get(timestamp_array) != simdjson::SUCCESS) {
    return RejectUnrecognisedJson(file, source_id, out, stats, "timestamp is not an array");
  }
  const std::vector<element> timestamps = Elements(timestamp_array);
  if (timestamps.empty()) return;
  object indicators;
  object quote;
  if (result["indicators"].get(indicators) != simdjson::SUCCESS ||
      indicators["quote"].at(0).get(quote) != simdjson::SUCCESS) {
    return RejectUnrecognisedJson(file, source_id, out, stats, "no indicators.quote[0] object");
  }

  int32_t ticker = kNoTicker;
  if (symbol.size() <= kMaxTickerLength) {
    char buf[kMaxTickerLength];
    const std::string_view upper = UpperCaseInto(symbol, buf);
    if (IsValidTicker(upper)) ticker = out->InternTicker(upper);
  }
  const std::vector<element> opens = ArrayField(quote, "open");
  const std::vector<element> highs = ArrayField(quote, "high");
  const std::vector<element> lows = ArrayField(quote, "low");
  const std::vector<element> closes = ArrayField(quote, "close");
  const std::vector<element> volumes = ArrayField(quote, "volume");
  const bool has_adj_close = indicators["adjclose"].error() != simdjson::NO_SUCH_FIELD;
  std::vector<element> adj_closes;
  if (has_adj_close) {
    object adj;
    if (indicators["adjclose"].at(0).get(adj) == simdjson::SUCCESS) adj_closes = ArrayField(adj, "adjclose");
  }

  ReserveForRows(out, timestamps.size());
  for (size_t i = 0; i < timestamps.size(); ++i) {
    const int64_t line = static_cast<int64_t>(i) + 1;
    Date date = kNullDate;
    const bool date_ok = DateFromTimestamp(timestamps[i], gmtoffset, &date);
    double open = 0, high = 0, low = 0, close = 0, adj_close = 0;
    int64_t volume = 0;
    bool ok = date_ok && ticker != kNoTicker && PriceAt(opens, i, &open) && PriceAt(highs, i, &high) &&
              PriceAt(lows, i, &low) && PriceAt(closes, i, &close) && i < volumes.size() &&
              volumes[i].get_int64().get(volume) == simdjson::SUCCESS;
    if (ok) {
      if (has_adj_close) {
        ok = PriceAt(adj_closes, i, &adj_close);
      } else {
        adj_close = close;
      }
    }
    if (ok) {
      out->Append(ticker, date, open, high, low, close, adj_close, volume, source_id, line, RejectReason::kNone);
    } else {
      AppendRejected(out, ticker, date, source_id, line, RejectReason::kParseError);
      ++stats->parse_errors;
    }
  }
  stats->rows_read = static_cast<int64_t>(timestamps.size());
  if (ticker == kNoTicker) {
    stats->warning = "invalid meta.symbol '" + Excerpt(symbol) + "' in " + file.relative_path + ": its " +
                     std::to_string(stats->rows_read) + " entries were rejected as parse_error";
  }
}

}  // namespace

Result<ReadStats> ReadBars(std::string_view content, const SourceFile& file, uint32_t source_id, BarBatch* out) {
  ReadStats stats;
  stats.layout = DetectLayout(content);
  content = StripBom(content);
  switch (stats.layout) {
    case InputLayout::kHugeStockMarket:
      ReadCsvRows<InputLayout::kHugeStockMarket>(content, file, source_id, out, &stats);
      break;
    case InputLayout::kSp500: ReadCsvRows<InputLayout::kSp500>(content, file, source_id, out, &stats); break;
    case InputLayout::kYahooCsv: ReadCsvRows<InputLayout::kYahooCsv>(content, file, source_id, out, &stats); break;
    case InputLayout::kYahooChartJson: ReadChartJson(content, file, source_id, out, &stats); break;
    case InputLayout::kUnrecognised: ReadUnrecognisedCsv(content, file, source_id, out, &stats); break;
  }
  return stats;
}

Result<ReadStats> ReadBarsFromFile(const SourceFile& file, uint32_t source_id, BarBatch* out) {
  Result<MappedFile> mapped = MappedFile::Open(file.absolute_path);
  if (!mapped.ok()) return mapped.status().WithContext("reading input file " + file.relative_path);
  return ReadBars(mapped->data(), file, source_id, out);
}

}  // namespace stocklake
